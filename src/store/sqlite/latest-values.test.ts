import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KeyValue } from '../store.js';
import { LatestValues } from './latest-values.js';

const kv = (key: string, value: string, modRevision = 1): KeyValue => ({
  key,
  value,
  createRevision: 1,
  modRevision,
});

describe('LatestValues', () => {
  it('returns what it was given and follows puts and deletes in order', () => {
    const cache = new LatestValues(1000);
    cache.remember(kv('/a', 'one', 1));
    assert.equal(cache.get('/a')?.value, 'one');
    cache.apply([
      { type: 'put', kv: kv('/a', 'two', 2) },
      { type: 'put', kv: kv('/b', 'bee', 3) },
      { type: 'delete', key: '/a', revision: 4, prev: kv('/a', 'two', 2) },
    ]);
    assert.equal(cache.get('/a'), undefined);
    assert.equal(cache.get('/b')?.modRevision, 3);
    assert.equal(cache.chars, 3);
  });

  it('drops the least recently used values beyond its size', () => {
    const cache = new LatestValues(10);
    cache.remember(kv('/a', 'aaaa'));
    cache.remember(kv('/b', 'bbbb'));
    cache.get('/a'); // now /b is the least recently used
    cache.remember(kv('/c', 'cccc'));
    assert.equal(cache.get('/b'), undefined);
    assert.equal(cache.get('/a')?.value, 'aaaa');
    assert.equal(cache.get('/c')?.value, 'cccc');
    assert.equal(cache.chars, 8);
    assert.equal(cache.count, 2);
  });

  it('counts a replaced value once', () => {
    const cache = new LatestValues(10);
    cache.remember(kv('/a', 'aaaa', 1));
    cache.remember(kv('/a', 'aaaaaa', 2));
    assert.equal(cache.chars, 6);
    assert.equal(cache.count, 1);
  });

  it('never holds a value larger than itself, nor an older one of its key', () => {
    const cache = new LatestValues(4);
    cache.remember(kv('/a', 'aa', 1));
    cache.remember(kv('/a', 'too large', 2));
    assert.equal(cache.get('/a'), undefined);
    assert.equal(cache.chars, 0);
  });

  it('with no room holds nothing', () => {
    const cache = new LatestValues(0);
    cache.remember(kv('/a', 'x'));
    assert.equal(cache.get('/a'), undefined);
  });
});
