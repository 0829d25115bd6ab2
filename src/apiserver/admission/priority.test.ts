import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PriorityClass } from 'kubernetes-types/scheduling/v1.js';
import { ApiError } from '../../api/errors.js';
import type { KubeObject } from '../../api/object.js';
import { admitPodPriority, type PriorityClasses } from './priority.js';

const pc = (name: string, value: number, extra: Partial<PriorityClass> = {}): PriorityClass => ({
  apiVersion: 'scheduling.k8s.io/v1',
  kind: 'PriorityClass',
  metadata: { name },
  value,
  preemptionPolicy: 'PreemptLowerPriority',
  ...extra,
});

const store = (...classes: PriorityClass[]): PriorityClasses => ({
  get: async (name) => classes.find((c) => c.metadata?.name === name),
  list: async () => classes,
});

const pod = (spec: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web' },
  spec: { containers: [{ name: 'c', image: 'x' }], ...spec },
});

describe('priority admission', () => {
  const cases: {
    name: string;
    classes: PriorityClass[];
    spec?: Record<string, unknown>;
    want?: { priority: number; preemptionPolicy: string; priorityClassName?: string };
    error?: string;
  }[] = [
    {
      name: 'no class, no default: priority 0',
      classes: [pc('high', 1000)],
      want: { priority: 0, preemptionPolicy: 'PreemptLowerPriority' },
    },
    {
      name: 'a named class',
      classes: [pc('high', 1000, { preemptionPolicy: 'Never' })],
      spec: { priorityClassName: 'high' },
      want: { priority: 1000, preemptionPolicy: 'Never', priorityClassName: 'high' },
    },
    {
      name: 'the global default (the lowest when several claim it)',
      classes: [pc('a', 500, { globalDefault: true }), pc('b', 100, { globalDefault: true }), pc('c', 50)],
      want: { priority: 100, preemptionPolicy: 'PreemptLowerPriority', priorityClassName: 'b' },
    },
    {
      name: 'a built-in system class without an object',
      classes: [],
      spec: { priorityClassName: 'system-node-critical' },
      want: {
        priority: 2_000_001_000,
        preemptionPolicy: 'PreemptLowerPriority',
        priorityClassName: 'system-node-critical',
      },
    },
    {
      name: 'a priority equal to the class is accepted',
      classes: [pc('high', 1000)],
      spec: { priorityClassName: 'high', priority: 1000 },
      want: { priority: 1000, preemptionPolicy: 'PreemptLowerPriority', priorityClassName: 'high' },
    },
    {
      name: 'an unknown class',
      classes: [],
      spec: { priorityClassName: 'gold' },
      error: 'pods "web" is forbidden: no PriorityClass with name gold was found',
    },
    {
      name: 'a priority that differs from the class',
      classes: [pc('high', 1000)],
      spec: { priorityClassName: 'high', priority: 7 },
      error:
        'pods "web" is forbidden: the integer value of priority (7) must not be provided in pod spec; priority admission controller computed 1000 from the given PriorityClass name',
    },
    {
      name: 'a preemption policy that differs from the class',
      classes: [pc('high', 1000)],
      spec: { priorityClassName: 'high', preemptionPolicy: 'Never' },
      error:
        'pods "web" is forbidden: the string value of PreemptionPolicy (Never) must not be provided in pod spec; priority admission controller computed PreemptLowerPriority from the given PriorityClass name',
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const p = pod(c.spec);
      const admitted = admitPodPriority(p, store(...c.classes));
      if (c.error) {
        await assert.rejects(admitted, (err: unknown) => {
          assert.ok(err instanceof ApiError);
          assert.equal(err.code, 403);
          assert.equal(err.message, c.error);
          return true;
        });
        return;
      }
      await admitted;
      const spec = p.spec as Record<string, unknown>;
      assert.equal(spec.priority, c.want!.priority);
      assert.equal(spec.preemptionPolicy, c.want!.preemptionPolicy);
      assert.equal(spec.priorityClassName, c.want!.priorityClassName);
    });
  }
});
