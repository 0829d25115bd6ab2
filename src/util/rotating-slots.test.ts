import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RotatingSlots } from './rotating-slots.js';

describe('RotatingSlots', () => {
  it('hands out every slot once, in order, then none', () => {
    const slots = new RotatingSlots(3);
    assert.deepEqual(
      [slots.allocate(), slots.allocate(), slots.allocate(), slots.allocate()],
      [0, 1, 2, undefined],
    );
    assert.equal(slots.free, 0);
  });

  it('starts each search after the last slot handed out, skipping taken ones', () => {
    const slots = new RotatingSlots(4);
    slots.take(1);
    assert.equal(slots.allocate(), 0);
    slots.release(0);
    assert.equal(slots.allocate(), 2, 'the slot just released comes back last');
    assert.equal(slots.allocate(), 3);
    assert.equal(slots.allocate(), 0);
    assert.equal(slots.allocate(), undefined);
    assert.equal(slots.isTaken(1), true);
  });

  it('counts free slots once however often a slot is taken or released', () => {
    const slots = new RotatingSlots(2);
    slots.take(0);
    slots.take(0);
    assert.equal(slots.free, 1);
    slots.release(1);
    slots.release(0);
    slots.release(0);
    assert.equal(slots.free, 2);
  });
});
