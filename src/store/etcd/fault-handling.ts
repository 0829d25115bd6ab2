/**
 * The etcd3 client's fault-handling policies, replaced.
 *
 * etcd3's defaults retry every failed call, writes included: a transaction whose reply was lost
 * would be sent again and then fail its own compare, reporting a conflict for a write that
 * happened. The store decides itself what is safe to retry (see `retrying` in etcd-store.ts), so
 * calls run once. With several endpoints, a host that just failed is skipped for a moment so the
 * next attempts go to the others (etcd3 tries the next host when a host's policy refuses a call).
 */
import type { IOptions } from 'etcd3';
import { errorMessage } from '../../util/error-message.js';
import { transient } from './errors.js';

export type Policy = NonNullable<NonNullable<IOptions['faultHandling']>['global']>;
type Call<T> = (context: { signal: AbortSignal }) => PromiseLike<T> | T;

const NEVER_ABORTED = new AbortController().signal;

function run<T>(fn: Call<T>): Promise<T> {
  try {
    return Promise.resolve(fn({ signal: NEVER_ABORTED }));
  } catch (err) {
    return Promise.reject(err);
  }
}

/** Runs each call exactly once. */
export const RUN_ONCE = { execute: run } as unknown as Policy;

/** Thrown instead of calling a host that failed moments ago. */
class HostSkipped extends Error {
  constructor(
    readonly host: string,
    cause: string,
  ) {
    super(`skipped etcd endpoint ${host}, which just failed (${cause})`);
    this.name = 'HostSkipped';
  }
}

/** One host's policy: after a connection-level failure, refuse calls for `coolDownMs`. */
export function hostBreaker(host: string, coolDownMs = 1_000): Policy {
  let openUntil = 0;
  let cause = '';
  return {
    execute<T>(fn: Call<T>): Promise<T> {
      if (Date.now() < openUntil) return Promise.reject(new HostSkipped(host, cause));
      return run(fn).catch((err: unknown) => {
        if (transient(err) || /DEADLINE_EXCEEDED/.test(errorMessage(err))) {
          openUntil = Date.now() + coolDownMs;
          cause = errorMessage(err);
        }
        throw err;
      });
    },
  } as unknown as Policy;
}
