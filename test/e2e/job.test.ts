/**
 * Jobs and CronJobs in a real `shoal server` with two real agents on Docker: a Job with
 * completions 3 and parallelism 2 completes (`kubectl wait --for=condition=complete`) never
 * running more than 2 pods at once; a failing Job stops at its backoffLimit; an Indexed Job's pods
 * see their index in JOB_COMPLETION_INDEX and their host name; a CronJob runs through
 * `kubectl create job --from=cronjob/...` and once on its own `*\/1 * * * *` schedule (this waits
 * for the next minute: up to about 65 s). Everything is created at once and checked concurrently,
 * so the file takes about as long as the scheduled run.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { CronJob, Job } from 'kubernetes-types/batch/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../../src/api/object.js';
import { lookupKind } from '../../src/api/resources.js';
import { startCluster, type TestCluster } from '../support/cluster.js';

const NS = `e2e-job-${process.pid}`;
const JOBS = lookupKind('batch/v1', 'Job')!;
const CRONJOBS = lookupKind('batch/v1', 'CronJob')!;
const PODS = lookupKind('v1', 'Pod')!;

describe('Job and CronJob controllers', { concurrency: true }, () => {
  let cluster: TestCluster;
  /** Most pods of job "parallel" seen running (not finished) at once, from a pod watch. */
  let maxParallel = 0;
  const watchStop = new AbortController();

  const podSpec = (command: string, restartPolicy = 'Never') => ({
    restartPolicy,
    terminationGracePeriodSeconds: 1,
    containers: [
      {
        name: 'main',
        image: cluster.image,
        imagePullPolicy: 'IfNotPresent',
        command: ['sh', '-c', command],
      },
    ],
  });
  const job = (name: string, spec: Record<string, unknown>, command: string) => ({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: NS },
    spec: { ...spec, template: { spec: podSpec(command) } },
  });
  const getJob = (name: string) => cluster.client.get(JOBS, NS, name) as unknown as Promise<Job>;

  before(async () => {
    cluster = await startCluster({ agents: 2 });
    await cluster.kubectl(['create', 'namespace', NS]);
    // Count the "parallel" job's unfinished pods from every change the watch delivers.
    void (async () => {
      const running = new Set<string>();
      for await (const ev of cluster.client.watch<KubeObject>(PODS, NS, {
        labelSelector: 'batch.kubernetes.io/job-name=parallel',
        signal: watchStop.signal,
      })) {
        const pod = ev.object as unknown as Pod;
        const name = pod.metadata?.name ?? '';
        const phase = pod.status?.phase;
        if (ev.type === 'DELETED' || phase === 'Succeeded' || phase === 'Failed') running.delete(name);
        else if (ev.type !== 'BOOKMARK') running.add(name);
        maxParallel = Math.max(maxParallel, running.size);
      }
    })().catch(() => undefined);
    await cluster.apply(
      job('parallel', { completions: 3, parallelism: 2 }, 'sleep 2'),
      job('failing', { backoffLimit: 1 }, 'exit 3'),
      job(
        'indexed',
        { completions: 3, parallelism: 3, completionMode: 'Indexed' },
        'echo "index=$JOB_COMPLETION_INDEX host=$(hostname)"',
      ),
      {
        apiVersion: 'batch/v1',
        kind: 'CronJob',
        metadata: { name: 'tick', namespace: NS },
        spec: {
          schedule: '*/1 * * * *',
          jobTemplate: { spec: { template: { spec: podSpec('echo tick') } } },
        },
      },
    );
  });

  after(async () => {
    watchStop.abort();
    await cluster?.kubectl(['delete', 'namespace', NS, '--wait=false']).catch(() => undefined);
    await cluster?.stop();
  });

  it('runs a Job with completions 3, parallelism 2 to Complete', async () => {
    await cluster.kubectl(['wait', '-n', NS, '--for=condition=complete', 'job/parallel', '--timeout=90s']);
    const j = await getJob('parallel');
    assert.equal(j.status?.succeeded, 3);
    assert.ok(j.status?.completionTime, 'completionTime set');
    assert.ok(maxParallel >= 1 && maxParallel <= 2, `at most 2 pods at once, saw ${maxParallel}`);
    const events = await cluster.events(NS, 'involvedObject.name=parallel');
    assert.match(events, /SuccessfulCreate/);
    assert.match(events, /Completed/);
  });

  it('fails a Job whose pods fail more than backoffLimit times', async () => {
    await cluster.kubectl(['wait', '-n', NS, '--for=condition=failed', 'job/failing', '--timeout=90s']);
    const j = await getJob('failing');
    const failed = j.status?.conditions?.find((c) => c.type === 'Failed');
    assert.equal(failed?.reason, 'BackoffLimitExceeded');
    assert.equal(j.status?.failed, 2, 'the first pod and one retry');
    assert.equal(j.status?.active, undefined);
  });

  it("gives an Indexed Job's pods their index and host name", async () => {
    await cluster.kubectl(['wait', '-n', NS, '--for=condition=complete', 'job/indexed', '--timeout=90s']);
    const j = await getJob('indexed');
    assert.equal(j.status?.completedIndexes, '0-2');
    const pods = JSON.parse(
      await cluster.kubectl([
        'get',
        'pods',
        '-n',
        NS,
        '-l',
        'batch.kubernetes.io/job-name=indexed',
        '-o',
        'json',
      ]),
    ) as { items: Pod[] };
    const seen = new Set<string>();
    for (const pod of pods.items) {
      if (pod.status?.phase !== 'Succeeded') continue;
      const index = pod.metadata!.annotations!['batch.kubernetes.io/job-completion-index']!;
      const logs = await cluster.kubectl(['logs', '-n', NS, pod.metadata!.name!]);
      assert.equal(logs.trim(), `index=${index} host=indexed-${index}`);
      seen.add(index);
    }
    assert.deepEqual([...seen].sort(), ['0', '1', '2']);
  });

  it('runs a CronJob by hand (create job --from) and on its schedule', async () => {
    await cluster.kubectl(['create', 'job', '-n', NS, 'by-hand', '--from=cronjob/tick']);
    await cluster.kubectl(['wait', '-n', NS, '--for=condition=complete', 'job/by-hand', '--timeout=60s']);
    // The next whole minute starts a Job named after it, which runs to completion.
    const cj = await cluster.eventually(
      'a scheduled run of cronjob tick completed',
      async () => {
        const c = (await cluster.client.get(CRONJOBS, NS, 'tick')) as unknown as CronJob;
        return c.status?.lastSuccessfulTime ? c : undefined;
      },
      100_000,
    );
    const scheduled = Date.parse(cj.status!.lastScheduleTime!);
    assert.equal(scheduled % 60_000, 0, 'scheduled on a whole minute');
    const run = await getJob(`tick-${scheduled / 60_000}`);
    const stamp = run.metadata?.annotations?.['batch.kubernetes.io/cronjob-scheduled-timestamp'];
    assert.equal(Date.parse(stamp ?? ''), scheduled, `scheduled-timestamp ${stamp}`);
    assert.equal(run.metadata?.ownerReferences?.[0]?.name, 'tick');
    const events = await cluster.events(NS, 'involvedObject.name=tick');
    assert.match(events, /SuccessfulCreate/);
    assert.match(events, /SawCompletedJob/);
  });
});
