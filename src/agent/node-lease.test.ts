import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import { errors } from '../api/errors.js';
import { FakeClock, settle } from '../util/fake-clock.js';
import { type NodeApi, NodeLease } from './node-lease.js';

/** A lease store in memory: the first get finds nothing, writes answer what was written. */
function fakeApi() {
  const writes: Array<{ verb: string; at: number }> = [];
  let clock: FakeClock | undefined;
  const api = {
    get: async () => {
      throw errors.notFound({ resource: 'leases', name: 'n1' });
    },
    create: async (_def: unknown, _ns: unknown, obj: Lease) => {
      writes.push({ verb: 'create', at: clock!.now() });
      return { ...obj, metadata: { ...obj.metadata, resourceVersion: '1' } };
    },
    update: async (_def: unknown, _ns: unknown, obj: Lease) => {
      writes.push({ verb: 'update', at: clock!.now() });
      return obj;
    },
    patch: async () => {
      throw new Error('not used');
    },
  } as unknown as NodeApi;
  return { api, writes, useClock: (c: FakeClock) => (clock = c) };
}

describe('NodeLease renewal schedule', () => {
  for (const phaseMs of [0, 3_000]) {
    it(`renews at once, then after interval + phase (${phaseMs} ms) once, then every interval`, async () => {
      const clock = new FakeClock();
      const { api, writes, useClock } = fakeApi();
      useClock(clock);
      const start = clock.now();
      const lease = new NodeLease({
        client: api,
        nodeName: 'n1',
        nodeUid: () => 'uid-1',
        clock,
        leaseDurationSeconds: 40,
        renewIntervalMs: 10_000,
        ...(phaseMs ? { phaseMs } : {}),
      });
      const stop = new AbortController();
      const running = lease.run(stop.signal);
      await settle();
      await clock.advance(35_000);
      stop.abort();
      await running;
      assert.deepEqual(
        writes.map((w) => [w.verb, w.at - start]),
        [
          ['create', 0],
          ['update', 10_000 + phaseMs],
          ['update', 20_000 + phaseMs],
          ['update', 30_000 + phaseMs],
        ],
      );
    });
  }
});
