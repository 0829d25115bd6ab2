import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError } from '../api/errors.js';
import { FlowControl, type Release } from './flow-control.js';

const tick = () => new Promise((r) => setImmediate(r));

describe('FlowControl', () => {
  it('seats requests at once while seats are free', () => {
    const fc = new FlowControl({ seats: 2 });
    const a = fc.acquire('x');
    const b = fc.acquire('y');
    assert.equal(typeof a, 'function');
    assert.equal(typeof b, 'function');
    assert.deepEqual(fc.stats(), { executing: 2, yielded: 0, waiting: 0, flows: 0 });
    (a as Release)();
    (a as Release)(); // a second release gives back nothing more
    assert.deepEqual(fc.stats(), { executing: 1, yielded: 0, waiting: 0, flows: 0 });
  });

  it('gives freed seats to the flows in turn, so a newcomer does not wait behind a storm', async () => {
    const fc = new FlowControl({ seats: 1 });
    const granted: { label: string; release: Release }[] = [];
    const ask = (flow: string, label: string) =>
      void (fc.acquire(flow) as Promise<Release>).then((release) => granted.push({ label, release }));
    const first = fc.acquire('storm') as Release;
    for (const i of [1, 2, 3, 4]) ask('storm', `storm-${i}`);
    ask('probe', 'probe-1');
    ask('other', 'other-1');
    assert.deepEqual(fc.stats(), { executing: 1, yielded: 0, waiting: 6, flows: 3 });
    first();
    for (let i = 0; i < 6; i++) {
      await tick();
      assert.equal(granted.length, i + 1, 'one seat, one request at a time');
      granted[i]!.release();
    }
    assert.deepEqual(
      granted.map((g) => g.label),
      ['storm-1', 'probe-1', 'other-1', 'storm-2', 'storm-3', 'storm-4'],
    );
    assert.deepEqual(fc.stats(), { executing: 0, yielded: 0, waiting: 0, flows: 0 });
  });

  it('lets a yielded request wait without its seat, up to the admitted limit', async () => {
    const fc = new FlowControl({ seats: 1, admitted: 2 });
    const a = fc.acquire('x') as Release;
    fc.yield(a);
    assert.deepEqual(fc.stats(), { executing: 0, yielded: 1, waiting: 0, flows: 0 });
    const b = fc.acquire('y');
    assert.equal(typeof b, 'function', 'the seat a gave back is free');
    fc.yield(b as Release);
    fc.yield(b as Release); // yielding twice gives back nothing more
    const granted: Release[] = [];
    void (fc.acquire('z') as Promise<Release>).then((r) => granted.push(r));
    await tick();
    assert.equal(granted.length, 0, 'two admitted: the third waits though no seat is taken');
    assert.deepEqual(fc.stats(), { executing: 0, yielded: 2, waiting: 1, flows: 1 });
    a();
    fc.yield(a); // after release: nothing
    await tick();
    assert.equal(granted.length, 1, 'a finished, so c is admitted');
    assert.deepEqual(fc.stats(), { executing: 1, yielded: 1, waiting: 0, flows: 0 });
    (b as Release)();
    granted[0]!();
    assert.deepEqual(fc.stats(), { executing: 0, yielded: 0, waiting: 0, flows: 0 });
  });

  it('refuses with 429 and a retry hint when a flow queues too much or waits too long', async () => {
    const fc = new FlowControl({ seats: 1, maxQueuedPerFlow: 1, queueTimeoutMs: 50 });
    const held = fc.acquire('a') as Release;
    const waiting = fc.acquire('b') as Promise<Release>;
    const full = fc.acquire('b') as Promise<Release>;
    await assert.rejects(full, (err: unknown) => {
      assert.ok(err instanceof ApiError);
      assert.equal(err.code, 429);
      assert.equal(err.status.details?.retryAfterSeconds, 1);
      return true;
    });
    await assert.rejects(waiting, (err: unknown) => err instanceof ApiError && err.code === 429);
    // The timed-out request left its queue: the next one is seated when the seat frees.
    const next = fc.acquire('c') as Promise<Release>;
    held();
    (await next)();
    assert.deepEqual(fc.stats(), { executing: 0, yielded: 0, waiting: 0, flows: 0 });
  });
});
