/**
 * etcd and gRPC failures as `StoreError`s. etcd reports its own conditions as gRPC statuses whose
 * message carries a stable `etcdserver: ...`/`mvcc: ...` text; those are matched by message, and
 * everything else about reaching etcd becomes `Unavailable`, naming the endpoints.
 */
import { ClientClosedError } from 'etcd3';
import { errorMessage } from '../../util/error-message.js';
import { StoreError } from '../store.js';

const COMPACTED = 'required revision has been compacted';
const FUTURE_REVISION = 'required revision is a future revision';

export function isCompactedError(err: unknown): boolean {
  return errorMessage(err).includes(COMPACTED);
}

export function isFutureRevisionError(err: unknown): boolean {
  return errorMessage(err).includes(FUTURE_REVISION);
}

/**
 * Whether `err` proves the request never reached etcd (so even a write may be retried), as opposed
 * to a connection that broke while the request may already have been applied.
 */
export function neverSent(err: unknown): boolean {
  const message = errorMessage(err);
  return /No connection established|ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|failed to connect|skipped etcd endpoint/i.test(
    message,
  );
}

/** Whether retrying a read after `err` may help. */
export function transient(err: unknown): boolean {
  const message = errorMessage(err);
  return (
    neverSent(err) ||
    /UNAVAILABLE|leader changed|no leader|Connection dropped|Stream removed|ECONNRESET/i.test(message)
  );
}

export class ErrorMapper {
  constructor(private readonly endpoints: string[]) {}

  /** `err` as a StoreError; `what` names the operation for the message. */
  map(err: unknown, what: string): StoreError {
    if (err instanceof StoreError) return err;
    if (err instanceof ClientClosedError) return new StoreError('Closed', 'store is closed');
    const message = errorMessage(err);
    if (message.includes(COMPACTED)) {
      return new StoreError('Expired', `${what}: the requested revision has been compacted`);
    }
    if (message.includes(FUTURE_REVISION)) {
      return new StoreError('InvalidArgument', `${what}: the requested revision is newer than the store's`);
    }
    if (message.includes('request is too large')) {
      return new StoreError(
        'TooLarge',
        `${what}: the request is larger than etcd accepts (raise etcd's --max-request-bytes to at least 2 MiB so 1.5 MiB values fit)`,
      );
    }
    if (message.includes('too many operations in txn request')) {
      return new StoreError('InvalidArgument', `${what}: too many operations for etcd's --max-txn-ops`);
    }
    if (message.includes('database space exceeded')) {
      return new StoreError(
        'Unavailable',
        `${what}: etcd at ${this.endpoints.join(', ')} is out of space (NOSPACE alarm); compact, defragment and disarm it`,
      );
    }
    return new StoreError(
      'Unavailable',
      `${what}: etcd at ${this.endpoints.join(', ')} is unavailable: ${message}`,
    );
  }
}
