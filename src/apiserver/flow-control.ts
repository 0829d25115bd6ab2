/**
 * Fair queuing of requests, after Kubernetes' API Priority and Fairness: at most `seats` requests
 * execute at once; the rest wait in one queue per flow (who is asking: user and client), and a
 * freed seat goes to the flows in turn. One process runs every handler on one thread, so what a
 * request waits for is everyone else's work queued before it: a storm from one client (5,000
 * hollow nodes reporting pod status, a controller creating thousands of pods) used to put
 * every other caller's request behind all of it. Now a newcomer waits for a seat, and the
 * storm's flows queue behind each other, not in front of everyone.
 *
 * A seat bounds work on the server's thread, not waiting: a write gives its seat back once only
 * its commit is left (`yieldSeat`, called through WriteOptions.committing), so the store's group
 * commit takes many writes rather than at most one per seat. With the seat held to the end,
 * bench:scheduler bound about 10 pods per commit and stopped near 2,900 pods/s. A yielded request
 * stays admitted until it answers, and at most `admitted` requests are (`DEFAULT_ADMITTED`).
 *
 * That bound is what keeps latency down under a storm. Everything admitted is work for the next
 * turns of the one event loop, and a write waits for two or three turns (its commit is answered
 * on that loop). Requests beyond what keeps the group commit busy do not make the storm finish
 * sooner; they only make every turn longer, a standing queue inside the loop (bufferbloat).
 * Waiting in their flow's queue instead, they cost nothing until admitted, and a caller that is
 * not part of the storm passes them there.
 *
 * Long-running requests (watches, log streams, proxied sessions) take no seat, as in Kubernetes.
 * A request that waits longer than `queueTimeoutMs`, or finds its flow's queue full, is refused
 * with 429 and Retry-After, which clients retry.
 */
import { errors } from '../api/errors.js';

/**
 * Requests executing at once by default. Kubernetes' servers allow 600 across their threads; one
 * thread serves them all here, and each request executing delays every other. bench:cluster at
 * 1,000 nodes / 30,000 pods, write p99 and time to all Running: 8 seats 60 ms / 72 s, 12 seats
 * 62 ms / 62-67 s, 16 seats 66 ms / 66 s, 24 seats 85-117 ms / 57 s, none 277 ms (5,000 nodes);
 * measured while writes still held their seats through the commit.
 */
export const DEFAULT_SEATS = 12;

/**
 * Requests admitted at once by default: with a seat, or waiting for their commit without one.
 * bench:cluster, 5,000 nodes / 30,000 pods, write p99 and time to all Running: 16 admitted 60 ms /
 * 63 s, 24 70 ms / 57 s, 32 88 ms / 57 s, 256 (unbounded: the parts and the simulator keep about
 * 70 writes in flight) 113-176 ms / 53-58 s. bench:scheduler was the same at 24 as at 256.
 */
export const DEFAULT_ADMITTED = 24;

export interface FlowControlOptions {
  /** Requests executing at once (default DEFAULT_SEATS). */
  seats?: number;
  /** Requests admitted at once, counting those that gave their seat back to wait (default DEFAULT_ADMITTED, at least `seats`). */
  admitted?: number;
  /** Requests one flow may have waiting (default 10,000). */
  maxQueuedPerFlow?: number;
  /** Longest wait for a seat before 429 (default 60 s). */
  queueTimeoutMs?: number;
}

/** Gives the seat back; calling it again does nothing. */
export type Release = () => void;

const seatsHeld = new WeakMap<object, () => void>();

/** Note how `request` gives its seat back (FlowControl.yield of its Release), for `yieldSeat`. */
export function holdSeat(request: object, giveBack: () => void): void {
  seatsHeld.set(request, giveBack);
}

/** Gives back the seat `request` holds, if it holds one: all it has left to do is wait. */
export function yieldSeat(request: object): void {
  seatsHeld.get(request)?.();
}

interface Waiter {
  grant: (release: Release) => void;
  timer: NodeJS.Timeout | undefined;
}

export class FlowControl {
  private readonly seats: number;
  private readonly maxAdmitted: number;
  private readonly maxQueued: number;
  private readonly timeoutMs: number;
  /** Requests holding a seat. */
  private executing = 0;
  /** Requests let in and not yet finished, with a seat or without (yielded). */
  private admitted = 0;
  /** Whether each admitted request still holds its seat. */
  private readonly holding = new WeakMap<Release, { seat: boolean }>();
  private readonly queues = new Map<string, Waiter[]>();
  /** Flows with waiters, in the order they get the next seats (round robin). */
  private readonly turn: string[] = [];

  constructor(options: FlowControlOptions = {}) {
    this.seats = options.seats ?? DEFAULT_SEATS;
    this.maxAdmitted = Math.max(options.admitted ?? DEFAULT_ADMITTED, this.seats);
    this.maxQueued = options.maxQueuedPerFlow ?? 10_000;
    this.timeoutMs = options.queueTimeoutMs ?? 60_000;
    if (!(Number.isInteger(this.seats) && this.seats >= 1))
      throw new Error('flow control: seats must be ≥ 1');
  }

  /** Requests executing now and waiting now (tests, diagnostics). */
  stats(): { executing: number; yielded: number; waiting: number; flows: number } {
    let waiting = 0;
    for (const q of this.queues.values()) waiting += q.length;
    return {
      executing: this.executing,
      yielded: this.admitted - this.executing,
      waiting,
      flows: this.queues.size,
    };
  }

  private free(): boolean {
    return this.executing < this.seats && this.admitted < this.maxAdmitted;
  }

  /**
   * A seat for a request of `flow`: at once when one is free and nobody waits, else when the
   * flow's turn comes. Rejects with 429 when the flow's queue is full or the wait times out.
   */
  acquire(flow: string): Release | Promise<Release> {
    if (this.free() && this.turn.length === 0) return this.admit();
    let queue = this.queues.get(flow);
    if (queue && queue.length >= this.maxQueued) return Promise.reject(tooManyRequests());
    return new Promise<Release>((resolve, reject) => {
      const waiter: Waiter = { grant: resolve, timer: undefined };
      if (this.timeoutMs > 0) {
        waiter.timer = setTimeout(() => {
          this.forget(flow, waiter);
          reject(tooManyRequests());
        }, this.timeoutMs);
      }
      if (!queue) {
        queue = [];
        this.queues.set(flow, queue);
        this.turn.push(flow);
      }
      queue.push(waiter);
    });
  }

  /**
   * The request of `release` gives its seat back and waits (for its commit) without one; it stays
   * admitted until `release`. Calling it again, or after `release`, does nothing.
   */
  yield(release: Release): void {
    const state = this.holding.get(release);
    if (state && this.freeSeat(state)) this.dispatch();
  }

  private admit(): Release {
    this.executing++;
    this.admitted++;
    const state = { seat: true, admitted: true };
    const release = () => {
      if (!state.admitted) return;
      state.admitted = false;
      this.admitted--;
      this.freeSeat(state);
      this.dispatch();
    };
    this.holding.set(release, state);
    return release;
  }

  /** The seat of `state`'s request goes back, once; true when it was still held. */
  private freeSeat(state: { seat: boolean }): boolean {
    if (!state.seat) return false;
    state.seat = false;
    this.executing--;
    return true;
  }

  /** Hand free seats to waiting flows, one request per flow per round. */
  private dispatch(): void {
    while (this.free() && this.turn.length > 0) {
      const flow = this.turn.shift()!;
      const queue = this.queues.get(flow)!;
      const waiter = queue.shift()!;
      if (queue.length > 0) this.turn.push(flow);
      else this.queues.delete(flow);
      if (waiter.timer) clearTimeout(waiter.timer);
      waiter.grant(this.admit());
    }
  }

  private forget(flow: string, waiter: Waiter): void {
    const queue = this.queues.get(flow);
    if (!queue) return;
    const i = queue.indexOf(waiter);
    if (i >= 0) queue.splice(i, 1);
    if (queue.length === 0) {
      this.queues.delete(flow);
      const t = this.turn.indexOf(flow);
      if (t >= 0) this.turn.splice(t, 1);
    }
  }
}

function tooManyRequests() {
  return errors.tooManyRequests('too many requests, please try again later', 1);
}
