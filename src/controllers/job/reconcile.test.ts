import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Job, JobSpec, JobStatus } from 'kubernetes-types/batch/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { formatTime } from '../../api/time.js';
import { formatIndexes, parseIndex } from './indexes.js';
import { COMPLETION_INDEX, jobPod } from './pod.js';
import { failureBackoffRemaining, type JobPlan, planJob } from './reconcile.js';
import { ttlExpiry } from './ttl.js';

const NOW = Date.parse('2026-01-01T12:00:00Z');
const at = (secondsAgo: number) => formatTime(new Date(NOW - secondsAgo * 1000));

function job(spec: Partial<JobSpec> = {}, status: JobStatus = { startTime: at(60) }): Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'pi', namespace: 'ns', uid: 'job-uid' },
    spec: {
      completions: 1,
      parallelism: 1,
      backoffLimit: 6,
      template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } },
      ...spec,
    },
    status,
  };
}

let serial = 0;
interface PodOptions {
  index?: number;
  ready?: boolean;
  node?: string;
  deleting?: boolean;
  restarts?: number;
  finishedAgo?: number;
  createdAgo?: number;
}
function pod(phase: string, o: PodOptions = {}): Pod {
  serial++;
  return {
    metadata: {
      name: `pi-${serial}`,
      namespace: 'ns',
      uid: `pod-${serial}`,
      creationTimestamp: at(o.createdAgo ?? 30),
      ...(o.index !== undefined ? { annotations: { [COMPLETION_INDEX]: String(o.index) } } : {}),
      ...(o.deleting ? { deletionTimestamp: at(1) } : {}),
    },
    spec: { containers: [], ...(o.node ? { nodeName: o.node } : {}) },
    status: {
      phase,
      conditions: [{ type: 'Ready', status: o.ready ? 'True' : 'False' }],
      containerStatuses: [
        {
          name: 'c',
          image: 'busybox',
          imageID: '',
          ready: !!o.ready,
          restartCount: o.restarts ?? 0,
          ...(o.finishedAgo !== undefined
            ? { state: { terminated: { exitCode: 0, finishedAt: at(o.finishedAgo) } } }
            : {}),
        },
      ],
    },
  };
}

const plan = (j: Job, pods: Pod[], satisfied = true): JobPlan =>
  planJob({ job: j, pods, now: NOW, expectationsSatisfied: satisfied });
const cond = (p: JobPlan, type: string) => p.status.conditions?.find((c) => c.type === type);

describe('planJob: how many pods', () => {
  const cases: { name: string; job: Job; pods: Pod[]; create: number; del: number; satisfied?: boolean }[] = [
    { name: 'a new Job starts one pod', job: job(), pods: [], create: 1, del: 0 },
    {
      name: 'completions 3, parallelism 2: two at once',
      job: job({ completions: 3, parallelism: 2 }),
      pods: [],
      create: 2,
      del: 0,
    },
    {
      name: 'completions 3, parallelism 2, two done: only one more',
      job: job({ completions: 3, parallelism: 2 }),
      pods: [pod('Succeeded', { finishedAgo: 5 }), pod('Succeeded', { finishedAgo: 5 })],
      create: 1,
      del: 0,
    },
    {
      name: 'running pods count as active',
      job: job({ completions: 3, parallelism: 2 }),
      pods: [pod('Running', { node: 'n' }), pod('Pending')],
      create: 0,
      del: 0,
    },
    {
      name: 'parallelism lowered: the extra pod goes',
      job: job({ completions: 5, parallelism: 1 }),
      pods: [pod('Running', { node: 'n', ready: true }), pod('Pending')],
      create: 0,
      del: 1,
    },
    {
      name: 'work queue (completions unset): parallelism pods',
      job: job({ completions: undefined, parallelism: 3 }),
      pods: [],
      create: 3,
      del: 0,
    },
    {
      name: 'work queue: none started once one succeeded',
      job: job({ completions: undefined, parallelism: 3 }),
      pods: [pod('Succeeded', { finishedAgo: 1 }), pod('Running', { node: 'n' })],
      create: 0,
      del: 0,
    },
    {
      name: 'expectations pending: no writes',
      job: job({ completions: 3, parallelism: 3 }),
      pods: [],
      create: 0,
      del: 0,
      satisfied: false,
    },
    {
      name: 'a terminating pod is replaced at once (TerminatingOrFailed)',
      job: job({ podReplacementPolicy: 'TerminatingOrFailed' }),
      pods: [pod('Running', { node: 'n', deleting: true })],
      create: 1,
      del: 0,
    },
    {
      name: 'with podReplacementPolicy Failed it is not',
      job: job({ podReplacementPolicy: 'Failed' }),
      pods: [pod('Running', { node: 'n', deleting: true })],
      create: 0,
      del: 0,
    },
    {
      name: 'suspended: active pods are deleted, none created',
      job: job({ suspend: true, completions: 2, parallelism: 2 }),
      pods: [pod('Running', { node: 'n' })],
      create: 0,
      del: 1,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const p = plan(c.job, c.pods, c.satisfied ?? true);
      assert.equal(p.create.length, c.create, 'creates');
      assert.equal(p.delete.length, c.del, 'deletes');
    });
  }

  it('deletes the least advanced pod first: unscheduled before running', () => {
    const running = pod('Running', { node: 'n', ready: true });
    const pending = pod('Pending');
    const p = plan(job({ completions: 5, parallelism: 1 }), [running, pending]);
    assert.deepEqual(p.delete, [pending]);
    assert.equal(p.status.active, 1);
  });
});

describe('planJob: failure backoff', () => {
  it('waits 10 s after one failure, 20 s after two', () => {
    assert.equal(failureBackoffRemaining([pod('Failed', { finishedAgo: 4 })], NOW), 6000);
    assert.equal(
      failureBackoffRemaining([pod('Failed', { finishedAgo: 30 }), pod('Failed', { finishedAgo: 4 })], NOW),
      16000,
    );
  });
  it('a success since resets it', () => {
    assert.equal(
      failureBackoffRemaining([pod('Failed', { finishedAgo: 8 }), pod('Succeeded', { finishedAgo: 4 })], NOW),
      0,
    );
  });
  it('caps at 10 minutes', () => {
    const pods = Array.from({ length: 12 }, () => pod('Failed', { finishedAgo: 0 }));
    assert.equal(failureBackoffRemaining(pods, NOW), 600_000);
  });
  it('holds the replacement back and asks to be called when it runs out', () => {
    const p = plan(job(), [pod('Failed', { finishedAgo: 3 })]);
    assert.equal(p.create.length, 0);
    assert.equal(p.requeueAfterMs, 7000);
    assert.equal(p.status.failed, 1);
    const later = plan(job(), [pod('Failed', { finishedAgo: 11 })]);
    assert.equal(later.create.length, 1);
  });
});

describe('planJob: the end of a Job', () => {
  it('completes when completions succeeded: SuccessCriteriaMet, Complete, completionTime, event', () => {
    const p = plan(job({ completions: 2, parallelism: 2 }), [
      pod('Succeeded', { finishedAgo: 1 }),
      pod('Succeeded', { finishedAgo: 1 }),
    ]);
    assert.equal(cond(p, 'SuccessCriteriaMet')?.status, 'True');
    assert.equal(cond(p, 'Complete')?.status, 'True');
    assert.equal(cond(p, 'Complete')?.reason, 'CompletionsReached');
    assert.equal(p.status.completionTime, formatTime(new Date(NOW)));
    assert.equal(p.status.succeeded, 2);
    assert.deepEqual(
      p.events.map((e) => e.reason),
      ['Completed'],
    );
  });

  it('a work-queue Job completes once one succeeded and none is left running', () => {
    const running = plan(job({ completions: undefined, parallelism: 2 }), [
      pod('Succeeded', { finishedAgo: 1 }),
      pod('Running', { node: 'n' }),
    ]);
    assert.equal(cond(running, 'Complete'), undefined);
    const done = plan(job({ completions: undefined, parallelism: 2 }), [
      pod('Succeeded', { finishedAgo: 1 }),
      pod('Succeeded', { finishedAgo: 1 }),
    ]);
    assert.equal(cond(done, 'Complete')?.status, 'True');
  });

  it('more failures than backoffLimit: FailureTarget, active pods deleted, Failed once they are gone', () => {
    const j = job({ backoffLimit: 1, parallelism: 2, completions: 4 });
    const runner = pod('Running', { node: 'n' });
    const failed = [pod('Failed', { finishedAgo: 50 }), pod('Failed', { finishedAgo: 20 })];
    const first = plan(j, [...failed, runner]);
    assert.equal(cond(first, 'FailureTarget')?.reason, 'BackoffLimitExceeded');
    assert.equal(cond(first, 'Failed'), undefined);
    assert.deepEqual(first.delete, [runner]);
    assert.equal(first.create.length, 0);
    assert.equal(first.status.active, undefined);
    assert.equal(first.status.terminating, 1);

    const withTarget = job({ backoffLimit: 1, parallelism: 2, completions: 4 }, first.status);
    const second = plan(withTarget, failed);
    assert.equal(cond(second, 'Failed')?.reason, 'BackoffLimitExceeded');
    assert.equal(cond(second, 'Failed')?.message, 'Job has reached the specified backoff limit');
    assert.equal(second.status.completionTime, undefined);
    assert.deepEqual(
      second.events.map((e) => [e.type, e.reason]),
      [['Warning', 'BackoffLimitExceeded']],
    );
  });

  it('backoffLimit 0 fails on the first failure', () => {
    const p = plan(job({ backoffLimit: 0 }), [pod('Failed', { finishedAgo: 1 })]);
    assert.equal(cond(p, 'Failed')?.reason, 'BackoffLimitExceeded');
  });

  it('restartPolicy OnFailure counts container restarts against backoffLimit', () => {
    const onFailure = (limit: number) =>
      job({
        backoffLimit: limit,
        template: { spec: { restartPolicy: 'OnFailure', containers: [{ name: 'c', image: 'busybox' }] } },
      });
    assert.equal(
      cond(plan(onFailure(3), [pod('Running', { node: 'n', restarts: 2 })]), 'FailureTarget'),
      undefined,
    );
    assert.equal(
      cond(plan(onFailure(3), [pod('Running', { node: 'n', restarts: 3 })]), 'FailureTarget')?.reason,
      'BackoffLimitExceeded',
    );
  });

  it('past activeDeadlineSeconds: DeadlineExceeded; before it, a requeue at the deadline', () => {
    const runner = pod('Running', { node: 'n' });
    const late = plan(job({ activeDeadlineSeconds: 30 }, { startTime: at(31) }), [runner]);
    assert.equal(cond(late, 'FailureTarget')?.reason, 'DeadlineExceeded');
    assert.deepEqual(late.delete, [runner]);
    const early = plan(job({ activeDeadlineSeconds: 30 }, { startTime: at(10) }), [runner]);
    assert.equal(cond(early, 'FailureTarget'), undefined);
    assert.equal(early.requeueAfterMs, 20_000);
  });

  it('a finished Job is left alone', () => {
    const done = job({}, { conditions: [{ type: 'Complete', status: 'True' }], succeeded: 1 });
    const p = plan(done, [pod('Running')]);
    assert.deepEqual([p.create, p.delete, p.events], [[], [], []]);
    assert.equal(p.status, done.status);
  });
});

describe('planJob: status', () => {
  it('sets startTime on the first pass, counts active, ready, succeeded, failed', () => {
    const p = plan(job({ completions: 5, parallelism: 3 }, {}), [
      pod('Running', { node: 'n', ready: true }),
      pod('Running', { node: 'n' }),
      pod('Succeeded', { finishedAgo: 40 }),
      pod('Failed', { finishedAgo: 40 }),
    ]);
    assert.equal(p.status.startTime, formatTime(new Date(NOW)));
    assert.equal(p.create.length, 1);
    assert.deepEqual(
      {
        active: p.status.active,
        ready: p.status.ready,
        succeeded: p.status.succeeded,
        failed: p.status.failed,
      },
      { active: 3, ready: 1, succeeded: 1, failed: 1 },
    );
  });

  it('suspend sets Suspended with an event, resume clears it and restarts the clock', () => {
    const suspended = plan(job({ suspend: true }, {}), []);
    assert.equal(cond(suspended, 'Suspended')?.status, 'True');
    assert.equal(suspended.status.startTime, undefined);
    assert.deepEqual(
      suspended.events.map((e) => e.reason),
      ['Suspended'],
    );
    const resumed = plan(job({ suspend: false }, { ...suspended.status, startTime: at(500) }), []);
    assert.equal(cond(resumed, 'Suspended')?.status, 'False');
    assert.equal(cond(resumed, 'Suspended')?.reason, 'JobResumed');
    assert.equal(resumed.status.startTime, formatTime(new Date(NOW)));
    assert.equal(resumed.create.length, 1);
  });
});

describe('planJob: Indexed', () => {
  const indexed = (spec: Partial<JobSpec> = {}) =>
    job({ completionMode: 'Indexed', completions: 5, parallelism: 2, ...spec });

  it('creates the lowest indexes neither done nor running', () => {
    const p = plan(indexed(), [
      pod('Succeeded', { index: 0, finishedAgo: 5 }),
      pod('Running', { index: 1, node: 'n' }),
      pod('Succeeded', { index: 3, finishedAgo: 5 }),
    ]);
    assert.deepEqual(p.create, [{ index: 2 }]);
    assert.equal(p.status.completedIndexes, '0,3');
    assert.equal(p.status.succeeded, 2);
  });

  it('deletes duplicates, indexes out of range and indexes already done', () => {
    const keep = pod('Running', { index: 1, node: 'n', ready: true, createdAgo: 50 });
    const dup = pod('Pending', { index: 1 });
    const outOfRange = pod('Running', { index: 9, node: 'n' });
    const done = pod('Running', { index: 0, node: 'n' });
    const p = plan(indexed({ parallelism: 5 }), [
      pod('Succeeded', { index: 0, finishedAgo: 5 }),
      keep,
      dup,
      outOfRange,
      done,
    ]);
    assert.deepEqual(new Set(p.delete), new Set([dup, outOfRange, done]));
    assert.equal(p.create.length, 0, 'creations wait for the deletions');
  });

  it('completes when every index succeeded', () => {
    const pods = [0, 1, 2].map((index) => pod('Succeeded', { index, finishedAgo: 1 }));
    const p = plan(indexed({ completions: 3 }), pods);
    assert.equal(cond(p, 'Complete')?.status, 'True');
    assert.equal(p.status.completedIndexes, '0-2');
  });
});

describe('job pods', () => {
  it('an Indexed pod carries its index as annotation, label, env and host name', () => {
    const p = jobPod(job({ completionMode: 'Indexed', completions: 3 }), 2);
    assert.equal(p.metadata?.generateName, 'pi-2-');
    assert.equal(p.metadata?.annotations?.[COMPLETION_INDEX], '2');
    assert.equal(p.metadata?.labels?.[COMPLETION_INDEX], '2');
    assert.equal(p.spec?.hostname, 'pi-2');
    assert.deepEqual(p.spec?.containers[0]?.env, [
      {
        name: 'JOB_COMPLETION_INDEX',
        valueFrom: { fieldRef: { fieldPath: `metadata.annotations['${COMPLETION_INDEX}']` } },
      },
    ]);
    assert.equal(p.metadata?.ownerReferences?.[0]?.uid, 'job-uid');
  });

  it('a NonIndexed pod is the template with the Job as controller', () => {
    const p = jobPod(job());
    assert.equal(p.metadata?.generateName, 'pi-');
    assert.equal(p.spec?.hostname, undefined);
    assert.equal(p.spec?.containers[0]?.env, undefined);
    assert.equal(p.metadata?.ownerReferences?.[0]?.controller, true);
  });
});

describe('completion indexes', () => {
  it('formats runs as ranges', () => {
    assert.equal(formatIndexes([]), '');
    assert.equal(formatIndexes([3, 0, 1, 2, 5, 7, 8]), '0-3,5,7-8');
    assert.equal(formatIndexes([4]), '4');
  });
  it('parses only plain indexes below completions', () => {
    assert.equal(parseIndex('2', 3), 2);
    assert.equal(parseIndex('3', 3), undefined);
    assert.equal(parseIndex('02', 3), undefined);
    assert.equal(parseIndex('-1', 3), undefined);
    assert.equal(parseIndex(undefined, 3), undefined);
  });
});

describe('ttlExpiry', () => {
  const finished = (type: string, ttl: number | undefined) =>
    job(
      { ...(ttl !== undefined ? { ttlSecondsAfterFinished: ttl } : {}) },
      {
        ...(type === 'Complete' ? { completionTime: at(10) } : {}),
        conditions: [{ type, status: 'True', lastTransitionTime: at(20) }],
      },
    );
  it('is the completion time plus the TTL', () => {
    assert.equal(ttlExpiry(finished('Complete', 100)), NOW - 10_000 + 100_000);
  });
  it('for a failed Job, the Failed transition plus the TTL', () => {
    assert.equal(ttlExpiry(finished('Failed', 0)), NOW - 20_000);
  });
  it('none without a TTL or before the end', () => {
    assert.equal(ttlExpiry(finished('Complete', undefined)), undefined);
    assert.equal(ttlExpiry(job({ ttlSecondsAfterFinished: 5 })), undefined);
  });
});
