import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CommandResult } from '../host-command.js';
import { IptablesApplier } from './applier.js';
import { computeRules, type ProxyOptions } from './rules.js';

const P = 'SHL-abc123';
const OPTIONS: ProxyOptions = {
  chainPrefix: P,
  clusterCIDR: '10.42.0.0/16',
  podCIDR: '10.42.1.0/24',
  hostAddresses: [],
  localhostNodePorts: true,
};

interface Call {
  command: string;
  args: string[];
  input?: string;
}

/** Records commands; answers iptables-save from `saved`, -C with `present`, the rest with `fail`. */
function fakeRunner(
  opts: {
    saved?: Record<string, string>;
    present?: (args: string[]) => boolean;
    fail?: (c: Call) => CommandResult | undefined;
  } = {},
) {
  const calls: Call[] = [];
  const run = async (command: string, args: readonly string[], input?: string): Promise<CommandResult> => {
    const call = { command, args: [...args], ...(input !== undefined ? { input } : {}) };
    calls.push(call);
    const failed = opts.fail?.(call);
    if (failed) return failed;
    if (command === 'iptables-save') return { code: 0, stdout: opts.saved?.[args[1]!] ?? '', stderr: '' };
    if (command === 'iptables' && args.includes('-C'))
      return opts.present?.(call.args)
        ? { code: 0, stdout: '', stderr: '' }
        : { code: 1, stdout: '', stderr: 'Bad rule' };
    return { code: 0, stdout: '', stderr: '' };
  };
  return { calls, run };
}

const natSaved = [
  '*nat',
  ':PREROUTING ACCEPT [0:0]',
  ':DOCKER - [0:0]',
  `:${P}-SERVICES - [0:0]`,
  `:${P}-SVC-OLDOLDOLDOLD - [0:0]`,
  ':SHL-ffffff-SERVICES - [0:0]',
  `-A PREROUTING -m comment --comment "shoal service proxy ${P}" -j ${P}-SERVICES`,
  '-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER',
  '-A PREROUTING -j SHL-ffffff-SERVICES',
  `-A ${P}-SERVICES -d 10.43.0.1/32 -j ${P}-SVC-OLDOLDOLDOLD`,
  'COMMIT',
].join('\n');

describe('IptablesApplier.apply', () => {
  it('sets sysctls, restores once with stale chains deleted, then inserts missing jumps at the top', async () => {
    const fake = fakeRunner({
      saved: { nat: natSaved },
      present: (args) => args.includes('PREROUTING'),
    });
    const rules = computeRules([], [], OPTIONS);
    await new IptablesApplier(P, fake.run).apply(rules);

    assert.deepEqual(fake.calls[0], {
      command: 'sysctl',
      args: ['-w', 'net.ipv4.conf.all.route_localnet=1'],
    });
    const restores = fake.calls.filter((c) => c.command === 'iptables-restore');
    assert.equal(restores.length, 1);
    assert.deepEqual(restores[0]!.args, ['--noflush', '-w']);
    const input = restores[0]!.input!;
    assert.ok(input.includes(`:${P}-SVC-OLDOLDOLDOLD - [0:0]\n`), 'the stale chain is flushed');
    assert.ok(input.includes(`-X ${P}-SVC-OLDOLDOLDOLD\n`), 'and deleted');
    assert.ok(!input.includes('SHL-ffffff'), "another agent's chains are not touched");
    assert.ok(!input.includes(`-X ${P}-SERVICES`), 'current chains stay');

    const inserts = fake.calls.filter((c) => c.args.includes('-I'));
    assert.deepEqual(
      inserts.map((c) => c.args.slice(0, 6).join(' ')),
      [
        '-w -t nat -I OUTPUT 1',
        '-w -t nat -I POSTROUTING 1',
        '-w -t filter -I INPUT 1',
        '-w -t filter -I FORWARD 1',
        '-w -t filter -I OUTPUT 1',
      ],
      'PREROUTING already had its jump',
    );
    const restoreAt = fake.calls.indexOf(restores[0]!);
    assert.ok(
      fake.calls.findIndex((c) => c.args.includes('-C')) > restoreAt,
      'jumps after their chains exist',
    );
  });

  it('reports the iptables error with the line it failed on', async () => {
    const fake = fakeRunner({
      fail: (c) =>
        c.command === 'iptables-restore'
          ? { code: 1, stdout: '', stderr: 'iptables-restore: line 3 failed\n' }
          : undefined,
    });
    await assert.rejects(
      new IptablesApplier(P, fake.run).apply(computeRules([], [], OPTIONS)),
      new RegExp(
        `iptables-restore failed \\(exit 1\\): iptables-restore: line 3 failed; the line: :${P}-OUTPUT - \\[0:0\\]`,
      ),
    );
  });

  it('fails on a sysctl it cannot set, saying which', async () => {
    const fake = fakeRunner({
      fail: (c) =>
        c.command === 'sysctl' ? { code: 255, stdout: '', stderr: 'permission denied' } : undefined,
    });
    await assert.rejects(
      new IptablesApplier(P, fake.run).apply(computeRules([], [], OPTIONS)),
      /sysctl -w net.ipv4.conf.all.route_localnet=1 failed \(exit 255\): permission denied/,
    );
  });
});

describe('IptablesApplier.cleanup', () => {
  it('deletes the jumps into our chains, then flushes and deletes our chains, in one restore', async () => {
    const fake = fakeRunner({ saved: { nat: natSaved, filter: '*filter\n:INPUT ACCEPT [0:0]\nCOMMIT' } });
    await new IptablesApplier(P, fake.run).cleanup();
    const restores = fake.calls.filter((c) => c.command === 'iptables-restore');
    assert.equal(restores.length, 1);
    assert.equal(
      restores[0]!.input,
      [
        '*filter',
        'COMMIT',
        '*nat',
        `-D PREROUTING -m comment --comment "shoal service proxy ${P}" -j ${P}-SERVICES`,
        `:${P}-SERVICES - [0:0]`,
        `:${P}-SVC-OLDOLDOLDOLD - [0:0]`,
        `-X ${P}-SERVICES`,
        `-X ${P}-SVC-OLDOLDOLDOLD`,
        'COMMIT',
        '',
      ].join('\n'),
    );
  });
});
