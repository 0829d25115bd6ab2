import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import { type ContainerRecord, LABEL_SPEC_HASH, type SandboxRecord } from '../runtime/driver.js';
import { planPod, specHash, viewOf } from './pod-plan.js';
import { RestartBackoff } from './restart-backoff.js';

const NOW = 1_700_000_000_000;
const app: Container = { name: 'app', image: 'img:1' };
const side: Container = { name: 'side', image: 'img:1' };
const init1: Container = { name: 'init1', image: 'img:1' };
const init2: Container = { name: 'init2', image: 'img:1' };

function pod(spec: Partial<NonNullable<Pod['spec']>> = {}): Pod {
  return {
    metadata: { name: 'p', namespace: 'ns', uid: 'u1' },
    spec: { containers: [app], ...spec },
  };
}

let seq = 0;
function sandbox(state: ContainerRecord['state'] = 'running', at = NOW - 60_000): SandboxRecord {
  return { ...rec('', 'sandbox', state, 0, at), kind: 'sandbox', ip: '172.17.0.9' };
}
function rec(
  name: string,
  kind: ContainerRecord['kind'],
  state: ContainerRecord['state'],
  attempt = 0,
  at = NOW - 50_000,
  extra: Partial<ContainerRecord> = {},
  container?: Container,
): ContainerRecord {
  const spec = container ?? [app, side, init1, init2].find((c) => c.name === name);
  return {
    id: `c${++seq}`,
    kind,
    podUid: 'u1',
    podName: 'p',
    namespace: 'ns',
    name,
    attempt,
    image: 'img:1',
    imageId: 'sha256:x',
    labels: spec ? { [LABEL_SPEC_HASH]: specHash(spec) } : {},
    state,
    createdAt: new Date(at),
    startedAt: state === 'created' ? undefined : new Date(at + 1),
    finishedAt: state === 'exited' ? new Date(at + 1000) : undefined,
    ...extra,
  };
}

function plan(p: Pod, records: ContainerRecord[], backoff = new RestartBackoff(), kills = new Map()) {
  return planPod({ pod: p, runtime: viewOf(records), now: NOW, backoff, killRequests: kills });
}

describe('planPod', () => {
  it('makes the sandbox first', () => {
    const out = plan(pod(), []);
    assert.equal(out.createSandbox, true);
    assert.deepEqual(out.start, []);
  });

  it('starts every container once the sandbox runs', () => {
    const out = plan(pod({ containers: [app, side] }), [sandbox()]);
    assert.equal(out.createSandbox, false);
    assert.deepEqual(out.start, ['app', 'side']);
  });

  it('keeps running containers (adoption: nothing to do)', () => {
    const out = plan(pod(), [sandbox(), rec('app', 'container', 'running')]);
    assert.deepEqual(out.start, []);
    assert.deepEqual(out.kill, []);
    assert.equal(out.createSandbox, false);
  });

  it('runs init containers one at a time, in order, before the others', () => {
    const p = pod({ initContainers: [init1, init2] });
    assert.equal(plan(p, [sandbox()]).startInit, 'init1');
    assert.deepEqual(plan(p, [sandbox()]).start, []);
    assert.equal(plan(p, [sandbox(), rec('init1', 'init', 'running')]).startInit, undefined);
    const done1 = rec('init1', 'init', 'exited', 0, NOW - 50_000, { exitCode: 0 });
    assert.equal(plan(p, [sandbox(), done1]).startInit, 'init2');
    const done2 = rec('init2', 'init', 'exited', 0, NOW - 40_000, { exitCode: 0 });
    const out = plan(p, [sandbox(), done1, done2]);
    assert.equal(out.startInit, undefined);
    assert.deepEqual(out.start, ['app']);
  });

  it('fails the pod when an init container fails under restartPolicy Never', () => {
    const p = pod({ initContainers: [init1], restartPolicy: 'Never' });
    const out = plan(p, [sandbox(), rec('init1', 'init', 'exited', 0, NOW - 50_000, { exitCode: 1 })]);
    assert.equal(out.terminal, 'Failed');
    assert.equal(out.stopSandbox, true);
  });

  it('restarts a crashed container at once the first time, then backs off 10 s, 20 s', () => {
    const backoff = new RestartBackoff();
    const crashed = rec('app', 'container', 'exited', 0, NOW - 5000, {
      exitCode: 1,
      finishedAt: new Date(NOW - 100),
    });
    assert.deepEqual(plan(pod(), [sandbox(), crashed], backoff).start, ['app']);
    backoff.restarted('u1/app');
    const again = rec('app', 'container', 'exited', 1, NOW - 2000, {
      exitCode: 1,
      finishedAt: new Date(NOW - 100),
    });
    const out = plan(pod(), [sandbox(), again], backoff);
    assert.deepEqual(out.start, []);
    const w = out.waiting.get('app');
    assert.equal(w?.reason, 'CrashLoopBackOff');
    assert.equal(w?.until, NOW - 100 + 10_000);
    assert.match(w?.message ?? '', /^back-off 10s restarting failed container=app pod=p_ns\(u1\)$/);
    assert.equal(out.wakeAt, NOW - 100 + 10_000);
    backoff.restarted('u1/app');
    assert.equal(plan(pod(), [sandbox(), again], backoff).waiting.get('app')?.until, NOW - 100 + 20_000);
  });

  it('caps the backoff at 5 minutes and resets it after 10 minutes of running', () => {
    const backoff = new RestartBackoff();
    for (let i = 0; i < 12; i++) backoff.restarted('u1/app');
    assert.equal(backoff.delayMs('u1/app'), 300_000);
    const longRun = rec('app', 'container', 'exited', 5, NOW - 700_000, {
      exitCode: 1,
      startedAt: new Date(NOW - 700_000),
      finishedAt: new Date(NOW - 10),
    });
    assert.deepEqual(plan(pod(), [sandbox(), longRun], backoff).start, ['app']);
  });

  it('follows restartPolicy: OnFailure restarts failures only; Never restarts nothing', () => {
    const ok = rec('app', 'container', 'exited', 0, NOW - 5000, { exitCode: 0 });
    const bad = rec('app', 'container', 'exited', 0, NOW - 5000, { exitCode: 2 });
    assert.equal(plan(pod({ restartPolicy: 'OnFailure' }), [sandbox(), ok]).terminal, 'Succeeded');
    assert.deepEqual(plan(pod({ restartPolicy: 'OnFailure' }), [sandbox(), bad]).start, ['app']);
    const never = plan(pod({ restartPolicy: 'Never' }), [sandbox(), bad]);
    assert.equal(never.terminal, 'Failed');
    assert.equal(never.stopSandbox, true);
    assert.deepEqual(plan(pod({ restartPolicy: 'Always' }), [sandbox(), ok]).start, ['app']);
  });

  it('kills what a probe condemned and what changed spec', () => {
    const running = rec('app', 'container', 'running');
    const kills = new Map([
      [running.id, { reason: 'Killing', message: 'Container app failed liveness probe, will be restarted' }],
    ]);
    const out = plan(pod(), [sandbox(), running], new RestartBackoff(), kills);
    assert.equal(out.kill.length, 1);
    assert.match(out.kill[0]!.message, /failed liveness probe/);
    const old = rec('app', 'container', 'running', 0, NOW - 50_000, {}, { name: 'app', image: 'img:0' });
    const changed = plan(pod(), [sandbox(), old]);
    assert.match(changed.kill[0]?.message ?? '', /definition changed/);
  });

  it('recreates a dead sandbox, stopping what still runs in it', () => {
    const out = plan(pod(), [sandbox('exited'), rec('app', 'container', 'running')]);
    assert.equal(out.createSandbox, true);
    assert.equal(out.kill.length, 1);
  });

  it('does not recreate the sandbox of a Never pod that already ran', () => {
    const out = plan(pod({ restartPolicy: 'Never' }), [
      sandbox('exited'),
      rec('app', 'container', 'exited', 0, NOW - 5000, { exitCode: 0 }),
    ]);
    assert.equal(out.createSandbox, false);
    assert.equal(out.terminal, 'Succeeded');
  });

  it('does not recreate the stopped sandbox of an OnFailure pod whose containers all succeeded', () => {
    const out = plan(pod({ restartPolicy: 'OnFailure' }), [
      sandbox('exited'),
      rec('app', 'container', 'exited', 1, NOW - 5000, { exitCode: 0 }),
      rec('app', 'container', 'exited', 0, NOW - 9000, { exitCode: 1 }),
    ]);
    assert.equal(out.createSandbox, false);
    assert.equal(out.terminal, 'Succeeded');
    // One that failed last is restarted in a new sandbox.
    const failed = plan(pod({ restartPolicy: 'OnFailure' }), [
      sandbox('exited'),
      rec('app', 'container', 'exited', 0, NOW - 5000, { exitCode: 1 }),
    ]);
    assert.equal(failed.createSandbox, true);
  });

  it('hashes the whole container spec, nested fields included, whatever the key order', () => {
    const base: Container = { name: 'app', image: 'img:1', env: [{ name: 'A', value: '1' }] };
    assert.equal(specHash(base), specHash({ env: [{ value: '1', name: 'A' }], image: 'img:1', name: 'app' }));
    assert.notEqual(specHash(base), specHash({ ...base, env: [{ name: 'A', value: '2' }] }));
    assert.notEqual(specHash(base), specHash({ ...base, resources: { limits: { memory: '16Mi' } } }));
  });

  it('removes never-started leftovers, and leaves older dead instances to the garbage collector', () => {
    const records = [0, 1, 2, 3].map((a) =>
      rec('app', 'container', a === 3 ? 'running' : 'exited', a, NOW - 50_000 + a * 1000, { exitCode: 1 }),
    );
    const leftover = rec('app', 'container', 'created', 2, NOW - 40_000);
    const out = plan(pod(), [sandbox(), ...records, leftover]);
    assert.deepEqual(
      out.remove.map((r) => r.id),
      [leftover.id],
    );
  });
});
