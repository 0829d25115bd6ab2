import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Node } from 'kubernetes-types/core/v1.js';
import type { PodNetwork } from '../runtime/driver.js';
import { FakeClock } from '../util/fake-clock.js';
import { bringUpPodNetwork } from './pod-network.js';

const NETWORK: PodNetwork = {
  name: 'shoal-n1',
  cidr: '10.42.3.0/24',
  gateway: '10.42.3.1',
  bridge: 'shl0000abcd',
};

test('waits for the podCIDR, saying so, then builds the network on it', async () => {
  const clock = new FakeClock();
  const lines: string[] = [];
  let node: Node | undefined;
  const asked: string[] = [];
  const done = bringUpPodNetwork({
    readNode: async () => node,
    driver: {
      ensurePodNetwork: async (cidr) => {
        asked.push(cidr);
        return NETWORK;
      },
    },
    clock,
    log: (l) => lines.push(l),
    signal: new AbortController().signal,
    reportEveryMs: 1_000,
  });
  await clock.advance(1_000);
  assert.deepEqual(asked, []);
  assert.match(
    lines.join('\n'),
    /waiting for a podCIDR on the Node \(1 s\): is the node IPAM controller running\?/,
  );
  node = { metadata: { name: 'n1' }, spec: { podCIDR: '10.42.3.0/24' } };
  await clock.advance(250);
  assert.deepEqual(await done, NETWORK);
  assert.deepEqual(asked, ['10.42.3.0/24']);
  assert.match(
    lines.at(-1)!,
    /pod network shoal-n1: 10\.42\.3\.0\/24 on bridge shl0000abcd, gateway 10\.42\.3\.1/,
  );
});

test('a driver without networking needs no podCIDR', async () => {
  const network = await bringUpPodNetwork({
    readNode: async () => assert.fail('must not read the Node'),
    driver: {},
    clock: new FakeClock(),
    log: () => undefined,
    signal: new AbortController().signal,
  });
  assert.equal(network, undefined);
});

test('a failing runtime is retried with the error logged; aborting stops the wait', async () => {
  const clock = new FakeClock();
  const lines: string[] = [];
  let calls = 0;
  const done = bringUpPodNetwork({
    readNode: async () => ({ metadata: { name: 'n1' }, spec: { podCIDR: '10.42.3.0/24' } }),
    driver: {
      ensurePodNetwork: async () => {
        calls++;
        if (calls === 1) throw new Error('Pool overlaps with other one on this address space');
        return NETWORK;
      },
    },
    clock,
    log: (l) => lines.push(l),
    signal: new AbortController().signal,
  });
  while (clock.pending === 0) await new Promise((r) => setImmediate(r));
  await clock.advance(2_000);
  assert.deepEqual(await done, NETWORK);
  assert.match(lines[0]!, /cannot set up the pod network for 10\.42\.3\.0\/24: Pool overlaps/);

  const stop = new AbortController();
  const waiting = bringUpPodNetwork({
    readNode: async () => undefined,
    driver: { ensurePodNetwork: async () => NETWORK },
    clock,
    log: () => undefined,
    signal: stop.signal,
  });
  stop.abort();
  await assert.rejects(waiting);
});
