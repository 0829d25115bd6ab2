import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { eventRevision, type WatchEvent } from '../store.js';
import { RecentEvents } from './recent-events.js';

function put(key: string, rev: number): WatchEvent {
  return { type: 'put', kv: { key, value: 'v', createRevision: rev, modRevision: rev } };
}

function revisions(batches: WatchEvent[][] | undefined): number[][] | undefined {
  return batches?.map((b) => b.map(eventRevision));
}

describe('RecentEvents', () => {
  it('serves (after, upTo] under a prefix, grouped as published', () => {
    const recent = new RecentEvents(10);
    recent.add([put('/a/1', 11), put('/b/1', 11)]);
    recent.add([put('/a/2', 12), put('/a/3', 13)]);
    recent.add([put('/b/2', 14)]);
    recent.add([put('/a/4', 15)]);
    assert.deepEqual(revisions(recent.between('/a/', 10, 15)), [[11], [12, 13], [15]]);
    assert.deepEqual(revisions(recent.between('/a/', 11, 13)), [[12, 13]]);
    assert.deepEqual(revisions(recent.between('/a/', 12, 14)), [[13]]);
    assert.deepEqual(revisions(recent.between('', 13, 15)), [[14], [15]]);
    assert.deepEqual(revisions(recent.between('/c/', 10, 15)), []);
  });

  it('refuses revisions older than its window', () => {
    const recent = new RecentEvents(10, 3);
    recent.add([put('/a', 11)]);
    recent.add([put('/a', 12), put('/b', 12)]);
    assert.equal(recent.floor, 10);
    recent.add([put('/a', 13)]);
    // 4 events > 3: revision 11 went.
    assert.equal(recent.floor, 11);
    assert.deepEqual(revisions(recent.between('', 11, 13)), [[12, 12], [13]]);
    recent.add([put('/a', 14)]);
    assert.equal(recent.floor, 12);
    assert.equal(recent.between('', 11, 14), undefined);
    assert.deepEqual(revisions(recent.between('', 12, 14)), [[13], [14]]);
    recent.reset(20);
    assert.equal(recent.between('', 14, 20), undefined);
    assert.deepEqual(revisions(recent.between('', 20, 20)), []);
  });

  it('keeps nothing with a window of 0', () => {
    const recent = new RecentEvents(10, 0);
    recent.add([put('/a', 11)]);
    assert.equal(recent.between('', 10, 11), undefined);
  });
});
