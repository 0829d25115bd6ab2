/** The pod worker's periodic resync: 10 s by default, `resyncMs` when given (`shoal simulate`). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { SimulatedDriver } from '../runtime/simulated/driver.js';
import { FakeClock, settle } from '../util/fake-clock.js';
import { ALWAYS_READY_PROBES, NO_ENV, NO_VOLUMES } from './no-process-parts.js';
import { PodWorker } from './pod-worker.js';
import { RestartBackoff } from './restart-backoff.js';
import { StatusManager } from './status-manager.js';

const pod: Pod = {
  metadata: { name: 'web', namespace: 'default', uid: 'uid-1' },
  spec: { containers: [{ name: 'app', image: 'img:1' }] },
};

/** Starts a worker on a simulated runtime and returns the delays it slept for, once running. */
async function wakeDelays(resyncMs?: number): Promise<number[]> {
  const clock = new FakeClock();
  const driver = new SimulatedDriver({ nodeName: 'n1', images: ['img:1'], clock });
  const worker = new PodWorker(pod, {
    driver,
    nodeName: 'n1',
    hostIP: '192.0.2.10',
    clock,
    volumes: NO_VOLUMES,
    env: NO_ENV,
    probes: ALWAYS_READY_PROBES,
    events: { event: () => {} },
    status: new StatusManager({ patchStatus: async () => {} }, { clock }),
    backoff: new RestartBackoff(),
    imageBackoff: new RestartBackoff(),
    confirmDeleted: async () => {},
    log: () => {},
    ...(resyncMs ? { resyncMs } : {}),
  });
  worker.requestSync();
  for (let i = 0; i < 10; i++) await settle();
  assert.equal((await driver.list({ podUid: 'uid-1', running: true })).length, 2, 'sandbox and app run');
  worker.shutdown();
  return clock.sleeps;
}

describe('PodWorker resync', () => {
  it('looks again every 10 s by default', async () => {
    const sleeps = await wakeDelays();
    assert.ok(sleeps.includes(10_000), String(sleeps));
  });

  it('waits resyncMs when given', async () => {
    const sleeps = await wakeDelays(300_000);
    assert.ok(sleeps.includes(300_000), String(sleeps));
    assert.ok(!sleeps.includes(10_000), String(sleeps));
  });
});
