import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CommandResult } from '../host-command.js';
import { podAddressRanges } from './addresses.js';
import { PodInterfaces } from './interfaces.js';

function interfaces(cidr = '10.42.0.0/24', hostEnds = new Set<string>()) {
  const commands: string[] = [];
  const run = async (command: string, args: readonly string[], input?: string): Promise<CommandResult> => {
    commands.push([command, ...args, ...(input ? [JSON.stringify(input)] : [])].join(' '));
    return { code: 0, stdout: '', stderr: '' };
  };
  return {
    commands,
    pods: new PodInterfaces(podAddressRanges(cidr), 'shlbridge', run, (n) => hostEnds.has(n)),
  };
}

describe('PodInterfaces', () => {
  it('gives a new sandbox the next address, plumbs it by its id, and frees the address with it', async () => {
    const { commands, pods } = interfaces();
    const made = await pods.assign(async (address) => ({ id: 'aaaabbbbccccdddd', address }));
    assert.equal(made.address, '10.42.0.2');
    await pods.attach('aaaabbbbccccdddd', 77);
    assert.match(commands[0]!, /^ip link add shvaaaabbbbcccc master shlbridge up .* netns 77$/);
    assert.match(commands[1]!, /10\.42\.0\.2\/24 dev eth0.*default via 10\.42\.0\.1/);
    pods.release('aaaabbbbccccdddd');
    // Round-robin: the next sandbox gets .3; .2 comes back only after the others.
    assert.equal((await pods.assign(async (address) => ({ id: 'b', address }))).address, '10.42.0.3');
  });

  it('takes the address back when the creation fails', async () => {
    // A /28 holds 10 addresses of the agent's: all 10 are still there after a failed creation.
    const { pods } = interfaces('10.42.0.0/28');
    await assert.rejects(
      pods.assign(async () => {
        throw new Error('engine said no');
      }),
      /engine said no/,
    );
    for (let i = 0; i < 10; i++) await pods.assign(async (address) => ({ id: `s${i}`, address }));
  });

  it('adopts running sandboxes by their addresses, and plumbs nothing it does not hold', async () => {
    const { commands, pods } = interfaces('10.42.0.0/28');
    pods.adopt('old', '10.42.0.2');
    pods.adopt('docker-one', '10.42.0.13'); // the engine's quarter of the /28
    assert.equal((await pods.assign(async (address) => ({ id: 'new', address }))).address, '10.42.0.3');
    await pods.attach('docker-one', 5);
    pods.release('docker-one');
    assert.deepEqual(commands, []);
    // .2 (adopted) and .3 are held: 8 addresses are left, not 9.
    for (let i = 0; i < 8; i++) await pods.assign(async (address) => ({ id: `s${i}`, address }));
    await assert.rejects(
      pods.assign(async (address) => ({ id: 'one-too-many', address })),
      /no free pod address left/,
    );
  });

  it('finds an adopted sandbox whose interface is gone, and only such a one', () => {
    const { pods } = interfaces('10.42.0.0/24', new Set(['shvplumbed']));
    pods.adopt('plumbed', '10.42.0.2');
    pods.adopt('unplumbed', '10.42.0.3');
    assert.equal(pods.unplumbed('plumbed'), false);
    assert.equal(pods.unplumbed('unplumbed'), true);
    // Not one of this pool's (Docker's own, or unknown): not ours to plumb.
    assert.equal(pods.unplumbed('stranger'), false);
  });
});
