import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Command } from 'commander';
import { type AgentFlags, addAgentFlags, agentConfig } from './agent.js';

/** The agent's config from command-line flags, as `shoal agent` builds it. */
function configFrom(args: string[]) {
  const cmd = addAgentFlags(new Command().exitOverride());
  cmd.parse(args, { from: 'user' });
  const flags = {
    ...cmd.opts(),
    server: 'https://127.0.0.1:6443',
    tokenFile: 't',
    dataDir: 'd',
  } as AgentFlags;
  return agentConfig(flags, () => {});
}

describe('shoal agent flags', () => {
  it("garbage-collects with kubelet's defaults", () => {
    assert.deepEqual(configFrom([]).gc, {
      imagePolicy: { highThresholdPercent: 85, lowThresholdPercent: 80, minAgeMs: 120_000 },
      imagePeriodMs: 300_000,
      containerPeriodMs: 60_000,
    });
  });

  it('takes thresholds, minimum age and periods', () => {
    const gc = configFrom([
      '--image-gc-high-threshold',
      '100',
      '--image-gc-low-threshold',
      '0',
      '--image-minimum-gc-age',
      '0',
      '--image-gc-period',
      '0.5',
      '--container-gc-period',
      '2',
    ]).gc;
    assert.deepEqual(gc, {
      imagePolicy: { highThresholdPercent: 100, lowThresholdPercent: 0, minAgeMs: 0 },
      imagePeriodMs: 500,
      containerPeriodMs: 2000,
    });
  });

  it('says which flag is wrong and why', () => {
    const fails = (args: string[], message: RegExp) => assert.throws(() => configFrom(args), message);
    fails(
      ['--image-gc-high-threshold', '101'],
      /--image-gc-high-threshold: expected a percentage 0-100, got "101"/,
    );
    fails(
      ['--image-gc-low-threshold', 'lots'],
      /--image-gc-low-threshold: expected a percentage 0-100, got "lots"/,
    );
    fails(['--image-gc-low-threshold', ''], /--image-gc-low-threshold: expected a percentage/);
    fails(
      ['--image-gc-high-threshold', '70'],
      /--image-gc-low-threshold \(80\) must be lower than --image-gc-high-threshold \(70\)/,
    );
    fails(['--image-gc-low-threshold', '85'], /must be lower than --image-gc-high-threshold \(85\)/);
    fails(['--image-minimum-gc-age', '-1'], /--image-minimum-gc-age: expected seconds ≥ 0, got "-1"/);
    fails(['--container-gc-period', '0'], /--container-gc-period: expected seconds > 0, got "0"/);
    fails(['--image-gc-period', '1m'], /--image-gc-period: expected seconds > 0, got "1m"/);
  });
});
