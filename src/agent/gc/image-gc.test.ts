import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ImageRecord } from '../../runtime/driver.js';
import {
  DEFAULT_IMAGE_GC_POLICY,
  type ImageGcPolicy,
  ImageUsageTracker,
  imageGcPolicyProblem,
  planImageGc,
} from './image-gc.js';

const T0 = 1_700_000_000_000;
const MIN = 60_000;
const GB = 1_000_000_000;

const image = (id: string, sizeBytes = GB, extra: Partial<ImageRecord> = {}): ImageRecord => ({
  id,
  tags: [`${id}:1`],
  sizeBytes,
  ...extra,
});

/** A 100 GB filesystem `usedPercent` full. */
const disk = (usedPercent: number) => ({ totalBytes: 100 * GB, availableBytes: (100 - usedPercent) * GB });

function plan(
  tracker: ImageUsageTracker,
  usedPercent: number,
  now: number,
  inUse: string[] = [],
  policy: Partial<ImageGcPolicy> = {},
) {
  return planImageGc({
    policy: { ...DEFAULT_IMAGE_GC_POLICY, ...policy },
    usage: disk(usedPercent),
    images: tracker.all(),
    inUse: new Set(inUse),
    now,
  });
}

describe('image GC', () => {
  it('does nothing below the high threshold', () => {
    const tracker = new ImageUsageTracker();
    tracker.observe([image('a')], new Set(), T0);
    const out = plan(tracker, 84, T0 + 10 * MIN);
    assert.deepEqual(out, { usagePercent: 84, bytesToFree: 0, candidates: [] });
  });

  it('at the high threshold, frees down to the low one, least recently used first', () => {
    const tracker = new ImageUsageTracker();
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((id) => image(id));
    tracker.observe([a!, b!, c!, d!], new Set(['sha-b', 'c', 'd']), T0); // b: an id no image has
    tracker.observe([a!, b!, c!, d!], new Set(['d']), T0 + 3 * MIN); // c last used at T0, d now
    const out = plan(tracker, 85, T0 + 5 * MIN);
    // 100 GB * (100 - 80)% - 15 GB available = 5 GB.
    assert.equal(out.usagePercent, 85);
    assert.equal(out.bytesToFree, 5 * GB);
    // Never used (a, b: by first detection, then as listed), then c (used at T0), then d.
    assert.deepEqual(
      out.candidates.map((i) => i.id),
      ['a', 'b', 'c', 'd'],
    );
  });

  it('ranks by last use, not by listing order; a removed image that comes back is new again', () => {
    const tracker = new ImageUsageTracker();
    tracker.observe([image('a'), image('b'), image('c')], new Set(['a']), T0);
    tracker.observe([image('a'), image('b')], new Set(), T0 + MIN); // c went away
    tracker.observe([image('a'), image('b'), image('c')], new Set(), T0 + 2 * MIN);
    assert.equal(tracker.get('c')?.firstDetected, T0 + 2 * MIN);
    assert.deepEqual(
      plan(tracker, 90, T0 + 3 * MIN).candidates.map((i) => i.id),
      ['b', 'a'],
    );
    assert.deepEqual(
      plan(tracker, 90, T0 + 4 * MIN).candidates.map((i) => i.id),
      ['b', 'c', 'a'],
    );
  });

  it('never offers images in use, pinned ones, or ones younger than the minimum age', () => {
    const tracker = new ImageUsageTracker();
    tracker.observe([image('used'), image('pause', GB, { pinned: true }), image('old')], new Set(), T0);
    tracker.observe(
      [image('used'), image('pause', GB, { pinned: true }), image('old'), image('new')],
      new Set(),
      T0 + 4 * MIN,
    );
    const out = plan(tracker, 95, T0 + 5 * MIN, ['used']);
    assert.deepEqual(
      out.candidates.map((i) => i.id),
      ['old'],
    );
    // 'new' was first seen 1 minute ago; with a shorter minimum age it may go too.
    assert.deepEqual(
      plan(tracker, 95, T0 + 5 * MIN, ['used'], { minAgeMs: 30_000 }).candidates.map((i) => i.id),
      ['old', 'new'],
    );
  });

  it('is off with a high threshold of 100', () => {
    const tracker = new ImageUsageTracker();
    tracker.observe([image('a')], new Set(), T0);
    const out = plan(tracker, 100, T0 + 10 * MIN, [], { highThresholdPercent: 100 });
    assert.equal(out.bytesToFree, 0);
    assert.deepEqual(out.candidates, []);
  });

  it('rounds usage as kubelet and rejects a filesystem without size', () => {
    const tracker = new ImageUsageTracker();
    const usage = { totalBytes: 1000, availableBytes: 151 }; // 84.9% used → 100 - floor(15.1) = 85
    const out = planImageGc({
      policy: DEFAULT_IMAGE_GC_POLICY,
      usage,
      images: [],
      inUse: new Set(),
      now: T0,
    });
    assert.equal(out.usagePercent, 85);
    assert.equal(out.bytesToFree, 49);
    assert.throws(
      () =>
        planImageGc({
          policy: DEFAULT_IMAGE_GC_POLICY,
          usage: { totalBytes: 0, availableBytes: 0 },
          images: tracker.all(),
          inUse: new Set(),
          now: T0,
        }),
      /invalid capacity 0 on image filesystem/,
    );
  });

  it('explains a bad policy', () => {
    const problem = (p: Partial<ImageGcPolicy>) => imageGcPolicyProblem({ ...DEFAULT_IMAGE_GC_POLICY, ...p });
    assert.equal(problem({}), undefined);
    assert.match(
      problem({ highThresholdPercent: 101 })!,
      /high threshold must be a percentage 0-100, got 101/,
    );
    assert.match(problem({ lowThresholdPercent: -1 })!, /low threshold must be a percentage 0-100, got -1/);
    assert.match(problem({ lowThresholdPercent: 90 })!, /low threshold \(90%\) must be lower than the high/);
    assert.match(problem({ lowThresholdPercent: 85 })!, /must be lower/);
    assert.match(problem({ minAgeMs: Number.NaN })!, /minimum age/);
  });
});
