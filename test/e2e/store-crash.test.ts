/**
 * Durability under kill -9: a writer process is killed in the middle of 1,000 concurrent
 * writes; after a restart every acknowledged write is present and whole, and no transaction is
 * visible in part. Repeated 20 times on one data directory.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { valueFor } from '../support/crash-values.js';

const writerScript = fileURLToPath(new URL('../support/sqlite-crash-writer.js', import.meta.url));

interface RoundResult {
  acked: { kind: 'one' | 'pair'; n: number; rev: number }[];
  finished: boolean;
}

function runAndKill(dataDir: string, round: string, killAfterAcks: number): Promise<RoundResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [writerScript, dataDir, round, '1000'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const acked: RoundResult['acked'] = [];
    let finished = false;
    let killed = false;
    const lines = readline.createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      const [word, kind, n, rev] = line.split(' ');
      if (word === 'ack') acked.push({ kind: kind as 'one' | 'pair', n: Number(n), rev: Number(rev) });
      if (word === 'all') finished = true;
      if (!killed && acked.length >= killAfterAcks) {
        killed = true;
        child.kill('SIGKILL');
      }
    });
    child.on('error', reject);
    child.on('close', () => resolve({ acked, finished }));
  });
}

it('keeps every acknowledged write and no partial transaction across 20 kill -9s', {
  timeout: 300_000,
}, async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'shoal-crash-'));
  try {
    let lastRevision = 0;
    let killedMidway = 0;
    for (let round = 0; round < 20; round++) {
      const name = `r${round}`;
      // Kill anywhere from early to late in the burst.
      const killAfter = 1 + Math.floor(((round * 37) % 20) * 49.95);
      const { acked, finished } = await runAndKill(dataDir, name, killAfter);
      if (!finished) killedMidway += 1;

      const store = await openSqliteStore({ dataDir });
      try {
        const revision = await store.currentRevision();
        assert.ok(revision >= lastRevision, `revision went back from ${lastRevision} to ${revision}`);
        for (const a of acked) {
          assert.ok(a.rev <= revision, `acknowledged revision ${a.rev} is above the store's ${revision}`);
          const keys = a.kind === 'pair' ? [`pair/${a.n}/a`, `pair/${a.n}/b`] : [`one/${a.n}`];
          for (const k of keys) {
            const kv = await store.get(`/crash/${name}/${k}`);
            assert.ok(kv, `round ${round}: acknowledged write ${k} (revision ${a.rev}) is missing`);
            assert.equal(kv.value, valueFor(name, a.n));
          }
        }
        // Whatever else made it must be whole: pairs complete, values intact.
        const pairs = await store.list(`/crash/${name}/pair/`);
        const byN = new Map<string, number>();
        for (const kv of pairs.items) {
          const n = kv.key.split('/')[4]!;
          byN.set(n, (byN.get(n) ?? 0) + 1);
          assert.equal(kv.value, valueFor(name, Number(n)));
        }
        for (const [n, c] of byN) assert.equal(c, 2, `round ${round}: transaction ${n} is visible in part`);
        for (const kv of (await store.list(`/crash/${name}/one/`)).items) {
          assert.equal(kv.value, valueFor(name, Number(kv.key.split('/')[4])));
        }
        // The store still takes writes after the crash.
        const after = await store.create(`/crash/${name}/after`, 'ok');
        assert.ok(after.modRevision > revision);
        lastRevision = after.modRevision;
      } finally {
        await store.close();
      }
    }
    assert.ok(killedMidway >= 15, `only ${killedMidway} of 20 rounds were killed mid-burst`);
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});
