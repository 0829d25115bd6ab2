import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { InvalidArgumentError } from 'commander';
import { integerIn, namePrefix, positiveQuantity, simulateConfig } from './simulate.js';

const MAIN = fileURLToPath(new URL('../main.js', import.meta.url));

function shoal(args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [MAIN, ...args], { timeout: 30_000 }, (err, _stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stderr });
    });
  });
}

describe('shoal simulate flags', () => {
  it('reads whole numbers within bounds', () => {
    const nodes = integerIn(1, 100);
    assert.equal(nodes('42'), 42);
    for (const bad of ['0', '101', '1.5', 'ten', '', ' '])
      assert.throws(() => nodes(bad), InvalidArgumentError, JSON.stringify(bad));
    assert.throws(() => nodes('0'), /expected a whole number from 1 to 100/);
  });

  it('reads positive quantities in base units', () => {
    assert.equal(positiveQuantity('32'), 32);
    assert.equal(positiveQuantity('500m'), 0.5);
    assert.equal(positiveQuantity('256Gi'), 256 * 2 ** 30);
    for (const bad of ['0', '-1', '12Qi', 'lots'])
      assert.throws(() => positiveQuantity(bad), /expected a positive quantity/, bad);
  });

  it('accepts only prefixes that make valid node names', () => {
    assert.equal(namePrefix('sim-'), 'sim-');
    assert.equal(namePrefix('rack1.node'), 'rack1.node');
    for (const bad of ['Sim-', 'sim_', '-sim', 'x'.repeat(250)])
      assert.throws(() => namePrefix(bad), /node names <prefix>NNNN would be invalid/, bad);
  });

  it('turns flags into the simulator config, resolving ~ and relative paths', () => {
    const config = simulateConfig(
      {
        server: 'https://127.0.0.1:6443',
        tokenFile: '~/node-token',
        dataDir: 'state',
        nodes: 5,
        cpu: 8,
        memory: 2 ** 30,
        pods: 20,
        namePrefix: 'sim-',
        zones: 2,
        startDelay: 10,
      },
      () => {},
    );
    assert.equal(config.tokenFile, join(process.env.HOME ?? '', 'node-token'));
    assert.equal(config.dataDir, join(process.cwd(), 'state'));
    assert.deepEqual(
      [config.nodes, config.cpus, config.memoryBytes, config.maxPods, config.zones, config.startDelayMs],
      [5, 8, 2 ** 30, 20, 2, 10],
    );
  });

  it('names the bad flag and exits 1', async () => {
    const base = ['simulate', '--server', 'https://127.0.0.1:1', '--token-file', '/nonexistent'];
    const zero = await shoal([...base, '--nodes', '0']);
    assert.equal(zero.code, 1);
    assert.match(zero.stderr, /option '--nodes <n>' argument '0' is invalid\. expected a whole number/);
    const missing = await shoal(base);
    assert.match(missing.stderr, /required option '--nodes <n>' not specified/);
  });

  it('reports a join failure in one line, without a stack trace', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'shoal-simulate-cli-'));
    try {
      await writeFile(join(dir, 'token'), 'not a token\n');
      const r = await shoal([
        'simulate',
        '--server',
        'https://127.0.0.1:1',
        '--token-file',
        join(dir, 'token'),
        '--nodes',
        '2',
        '--data-dir',
        join(dir, 'data'),
      ]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /^shoal simulate: error: the join token file .*token holds a /m);
      assert.doesNotMatch(r.stderr, /\n\s+at /);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
