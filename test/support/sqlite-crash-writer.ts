/**
 * Child process for the crash test: opens the SQLite store in argv[2] and starts `count`
 * concurrent writes (single keys and two-key transactions) under the round prefix argv[3],
 * printing one line per acknowledged write. The test kills it with SIGKILL mid-way.
 */
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { valueFor } from './crash-values.js';

const [dataDir, round, countArg] = process.argv.slice(2);
if (!dataDir || !round) throw new Error('usage: sqlite-crash-writer DIR ROUND [COUNT]');
const count = Number(countArg ?? 1000);

// Small batches, so that a burst spans many commits and the kill can land between or inside them.
const store = await openSqliteStore({ dataDir, maxBatch: 16 });
process.stdout.write('ready\n');
await Promise.all(
  Array.from({ length: count }, async (_, n) => {
    if (n % 3 === 0) {
      const { revision } = await store.txn([
        { op: 'create', key: `/crash/${round}/pair/${n}/a`, value: valueFor(round, n) },
        { op: 'create', key: `/crash/${round}/pair/${n}/b`, value: valueFor(round, n) },
      ]);
      process.stdout.write(`ack pair ${n} ${revision}\n`);
    } else {
      const kv = await store.create(`/crash/${round}/one/${n}`, valueFor(round, n));
      process.stdout.write(`ack one ${n} ${kv.modRevision}\n`);
    }
  }),
);
process.stdout.write('all\n');
await store.close();
