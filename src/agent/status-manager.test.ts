import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PodStatus } from 'kubernetes-types/core/v1.js';
import { statusError } from '../api/errors.js';
import { FakeClock } from '../util/fake-clock.js';
import { type PodRef, StatusManager, type StatusWriter } from './status-manager.js';

const ref = (name: string): PodRef => ({ namespace: 'default', name, uid: `uid-${name}` });
const phase = (p: string): PodStatus => ({ phase: p });

/** A writer whose API server can be taken down; it records each request and what was accepted. */
function writer() {
  const state = {
    down: false,
    attempts: [] as Array<{ at: number; pod: string; phase: string }>,
    accepted: new Map<string, string>(),
  };
  const clock = new FakeClock();
  const w: StatusWriter = {
    async patchStatus(pod, status) {
      state.attempts.push({ at: clock.now(), pod: pod.name, phase: status.phase ?? '' });
      if (state.down) throw new Error('connect ECONNREFUSED 127.0.0.1:6443');
      state.accepted.set(pod.name, status.phase ?? '');
    },
  };
  return { state, clock, w };
}

describe('StatusManager', () => {
  it('sends only the newest status per pod, once per round', async () => {
    const { state, clock, w } = writer();
    const m = new StatusManager(w, { clock, batchMs: 50, retryBackoff: { jitter: 0 } });
    m.set(ref('a'), phase('Pending'));
    m.set(ref('a'), phase('Running'));
    m.set(ref('b'), phase('Running'));
    await clock.advance(50);
    assert.deepEqual(
      state.attempts.map((a) => `${a.pod}=${a.phase}`),
      ['a=Running', 'b=Running'],
    );
    m.set(ref('a'), phase('Running'));
    await clock.advance(1000);
    assert.equal(state.attempts.length, 2, 'an unchanged status is not sent again');
  });

  it('retries failed writes with a capped backoff while the API server is down, then catches up', async () => {
    const { state, clock, w } = writer();
    const errors: unknown[] = [];
    const m = new StatusManager(w, {
      clock,
      batchMs: 50,
      retryBackoff: { initialMs: 200, maxMs: 10_000, jitter: 0 },
      onError: (err) => errors.push(err),
    });
    state.down = true;
    m.set(ref('a'), phase('Running'));
    await clock.advance(5 * 60_000);
    // 50 ms, then 200, 400, ... 6400, then every 10 s: about 35 requests in five minutes, not 6000.
    const gaps = state.attempts.slice(1).map((a, i) => a.at - state.attempts[i]!.at);
    assert.deepEqual(gaps.slice(0, 7), [200, 400, 800, 1600, 3200, 6400, 10_000]);
    assert.ok(
      gaps.every((g) => g <= 10_000),
      `gaps: ${gaps.join(', ')}`,
    );
    assert.ok(state.attempts.length < 40, `${state.attempts.length} attempts`);
    assert.equal(errors.length, state.attempts.length);

    // A newer status waits for no backoff: it goes out with the next round (and fails).
    const before = state.attempts.length;
    m.set(ref('a'), phase('Failed'));
    await clock.advance(50);
    assert.equal(state.attempts.length, before + 1);
    assert.equal(state.attempts.at(-1)!.phase, 'Failed');

    state.down = false;
    await clock.advance(10_000);
    assert.equal(state.accepted.get('a'), 'Failed', 'the newest status, once the server is back');
    const settled = state.attempts.length;
    await clock.advance(60_000);
    assert.equal(state.attempts.length, settled, 'nothing more to send');

    // Success reset the backoff: the next failure is retried after the initial delay again.
    state.down = true;
    m.set(ref('a'), phase('Running'));
    await clock.advance(50);
    const failedAt = state.attempts.at(-1)!.at;
    state.down = false;
    await clock.advance(200);
    assert.equal(state.attempts.at(-1)!.at - failedAt, 200);
    assert.equal(state.accepted.get('a'), 'Running');
  });

  it('keeps reporting other pods at once while one pod keeps failing', async () => {
    const clock = new FakeClock();
    const attempts: string[] = [];
    const w: StatusWriter = {
      async patchStatus(pod) {
        attempts.push(pod.name);
        if (pod.name === 'bad') throw statusError(500, 'InternalError', 'boom');
      },
    };
    const m = new StatusManager(w, { clock, batchMs: 50, retryBackoff: { jitter: 0, maxMs: 10_000 } });
    m.set(ref('bad'), phase('Running'));
    await clock.advance(30_000);
    const badTries = attempts.length;
    m.set(ref('good'), phase('Running'));
    await clock.advance(50);
    assert.equal(attempts.at(-1), 'good', 'sent with the next round, not after the backoff');
    await clock.advance(30_000);
    assert.ok(
      attempts.length - badTries - 1 <= 3,
      `the bad pod stays at the capped pace: ${attempts.join(',')}`,
    );
  });

  it('forgets a pod that is gone (404) and flushes failed writes on demand', async () => {
    const { state, clock, w } = writer();
    const m = new StatusManager(w, { clock, batchMs: 50, retryBackoff: { initialMs: 60_000, jitter: 0 } });
    state.down = true;
    m.set(ref('a'), phase('Running'));
    await clock.advance(50);
    state.down = false;
    await m.flush();
    assert.equal(state.accepted.get('a'), 'Running', 'flush does not wait for the retry delay');

    const gone = new StatusManager(
      {
        patchStatus: async () => {
          throw statusError(404, 'NotFound', 'pods "a" not found');
        },
      },
      { clock, batchMs: 50 },
    );
    gone.set(ref('a'), phase('Running'));
    const pendingBefore = clock.pending;
    await clock.advance(50);
    assert.equal(clock.pending, pendingBefore - 1, 'no retry is scheduled for a pod that is gone');
  });
});
