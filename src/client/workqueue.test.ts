import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock, settle } from '../util/fake-clock.js';
import { Backoff } from './backoff.js';
import { BucketRateLimiter, ItemExponentialRateLimiter, MaxOfRateLimiter, WorkQueue } from './workqueue.js';

describe('work queue', () => {
  it('hands out each key once however often it is added', async () => {
    const q = new WorkQueue({ clock: new FakeClock() });
    q.add('a');
    q.add('b');
    q.add('a');
    assert.equal(q.len(), 2);
    assert.equal(await q.get(), 'a');
    assert.equal(await q.get(), 'b');
    assert.equal(q.len(), 0);
  });

  it('never hands out a key being processed; re-adds it after done', async () => {
    const q = new WorkQueue({ clock: new FakeClock() });
    q.add('a');
    const key = await q.get();
    q.add('a');
    q.add('a');
    assert.equal(q.len(), 0, 'a is being processed: held back');
    q.done(key!);
    assert.equal(q.len(), 1);
    assert.equal(await q.get(), 'a');
    q.done('a');
    assert.equal(q.len(), 0);
  });

  it('wakes a waiting get, and answers undefined after shutdown', async () => {
    const q = new WorkQueue({ clock: new FakeClock() });
    const waiting = q.get();
    q.add('x');
    assert.equal(await waiting, 'x');
    const next = q.get();
    q.shutDown();
    assert.equal(await next, undefined);
    q.add('y');
    assert.equal(await q.get(), undefined);
  });

  it('delays with addAfter on the clock, keeping the earliest time per key', async () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ clock });
    q.addAfter('k', 1000);
    q.addAfter('k', 300);
    q.addAfter('k', 5000);
    await clock.advance(299);
    assert.equal(q.len(), 0);
    await clock.advance(1);
    assert.equal(q.len(), 1);
    await q.get();
    q.done('k');
    await clock.advance(10_000);
    assert.equal(q.len(), 0, 'the superseded timers add nothing');
  });

  it('backs off per key exponentially, and forget resets it', () => {
    const l = new ItemExponentialRateLimiter(5, 1000);
    assert.deepEqual(
      Array.from({ length: 10 }, () => l.when('a')),
      [5, 10, 20, 40, 80, 160, 320, 640, 1000, 1000],
    );
    assert.equal(l.when('b'), 5, 'keys back off independently');
    assert.equal(l.numRequeues('a'), 10);
    l.forget('a');
    assert.equal(l.when('a'), 5);
  });

  it('limits overall retries with a token bucket', async () => {
    const clock = new FakeClock();
    const bucket = new BucketRateLimiter(10, 3, clock);
    assert.deepEqual([bucket.when('a'), bucket.when('b'), bucket.when('c')], [0, 0, 0]);
    assert.equal(bucket.when('d'), 100);
    assert.equal(bucket.when('e'), 200);
    await clock.advance(1000);
    assert.equal(bucket.when('f'), 0);
    const both = new MaxOfRateLimiter(
      new ItemExponentialRateLimiter(50, 1000),
      new BucketRateLimiter(1, 1, clock),
    );
    assert.equal(both.when('x'), 50);
    assert.equal(both.when('x'), 1000);
  });

  it('runs handlers, retries failures with backoff, forgets successes', async () => {
    const clock = new FakeClock();
    const q = new WorkQueue({
      clock,
      rateLimiter: new ItemExponentialRateLimiter(100, 1000),
    });
    const ac = new AbortController();
    const seen: string[] = [];
    let failuresLeft = 3;
    const errors: string[] = [];
    const running = q.run(
      ac.signal,
      async (key) => {
        seen.push(`${key}@${clock.now() - 1_700_000_000_000}`);
        if (key === 'flaky' && failuresLeft-- > 0) throw new Error('not yet');
      },
      { workers: 2, onError: (key, err) => errors.push(`${key}: ${(err as Error).message}`) },
    );
    q.add('ok');
    q.add('flaky');
    await settle();
    assert.deepEqual(seen, ['ok@0', 'flaky@0']);
    await clock.advance(100);
    await clock.advance(200);
    await clock.advance(400);
    assert.deepEqual(seen, ['ok@0', 'flaky@0', 'flaky@100', 'flaky@300', 'flaky@700']);
    assert.equal(errors.length, 3);
    assert.equal(q.numRequeues('flaky'), 0, 'forgotten after it succeeded');
    assert.equal(q.numRequeues('ok'), 0);
    ac.abort();
    await running;
    assert.ok(q.shuttingDown);
  });

  it('processes one key at a time even with many workers, and waits for handlers on stop', async () => {
    const q = new WorkQueue({ clock: new FakeClock() });
    const ac = new AbortController();
    let active = 0;
    let maxActive = 0;
    let calls = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const running = q.run(
      ac.signal,
      async () => {
        calls++;
        active++;
        maxActive = Math.max(maxActive, active);
        await gate;
        active--;
      },
      { workers: 4 },
    );
    q.add('same');
    await settle();
    q.add('same');
    q.add('same');
    await settle();
    assert.equal(maxActive, 1);
    let stopped = false;
    void running.then(() => {
      stopped = true;
    });
    ac.abort();
    await settle();
    assert.equal(stopped, false, 'waits for the handler in flight');
    release();
    await running;
    assert.equal(calls, 1, 'keys still queued at shutdown are dropped');
  });
});

describe('backoff', () => {
  it('doubles up to the cap and resets', () => {
    const b = new Backoff({ initialMs: 100, maxMs: 1000, jitter: 0 });
    assert.deepEqual(
      Array.from({ length: 6 }, () => b.next()),
      [100, 200, 400, 800, 1000, 1000],
    );
    assert.equal(b.failures, 6);
    b.reset();
    assert.equal(b.next(), 100);
    const jittered = new Backoff({ initialMs: 100, maxMs: 1000, jitter: 0.5, random: () => 1 });
    assert.equal(jittered.next(), 150);
  });
});
