import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Limiter } from './limiter.js';

/** A promise with its resolve handle, to finish calls in the order a test chooses. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((r) => {
    open = r;
  });
  return { open, opened };
}

const tick = () => new Promise<void>((r) => setImmediate(r));

describe('Limiter', () => {
  it('runs at most `concurrency` calls at once and starts the rest in arrival order', async () => {
    const limiter = new Limiter(2);
    const gates = Array.from({ length: 5 }, gate);
    const started: number[] = [];
    const all = gates.map((g, i) =>
      limiter.run(async () => {
        started.push(i);
        await g.opened;
        return i * 10;
      }),
    );
    await tick();
    assert.deepEqual(started, [0, 1]);
    assert.equal(limiter.running, 2);
    assert.equal(limiter.queued, 3);
    gates[1]!.open();
    await tick();
    assert.deepEqual(started, [0, 1, 2]);
    for (const g of gates) g.open();
    assert.deepEqual(await Promise.all(all), [0, 10, 20, 30, 40]);
    assert.equal(limiter.running, 0);
    assert.equal(limiter.queued, 0);
  });

  it('passes a failure to its caller and frees the slot', async () => {
    const limiter = new Limiter(1);
    const failing = limiter.run(async () => {
      throw new Error('boom');
    });
    const next = limiter.run(async () => 'next');
    await assert.rejects(failing, /boom/);
    assert.equal(await next, 'next');
    assert.equal(limiter.running, 0);
  });

  it('keeps order through a long queue', async () => {
    const limiter = new Limiter(3);
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 5000 }, (_, i) =>
        limiter.run(async () => {
          order.push(i);
          await tick();
        }),
      ),
    );
    assert.equal(order.length, 5000);
    assert.ok(order.every((v, i) => v === i));
  });

  it('lets a producer wait for a free slot, and a caller for everything to finish', async () => {
    const limiter = new Limiter(2);
    const gates: Array<() => void> = [];
    const hold = () => limiter.run(() => new Promise<void>((resolve) => gates.push(resolve)));
    const first = hold();
    assert.equal(limiter.busy, false);
    const second = hold();
    assert.equal(limiter.busy, true);
    let slotFree = false;
    const slot = limiter.slot().then(() => {
      slotFree = true;
    });
    let drained = false;
    const done = limiter.drained().then(() => {
      drained = true;
    });
    await tick();
    assert.equal(slotFree, false);
    gates.shift()!();
    await first;
    await slot;
    assert.equal(slotFree, true);
    assert.equal(drained, false);
    gates.shift()!();
    await second;
    await done;
    assert.equal(drained, true);
    assert.equal(limiter.running, 0);
  });

  it('refuses a limit below one', () => {
    assert.throws(() => new Limiter(0), /integer ≥ 1, got 0/);
    assert.throws(() => new Limiter(1.5), /got 1.5/);
  });
});
