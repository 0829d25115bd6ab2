/**
 * The scheduling queue, shaped as Kubernetes' (pkg/scheduler/internal/queue):
 *
 *   add ──▶ activeQ (priority desc, then oldest first) ──pop──▶ scheduling cycle
 *             ▲   ▲                                              │ no node fits
 *             │   └── backoffQ (1 s doubling to 10 s per attempt)◀┤ error / failed binding
 *             │          ▲                                       │
 *             │          │ event while still backing off         ▼
 *             └──────────┴──── unschedulable pods ◀──────────────┘
 *                 a cluster event that could help one of the plugins that rejected the pod
 *                 (node added or changed, pod deleted, ...) or 5 minutes parked
 *
 * Updates to a queued pod replace it where it is; a parked pod whose spec or labels changed is
 * retried (the change may be what it needed). Time comes from the injected clock.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import { keyOf } from '../client/informer.js';
import { type Clock, systemClock } from '../util/clock.js';
import { type ClusterEvent, labelsChanged } from './cluster-events.js';
import { PodInfo } from './framework/node-info.js';
import { Heap } from './heap.js';

export interface QueuedPod {
  /** "namespace/name". */
  readonly key: string;
  pod: Pod;
  info: PodInfo;
  /** When it entered the queue, or last failed: orders pods of equal priority. */
  timestamp: number;
  /** Scheduling attempts so far (popped this many times). */
  attempts: number;
  /** When the last attempt failed; backoff counts from here. */
  failedAt: number;
  /** The plugins that rejected it last time; empty when none did (an error). */
  unschedulablePlugins: readonly string[];
}

export interface QueueOptions {
  clock?: Clock;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** A parked pod is retried after this long even if no event helped (default 5 minutes). */
  maxUnschedulableMs?: number;
  /** The plugins whose rejections `event` could undo (default: every plugin). */
  pluginsFor?: (event: ClusterEvent) => readonly string[] | 'all';
}

type Where = 'active' | 'backoff' | 'unschedulable';

/** Pods parked without a rejecting plugin are woken by any event. */
const ANY = '';

export class SchedulingQueue {
  private readonly clock: Clock;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly maxUnschedulableMs: number;
  private readonly pluginsFor: (event: ClusterEvent) => readonly string[] | 'all';
  private readonly active = new Heap<QueuedPod>(
    (a, b) =>
      a.info.priority > b.info.priority || (a.info.priority === b.info.priority && a.timestamp < b.timestamp),
  );
  private readonly backoff = new Heap<QueuedPod>((a, b) => this.backoffExpiry(a) < this.backoffExpiry(b));
  /** Parked pods in the order they were parked (oldest first), for the 5-minute flush. */
  private readonly unschedulable = new Map<string, QueuedPod>();
  private readonly byPlugin = new Map<string, Set<QueuedPod>>();
  private readonly where = new Map<string, { qp: QueuedPod; where: Where }>();
  private wake: (() => void) | undefined;

  constructor(options: QueueOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.initialBackoffMs = options.initialBackoffMs ?? 1000;
    this.maxBackoffMs = options.maxBackoffMs ?? 10_000;
    this.maxUnschedulableMs = options.maxUnschedulableMs ?? 5 * 60_000;
    this.pluginsFor = options.pluginsFor ?? (() => 'all');
  }

  // ---- informer side ---------------------------------------------------------------------------

  /** A new pod to schedule (or a changed one: see `update`). */
  add(pod: Pod): void {
    const key = keyOf(pod);
    if (this.where.has(key)) {
      this.update(pod);
      return;
    }
    const now = this.clock.now();
    const qp: QueuedPod = {
      key,
      pod,
      info: new PodInfo(pod),
      timestamp: now,
      attempts: 0,
      failedAt: now,
      unschedulablePlugins: [],
    };
    this.toActive(qp);
  }

  /** A queued pod changed: replace it where it is; a parked pod whose spec or labels changed is retried. */
  update(pod: Pod): void {
    const entry = this.where.get(keyOf(pod));
    if (!entry) {
      this.add(pod);
      return;
    }
    const { qp } = entry;
    const changed = schedulingInputsChanged(qp.pod, pod);
    qp.pod = pod;
    qp.info = new PodInfo(pod);
    if (entry.where === 'unschedulable' && changed) this.unpark(qp);
  }

  delete(pod: Pod): void {
    const entry = this.where.get(keyOf(pod));
    if (!entry) return;
    this.detach(entry.qp, entry.where);
  }

  has(key: string): boolean {
    return this.where.has(key);
  }

  // ---- scheduler side --------------------------------------------------------------------------

  /** The next pod to schedule, or undefined when none is ready now. */
  tryPop(): QueuedPod | undefined {
    this.flush();
    const qp = this.active.pop();
    if (!qp) return undefined;
    this.where.delete(qp.key);
    qp.attempts++;
    return qp;
  }

  /** The next pod to schedule, waiting for one; undefined once `signal` aborts. */
  async pop(signal: AbortSignal): Promise<QueuedPod | undefined> {
    while (!signal.aborted) {
      const qp = this.tryPop();
      if (qp) return qp;
      await this.waitUntil(this.nextDeadline(), signal);
    }
    return undefined;
  }

  /** No node fits: park the pod until an event could help one of `plugins` (or 5 minutes pass). */
  requeueUnschedulable(qp: QueuedPod, plugins: readonly string[]): void {
    if (this.where.has(qp.key)) return; // re-added by an update meanwhile: that copy is newer
    const now = this.clock.now();
    qp.failedAt = now;
    qp.timestamp = now;
    qp.unschedulablePlugins = plugins;
    this.where.set(qp.key, { qp, where: 'unschedulable' });
    this.unschedulable.set(qp.key, qp);
    for (const p of plugins.length > 0 ? plugins : [ANY]) {
      let set = this.byPlugin.get(p);
      if (!set) {
        set = new Set();
        this.byPlugin.set(p, set);
      }
      set.add(qp);
    }
  }

  /** An error or a failed binding: retry after the pod's backoff. */
  requeueBackoff(qp: QueuedPod): void {
    if (this.where.has(qp.key)) return;
    const now = this.clock.now();
    qp.failedAt = now;
    qp.timestamp = now;
    qp.unschedulablePlugins = [];
    this.toBackoff(qp);
  }

  /** A cluster change: retry the parked pods it could help. */
  onEvent(event: ClusterEvent): void {
    if (this.unschedulable.size === 0) return;
    const plugins = this.pluginsFor(event);
    if (plugins === 'all') {
      for (const qp of [...this.unschedulable.values()]) this.unpark(qp);
      return;
    }
    for (const p of [...plugins, ANY]) {
      const set = this.byPlugin.get(p);
      if (set) for (const qp of [...set]) this.unpark(qp);
    }
  }

  /** Counts per sub-queue (tests, metrics). */
  stats(): { active: number; backoff: number; unschedulable: number } {
    return { active: this.active.size, backoff: this.backoff.size, unschedulable: this.unschedulable.size };
  }

  /** How long a pod that failed `attempts` times waits: 1 s doubling, at most 10 s. */
  backoffMs(attempts: number): number {
    let d = this.initialBackoffMs;
    for (let i = 1; i < attempts; i++) {
      d *= 2;
      if (d >= this.maxBackoffMs) return this.maxBackoffMs;
    }
    return Math.min(d, this.maxBackoffMs);
  }

  // ---- plumbing --------------------------------------------------------------------------------

  private backoffExpiry(qp: QueuedPod): number {
    return qp.failedAt + this.backoffMs(qp.attempts);
  }

  /** Backoff done → activeQ; parked 5 minutes → activeQ (or backoffQ). */
  private flush(): void {
    const now = this.clock.now();
    for (let qp = this.backoff.peek(); qp && this.backoffExpiry(qp) <= now; qp = this.backoff.peek()) {
      this.backoff.pop();
      this.where.delete(qp.key);
      this.toActive(qp);
    }
    for (const qp of this.unschedulable.values()) {
      if (now - qp.failedAt < this.maxUnschedulableMs) break;
      this.unpark(qp);
    }
  }

  private nextDeadline(): number | undefined {
    let at: number | undefined;
    const b = this.backoff.peek();
    if (b) at = this.backoffExpiry(b);
    const first = this.unschedulable.values().next();
    if (!first.done) {
      const u = first.value.failedAt + this.maxUnschedulableMs;
      if (at === undefined || u < at) at = u;
    }
    return at;
  }

  private unpark(qp: QueuedPod): void {
    this.detach(qp, 'unschedulable');
    if (this.backoffExpiry(qp) > this.clock.now()) this.toBackoff(qp);
    else this.toActive(qp);
  }

  private toActive(qp: QueuedPod): void {
    this.where.set(qp.key, { qp, where: 'active' });
    this.active.push(qp);
    this.wakePopper();
  }

  private toBackoff(qp: QueuedPod): void {
    this.where.set(qp.key, { qp, where: 'backoff' });
    this.backoff.push(qp);
    // A waiting pop may be sleeping past this pod's expiry: let it recompute its deadline.
    this.wakePopper();
  }

  private wakePopper(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  private detach(qp: QueuedPod, where: Where): void {
    this.where.delete(qp.key);
    if (where === 'active') this.active.remove(qp);
    else if (where === 'backoff') this.backoff.remove(qp);
    else {
      this.unschedulable.delete(qp.key);
      for (const p of qp.unschedulablePlugins.length > 0 ? qp.unschedulablePlugins : [ANY]) {
        const set = this.byPlugin.get(p);
        set?.delete(qp);
        if (set?.size === 0) this.byPlugin.delete(p);
      }
    }
  }

  /** Sleep until `deadline` (none: indefinitely), a pod becoming active, or `signal`. */
  private waitUntil(deadline: number | undefined, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const timer = new AbortController();
      const done = () => {
        if (this.wake === done) this.wake = undefined;
        signal.removeEventListener('abort', done);
        timer.abort();
        resolve();
      };
      this.wake = done;
      signal.addEventListener('abort', done, { once: true });
      if (deadline !== undefined)
        this.clock.sleep(Math.max(0, deadline - this.clock.now()), timer.signal).then(done, () => undefined);
    });
  }
}

/** Status-only changes (our own PodScheduled condition among them) do not make a pod worth retrying. */
function schedulingInputsChanged(old: Pod, pod: Pod): boolean {
  return (
    JSON.stringify(old.spec) !== JSON.stringify(pod.spec) ||
    labelsChanged(old, pod) ||
    JSON.stringify(old.metadata?.annotations ?? {}) !== JSON.stringify(pod.metadata?.annotations ?? {})
  );
}
