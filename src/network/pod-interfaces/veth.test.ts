import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CommandResult } from '../host-command.js';
import { attachPodInterface, hostInterfaceName, type PodInterface } from './veth.js';

interface Call {
  command: string;
  args: readonly string[];
  input?: string | undefined;
}

function recorder(fail?: (c: Call) => CommandResult | undefined) {
  const calls: Call[] = [];
  const run = async (command: string, args: readonly string[], input?: string): Promise<CommandResult> => {
    const call = { command, args, input };
    calls.push(call);
    return fail?.(call) ?? { code: 0, stdout: '', stderr: '' };
  };
  return { calls, run };
}

const iface: PodInterface = {
  pid: 4242,
  address: '10.42.0.7',
  prefixBits: 24,
  gateway: '10.42.0.1',
  bridge: 'shl0011aabb',
  hostInterface: hostInterfaceName('0123456789abcdef0123'),
};

describe('attachPodInterface', () => {
  it('makes the veth on the bridge with eth0 in the pod, then addresses and routes it inside', async () => {
    const { calls, run } = recorder();
    await attachPodInterface(run, iface);
    assert.equal(iface.hostInterface, 'shv0123456789ab');
    assert.deepEqual(calls, [
      {
        command: 'ip',
        args: 'link add shv0123456789ab master shl0011aabb up type veth peer name eth0 netns 4242'.split(' '),
        input: undefined,
      },
      {
        command: 'nsenter',
        args: ['--net=/proc/4242/ns/net', 'ip', '-batch', '-'],
        input: 'addr add 10.42.0.7/24 dev eth0\nlink set eth0 up\nroute add default via 10.42.0.1\n',
      },
    ]);
  });

  it('removes the host end when the inside fails, and says what failed', async () => {
    const { calls, run } = recorder((c) =>
      c.command === 'nsenter'
        ? { code: 2, stdout: '', stderr: 'RTNETLINK answers: File exists\n' }
        : undefined,
    );
    await assert.rejects(
      attachPodInterface(run, iface),
      /pod interface 10\.42\.0\.7 \(shv0123456789ab\): nsenter exited with 2: RTNETLINK answers: File exists/,
    );
    assert.deepEqual(calls.at(-1), {
      command: 'ip',
      args: ['link', 'del', 'shv0123456789ab'],
      input: undefined,
    });
  });

  it('stops at a failed link, leaving nothing to undo', async () => {
    const { calls, run } = recorder(() => ({
      code: 1,
      stdout: '',
      stderr: 'Cannot find device "shl0011aabb"',
    }));
    await assert.rejects(attachPodInterface(run, iface), /ip exited with 1: Cannot find device/);
    assert.equal(calls.length, 1);
  });

  it('refuses a sandbox without a process', async () => {
    const { calls, run } = recorder();
    await assert.rejects(attachPodInterface(run, { ...iface, pid: 0 }), /no process to join \(pid 0\)/);
    assert.equal(calls.length, 0);
  });
});
