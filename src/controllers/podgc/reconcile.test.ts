import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { ORPHAN_QUARANTINE_MS, type PodGCPlan, planPodGC } from './reconcile.js';

const T0 = 1_700_000_000_000;
const pod = (nodeName?: string, terminating = false): Pod => ({
  metadata: {
    name: 'p',
    namespace: 'ns',
    ...(terminating ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}),
  },
  spec: { containers: [], ...(nodeName ? { nodeName } : {}) },
});
const node = (ready: string, outOfService = false): Node => ({
  metadata: { name: 'n1' },
  spec: outOfService ? { taints: [{ key: 'node.kubernetes.io/out-of-service', effect: 'NoExecute' }] } : {},
  status: { conditions: [{ type: 'Ready', status: ready }] },
});

describe('planPodGC', () => {
  const cases: { name: string; pod: Pod; node?: Node; missingSince?: number; want: PodGCPlan }[] = [
    { name: 'a pending pod: nothing', pod: pod(), want: { action: 'none' } },
    {
      name: 'deleted before it was scheduled: force-delete',
      pod: pod(undefined, true),
      want: { action: 'force-delete', why: 'unscheduled' },
    },
    { name: 'on a Ready node: nothing', pod: pod('n1'), node: node('True'), want: { action: 'none' } },
    {
      name: 'terminating on an unreachable node: left for its agent (StatefulSet safety)',
      pod: pod('n1', true),
      node: node('Unknown'),
      want: { action: 'none' },
    },
    {
      name: 'terminating on a NotReady out-of-service node: force-delete',
      pod: pod('n1', true),
      node: node('Unknown', true),
      want: { action: 'force-delete', why: 'out-of-service' },
    },
    {
      name: 'out-of-service but Ready: nothing',
      pod: pod('n1', true),
      node: node('True', true),
      want: { action: 'none' },
    },
    {
      name: 'node missing, first seen now: wait the whole quarantine',
      pod: pod('n1'),
      want: { action: 'wait', ms: ORPHAN_QUARANTINE_MS },
    },
    {
      name: 'node missing for part of the quarantine: wait the rest',
      pod: pod('n1'),
      missingSince: T0 - 30_000,
      want: { action: 'wait', ms: ORPHAN_QUARANTINE_MS - 30_000 },
    },
    {
      name: 'node missing for the whole quarantine: ask the API server',
      pod: pod('n1', true),
      missingSince: T0 - ORPHAN_QUARANTINE_MS,
      want: { action: 'confirm-orphan' },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.deepEqual(planPodGC(c.pod, c.node, c.missingSince, T0), c.want);
    });
  }
});
