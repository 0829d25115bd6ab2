/**
 * Key ranges, continue tokens and argument checks shared by every store backend, so that both
 * backends reject the same input with the same error.
 */
import { MAX_VALUE_BYTES, StoreError, type TxnOp } from './store.js';

/** The smallest string greater than every string that starts with `prefix` ('' = no bound). */
export function prefixEnd(prefix: string): string {
  for (let i = prefix.length - 1; i >= 0; i--) {
    const code = prefix.charCodeAt(i);
    if (code < 0xffff) return prefix.slice(0, i) + String.fromCharCode(code + 1);
  }
  return '';
}

export function checkKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0) {
    throw new StoreError('InvalidArgument', 'key must be a non-empty string');
  }
}

function checkValue(key: string, value: string): void {
  if (typeof value !== 'string') {
    throw new StoreError('InvalidArgument', `value for ${key} must be a string`, key);
  }
  // Cheap upper bound first: a UTF-16 string of n units is at most 3n UTF-8 bytes.
  if (value.length * 3 > MAX_VALUE_BYTES) {
    const bytes = Buffer.byteLength(value, 'utf8');
    if (bytes > MAX_VALUE_BYTES) {
      throw new StoreError(
        'TooLarge',
        `value for ${key} is ${bytes} bytes; the store accepts at most ${MAX_VALUE_BYTES} bytes (1.5 MiB)`,
        key,
      );
    }
  }
}

export function checkRevision(what: string, revision: number): void {
  if (!Number.isSafeInteger(revision) || revision < 0) {
    throw new StoreError('InvalidArgument', `${what} must be a non-negative integer, got ${revision}`);
  }
}

/** Validate a transaction before it reaches a backend: keys, sizes, revisions, no repeated key. */
export function checkTxn(ops: TxnOp[]): void {
  if (!Array.isArray(ops) || ops.length === 0) {
    throw new StoreError('InvalidArgument', 'a transaction needs at least one operation');
  }
  if (ops.length > 128) {
    throw new StoreError(
      'InvalidArgument',
      `a transaction may hold at most 128 operations, got ${ops.length}`,
    );
  }
  const seen = new Set<string>();
  for (const op of ops) {
    checkKey(op.key);
    if (seen.has(op.key)) {
      throw new StoreError('InvalidArgument', `key ${op.key} appears twice in one transaction`, op.key);
    }
    seen.add(op.key);
    switch (op.op) {
      case 'create':
        checkValue(op.key, op.value);
        break;
      case 'update':
        checkValue(op.key, op.value);
        checkRevision('modRevision', op.modRevision);
        break;
      case 'delete':
        if (op.modRevision !== undefined) checkRevision('modRevision', op.modRevision);
        break;
      case 'check':
        checkRevision('modRevision', op.modRevision);
        break;
      default:
        throw new StoreError('InvalidArgument', `unknown transaction operation ${(op as { op: string }).op}`);
    }
  }
}

/** The failure of a precondition, worded the same way by every backend. */
export function preconditionError(op: TxnOp, actualModRevision: number): StoreError {
  if (op.op === 'create') {
    return new StoreError('AlreadyExists', `key ${op.key} already exists`, op.key);
  }
  if (actualModRevision === 0 && !(op.op === 'check' && op.modRevision === 0)) {
    return new StoreError('NotFound', `key ${op.key} not found`, op.key);
  }
  const expected = op.op === 'delete' || op.op === 'update' || op.op === 'check' ? op.modRevision : undefined;
  return new StoreError(
    'Conflict',
    `key ${op.key} was modified (expected revision ${expected}, found ${actualModRevision})`,
    op.key,
  );
}

/** Whether `op` may proceed given the key's current modRevision (0 = absent). */
export function preconditionHolds(op: TxnOp, actualModRevision: number): boolean {
  switch (op.op) {
    case 'create':
      return actualModRevision === 0;
    case 'update':
      return actualModRevision !== 0 && actualModRevision === op.modRevision;
    case 'delete':
      return (
        actualModRevision !== 0 && (op.modRevision === undefined || op.modRevision === actualModRevision)
      );
    case 'check':
      return actualModRevision === op.modRevision;
  }
}

interface ContinueToken {
  /** Revision the listing is pinned to. */
  rev: number;
  /** Last key returned; the next page starts after it. */
  key: string;
  /** The prefix listed, so a token cannot be replayed against another range. */
  prefix: string;
}

export function encodeContinue(token: ContinueToken): string {
  return Buffer.from(JSON.stringify(token), 'utf8').toString('base64url');
}

function decodeContinue(prefix: string, raw: string): ContinueToken {
  let token: unknown;
  try {
    token = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    throw new StoreError('InvalidArgument', 'continue token is malformed');
  }
  const t = token as Partial<ContinueToken> | null;
  if (
    !t ||
    typeof t !== 'object' ||
    typeof t.key !== 'string' ||
    typeof t.prefix !== 'string' ||
    !Number.isSafeInteger(t.rev) ||
    (t.rev as number) <= 0
  ) {
    throw new StoreError('InvalidArgument', 'continue token is malformed');
  }
  if (t.prefix !== prefix || !t.key.startsWith(prefix)) {
    throw new StoreError('InvalidArgument', 'continue token was issued for a different listing');
  }
  return t as ContinueToken;
}

/** Resolve list options into a start key (exclusive), a revision (0 = newest) and a limit. */
export function listPlan(
  prefix: string,
  options: { limit?: number; continue?: string; revision?: number } = {},
): { after: string | undefined; revision: number; limit: number } {
  const limit = options.limit ?? 0;
  if (!Number.isSafeInteger(limit) || limit < 0) {
    throw new StoreError('InvalidArgument', `limit must be a non-negative integer, got ${options.limit}`);
  }
  if (options.continue) {
    const token = decodeContinue(prefix, options.continue);
    return { after: token.key, revision: token.rev, limit };
  }
  const revision = options.revision ?? 0;
  checkRevision('revision', revision);
  return { after: undefined, revision, limit };
}
