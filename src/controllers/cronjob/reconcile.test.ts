import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CronJob, CronJobSpec, CronJobStatus, Job } from 'kubernetes-types/batch/v1.js';
import { type CronJobPlan, jobName, planCronJob, SCHEDULED_TIMESTAMP } from './reconcile.js';

const t = (iso: string) => Date.parse(iso);
/** The fake "now": 10:05:30 on a day the CronJob was created at 10:00:10. */
const NOW = t('2026-01-01T10:05:30Z');

function cronJob(spec: Partial<CronJobSpec> = {}, status: CronJobStatus = {}): CronJob {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: 'tick', namespace: 'ns', uid: 'cj-uid', creationTimestamp: '2026-01-01T10:00:10Z' },
    spec: {
      schedule: '*/1 * * * *',
      timeZone: 'UTC',
      concurrencyPolicy: 'Allow',
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 1,
      jobTemplate: {
        metadata: { labels: { app: 'tick' } },
        spec: {
          template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } },
        },
      },
      ...spec,
    },
    status,
  };
}

function job(
  name: string,
  state: 'Running' | 'Complete' | 'Failed',
  startTime = '2026-01-01T10:01:00Z',
): Job {
  return {
    metadata: { name, namespace: 'ns', uid: `uid-${name}` },
    status: {
      startTime,
      ...(state === 'Complete' ? { completionTime: '2026-01-01T10:01:30Z' } : {}),
      ...(state !== 'Running' ? { conditions: [{ type: state, status: 'True' }] } : {}),
    },
  };
}
const ref = (name: string) => ({
  apiVersion: 'batch/v1',
  kind: 'Job',
  namespace: 'ns',
  name,
  uid: `uid-${name}`,
});
const reasons = (p: CronJobPlan) => p.events.map((e) => e.reason);
const plan = (cj: CronJob, jobs: Job[] = [], now = NOW, missing?: Set<string>) =>
  planCronJob({ cronJob: cj, jobs, now, ...(missing ? { missing } : {}) });

describe('planCronJob: starting Jobs', () => {
  it('starts the latest missed firing only, named after its minute, with the scheduled-timestamp', () => {
    const p = plan(cronJob());
    assert.equal(p.create?.scheduledTime, t('2026-01-01T10:05:00Z'));
    const j = p.create!.job;
    assert.equal(j.metadata?.name, `tick-${t('2026-01-01T10:05:00Z') / 60_000}`);
    assert.equal(j.metadata?.annotations?.[SCHEDULED_TIMESTAMP], '2026-01-01T10:05:00Z');
    assert.deepEqual(j.metadata?.labels, { app: 'tick' });
    assert.equal(j.metadata?.ownerReferences?.[0]?.uid, 'cj-uid');
    assert.equal(j.metadata?.ownerReferences?.[0]?.controller, true);
    assert.equal(p.requeueAfterMs, 30_000, 'back at 10:06');
  });

  it('the timestamp is in the CronJob time zone', () => {
    const p = plan(cronJob({ timeZone: 'Europe/Berlin' }));
    assert.equal(p.create?.job.metadata?.annotations?.[SCHEDULED_TIMESTAMP], '2026-01-01T11:05:00+01:00');
  });

  it('nothing again for a firing already started', () => {
    const p = plan(cronJob({}, { lastScheduleTime: '2026-01-01T10:05:00Z' }));
    assert.equal(p.create, undefined);
    assert.equal(p.requeueAfterMs, 30_000);
  });

  it('nothing before the first firing after creation', () => {
    const p = plan(cronJob({ schedule: '0 * * * *' }));
    assert.equal(p.create, undefined);
    assert.equal(p.requeueAfterMs, t('2026-01-01T11:00:00Z') - NOW);
  });

  it('suspended: nothing, and no requeue', () => {
    const p = plan(cronJob({ suspend: true }));
    assert.equal(p.create, undefined);
    assert.equal(p.requeueAfterMs, undefined);
  });

  it('startingDeadlineSeconds: a firing older than the deadline is not started', () => {
    const late = plan(
      cronJob({ schedule: '5 10 * * *', startingDeadlineSeconds: 10 }, {}),
      [],
      t('2026-01-01T10:05:30Z'),
    );
    assert.equal(late.create, undefined);
    // The deadline also bounds how far back to look: nothing in the last 10 s, nothing missed.
    assert.deepEqual(reasons(late), []);
    const inTime = plan(
      cronJob({ schedule: '5 10 * * *', startingDeadlineSeconds: 60 }),
      [],
      t('2026-01-01T10:05:30Z'),
    );
    assert.equal(inTime.create?.scheduledTime, t('2026-01-01T10:05:00Z'));
  });

  it('many missed firings: one Job for the latest and a TooManyMissedTimes warning', () => {
    const p = plan(cronJob({}, { lastScheduleTime: '2025-12-01T00:00:00Z' }));
    assert.equal(p.create?.scheduledTime, t('2026-01-01T10:05:00Z'));
    assert.deepEqual(reasons(p), ['TooManyMissedTimes']);
  });

  it('Forbid: no new Job while one runs (JobAlreadyActive)', () => {
    const running = job(jobName('tick', t('2026-01-01T10:04:00Z')), 'Running');
    const p = plan(cronJob({ concurrencyPolicy: 'Forbid' }, { active: [ref(running.metadata!.name!)] }), [
      running,
    ]);
    assert.equal(p.create, undefined);
    assert.deepEqual(reasons(p), ['JobAlreadyActive']);
  });

  it('Replace: the running Job is deleted and a new one started', () => {
    const running = job('tick-old', 'Running');
    const p = plan(cronJob({ concurrencyPolicy: 'Replace' }, { active: [ref('tick-old')] }), [running]);
    assert.deepEqual(p.delete, [running]);
    assert.ok(p.create);
    assert.equal(p.status.active, undefined);
  });

  it('Allow: a new Job besides the running one', () => {
    const running = job('tick-old', 'Running');
    const p = plan(cronJob({}, { active: [ref('tick-old')] }), [running]);
    assert.deepEqual(p.delete, []);
    assert.ok(p.create);
    assert.deepEqual(p.status.active, [ref('tick-old')]);
  });

  it('an unknown time zone or a bad schedule: a warning and nothing else', () => {
    assert.deepEqual(reasons(plan(cronJob({ timeZone: 'Mars/Olympus' }))), ['UnknownTimeZone']);
    const bad = plan(cronJob({ schedule: '61 * * * *' }));
    assert.deepEqual(reasons(bad), ['InvalidSchedule']);
    assert.equal(bad.create, undefined);
  });
});

describe('planCronJob: bookkeeping', () => {
  it('a finished Job leaves active (SawCompletedJob) and moves lastSuccessfulTime', () => {
    const done = job('tick-1', 'Complete');
    const p = plan(cronJob({}, { active: [ref('tick-1')], lastScheduleTime: '2026-01-01T10:05:00Z' }), [
      done,
    ]);
    assert.equal(p.status.active, undefined);
    assert.equal(p.status.lastSuccessfulTime, '2026-01-01T10:01:30Z');
    assert.deepEqual(p.events[0], {
      type: 'Normal',
      reason: 'SawCompletedJob',
      message: 'Saw completed job: tick-1, condition: Complete',
    });
  });

  it('a failed Job leaves active without moving lastSuccessfulTime', () => {
    const p = plan(cronJob({}, { active: [ref('tick-1')], lastScheduleTime: '2026-01-01T10:05:00Z' }), [
      job('tick-1', 'Failed'),
    ]);
    assert.equal(p.status.active, undefined);
    assert.equal(p.status.lastSuccessfulTime, undefined);
  });

  it('an active Job confirmed gone leaves active (MissingJob); one only missing from the cache stays', () => {
    const cj = cronJob(
      {},
      { active: [ref('gone'), ref('lagging')], lastScheduleTime: '2026-01-01T10:05:00Z' },
    );
    const p = plan(cj, [], NOW, new Set(['uid-gone']));
    assert.deepEqual(p.status.active, [ref('lagging')]);
    assert.deepEqual(reasons(p), ['MissingJob']);
  });

  it('an unfinished Job not in active is reported (UnexpectedJob), not adopted', () => {
    const p = plan(cronJob({}, { lastScheduleTime: '2026-01-01T10:05:00Z' }), [job('by-hand', 'Running')]);
    assert.deepEqual(reasons(p), ['UnexpectedJob']);
    assert.equal(p.status.active, undefined);
  });

  it('history limits delete the oldest finished Jobs beyond them', () => {
    const jobs = [
      job('ok-1', 'Complete', '2026-01-01T10:01:00Z'),
      job('ok-2', 'Complete', '2026-01-01T10:02:00Z'),
      job('ok-3', 'Complete', '2026-01-01T10:03:00Z'),
      job('ok-4', 'Complete', '2026-01-01T10:04:00Z'),
      job('bad-1', 'Failed', '2026-01-01T10:01:00Z'),
      job('bad-2', 'Failed', '2026-01-01T10:02:00Z'),
    ];
    const p = plan(cronJob({}, { lastScheduleTime: '2026-01-01T10:05:00Z' }), jobs);
    assert.deepEqual(
      p.delete.map((j) => j.metadata?.name),
      ['ok-1', 'bad-1'],
    );
    const none = plan(
      cronJob(
        { successfulJobsHistoryLimit: 0, failedJobsHistoryLimit: 0 },
        { lastScheduleTime: '2026-01-01T10:05:00Z' },
      ),
      jobs,
    );
    assert.equal(none.delete.length, 6);
  });
});
