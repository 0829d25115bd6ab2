import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ContainerRecord } from '../../runtime/driver.js';
import { checkContainerGcPolicy, DEFAULT_CONTAINER_GC_POLICY, planContainerGc } from './container-gc.js';

const NOW = 1_700_000_000_000;
let seq = 0;

function rec(
  pod: string,
  name: string,
  attempt: number,
  state: ContainerRecord['state'],
  ageMs: number,
  kind: ContainerRecord['kind'] = name === '' ? 'sandbox' : 'container',
): ContainerRecord {
  return {
    id: `${pod}-${name || 'sandbox'}-${attempt}-${++seq}`,
    kind,
    podUid: pod,
    podName: pod,
    namespace: 'ns',
    name,
    attempt,
    image: 'img:1',
    imageId: 'sha256:img',
    labels: {},
    state,
    createdAt: new Date(NOW - ageMs),
  };
}

/** `count` instances of one container, attempts 0.., one minute apart; the newest in `newest`. */
function instances(pod: string, name: string, count: number, newest: ContainerRecord['state'], olderMs = 0) {
  return Array.from({ length: count }, (_, a) =>
    rec(pod, name, a, a === count - 1 ? newest : 'exited', (count - a) * 60_000 + olderMs),
  );
}

const ids = (list: ContainerRecord[]) => list.map((r) => r.id);
const plan = (records: ContainerRecord[], policy = {}, now = NOW) =>
  planContainerGc(records, { ...DEFAULT_CONTAINER_GC_POLICY, ...policy }, now);

describe('planContainerGc', () => {
  it('keeps the newest instance and one dead one before it, by default', () => {
    const running = instances('p1', 'app', 4, 'running');
    assert.deepEqual(ids(plan(running)), ids(running.slice(0, 2)));
    // Crash-looping: the newest is dead too; it and the previous one stay for logs --previous.
    const crashing = instances('p2', 'app', 4, 'exited');
    assert.deepEqual(ids(plan(crashing)), ids(crashing.slice(0, 2)));
  });

  it('orders instances by attempt, so a restart within one second is still the newest', () => {
    const old = rec('p1', 'app', 1, 'exited', 0);
    const current = rec('p1', 'app', 2, 'running', 0);
    const previous = rec('p1', 'app', 0, 'exited', 0);
    assert.deepEqual(ids(plan([old, current, previous])), [previous.id]);
  });

  it('never removes running or unknown instances, and counts only dead ones', () => {
    const list = [
      rec('p1', 'app', 0, 'exited', 400_000),
      rec('p1', 'app', 1, 'running', 300_000),
      rec('p1', 'app', 2, 'unknown', 200_000),
      rec('p1', 'app', 3, 'exited', 100_000),
      rec('p1', 'app', 4, 'running', 50_000),
    ];
    assert.deepEqual(ids(plan(list)), [list[0]!.id]);
  });

  it('groups by pod and container name, init containers included', () => {
    const a = instances('p1', 'app', 3, 'running');
    const b = instances('p1', 'side', 2, 'running');
    const init = instances('p1', 'setup', 3, 'exited').map((r) => ({ ...r, kind: 'init' as const }));
    const other = instances('p2', 'app', 3, 'running');
    assert.deepEqual(
      new Set(ids(plan([...a, ...b, ...init, ...other]))),
      new Set([a[0]!.id, init[0]!.id, other[0]!.id]),
    );
  });

  it('removes dead sandboxes that are not the pod’s newest, and only those', () => {
    const old = rec('p1', '', 0, 'exited', 300_000);
    const oldRunning = rec('p1', '', 1, 'running', 200_000);
    const current = rec('p1', '', 2, 'exited', 100_000);
    assert.deepEqual(ids(plan([old, oldRunning, current])), [old.id]);
  });

  it('spares dead objects younger than minAge (which do not count against the limit, as kubelet)', () => {
    const list = instances('p1', 'app', 5, 'running'); // ages 5, 4, 3, 2, 1 minutes
    assert.deepEqual(ids(plan(list)), ids(list.slice(0, 3)));
    assert.deepEqual(ids(plan(list, { minAgeMs: 150_000 })), ids(list.slice(0, 2)));
  });

  it('keeps every dead instance with maxPerPodContainer < 0, none before the newest with 0', () => {
    const list = instances('p1', 'app', 4, 'exited');
    assert.deepEqual(plan(list, { maxPerPodContainer: -1 }), []);
    assert.deepEqual(ids(plan(list, { maxPerPodContainer: 0 })), ids(list.slice(0, 3)));
  });

  it('caps dead instances on the node with maxContainers: an even share first, then the oldest', () => {
    const a = instances('p1', 'app', 4, 'running', 10_000); // dead before the newest: a2, a1, a0
    const b = instances('p2', 'app', 3, 'running', 20_000); // b1, b0
    const c = instances('p3', 'app', 2, 'running'); // c0, the newest dead one of all
    const records = [...a, ...b, ...c];
    // maxPerPodContainer 2 leaves a2 a1 b1 b0 c0 = 5 > 3; one each (3 / 3 containers) leaves 3.
    assert.deepEqual(
      new Set(ids(plan(records, { maxPerPodContainer: 2, maxContainers: 3 }))),
      new Set(ids([a[0]!, a[1]!, b[0]!])),
    );
    // maxContainers 1: one each is still 3, so only the newest dead one overall stays.
    assert.deepEqual(
      new Set(ids(plan(records, { maxPerPodContainer: 2, maxContainers: 1 }))),
      new Set(ids([a[0]!, a[1]!, a[2]!, b[0]!, b[1]!])),
    );
  });

  it('rejects a malformed policy, naming the field', () => {
    assert.throws(
      () => checkContainerGcPolicy({ ...DEFAULT_CONTAINER_GC_POLICY, minAgeMs: -1 }),
      /minAgeMs must be a number ≥ 0, got -1/,
    );
    assert.throws(
      () => checkContainerGcPolicy({ ...DEFAULT_CONTAINER_GC_POLICY, maxContainers: 1.5 }),
      /maxContainers must be an integer/,
    );
  });
});
