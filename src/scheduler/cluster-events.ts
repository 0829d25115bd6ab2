/**
 * Cluster changes that can make a parked (unschedulable) pod schedulable, as Kubernetes names its
 * queueing events. Each plugin declares the events that can turn its rejection into a pass (see
 * pipeline.ts); the queue moves a pod only on events that concern a plugin that rejected it.
 * Node status heartbeats change none of these, so they wake nothing.
 */

import type { Node } from 'kubernetes-types/core/v1.js';
import type { ObjectMeta } from 'kubernetes-types/meta/v1.js';

export type ClusterEvent =
  | 'NodeAdd'
  | 'NodeDelete'
  | 'NodeAllocatable'
  | 'NodeLabel'
  | 'NodeTaint'
  | 'NodeSpecUnschedulable'
  | 'AssignedPodAdd'
  | 'AssignedPodDelete'
  | 'AssignedPodLabel'
  | 'NamespaceLabel';

export const ALL_EVENTS: readonly ClusterEvent[] = [
  'NodeAdd',
  'NodeDelete',
  'NodeAllocatable',
  'NodeLabel',
  'NodeTaint',
  'NodeSpecUnschedulable',
  'AssignedPodAdd',
  'AssignedPodDelete',
  'AssignedPodLabel',
  'NamespaceLabel',
];

const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/** Whether two versions of an object differ in their labels (none and empty are the same). */
export function labelsChanged(old: { metadata?: ObjectMeta }, obj: { metadata?: ObjectMeta }): boolean {
  return JSON.stringify(old.metadata?.labels ?? {}) !== JSON.stringify(obj.metadata?.labels ?? {});
}

/** What changed between two versions of a Node that scheduling cares about. */
export function nodeEvents(old: Node, node: Node): ClusterEvent[] {
  const out: ClusterEvent[] = [];
  const a = old.status?.allocatable ?? old.status?.capacity;
  const b = node.status?.allocatable ?? node.status?.capacity;
  if (!same(a, b)) out.push('NodeAllocatable');
  if (!same(old.metadata?.labels, node.metadata?.labels)) out.push('NodeLabel');
  if (!same(old.spec?.taints, node.spec?.taints)) out.push('NodeTaint');
  if ((old.spec?.unschedulable === true) !== (node.spec?.unschedulable === true))
    out.push('NodeSpecUnschedulable');
  return out;
}
