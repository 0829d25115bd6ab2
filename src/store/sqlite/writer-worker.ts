/**
 * Worker-thread entry of the SQLite writer: owns the only writable connection, applies batches
 * in arrival order, and sweeps compacted history in small steps between batches.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { configure, migrate } from './schema.js';
import { Writer } from './writer.js';
import type { WriterReply, WriterRequest } from './writer-protocol.js';

const { path } = workerData as { path: string };
const port = parentPort!;

const db = new Database(path);
configure(db, 'writer');
migrate(db);
const writer = new Writer(db);
let sweeping = false;
let closed = false;

function send(reply: WriterReply): void {
  port.postMessage(reply);
}

function sweepStep(): void {
  if (closed) return;
  try {
    sweeping = writer.sweep();
  } catch (err) {
    sweeping = false;
    send({ type: 'log', message: `compaction sweep failed: ${String(err)}` });
  }
  if (sweeping) setImmediate(sweepStep);
}

port.on('message', (req: WriterRequest) => {
  switch (req.type) {
    case 'batch': {
      try {
        send({ type: 'batch', id: req.id, outcomes: writer.applyBatch(req.txns) });
      } catch (err) {
        send({ type: 'failed', id: req.id, message: String(err) });
      }
      return;
    }
    case 'compact': {
      try {
        writer.compact(req.revision);
        send({ type: 'done', id: req.id });
      } catch (err) {
        send({ type: 'failed', id: req.id, message: String(err instanceof Error ? err.message : err) });
        return;
      }
      if (!sweeping) {
        sweeping = true;
        setImmediate(sweepStep);
      }
      return;
    }
    case 'close': {
      closed = true;
      db.close();
      send({ type: 'done', id: req.id });
      port.close();
      return;
    }
  }
});

// Resume a sweep a crash interrupted.
sweeping = true;
setImmediate(sweepStep);
send({ type: 'ready', revision: writer.currentRevision });
