import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Pod, PodStatus } from 'kubernetes-types/core/v1.js';

import type { EventType, Recorder } from '../client/events.js';
import { RuntimeUnavailableError, type SandboxRecord } from '../runtime/driver.js';

import { SimulatedDriver } from '../runtime/simulated/driver.js';
import { FakeClock, settle } from '../util/fake-clock.js';
import { NO_VOLUMES } from './no-process-parts.js';
import { type EnvResolver, PodWorker, type ProbeArgs, type ProbeRunner } from './pod-worker.js';
import { RestartBackoff } from './restart-backoff.js';
import { type PodRef, StatusManager } from './status-manager.js';

interface Harness {
  worker: PodWorker;
  driver: SimulatedDriver;
  clock: FakeClock;
  statuses: PodStatus[];
  events: Array<{ type: EventType; reason: string; message: string }>;
  deleted: PodRef[];
  probes: ProbeArgs[];
  /** What the probe factory returned, in the same order: set `ready` to fake a probe result. */
  runners: ProbeRunner[];
  status: StatusManager;
  /** Let the worker and the status manager finish what they started. */
  idle(): Promise<void>;
}

function makePod(spec: Partial<NonNullable<Pod['spec']>> = {}): Pod {
  return {
    metadata: { name: 'web', namespace: 'default', uid: 'uid-1' },
    spec: {
      containers: [
        { name: 'app', image: 'img:1' },
        { name: 'side', image: 'img:1' },
      ],
      ...spec,
    },
    status: { phase: 'Pending', qosClass: 'BestEffort' },
  };
}

function harness(
  pod: Pod,
  clock = new FakeClock(),
  driver = new SimulatedDriver({ nodeName: 'n1', images: ['img:1'], clock }),
  options: { newPod?: boolean; env?: EnvResolver } = {},
): Harness {
  const statuses: PodStatus[] = [];
  const events: Harness['events'] = [];
  const deleted: PodRef[] = [];
  const probes: ProbeArgs[] = [];
  const runners: ProbeRunner[] = [];
  const status = new StatusManager(
    { patchStatus: async (_ref, s) => void statuses.push(s) },
    { clock, batchMs: 50 },
  );
  const recorder: Recorder = {
    event: (_obj, type, reason, message) => void events.push({ type, reason, message }),
  };
  const worker = new PodWorker(
    pod,
    {
      driver,
      nodeName: 'n1',
      hostIP: '192.0.2.10',
      clock,
      volumes: NO_VOLUMES,
      env: options.env ?? (async () => []),
      probes: (args): ProbeRunner => {
        probes.push(args);
        const runner = { ready: true, started: true, stop: () => {} };
        runners.push(runner);
        return runner;
      },
      events: recorder,
      status,
      backoff: new RestartBackoff(),
      imageBackoff: new RestartBackoff(),
      confirmDeleted: async (ref) => void deleted.push(ref),
      log: () => {},
    },
    { newPod: options.newPod ?? false },
  );
  const idle = async () => {
    for (let i = 0; i < 10; i++) await settle();
    await clock.advance(60);
    for (let i = 0; i < 5; i++) await settle();
  };
  return { worker, driver, clock, statuses, events, deleted, probes, runners, status, idle };
}

const last = (h: Harness) => h.statuses.at(-1)!;

/**
 * The driver with its `list` calls counted (a worker's pass lists the pod's containers once);
 * `uncounted.list` lets the test itself look without moving the count.
 */
function countingLists(driver: SimulatedDriver): SimulatedDriver & {
  lists: number;
  uncounted: Pick<SimulatedDriver, 'list'>;
} {
  const list = driver.list.bind(driver);
  const counted = Object.assign(driver, { lists: 0, uncounted: { list } });
  counted.list = (filter) => {
    counted.lists++;
    return list(filter);
  };
  return counted;
}

describe('PodWorker', () => {
  it('runs a pod: sandbox, containers, Running and Ready, in few status writes', async () => {
    const h = harness(makePod());
    h.worker.requestSync();
    await h.idle();
    const s = last(h);
    assert.equal(s.phase, 'Running');
    assert.equal(s.podIP?.startsWith('10.'), true);
    assert.equal(s.hostIP, '192.0.2.10');
    assert.deepEqual(
      s.containerStatuses?.map((c) => [c.name, Boolean(c.state?.running), c.ready, c.restartCount]),
      [
        ['app', true, true, 0],
        ['side', true, true, 0],
      ],
    );
    const ready = s.conditions?.find((c) => c.type === 'Ready');
    assert.equal(ready?.status, 'True');
    assert.equal(s.qosClass, 'BestEffort');
    assert.ok(h.statuses.length <= 2, `status writes: ${h.statuses.length}`);
    assert.deepEqual(
      h.events.map((e) => e.reason).filter((r) => r === 'Started'),
      ['Started', 'Started'],
    );
    assert.equal(h.probes.length, 2);
  });

  it('starts a new pod in one pass: no runtime list, and its own start events cause no other pass', async () => {
    const clock = new FakeClock();
    const driver = countingLists(new SimulatedDriver({ nodeName: 'n1', images: ['img:1'], clock }));
    const h = harness(makePod(), clock, driver, { newPod: true });
    h.worker.requestSync();
    await h.idle();
    assert.equal(last(h).phase, 'Running');
    assert.equal(driver.lists, 0);
    const records = await driver.uncounted.list({ podUid: 'uid-1' });
    assert.equal(records.length, 3);
    for (const r of records) h.worker.runtimeEvent({ type: 'start', id: r.id, podUid: 'uid-1' });
    await h.idle();
    assert.equal(driver.lists, 0, 'the start events of its own containers do not make the worker list again');
    h.worker.runtimeEvent({ type: 'die', id: records[0]!.id, podUid: 'uid-1' });
    await h.idle();
    assert.equal(driver.lists, 1, 'any other event does');
  });

  it('takes no pass for its own status coming back from the API server, but one for a spec change', async () => {
    const clock = new FakeClock();
    const driver = countingLists(new SimulatedDriver({ nodeName: 'n1', images: ['img:1'], clock }));
    const pod = makePod();
    const h = harness(pod, clock, driver);
    h.worker.requestSync();
    await h.idle();
    const after = driver.lists;
    h.worker.update({ ...pod, status: last(h) });
    await h.idle();
    assert.equal(driver.lists, after, 'a status-only update starts no pass');
    h.worker.update({ ...pod, metadata: { ...pod.metadata, labels: { tier: 'web' } }, status: last(h) });
    await h.idle();
    assert.equal(driver.lists, after + 1, 'a label change does');
    const spec = { ...pod.spec!, activeDeadlineSeconds: 60 };
    h.worker.update({ ...pod, spec, status: last(h) });
    await h.idle();
    assert.equal(driver.lists, after + 2, 'a spec change does');
  });

  it('restarts a crashed container at once, then holds it in CrashLoopBackOff for 10 s', async () => {
    const h = harness(makePod({ containers: [{ name: 'app', image: 'img:1' }] }));
    h.worker.requestSync();
    await h.idle();
    const first = (await h.driver.list({ running: true })).find((r) => r.kind === 'container')!;
    await h.driver.stopContainer(first.id);
    h.worker.requestSync();
    await h.idle();
    assert.equal(last(h).containerStatuses?.[0]?.restartCount, 1);
    assert.ok(last(h).containerStatuses?.[0]?.state?.running);
    assert.equal(last(h).containerStatuses?.[0]?.lastState?.terminated?.exitCode, 137);

    const second = (await h.driver.list({ running: true })).find((r) => r.kind === 'container')!;
    await h.driver.stopContainer(second.id);
    h.worker.requestSync();
    await h.idle();
    const waiting = last(h).containerStatuses?.[0]?.state?.waiting;
    assert.equal(waiting?.reason, 'CrashLoopBackOff');
    assert.equal(last(h).phase, 'Running');
    assert.equal(last(h).conditions?.find((c) => c.type === 'Ready')?.status, 'False');
    await h.clock.advance(9_000);
    await h.idle();
    assert.equal(last(h).containerStatuses?.[0]?.state?.waiting?.reason, 'CrashLoopBackOff');
    await h.clock.advance(1_500);
    await h.idle();
    assert.equal(last(h).containerStatuses?.[0]?.restartCount, 2);
    assert.ok(last(h).containerStatuses?.[0]?.state?.running);
  });

  it('reports ErrImageNeverPull and keeps the pod Pending', async () => {
    const h = harness(
      makePod({ containers: [{ name: 'app', image: 'absent:1', imagePullPolicy: 'Never' }] }),
    );
    h.worker.requestSync();
    await h.idle();
    const s = last(h);
    assert.equal(s.phase, 'Pending');
    assert.equal(s.containerStatuses?.[0]?.state?.waiting?.reason, 'ErrImageNeverPull');
    assert.match(
      s.containerStatuses?.[0]?.state?.waiting?.message ?? '',
      /not present with pull policy of Never/,
    );
  });

  it('runs a Never pod to its end (Failed on exit 137) and stops its sandbox', async () => {
    const h = harness(makePod({ restartPolicy: 'Never', containers: [{ name: 'app', image: 'img:1' }] }));
    h.worker.requestSync();
    await h.idle();
    const c = (await h.driver.list({ running: true })).find((r) => r.kind === 'container')!;
    // The simulated runtime ends containers with 137; make this one succeed.
    await h.driver.stopContainer(c.id);
    h.worker.requestSync();
    await h.idle();
    assert.equal(last(h).phase, 'Failed');
    assert.equal(last(h).containerStatuses?.[0]?.state?.terminated?.exitCode, 137);
    assert.equal((await h.driver.list({ running: true })).length, 0, 'sandbox stopped');
  });

  it('adopts running containers after a restart without restarting them, keeping readiness', async () => {
    const clock = new FakeClock();
    const driver = new SimulatedDriver({ nodeName: 'n1', images: ['img:1'], clock });
    const first = harness(makePod(), clock, driver);
    first.worker.requestSync();
    await first.idle();
    const before = (await driver.list()).map((r) => r.id).sort();
    first.worker.shutdown();

    const pod: Pod = { ...makePod(), status: last(first) };
    const second = harness(pod, clock, driver);
    second.worker.requestSync();
    await second.idle();
    assert.deepEqual((await driver.list()).map((r) => r.id).sort(), before);
    assert.ok(second.probes.every((p) => p.initial?.ready === true));
    assert.equal(second.events.filter((e) => e.reason === 'Started').length, 0);
  });

  it('reports a failing readiness probe while the runtime does not answer', async () => {
    const h = harness(makePod());
    h.worker.requestSync();
    await h.idle();
    assert.equal(last(h).conditions?.find((c) => c.type === 'Ready')?.status, 'True');
    // The engine is gone (its containers with it): listing fails, the readiness probe fails.
    h.driver.list = async () => {
      throw new RuntimeUnavailableError('cannot connect to the engine');
    };
    h.runners[0]!.ready = false;
    h.probes[0]!.onChange();
    await h.idle();
    const s = last(h);
    assert.equal(s.conditions?.find((c) => c.type === 'Ready')?.status, 'False');
    assert.deepEqual(
      s.containerStatuses?.map((c) => [c.name, c.ready, c.restartCount]),
      [
        ['app', false, 0],
        ['side', true, 0],
      ],
    );
  });

  it('terminates a deleted pod: stops, removes, confirms the delete', async () => {
    const h = harness(makePod());
    h.worker.requestSync();
    await h.idle();
    const pod = makePod();
    h.worker.update({
      ...pod,
      metadata: {
        ...pod.metadata,
        deletionTimestamp: '2026-01-01T00:00:00Z',
        deletionGracePeriodSeconds: 30,
      },
    });
    await h.idle();
    await h.worker.finished;
    assert.deepEqual(await h.driver.list(), []);
    assert.deepEqual(h.deleted, [{ namespace: 'default', name: 'web', uid: 'uid-1' }]);
    assert.equal(h.events.filter((e) => e.reason === 'Killing').length, 2);
  });
});

/**
 * A simulated driver whose sandbox starts wait for `release()`, and which logs the calls that
 * create and start things, to see what the worker does while a sandbox starts.
 */
function gatedDriver(clock: FakeClock) {
  const driver = new SimulatedDriver({ nodeName: 'n1', images: ['img:1'], clock });
  const calls: string[] = [];
  let release: (fail?: Error) => void = () => {};
  const gate = new Promise<Error | undefined>((resolve) => {
    release = resolve;
  });
  const startSandbox = driver.startSandbox.bind(driver);
  driver.startSandbox = async (id: string): Promise<SandboxRecord> => {
    calls.push('startSandbox');
    const fail = await gate;
    if (fail) {
      await driver.removeContainer(id);
      throw fail;
    }
    const record = await startSandbox(id);
    calls.push('sandbox running');
    return record;
  };
  const createContainer = driver.createContainer.bind(driver);
  driver.createContainer = async (sandbox, spec) => {
    calls.push(`create ${spec.name}`);
    return createContainer(sandbox, spec);
  };
  const startContainer = driver.startContainer.bind(driver);
  driver.startContainer = async (id) => {
    const r = await driver.inspect(id);
    calls.push(`start ${r?.name}`);
    return startContainer(id);
  };
  return { driver, calls, release: (fail?: Error) => release(fail) };
}

describe("PodWorker: a new pod's start", () => {
  it('creates the containers while the sandbox starts, and starts them, in order, once it runs', async () => {
    const clock = new FakeClock();
    const g = gatedDriver(clock);
    const h = harness(makePod(), clock, g.driver, { newPod: true });
    h.worker.requestSync();
    await h.idle();
    assert.deepEqual(g.calls, ['startSandbox', 'create app', 'create side']);
    g.release();
    await h.idle();
    assert.deepEqual(g.calls.slice(3), ['sandbox running', 'start app', 'start side']);
    assert.equal(last(h).phase, 'Running');
    assert.equal(
      last(h).containerStatuses?.every((c) => c.ready),
      true,
    );
  });

  it('creates a container whose environment takes the pod IP only once the sandbox has it', async () => {
    const clock = new FakeClock();
    const g = gatedDriver(clock);
    const seen: Array<[string, string | undefined]> = [];
    const env: EnvResolver = async (_pod, c, ctx) => {
      seen.push([c.name, ctx.podIP]);
      return [];
    };
    const pod = makePod();
    pod.spec!.containers[0]!.env = [{ name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }];
    const h = harness(pod, clock, g.driver, { newPod: true, env });
    h.worker.requestSync();
    await h.idle();
    assert.deepEqual(g.calls, ['startSandbox', 'create side']);
    g.release();
    await h.idle();
    assert.deepEqual(g.calls.slice(2), ['sandbox running', 'create app', 'start app', 'start side']);
    assert.equal(seen[0]![0], 'side');
    assert.deepEqual(seen[1], ['app', last(h).podIP]);
    assert.ok(last(h).podIP?.startsWith('10.'));
    assert.equal(last(h).phase, 'Running');
  });

  it('runs init containers one at a time before the app containers', async () => {
    const clock = new FakeClock();
    const g = gatedDriver(clock);
    const pod = makePod({
      initContainers: [
        { name: 'init1', image: 'img:1' },
        { name: 'init2', image: 'img:1' },
      ],
    });
    const h = harness(pod, clock, g.driver, { newPod: true });
    h.worker.requestSync();
    await h.idle();
    assert.deepEqual(g.calls, ['startSandbox', 'create init1'], 'only the first init container');
    g.release();
    await h.idle();
    assert.deepEqual(g.calls.slice(2), [
      'sandbox running',
      'start init1',
      'create init2',
      'start init2',
      'create app',
      'start app',
      'create side',
      'start side',
    ]);
    assert.equal(last(h).phase, 'Running');
  });

  it('removes the containers made for a sandbox that failed to start, and starts afresh', async () => {
    const clock = new FakeClock();
    const g = gatedDriver(clock);
    const h = harness(makePod(), clock, g.driver, { newPod: true });
    h.worker.requestSync();
    await h.idle();
    g.release(new Error('network set-up failed'));
    await h.idle();
    assert.deepEqual(await g.driver.list({ podUid: 'uid-1' }), [], 'nothing left behind');
    assert.equal(h.statuses.length, 0);
    // The gate stays open (failing): the retry, 2 s later, goes to the plain simulated start.
    g.driver.startSandbox = SimulatedDriver.prototype.startSandbox.bind(g.driver);
    await clock.advance(2000);
    await h.idle();
    assert.equal(last(h).phase, 'Running');
    assert.equal((await g.driver.list({ podUid: 'uid-1' })).length, 3);
  });
});
