import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import type { Container, Probe } from 'kubernetes-types/core/v1.js';
import { systemClock } from '../../util/clock.js';
import { FakeClock, settle } from '../../util/fake-clock.js';
import { ContainerProbes, type ProbeState } from './container-probes.js';
import type { ProbeHandlers, ProbeOutcome } from './outcome.js';
import type { ProbeAction } from './spec.js';

// Each probe uses its own handler type, so a test scripts them independently:
// startup → exec, liveness → tcpSocket, readiness → httpGet.
const STARTUP: Probe = { exec: { command: ['check', 'started'] } };
const LIVENESS: Probe = { tcpSocket: { port: 8080 } };
const READINESS: Probe = { httpGet: { port: 8080, path: '/ready' } };

const OK: ProbeOutcome = { result: 'success', output: '' };
const fail = (output: string): ProbeOutcome => ({ result: 'failure', output });

type HandlerType = ProbeAction['type'];

function harness(
  probes: Partial<Pick<Container, 'startupProbe' | 'livenessProbe' | 'readinessProbe'>>,
  random = 0,
  agentStartedAgoMs?: number,
) {
  const clock = new FakeClock();
  const start = clock.now();
  /** What each handler type answers next; a function may return a promise that never settles. */
  const answers: Record<HandlerType, () => ProbeOutcome | Promise<ProbeOutcome>> = {
    exec: () => OK,
    tcpSocket: () => OK,
    httpGet: () => OK,
    grpc: () => OK,
  };
  /** Seconds since start of every handler call, per type. */
  const calls: Record<HandlerType, number[]> = { exec: [], tcpSocket: [], httpGet: [], grpc: [] };
  const run = async (action: ProbeAction) => {
    calls[action.type].push((clock.now() - start) / 1000);
    return answers[action.type]();
  };
  const handlers: ProbeHandlers = { exec: run, tcpSocket: run, httpGet: run, grpc: run };
  const changes: ProbeState[] = [];
  const unhealthy: string[] = [];
  const warnings: string[] = [];
  const kills: string[] = [];
  const container: Container = {
    name: 'web',
    image: 'nginx',
    ports: [{ name: 'http', containerPort: 8080 }],
    ...probes,
  };
  const cp = new ContainerProbes({
    podIP: '10.0.0.5',
    container,
    exec: () => Promise.reject(new Error('the fake handlers do not exec')),
    clock,
    handlers,
    random: () => random,
    ...(agentStartedAgoMs === undefined ? {} : { agentStartedAt: clock.now() - agentStartedAgoMs }),
    onChange: (s) => changes.push(s),
    onUnhealthy: (probe, message) => unhealthy.push(`${probe}: ${message}`),
    onKill: (probe, message) => kills.push(`${probe}: ${message}`),
    onWarning: (probe, message) => warnings.push(`${probe}: ${message}`),
  });
  /** Moves the clock to `seconds` after start. */
  const at = (seconds: number) => clock.advance(start + seconds * 1000 - clock.now());
  return { clock, cp, answers, calls, changes, unhealthy, warnings, kills, at };
}

describe('ContainerProbes', () => {
  it('a container without probes is started and ready at once, and runs nothing', async () => {
    const h = harness({});
    assert.equal(h.cp.started, true);
    assert.equal(h.cp.ready, true);
    h.cp.start();
    await h.at(60);
    assert.equal(h.clock.pending, 0);
    assert.deepEqual(h.changes, []);
  });

  it('readiness starts as not ready and turns ready on the first success', async () => {
    const h = harness({ readinessProbe: READINESS });
    assert.equal(h.cp.ready, false);
    assert.equal(h.cp.started, true);
    h.cp.start();
    await h.at(0);
    assert.deepEqual(h.calls.httpGet, [0]);
    assert.equal(h.cp.ready, true);
    assert.deepEqual(h.changes, [{ ready: true, started: true }]);
    h.cp.stop();
  });

  it('readiness changes only after successThreshold successes / failureThreshold failures in a row', async () => {
    const h = harness({
      readinessProbe: { ...READINESS, periodSeconds: 5, successThreshold: 2, failureThreshold: 2 },
    });
    h.cp.start();
    await h.at(0);
    assert.equal(h.cp.ready, false, 'one success of two');
    await h.at(5);
    assert.equal(h.cp.ready, true);
    h.answers.httpGet = () => fail('HTTP probe failed with statuscode: 503');
    await h.at(10);
    assert.equal(h.cp.ready, true, 'one failure of two');
    h.answers.httpGet = () => OK;
    await h.at(15);
    h.answers.httpGet = () => fail('HTTP probe failed with statuscode: 503');
    await h.at(20);
    assert.equal(h.cp.ready, true, 'the success in between reset the failure count');
    await h.at(25);
    assert.equal(h.cp.ready, false);
    assert.deepEqual(h.calls.httpGet, [0, 5, 10, 15, 20, 25]);
    assert.deepEqual(h.changes, [
      { ready: true, started: true },
      { ready: false, started: true },
    ]);
    assert.deepEqual(h.unhealthy, [
      'readiness: Readiness probe failed: HTTP probe failed with statuscode: 503',
      'readiness: Readiness probe failed: HTTP probe failed with statuscode: 503',
      'readiness: Readiness probe failed: HTTP probe failed with statuscode: 503',
    ]);
    assert.deepEqual(h.kills, [], 'readiness never kills');
    h.cp.stop();
  });

  it('liveness asks for a kill after failureThreshold failures in a row, once, then stops probing', async () => {
    const h = harness({ livenessProbe: { ...LIVENESS, periodSeconds: 5, failureThreshold: 3 } });
    h.cp.start();
    h.answers.tcpSocket = () => fail('dial tcp 10.0.0.5:8080: connect: connection refused');
    await h.at(5);
    h.answers.tcpSocket = () => OK;
    await h.at(10);
    h.answers.tcpSocket = () => fail('dial tcp 10.0.0.5:8080: connect: connection refused');
    await h.at(20);
    assert.deepEqual(h.kills, [], 'two failures, a success, two failures');
    await h.at(25);
    assert.deepEqual(h.kills, ['liveness: Container web failed liveness probe, will be restarted']);
    assert.equal(h.unhealthy.length, 5);
    assert.equal(
      h.unhealthy[0],
      'liveness: Liveness probe failed: dial tcp 10.0.0.5:8080: connect: connection refused',
    );
    await h.at(100);
    assert.deepEqual(h.calls.tcpSocket, [0, 5, 10, 15, 20, 25]);
    assert.equal(h.kills.length, 1);
    assert.equal(h.cp.ready, true, 'liveness does not decide readiness');
    h.cp.stop();
  });

  it('does nothing before initialDelaySeconds, counted from the container start', async () => {
    const h = harness({ livenessProbe: { ...LIVENESS, initialDelaySeconds: 15 } });
    h.cp.start();
    await h.at(40);
    assert.deepEqual(h.calls.tcpSocket, [20, 30, 40], 'ticks at 0 and 10 fall in the delay');
    h.cp.stop();
  });

  it('probes a container started well after the agent at once, without jitter (as kubelet)', async () => {
    const fresh = harness({ readinessProbe: { ...READINESS, periodSeconds: 10 } }, 0.5, 5_000);
    fresh.cp.start();
    await fresh.at(21);
    assert.deepEqual(fresh.calls.httpGet, [5, 15], 'within one period of the agent start: jittered');
    fresh.cp.stop();
    const later = harness({ readinessProbe: { ...READINESS, periodSeconds: 10 } }, 0.5, 60_000);
    later.cp.start();
    await later.at(21);
    assert.deepEqual(later.calls.httpGet, [0, 10, 20]);
    later.cp.stop();
  });

  it('spreads the first run over one period (jitter) and counts the delay from startedAt', async () => {
    const h = harness({ readinessProbe: { ...READINESS, periodSeconds: 10 } }, 0.5);
    h.cp.start();
    await h.at(30);
    assert.deepEqual(h.calls.httpGet, [5, 15, 25]);
    h.cp.stop();

    // An adopted container that started 12 s ago with a 15 s delay: probed from 3 s on.
    const clock = new FakeClock();
    const startedAt = clock.now() - 12_000;
    const sinceStart: number[] = [];
    const adopted = new ContainerProbes({
      podIP: '10.0.0.5',
      container: { name: 'web', livenessProbe: { ...LIVENESS, periodSeconds: 2, initialDelaySeconds: 15 } },
      exec: () => Promise.reject(new Error('unused')),
      clock,
      handlers: {
        exec: async () => OK,
        httpGet: async () => OK,
        grpc: async () => OK,
        tcpSocket: async () => {
          sinceStart.push((clock.now() - startedAt) / 1000);
          return OK;
        },
      },
      startedAt,
      random: () => 0,
      onChange: () => {},
      onUnhealthy: () => {},
      onKill: () => {},
    });
    adopted.start();
    await clock.advance(6000);
    assert.deepEqual(sinceStart, [16, 18]);
    adopted.stop();
  });

  it('holds liveness and readiness until the startup probe succeeds, then never runs startup again', async () => {
    const h = harness({
      startupProbe: { ...STARTUP, periodSeconds: 3, failureThreshold: 10 },
      livenessProbe: { ...LIVENESS, periodSeconds: 10 },
      readinessProbe: { ...READINESS, periodSeconds: 10 },
    });
    assert.equal(h.cp.started, false);
    h.answers.exec = () => fail('not yet');
    h.cp.start();
    await h.at(6);
    assert.deepEqual(h.calls.exec, [0, 3, 6]);
    assert.deepEqual(h.calls.tcpSocket, []);
    assert.deepEqual(h.calls.httpGet, []);
    h.answers.exec = () => OK;
    await h.at(9);
    assert.equal(h.cp.started, true);
    assert.deepEqual(h.calls.httpGet, [9], 'readiness runs at once after startup succeeded');
    assert.equal(h.cp.ready, true);
    await h.at(30);
    assert.deepEqual(h.calls.exec, [0, 3, 6, 9]);
    assert.deepEqual(h.calls.tcpSocket, [10, 20, 30]);
    assert.deepEqual(h.calls.httpGet, [9, 10, 20, 30]);
    assert.deepEqual(h.changes, [
      { ready: false, started: true },
      { ready: true, started: true },
    ]);
    assert.deepEqual(h.unhealthy, [
      'startup: Startup probe failed: not yet',
      'startup: Startup probe failed: not yet',
      'startup: Startup probe failed: not yet',
    ]);
    h.cp.stop();
  });

  it('a startup probe that never succeeds asks for a kill; liveness never ran', async () => {
    const h = harness({
      startupProbe: { ...STARTUP, periodSeconds: 1, failureThreshold: 3 },
      livenessProbe: LIVENESS,
    });
    h.answers.exec = () => fail('command "check started" timed out');
    h.cp.start();
    await h.at(10);
    assert.deepEqual(h.calls.exec, [0, 1, 2]);
    assert.deepEqual(h.kills, ['startup: Container web failed startup probe, will be restarted']);
    assert.deepEqual(h.calls.tcpSocket, []);
    assert.equal(h.cp.started, false);
    assert.equal(h.cp.ready, false, 'not started: not ready, even without a readiness probe');
    h.cp.stop();
  });

  it('forces successThreshold to 1 for liveness and startup', async () => {
    const h = harness({ startupProbe: { ...STARTUP, successThreshold: 3 } });
    h.cp.start();
    await h.at(0);
    assert.equal(h.cp.started, true);
    h.cp.stop();
  });

  it('a probe that cannot run is reported as errored and not counted', async () => {
    const h = harness({
      livenessProbe: { tcpSocket: { port: 'metrics' }, failureThreshold: 1, periodSeconds: 1 },
      readinessProbe: READINESS,
    });
    h.answers.httpGet = () => Promise.reject(new Error('container is not running'));
    h.cp.start();
    await h.at(2);
    assert.deepEqual(h.kills, []);
    assert.equal(h.cp.ready, false);
    assert.deepEqual(h.unhealthy, [
      'liveness: Liveness probe errored: livenessProbe.tcpSocket.port: port "metrics" is not a named port of container "web"',
      'readiness: Readiness probe errored: container is not running',
      'liveness: Liveness probe errored: livenessProbe.tcpSocket.port: port "metrics" is not a named port of container "web"',
      'liveness: Liveness probe errored: livenessProbe.tcpSocket.port: port "metrics" is not a named port of container "web"',
    ]);
    h.cp.stop();
  });

  it('a handler that ignores its timeout fails after timeout + 1 s', async () => {
    const h = harness({ livenessProbe: { ...LIVENESS, timeoutSeconds: 2, failureThreshold: 1 } });
    h.answers.tcpSocket = () => new Promise<ProbeOutcome>(() => {});
    h.cp.start();
    await h.at(2.9);
    assert.deepEqual(h.kills, []);
    await h.at(3);
    assert.deepEqual(h.unhealthy, ['liveness: Liveness probe failed: probe did not complete within 3s']);
    assert.equal(h.kills.length, 1);
    h.cp.stop();
  });

  it('a warning counts as success and is reported', async () => {
    const h = harness({ readinessProbe: READINESS });
    h.answers.httpGet = () => ({ result: 'warning', output: 'Probe terminated redirects, Response body: ' });
    h.cp.start();
    await h.at(0);
    assert.equal(h.cp.ready, true);
    assert.deepEqual(h.warnings, [
      'readiness: Readiness probe warning: Probe terminated redirects, Response body: ',
    ]);
    h.cp.stop();
  });

  it('stop() leaves no timer behind and drops the result of a probe in flight', async () => {
    const h = harness({ readinessProbe: READINESS, livenessProbe: { ...LIVENESS, failureThreshold: 1 } });
    let answerReadiness!: (o: ProbeOutcome) => void;
    let answerLiveness!: (o: ProbeOutcome) => void;
    h.answers.httpGet = () => new Promise((resolve) => (answerReadiness = resolve));
    h.answers.tcpSocket = () => new Promise((resolve) => (answerLiveness = resolve));
    h.cp.start();
    await h.at(0);
    assert.deepEqual(h.calls.httpGet, [0]);
    h.cp.stop();
    assert.equal(h.clock.pending, 0, 'the guards of both in-flight probes are gone');
    answerReadiness(OK);
    answerLiveness(fail('down'));
    await settle();
    await h.at(60);
    assert.equal(h.cp.ready, false);
    assert.deepEqual(h.changes, []);
    assert.deepEqual(h.unhealthy, []);
    assert.deepEqual(h.kills, []);
    assert.deepEqual(h.calls.httpGet, [0]);
    h.cp.start();
    await h.at(120);
    assert.deepEqual(h.calls.httpGet, [0], 'start() after stop() does nothing');
  });

  it('runs the real handlers with the system clock: ready once the HTTP endpoint answers', async () => {
    const server = createServer((req, res) => res.writeHead(req.url === '/ready' ? 200 : 404).end('ok'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const ready = deferred<ProbeState>();
      const cp = new ContainerProbes({
        podIP: '127.0.0.1',
        container: { name: 'web', readinessProbe: { httpGet: { port, path: '/ready' } } },
        exec: () => Promise.reject(new Error('unused')),
        clock: systemClock,
        random: () => 0,
        onChange: (s) => ready.resolve(s),
        onUnhealthy: (_probe, message) => ready.reject(new Error(message)),
        onKill: () => {},
      });
      const giveUp = setTimeout(() => ready.reject(new Error('not ready within 5 s')), 5000);
      cp.start();
      try {
        assert.deepEqual(await ready.promise, { ready: true, started: true });
      } finally {
        clearTimeout(giveUp);
        cp.stop();
      }
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
