/**
 * Pod status writes, batched: workers hand over a pod's newest status as often as they like; the
 * manager keeps only the latest per pod, skips what equals the last status written, and sends the
 * rest in rounds (one merge patch of `pods/status` per changed pod per round, a few in flight), so a
 * burst of container changes costs one request per pod rather than one per change.
 *
 * A write that fails (the API server unreachable, say) is retried after a capped exponential
 * backoff, not in the next round: an outage costs a few requests per pod, not one every 50 ms.
 * A newer status for the pod replaces the one waiting and goes out with the next round.
 */
import type { PodStatus } from 'kubernetes-types/core/v1.js';
import { hasCode } from '../api/errors.js';
import { lookupKind } from '../api/resources.js';
import { Backoff, type BackoffOptions } from '../client/backoff.js';
import type { Client } from '../client/rest.js';
import { type Clock, systemClock } from '../util/clock.js';

export interface PodRef {
  namespace: string;
  name: string;
  uid: string;
}

export interface StatusManagerOptions {
  /** How long a round collects changes before it is sent (default 50 ms). */
  batchMs?: number;
  /** Requests in flight at once (default 8). */
  concurrency?: number;
  /** Delays before failed writes are tried again (default 200 ms doubling to 10 s). */
  retryBackoff?: BackoffOptions;
  clock?: Clock;
  onError?: (err: unknown, pod: PodRef) => void;
}

/** The writes the manager needs: patching a pod's status. `Client` fits through `clientWriter`. */
export interface StatusWriter {
  patchStatus(pod: PodRef, status: PodStatus): Promise<void>;
}

export function clientWriter(client: Client): StatusWriter {
  const pods = lookupKind('v1', 'Pod')!;
  return {
    async patchStatus(pod, status) {
      // The uid makes the patch fail (409) for a new pod that took the old one's name.
      await client.patch(
        pods,
        pod.namespace,
        pod.name,
        'merge',
        { metadata: { uid: pod.uid }, status },
        { subresource: 'status' },
      );
    },
  };
}

/**
 * The last word on a pod that has stopped: delete it with grace 0, as the kubelet's status
 * manager does. The uid precondition spares a new pod that took the name; 404 and 409 mean
 * the pod is already gone.
 */
export function clientDeleter(client: Client): (pod: PodRef) => Promise<void> {
  const pods = lookupKind('v1', 'Pod')!;
  return async (pod) => {
    try {
      await client.delete(pods, pod.namespace, pod.name, {
        gracePeriodSeconds: 0,
        preconditions: { uid: pod.uid },
      });
    } catch (err) {
      if (!hasCode(err, 404, 409)) throw err;
    }
  };
}

interface Entry {
  ref: PodRef;
  status: PodStatus;
  text: string;
}

export class StatusManager {
  private readonly pending = new Map<string, Entry>();
  /** Writes that failed, waiting for `retryTimer`. */
  private readonly failed = new Map<string, Entry>();
  private readonly sent = new Map<string, string>();
  private timer: { cancel(): void } | undefined;
  private retryTimer: { cancel(): void } | undefined;
  private readonly retry: Backoff;
  private flushing: Promise<void> | undefined;
  private closed = false;
  private readonly batchMs: number;
  private readonly concurrency: number;
  private readonly clock: Clock;
  /** Requests made so far (for tests and metrics). */
  writes = 0;

  constructor(
    private readonly writer: StatusWriter,
    private readonly options: StatusManagerOptions = {},
  ) {
    this.batchMs = options.batchMs ?? 50;
    this.concurrency = options.concurrency ?? 8;
    this.clock = options.clock ?? systemClock;
    this.retry = new Backoff({ initialMs: 200, maxMs: 10_000, ...options.retryBackoff });
  }

  /** The status the pod should have now. Cheap when nothing changed. */
  set(ref: PodRef, status: PodStatus): void {
    const text = JSON.stringify(status);
    this.failed.delete(ref.uid);
    if (this.sent.get(ref.uid) === text) {
      this.pending.delete(ref.uid);
      return;
    }
    this.pending.set(ref.uid, { ref, status, text });
    this.schedule();
  }

  /** Forget a pod that is gone. */
  forget(uid: string): void {
    this.pending.delete(uid);
    this.failed.delete(uid);
    this.sent.delete(uid);
  }

  /** Send everything pending now, failed writes included, and wait for it. */
  async flush(): Promise<void> {
    this.takeFailed();
    await this.send();
  }

  /** One round now with what is pending (after the one under way, if any). */
  private async send(): Promise<void> {
    this.timer?.cancel();
    this.timer = undefined;
    while (this.flushing) await this.flushing;
    if (this.pending.size === 0) return;
    this.flushing = this.round().finally(() => {
      this.flushing = undefined;
    });
    await this.flushing;
  }

  async close(): Promise<void> {
    await this.flush().catch(() => {});
    this.closed = true;
    this.timer?.cancel();
    this.retryTimer?.cancel();
  }

  private schedule(): void {
    if (this.timer || this.closed) return;
    const abort = new AbortController();
    this.timer = { cancel: () => abort.abort() };
    this.clock.sleep(this.batchMs, abort.signal).then(
      () => {
        this.timer = undefined;
        void this.send();
      },
      () => {},
    );
  }

  /** Failed writes join the pending ones (unless a newer status for the pod is there). */
  private takeFailed(): void {
    this.retryTimer?.cancel();
    this.retryTimer = undefined;
    for (const [uid, entry] of this.failed) if (!this.pending.has(uid)) this.pending.set(uid, entry);
    this.failed.clear();
  }

  /** Try the failed writes again after the backoff's next delay (one timer at a time). */
  private scheduleRetry(): void {
    if (this.retryTimer || this.closed) return;
    const abort = new AbortController();
    this.retryTimer = { cancel: () => abort.abort() };
    this.clock.sleep(this.retry.next(), abort.signal).then(
      () => {
        this.retryTimer = undefined;
        void this.flush();
      },
      () => {},
    );
  }

  private async round(): Promise<void> {
    const batch = [...this.pending.values()];
    this.pending.clear();
    let failures = 0;
    let next = 0;
    const work = async () => {
      while (next < batch.length) {
        const item = batch[next++]!;
        try {
          this.writes++;
          await this.writer.patchStatus(item.ref, item.status);
          this.sent.set(item.ref.uid, item.text);
        } catch (err) {
          if (hasCode(err, 404, 409)) {
            // The pod is gone (or was replaced): nothing to report any more.
            this.sent.delete(item.ref.uid);
            continue;
          }
          this.options.onError?.(err, item.ref);
          failures++;
          // Try again after the backoff unless something newer arrived meanwhile.
          if (!this.pending.has(item.ref.uid)) this.failed.set(item.ref.uid, item);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, batch.length) }, work));
    if (failures > 0) this.scheduleRetry();
    else if (this.failed.size === 0) this.retry.reset();
    if (this.pending.size > 0) this.schedule();
  }
}
