import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Command } from 'commander';
import { addServerFlags, type ServerFlags, serverConfig } from './server-options.js';

function parse(args: string[]): ServerFlags {
  const cmd = addServerFlags(new Command('server'))
    .exitOverride()
    .configureOutput({ writeErr: () => undefined });
  cmd.parse(args, { from: 'user' });
  return cmd.opts<ServerFlags>();
}

describe('shoal server node-loss flags', () => {
  it("defaults: 8 s grace, 2 s tolerations, passed on to the API server's admission", () => {
    const flags = parse([]);
    assert.equal(flags.nodeMonitorGracePeriod, 8);
    assert.deepEqual(serverConfig(flags, () => undefined).defaultTolerationSeconds, {
      notReady: 2,
      unreachable: 2,
    });
  });

  it('takes other values', () => {
    const flags = parse([
      '--node-monitor-grace-period',
      '40',
      '--default-not-ready-toleration-seconds',
      '300',
      '--default-unreachable-toleration-seconds',
      '0',
    ]);
    assert.equal(flags.nodeMonitorGracePeriod, 40);
    assert.deepEqual(serverConfig(flags, () => undefined).defaultTolerationSeconds, {
      notReady: 300,
      unreachable: 0,
    });
  });

  const bad: [string[], RegExp][] = [
    [
      ['--node-monitor-grace-period', '0'],
      /--node-monitor-grace-period: expected a number of seconds above 0, got "0"/,
    ],
    [['--node-monitor-grace-period', 'soon'], /expected a number of seconds above 0, got "soon"/],
    [
      ['--default-unreachable-toleration-seconds', '1.5'],
      /--default-unreachable-toleration-seconds: expected whole seconds, 0 or more, got "1.5"/,
    ],
    [['--default-not-ready-toleration-seconds', '-1'], /expected whole seconds, 0 or more, got "-1"/],
  ];
  for (const [args, message] of bad) {
    it(`rejects ${args.join(' ')}`, () => {
      assert.throws(() => parse(args), message);
    });
  }
});
