/**
 * Events about objects (the agent's Pulled, Started, Killing, BackOff...; the scheduler's
 * Scheduled, FailedScheduling, Preempted), written as core/v1 Events so `kubectl describe` and
 * `kubectl get events` show them. As client-go's recorder, a repeat of the same event for the
 * same object within 10 minutes bumps the first one's `count` instead of adding another. Writes
 * go out in the background from a bounded queue, `concurrency` at a time; losing an event under
 * pressure is acceptable, blocking the caller (a pod worker, the scheduling loop) is not. Warnings
 * (FailedScheduling, BackOff...) say what is wrong, so they go first, up to `concurrency` at once,
 * and are the last to be dropped. Normal events (a Scheduled per pod, a Pulled) go one at a time,
 * as client-go's recorder writes, so a burst of them does not compete with the caller's own
 * requests, and a full queue loses its oldest Normal event before any Warning.
 */
import { randomBytes } from 'node:crypto';
import type { Event, ObjectReference } from 'kubernetes-types/core/v1.js';
import { lookupKind } from '../api/resources.js';
import { formatTime } from '../api/time.js';
import { type Clock, systemClock } from '../util/clock.js';
import type { Client } from './rest.js';

export type EventType = 'Normal' | 'Warning';

/** An event a pure planner decides on; the wiring records it on the object it is about. */
export interface PlannedEvent {
  type: EventType;
  reason: string;
  message: string;
}

export interface EventSink {
  create(event: Event): Promise<void>;
  /** Raise count/lastTimestamp of an event written before. */
  bump(namespace: string, name: string, count: number, lastTimestamp: string): Promise<void>;
}

export function clientSink(client: Client): EventSink {
  const events = lookupKind('v1', 'Event')!;
  return {
    async create(event) {
      await client.create(events, event.metadata?.namespace, event as unknown as Record<string, unknown>);
    },
    async bump(namespace, name, count, lastTimestamp) {
      await client.patch(events, namespace, name, 'merge', { count, lastTimestamp });
    },
  };
}

export interface Recorder {
  event(obj: ObjectReference, type: EventType, reason: string, message: string): void;
}

const AGGREGATE_MS = 10 * 60_000;
const MAX_QUEUE = 1000;
const MAX_REMEMBERED = 4096;

type Write = () => Promise<void>;

export class EventRecorder implements Recorder {
  /** Writes waiting, Warnings apart from Normal events; together at most MAX_QUEUE. */
  private readonly warnings: Write[] = [];
  private readonly normal: Write[] = [];
  private readonly seen = new Map<string, { name: string; namespace: string; count: number; at: number }>();
  /** Writers running now (at most `concurrency`), and of them the one writing a Normal event. */
  private writers = 0;
  private writingNormal = false;
  private readonly clock: Clock;
  /** Events dropped because the queue was full. */
  dropped = 0;

  constructor(
    private readonly sink: EventSink,
    private readonly options: {
      component: string;
      host: string;
      clock?: Clock;
      onError?: (err: unknown) => void;
      /** Writes in flight at once (default 1). */
      concurrency?: number;
    },
  ) {
    this.clock = options.clock ?? systemClock;
  }

  event(obj: ObjectReference, type: EventType, reason: string, message: string): void {
    const now = this.clock.now();
    const stamp = formatTime(new Date(now));
    const namespace = obj.namespace ?? 'default';
    const key = `${obj.uid}\u0000${obj.fieldPath ?? ''}\u0000${type}\u0000${reason}\u0000${message}`;
    const previous = this.seen.get(key);
    if (previous && now - previous.at < AGGREGATE_MS) {
      previous.count++;
      previous.at = now;
      const { name, count } = previous;
      this.enqueue(type, () => this.sink.bump(namespace, name, count, stamp));
      return;
    }
    const name = `${obj.name}.${uniqueSuffix()}`;
    if (this.seen.size >= MAX_REMEMBERED) this.seen.delete(this.seen.keys().next().value!);
    this.seen.set(key, { name, namespace, count: 1, at: now });
    const event: Event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace },
      involvedObject: obj,
      reason,
      message,
      type,
      count: 1,
      firstTimestamp: stamp,
      lastTimestamp: stamp,
      source: { component: this.options.component, host: this.options.host },
      reportingComponent: this.options.component,
      reportingInstance: this.options.host,
    };
    this.enqueue(type, () => this.sink.create(event));
  }

  /** Wait until everything queued so far was written (tests, shutdown). */
  async drain(): Promise<void> {
    while (this.waiting() > 0 || this.writers > 0) await this.clock.sleep(5);
  }

  private waiting(): number {
    return this.warnings.length + this.normal.length;
  }

  private enqueue(type: EventType, write: Write): void {
    if (this.waiting() >= MAX_QUEUE) {
      if (this.normal.length > 0) this.normal.shift();
      else this.warnings.shift();
      this.dropped++;
    }
    (type === 'Warning' ? this.warnings : this.normal).push(write);
    if (this.writers < (this.options.concurrency ?? 1)) void this.run();
  }

  private async run(): Promise<void> {
    this.writers++;
    try {
      for (;;) {
        let write = this.warnings.shift();
        const normal = !write && !this.writingNormal;
        if (normal) write = this.normal.shift();
        if (!write) return;
        if (normal) this.writingNormal = true;
        try {
          await write();
        } catch (err) {
          this.options.onError?.(err);
        } finally {
          if (normal) this.writingNormal = false;
        }
      }
    } finally {
      this.writers--;
    }
  }
}

/** Random bytes drawn 4 KiB at a time: a call per event costs much when every scheduled pod has one. */
let pool = Buffer.alloc(0);
let used = 0;

/** 16 random hex digits: what makes an event's name unique. */
function uniqueSuffix(): string {
  if (used + 8 > pool.length) {
    pool = randomBytes(4096);
    used = 0;
  }
  used += 8;
  return pool.toString('hex', used - 8, used);
}

/** The reference an event about a pod (or one of its containers) carries. */
export function podRef(
  pod: { metadata?: { name?: string; namespace?: string; uid?: string; resourceVersion?: string } },
  container?: string,
): ObjectReference {
  const ref: ObjectReference = {
    apiVersion: 'v1',
    kind: 'Pod',
    name: pod.metadata?.name ?? '',
    namespace: pod.metadata?.namespace ?? 'default',
    uid: pod.metadata?.uid ?? '',
  };
  if (container) ref.fieldPath = `spec.containers{${container}}`;
  return ref;
}

/** The reference an event about this node carries (kubelet's: the node's name as its uid, too). */
export function nodeRef(nodeName: string): ObjectReference {
  return { apiVersion: 'v1', kind: 'Node', name: nodeName, uid: nodeName };
}
