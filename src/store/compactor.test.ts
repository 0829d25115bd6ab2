import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Compactor, planCompaction } from './compactor.js';
import type { Store } from './store.js';

describe('planCompaction', () => {
  const samples = [
    { at: 0, revision: 10 },
    { at: 30, revision: 20 },
    { at: 60, revision: 35 },
    { at: 90, revision: 40 },
  ];
  const cases: {
    name: string;
    now: number;
    window: number;
    compacted: number;
    revision: number | undefined;
    kept: number;
  }[] = [
    { name: 'nothing old enough yet', now: 50, window: 60, compacted: 0, revision: undefined, kept: 4 },
    { name: 'the newest sample past the window', now: 95, window: 60, compacted: 0, revision: 20, kept: 2 },
    { name: 'exactly at the window counts', now: 120, window: 60, compacted: 0, revision: 35, kept: 1 },
    { name: 'already compacted that far', now: 95, window: 60, compacted: 25, revision: undefined, kept: 2 },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const plan = planCompaction(samples, c.now, c.window, c.compacted);
      assert.equal(plan.revision, c.revision);
      assert.equal(plan.keep.length, c.kept);
    });
  }
});

describe('Compactor', () => {
  it('compacts to the revision seen one window ago, on a fake clock', async () => {
    let now = 0;
    let revision = 100;
    let compacted = 0;
    const calls: number[] = [];
    const store = {
      currentRevision: async () => revision,
      compactedRevision: async () => compacted,
      compact: async (r: number) => {
        calls.push(r);
        compacted = r;
      },
    } as unknown as Store;
    const compactor = new Compactor(store, {
      windowMs: 300_000,
      clock: { now: () => now, sleep: async () => undefined },
    });
    assert.equal(await compactor.tick(), undefined);
    for (let t = 1; t <= 10; t++) {
      now = t * 30_000;
      revision += 50;
      await compactor.tick();
    }
    // At t=300 s the sample from t=0 (revision 100) is one window old.
    assert.deepEqual(calls, [100]);
    now = 330_000;
    revision += 50;
    await compactor.tick();
    assert.deepEqual(calls, [100, 150]);
  });
});
