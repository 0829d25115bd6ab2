/** Messages between the SQLite store (main thread) and its writer worker. */
import type { TxnOp } from '../store.js';
import type { TxnOutcome } from './writer.js';

export type WriterRequest =
  | { type: 'batch'; id: number; txns: TxnOp[][] }
  | { type: 'compact'; id: number; revision: number }
  | { type: 'close'; id: number };

export type WriterReply =
  | { type: 'ready'; revision: number }
  | { type: 'batch'; id: number; outcomes: TxnOutcome[] }
  | { type: 'done'; id: number }
  | { type: 'failed'; id: number; message: string }
  | { type: 'log'; message: string };
