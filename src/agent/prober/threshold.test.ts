import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type ResultRun, recordResult, type Verdict } from './threshold.js';

/** Feeds `results` in order; returns what settled after each ('-' for nothing). */
function feed(results: Verdict[], successThreshold: number, failureThreshold: number): string {
  let run: ResultRun = { count: 0 };
  return results
    .map((result) => {
      const next = recordResult(run, result, { successThreshold, failureThreshold });
      run = next.run;
      return next.settled === undefined ? '-' : next.settled[0];
    })
    .join('');
}

const S: Verdict = 'success';
const F: Verdict = 'failure';

describe('recordResult', () => {
  it('settles after the threshold in a row, and keeps settling while the run lasts', () => {
    assert.equal(feed([S, S, S], 1, 3), 'sss');
    assert.equal(feed([F, F, F, F], 1, 3), '--ff');
    assert.equal(feed([S, S, S, F, S], 2, 1), '-ssf-');
  });

  it('a different result starts the count again', () => {
    assert.equal(feed([F, F, S, F, F, F], 1, 3), '--s--f');
    assert.equal(feed([S, F, S, S], 2, 2), '---s');
  });
});
