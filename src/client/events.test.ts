import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Event } from 'kubernetes-types/core/v1.js';
import { FakeClock, settle } from '../util/fake-clock.js';
import { EventRecorder, type EventSink, podRef } from './events.js';

const pod = { metadata: { name: 'web', namespace: 'default', uid: 'u1' } };

function fakeSink() {
  const created: Event[] = [];
  const bumps: { name: string; count: number }[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const release: (() => void)[] = [];
  const gate = () =>
    new Promise<void>((resolve) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      release.push(() => {
        inFlight--;
        resolve();
      });
    });
  const sink: EventSink = {
    async create(e) {
      await gate();
      created.push(e);
    },
    async bump(_ns, name, count) {
      await gate();
      bumps.push({ name, count });
    },
  };
  return { sink, created, bumps, release, maxInFlight: () => maxInFlight };
}

describe('EventRecorder', () => {
  it('aggregates a repeat of the same event into a count on the first one', async () => {
    const clock = new FakeClock();
    const s = fakeSink();
    const rec = new EventRecorder(s.sink, { component: 'default-scheduler', host: 'h', clock });
    rec.event(podRef(pod), 'Warning', 'FailedScheduling', '0/1 nodes are available: 1 Insufficient cpu.');
    rec.event(podRef(pod), 'Warning', 'FailedScheduling', '0/1 nodes are available: 1 Insufficient cpu.');
    for (let i = 0; i < 5 && s.release.length > 0; i++) {
      s.release.shift()!();
      await settle();
    }
    assert.equal(s.created.length, 1);
    assert.equal(s.created[0]?.source?.component, 'default-scheduler');
    assert.deepEqual(s.bumps, [{ name: s.created[0]!.metadata!.name!, count: 2 }]);
  });

  it('writes up to `concurrency` Warnings at once, Normal events one at a time', async () => {
    const s = fakeSink();
    const rec = new EventRecorder(s.sink, { component: 'c', host: 'h', concurrency: 3 });
    for (let i = 0; i < 10; i++) rec.event(podRef(pod), 'Normal', 'Scheduled', `message ${i}`);
    await settle();
    assert.equal(s.maxInFlight(), 1);
    for (let i = 0; i < 10; i++) rec.event(podRef(pod), 'Warning', 'FailedScheduling', `message ${i}`);
    await settle();
    assert.equal(s.maxInFlight(), 3);
    while (s.release.length > 0) {
      s.release.shift()!();
      await settle();
    }
    assert.equal(s.created.length, 20);
  });

  it('writes Warnings first and, when the queue is full, drops Normal events before any Warning', async () => {
    const s = fakeSink();
    const rec = new EventRecorder(s.sink, { component: 'c', host: 'h' });
    // The first write holds the only writer; the next 1000 fill the queue.
    rec.event(podRef(pod), 'Normal', 'Scheduled', 'in flight');
    for (let i = 0; i < 600; i++) rec.event(podRef(pod), 'Normal', 'Scheduled', `normal ${i}`);
    for (let i = 0; i < 600; i++) rec.event(podRef(pod), 'Warning', 'FailedScheduling', `warning ${i}`);
    assert.equal(rec.dropped, 200);
    for (let i = 0; i < 2000 && s.release.length > 0; i++) {
      s.release.shift()!();
      await settle();
    }
    const messages = s.created.map((e) => e.message);
    assert.equal(messages.length, 1001);
    assert.equal(messages[0], 'in flight');
    assert.deepEqual(
      messages.slice(1, 601),
      Array.from({ length: 600 }, (_, i) => `warning ${i}`),
    );
    // The oldest 200 Normal events made room for the Warnings.
    assert.deepEqual(
      messages.slice(601),
      Array.from({ length: 400 }, (_, i) => `normal ${i + 200}`),
    );
  });
});
