import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Command } from 'commander';
import { addServerFlags, controllerSettings, type ServerFlags, serverConfig } from './server-options.js';

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

describe('shoal server Service address flags', () => {
  it('default to 10.43.0.0/16 and 30000-32767, and reach the API server', () => {
    assert.deepEqual(serverConfig(parse([]), () => undefined).services, {
      serviceCidr: '10.43.0.0/16',
      nodePortRange: [30000, 32767],
    });
  });

  it('take other ranges (host bits cleared)', () => {
    const flags = parse(['--service-cidr', '10.150.3.4/16', '--service-node-port-range', '31000-31999']);
    assert.deepEqual(serverConfig(flags, () => undefined).services, {
      serviceCidr: '10.150.0.0/16',
      nodePortRange: [31000, 31999],
    });
  });

  const bad: [string[], RegExp][] = [
    [
      ['--service-cidr', '10.43.0.0'],
      /--service-cidr must be an IPv4 CIDR like 10\.42\.0\.0\/16, got "10\.43\.0\.0"/,
    ],
    [['--service-node-port-range', '32000-31000'], /--service-node-port-range must be FROM-TO/],
    [['--service-node-port-range', '0-10'], /--service-node-port-range must be FROM-TO/],
    [['--service-node-port-range', 'lots'], /got "lots"/],
  ];
  for (const [args, message] of bad) {
    it(`rejects ${args.join(' ')}`, () => {
      assert.throws(() => parse(args), message);
    });
  }
});

describe('shoal server pod network flags', () => {
  it('defaults: 10.42.0.0/16 in /24s, into the controller settings', () => {
    assert.deepEqual(controllerSettings(parse([])), {
      nodeMonitorGracePeriodSeconds: 8,
      clusterCIDR: '10.42.0.0/16',
      nodeCIDRMaskSize: 24,
    });
  });

  it('takes other values', () => {
    const s = controllerSettings(parse(['--cluster-cidr', '10.0.0.0/8', '--node-cidr-mask-size', '20']));
    assert.equal(s.clusterCIDR, '10.0.0.0/8');
    assert.equal(s.nodeCIDRMaskSize, 20);
  });

  const bad: [string[], RegExp][] = [
    [['--node-cidr-mask-size', 'x'], /--node-cidr-mask-size: expected a whole number of bits, got "x"/],
    [
      ['--cluster-cidr', '10.42.0.0'],
      /--cluster-cidr: expected an IPv4 CIDR such as 10.42.0.0\/16, got "10.42.0.0"/,
    ],
    [
      ['--cluster-cidr', '10.42.0.0/24', '--node-cidr-mask-size', '16'],
      /--node-cidr-mask-size: expected a whole number from 24/,
    ],
  ];
  for (const [args, message] of bad) {
    it(`rejects ${args.join(' ')}`, () => {
      assert.throws(() => controllerSettings(parse(args)), message);
    });
  }
});

describe('shoal server --max-requests-inflight and --max-requests-admitted', () => {
  it('default to 12 seats and 24 admitted, and reach the API server', () => {
    assert.deepEqual(serverConfig(parse([]), () => undefined).flowControl, { seats: 12, admitted: 24 });
    const flags = parse(['--max-requests-inflight', '100', '--max-requests-admitted', '200']);
    assert.deepEqual(serverConfig(flags, () => undefined).flowControl, { seats: 100, admitted: 200 });
  });

  for (const flag of ['--max-requests-inflight', '--max-requests-admitted'])
    for (const value of ['0', '2.5', 'many']) {
      it(`${flag} rejects ${value}`, () => {
        assert.throws(() => parse([flag, value]), new RegExp(`${flag}: expected a whole number, 1 or more`));
      });
    }
});
