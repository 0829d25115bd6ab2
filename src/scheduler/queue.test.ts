import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { FakeClock, settle } from '../util/fake-clock.js';
import type { ClusterEvent } from './cluster-events.js';
import { makePod } from './framework/testing.js';
import { type QueuedPod, SchedulingQueue } from './queue.js';

const pod = (name: string, priority?: number): Pod =>
  makePod(name, { uid: name, ...(priority !== undefined ? { priority } : {}) });

function setup(pluginsFor?: (e: ClusterEvent) => readonly string[] | 'all') {
  const clock = new FakeClock();
  const queue = new SchedulingQueue({ clock, ...(pluginsFor ? { pluginsFor } : {}) });
  return { clock, queue };
}

const names = (queue: SchedulingQueue) => {
  const out: string[] = [];
  for (let qp = queue.tryPop(); qp; qp = queue.tryPop()) out.push(qp.info.name);
  return out;
};

describe('SchedulingQueue', () => {
  it('pops by priority, then oldest first', async () => {
    const { clock, queue } = setup();
    queue.add(pod('low-old', 0));
    await clock.advance(1);
    queue.add(pod('high', 100));
    await clock.advance(1);
    queue.add(pod('low-new', 0));
    queue.add(pod('mid', 10));
    assert.deepEqual(names(queue), ['high', 'mid', 'low-old', 'low-new']);
  });

  it('backs off 1 s doubling to 10 s by attempts', async () => {
    const { clock, queue } = setup();
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6].map((a) => queue.backoffMs(a)),
      [1000, 2000, 4000, 8000, 10_000, 10_000],
    );
    queue.add(pod('a'));
    let qp = queue.tryPop()!;
    queue.requeueBackoff(qp);
    assert.equal(queue.tryPop(), undefined, 'still backing off');
    await clock.advance(999);
    assert.equal(queue.tryPop(), undefined);
    await clock.advance(1);
    qp = queue.tryPop()!;
    assert.equal(qp.attempts, 2);
    queue.requeueBackoff(qp);
    await clock.advance(1999);
    assert.equal(queue.tryPop(), undefined);
    await clock.advance(1);
    assert.equal(queue.tryPop()?.info.name, 'a');
  });

  it('parks unschedulable pods until an event concerns a plugin that rejected them', async () => {
    const { clock, queue } = setup((e) =>
      e === 'NodeAdd' ? ['NodeResourcesFit', 'NodeName'] : ['TaintToleration'],
    );
    queue.add(pod('cpu'));
    queue.add(pod('taint'));
    queue.requeueUnschedulable(queue.tryPop()!, ['NodeResourcesFit']);
    queue.requeueUnschedulable(queue.tryPop()!, ['TaintToleration']);
    await clock.advance(30_000);
    assert.equal(queue.tryPop(), undefined, 'parked pods do not come back on their own');
    assert.deepEqual(queue.stats(), { active: 0, backoff: 0, unschedulable: 2 });
    queue.onEvent('NodeAdd');
    assert.deepEqual(names(queue), ['cpu']);
    queue.onEvent('NodeTaint');
    assert.deepEqual(names(queue), ['taint']);
  });

  it('sends a pod woken while still backing off to backoffQ', async () => {
    const { clock, queue } = setup();
    queue.add(pod('a'));
    queue.requeueUnschedulable(queue.tryPop()!, ['NodeResourcesFit']);
    await clock.advance(500);
    queue.onEvent('AssignedPodDelete');
    assert.deepEqual(queue.stats(), { active: 0, backoff: 1, unschedulable: 0 });
    assert.equal(queue.tryPop(), undefined);
    await clock.advance(500);
    assert.equal(queue.tryPop()?.info.name, 'a');
  });

  it('retries parked pods after 5 minutes without events', async () => {
    const { clock, queue } = setup(() => []);
    queue.add(pod('a'));
    queue.requeueUnschedulable(queue.tryPop()!, ['NodeResourcesFit']);
    queue.onEvent('NodeAdd');
    assert.equal(queue.tryPop(), undefined);
    await clock.advance(5 * 60_000 - 1);
    assert.equal(queue.tryPop(), undefined);
    await clock.advance(1);
    assert.equal(queue.tryPop()?.info.name, 'a');
  });

  it('wakes parked pods rejected by no plugin on any event', () => {
    const { queue } = setup(() => ['NodeName']);
    queue.add(pod('a'));
    queue.requeueUnschedulable(queue.tryPop()!, []);
    queue.onEvent('NamespaceLabel');
    assert.deepEqual(queue.stats(), { active: 0, backoff: 1, unschedulable: 0 });
  });

  it('replaces a queued pod on update; a spec change retries a parked pod, a status change does not', () => {
    const { queue } = setup(() => []);
    const a = pod('a');
    queue.add(a);
    queue.update({ ...a, metadata: { ...a.metadata, labels: { v: '2' } } });
    assert.deepEqual(queue.stats(), { active: 1, backoff: 0, unschedulable: 0 });
    const qp = queue.tryPop()!;
    assert.deepEqual(qp.info.labels, { v: '2' });
    queue.requeueUnschedulable(qp, ['NodeResourcesFit']);
    queue.update({ ...qp.pod, status: { conditions: [{ type: 'PodScheduled', status: 'False' }] } });
    assert.deepEqual(queue.stats(), { active: 0, backoff: 0, unschedulable: 1 });
    queue.update({ ...qp.pod, spec: { ...qp.pod.spec!, nodeSelector: { zone: 'b' } } });
    assert.deepEqual(
      queue.stats(),
      { active: 0, backoff: 1, unschedulable: 0 },
      'changed, but still backing off',
    );
  });

  it('forgets deleted pods wherever they are', () => {
    const { queue } = setup();
    queue.add(pod('a'));
    queue.add(pod('b'));
    queue.requeueBackoff(queue.tryPop()!);
    queue.delete(pod('a'));
    queue.delete(pod('b'));
    assert.deepEqual(queue.stats(), { active: 0, backoff: 0, unschedulable: 0 });
    assert.equal(queue.has('default/a'), false);
  });

  it('pop waits for a pod to be added, or for a backoff to end', async () => {
    const { clock, queue } = setup();
    const stop = new AbortController();
    let popped = undefined as QueuedPod | undefined;
    void queue.pop(stop.signal).then((qp) => {
      popped = qp;
    });
    await settle();
    assert.equal(popped === undefined, true, 'nothing to pop yet');
    queue.add(pod('a'));
    await settle();
    assert.equal(popped?.info.name, 'a');

    queue.requeueBackoff(popped!);
    let got: string | undefined;
    void queue.pop(stop.signal).then((qp) => {
      got = qp?.info.name;
    });
    await clock.advance(999);
    assert.equal(got, undefined);
    await clock.advance(2000);
    assert.equal(got, 'a');

    // Parked, then woken by an event while a pop waits: the pop sees the backoff end.
    queue.requeueUnschedulable(popped!, ['NodeResourcesFit']);
    got = undefined;
    void queue.pop(stop.signal).then((qp) => {
      got = qp?.info.name;
    });
    await clock.advance(500);
    queue.onEvent('NodeAdd'); // to backoffQ: 2 s from the failure (second attempt)
    await clock.advance(1499);
    assert.equal(got, undefined);
    await clock.advance(1);
    assert.equal(got, 'a', 'the waiting pop picked up the backoff deadline');

    let ended = false;
    void queue.pop(stop.signal).then((qp) => {
      ended = qp === undefined;
    });
    stop.abort();
    await settle();
    assert.equal(ended, true);
  });
});
