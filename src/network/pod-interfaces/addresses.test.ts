import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatCidr } from '../../util/ipv4.js';
import { PodAddressPool, podAddressRanges } from './addresses.js';

describe('podAddressRanges', () => {
  it('leaves the last quarter to the engine and keeps the gateway and network address out', () => {
    const r = podAddressRanges('10.42.3.0/24');
    assert.equal(formatCidr(r.engine), '10.42.3.192/26');
    assert.equal(r.gateway, '10.42.3.1');
    const pool = new PodAddressPool(r);
    assert.equal(pool.allocate(), '10.42.3.2');
  });

  it('refuses a range too small to split, saying the smallest that works', () => {
    assert.throws(() => podAddressRanges('10.42.3.0/29'), /10\.42\.3\.0\/29 is too small.*\/28 or larger/);
    assert.throws(() => podAddressRanges('10.42.3.0'), /pod CIDR must be an IPv4 CIDR/);
    assert.equal(formatCidr(podAddressRanges('10.42.3.16/28').engine), '10.42.3.28/30');
  });
});

describe('PodAddressPool', () => {
  it('hands out every address of its part once, round-robin, then says it is full', () => {
    const pool = new PodAddressPool(podAddressRanges('10.0.0.0/28'));
    // .0 network, .1 gateway, .12-.15 the engine's: .2 to .11 are the pool's.
    const got = Array.from({ length: 10 }, () => pool.allocate());
    assert.deepEqual(
      got,
      Array.from({ length: 10 }, (_, i) => `10.0.0.${i + 2}`),
    );
    assert.throws(() => pool.allocate(), /no free pod address left in 10\.0\.0\.0\/28 \(10 in use\)/);
    pool.release('10.0.0.5');
    assert.equal(pool.allocate(), '10.0.0.5');
    assert.equal(pool.inUse, 10);
  });

  it('gives a released address back last, not next', () => {
    const pool = new PodAddressPool(podAddressRanges('10.0.0.0/24'));
    const a = pool.allocate();
    pool.release(a);
    assert.equal(pool.allocate(), '10.0.0.3');
    assert.equal(pool.inUse, 1);
  });

  it('claims addresses found in use, skipping them afterwards, and refuses ones not its own', () => {
    const pool = new PodAddressPool(podAddressRanges('10.0.0.0/24'));
    assert.equal(pool.claim('10.0.0.2'), true);
    assert.equal(pool.claim('10.0.0.3'), true);
    assert.equal(pool.claim('10.0.0.1'), false, 'the gateway');
    assert.equal(pool.claim('10.0.0.200'), false, "the engine's quarter");
    assert.equal(pool.claim('10.0.1.2'), false, 'another range');
    assert.equal(pool.claim('nonsense'), false);
    assert.equal(pool.allocate(), '10.0.0.4');
    pool.release('nonsense');
    assert.equal(pool.inUse, 3);
  });
});
