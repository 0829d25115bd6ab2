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

  it('writes up to `concurrency` events at once', async () => {
    const s = fakeSink();
    const rec = new EventRecorder(s.sink, { component: 'c', host: 'h', concurrency: 3 });
    for (let i = 0; i < 10; i++) rec.event(podRef(pod), 'Normal', 'Scheduled', `message ${i}`);
    await settle();
    assert.equal(s.maxInFlight(), 3);
    while (s.release.length > 0) {
      s.release.shift()!();
      await settle();
    }
    assert.equal(s.created.length, 10);
  });
});
