/**
 * What the node IPAM controller decides for one Node (Kubernetes' range allocator): a Node with
 * pod CIDRs keeps them (they are marked taken, so a restarted controller never hands one out
 * twice); a Node without gets the next free range, written as both `spec.podCIDR` and
 * `spec.podCIDRs: [same]`; when none is left the Node waits, with an event, until a Node is
 * deleted and frees one.
 */
import type { Node } from 'kubernetes-types/core/v1.js';
import type { PlannedEvent } from '../../client/events.js';
import type { CidrSet } from './cidr-set.js';

/** The pod CIDRs a Node has: `podCIDRs`, or the older single `podCIDR` when only that is set. */
export function podCIDRsOf(node: Node): string[] {
  const cidrs = node.spec?.podCIDRs ?? [];
  if (cidrs.length > 0) return [...cidrs];
  return node.spec?.podCIDR ? [node.spec.podCIDR] : [];
}

export type NodeCIDRPlan =
  | { action: 'none' }
  /** Write `node` (the cached Node with `cidr` set); release `cidr` if the write fails. */
  | { action: 'assign'; cidr: string; node: Node }
  | { action: 'exhausted'; event: PlannedEvent };

/** Decide for `node`, taking its range in `cidrs` (allocating or occupying) as a side effect. */
export function planNodeCIDR(node: Node, cidrs: CidrSet): NodeCIDRPlan {
  const have = podCIDRsOf(node);
  if (have.length > 0) {
    for (const c of have) cidrs.occupy(c);
    return { action: 'none' };
  }
  const cidr = cidrs.allocateNext();
  if (!cidr) {
    const name = node.metadata?.name ?? '';
    return {
      action: 'exhausted',
      // Kubernetes' RecordNodeStatusChange: a Normal event whose reason is the new "status".
      event: {
        type: 'Normal',
        reason: 'CIDRNotAvailable',
        message: `Node ${name} status is now: CIDRNotAvailable`,
      },
    };
  }
  return {
    action: 'assign',
    cidr,
    node: { ...node, spec: { ...node.spec, podCIDR: cidr, podCIDRs: [cidr] } },
  };
}
