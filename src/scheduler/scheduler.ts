/**
 * The scheduler: watches pods that need a node, places each with the pipeline, and binds it.
 *
 *   informers (unscheduled + assigned pods, nodes, namespaces)
 *        │ pods to place ─▶ queue          │ everything else ─▶ cache (+ cluster events ─▶ queue)
 *        ▼
 *   scheduleOne (synchronous): pop ─▶ pipeline.schedule(pod, cache)
 *        ├ a node: assume in the cache, then POST pods/NAME/binding in the background
 *        │         (bounded concurrency); success: "Scheduled" event; failure: forget + backoff
 *        ├ no node: park in the queue, PodScheduled=False + FailedScheduling event with the
 *        │          FitError; a preemption: nominate, delete the victims gracefully
 *        └ error:   backoff, PodScheduled=False (SchedulerError)
 *
 * A cycle never awaits: the cache is its snapshot and binding runs beside the next cycles. The
 * loop yields to I/O every few milliseconds so watch events and binding replies keep flowing.
 */
import { hostname } from 'node:os';
import type { Namespace, Node, Pod, PodCondition } from 'kubernetes-types/core/v1.js';
import { DEFAULT_SCHEDULER_NAME } from '../api/defaults/pod.js';
import { ApiError } from '../api/errors.js';
import type { KubeObject } from '../api/object.js';
import { lookupResource } from '../api/resources.js';
import { formatTime } from '../api/time.js';
import { clientSink, EventRecorder, podRef, type Recorder } from '../client/events.js';
import { Informer, withoutManagedFields } from '../client/informer.js';
import type { Client } from '../client/rest.js';
import { type Clock, systemClock } from '../util/clock.js';
import { errorMessage } from '../util/error-message.js';
import { Limiter } from '../util/limiter.js';
import { SchedulerCache } from './cache.js';
import { labelsChanged, nodeEvents } from './cluster-events.js';
import { PodInfo } from './framework/node-info.js';
import type { PostFilter, Preemption } from './framework/types.js';
import { Nominator } from './nominator.js';
import { type CycleResult, Pipeline, registrations } from './pipeline.js';
import { schedulerPodView } from './pod-view.js';
import type { ScoringProfile } from './profiles.js';
import { type QueuedPod, SchedulingQueue } from './queue.js';

/** Runs `task` within `limiter`'s bound without waiting for it; the task reports its own failures. */
function background(limiter: Limiter, task: () => Promise<void>): void {
  limiter.run(task).catch(() => undefined);
}

const PODS = lookupResource('', 'v1', 'pods')!;
const NODES = lookupResource('', 'v1', 'nodes')!;
const NAMESPACES = lookupResource('', 'v1', 'namespaces')!;

export interface SchedulerOptions {
  /** Scoring profile: spread (least-allocated, default) or bin-pack (most-allocated). */
  scoring?: ScoringProfile;
  /** Runs when no node fits (preemption); none by default. */
  postFilter?: PostFilter;
  /** The `spec.schedulerName` this scheduler serves (default "default-scheduler"). */
  schedulerName?: string;
  percentageOfNodesToScore?: number;
  /** Bindings in flight at once (default 128). */
  bindConcurrency?: number;
  /** Status patches and victim deletions in flight at once (default 16). */
  writeConcurrency?: number;
  clock?: Clock;
  random?: () => number;
  log?: (line: string) => void;
  recorder?: Recorder;
  /** Called once the informers have synced and scheduling starts (benchmarks). */
  onSynced?: () => void;
  /** Called when a binding succeeded, with the `performance.now()` its cycle started at (benchmarks). */
  onBound?: (pod: Pod, nodeName: string, cycleStart: number) => void;
}

/** How long the loop runs cycles back to back before letting I/O in. */
const TIME_SLICE_MS = 10;

const isAssigned = (pod: Pod) => Boolean(pod.spec?.nodeName);
const uidOf = (pod: Pod) => pod.metadata?.uid ?? '';

export class Scheduler {
  readonly cache = new SchedulerCache();
  readonly queue: SchedulingQueue;
  readonly pipeline: Pipeline;
  readonly nominator = new Nominator();
  private readonly pods: Informer<Pod & KubeObject>;
  private readonly nodes: Informer<Node & KubeObject>;
  private readonly namespaces: Informer<Namespace & KubeObject>;
  private readonly recorder: Recorder;
  private readonly binds: Limiter;
  private readonly writes: Limiter;
  private readonly clock: Clock;
  private readonly log: (line: string) => void;
  private readonly schedulerName: string;

  constructor(
    private readonly client: Client,
    private readonly options: SchedulerOptions = {},
  ) {
    this.clock = options.clock ?? systemClock;
    this.log = options.log ?? (() => undefined);
    this.schedulerName = options.schedulerName ?? DEFAULT_SCHEDULER_NAME;
    this.pipeline = new Pipeline(registrations(options.scoring), {
      ...(options.postFilter ? { postFilter: options.postFilter } : {}),
      ...(options.percentageOfNodesToScore !== undefined
        ? { percentageOfNodesToScore: options.percentageOfNodesToScore }
        : {}),
      ...(options.random ? { random: options.random } : {}),
      nominated: (node) => this.nominator.podsOn(node),
    });
    this.queue = new SchedulingQueue({ clock: this.clock, pluginsFor: (e) => this.pipeline.pluginsFor(e) });
    this.recorder =
      options.recorder ??
      new EventRecorder(clientSink(client), {
        component: this.schedulerName,
        host: hostname(),
        clock: this.clock,
        concurrency: 4,
        onError: (err) => this.log(`event: ${errorMessage(err)}`),
      });
    this.binds = new Limiter(options.bindConcurrency ?? 128);
    this.writes = new Limiter(options.writeConcurrency ?? 16);

    const onError = (what: string) => (err: unknown) => this.log(`${what} informer: ${errorMessage(err)}`);
    // Finished pods hold no resources: the selector drops them, which the cache sees as a delete.
    this.pods = new Informer<Pod & KubeObject>(client, PODS, {
      fieldSelector: 'status.phase!=Succeeded,status.phase!=Failed',
      freeze: false,
      transform: schedulerPodView,
      onError: onError('pod'),
    });
    this.nodes = new Informer<Node & KubeObject>(client, NODES, {
      freeze: false,
      transform: withoutManagedFields,
      onError: onError('node'),
    });
    this.namespaces = new Informer<Namespace & KubeObject>(client, NAMESPACES, {
      onError: onError('namespace'),
    });
    this.pods.onAdd((pod) => this.podAdded(pod));
    this.pods.onUpdate((old, pod) => this.podUpdated(old, pod));
    this.pods.onDelete((pod) => this.podDeleted(pod));
    this.nodes.onAdd((node) => {
      this.cache.setNode(node);
      this.queue.onEvent('NodeAdd');
    });
    this.nodes.onUpdate((old, node) => {
      this.cache.setNode(node);
      for (const e of nodeEvents(old, node)) this.queue.onEvent(e);
    });
    this.nodes.onDelete((node) => {
      this.cache.removeNode(node.metadata?.name ?? '');
      this.queue.onEvent('NodeDelete');
    });
    this.namespaces.onAdd((ns) => this.cache.setNamespace(ns.metadata?.name ?? '', ns.metadata?.labels));
    this.namespaces.onUpdate((old, ns) => {
      this.cache.setNamespace(ns.metadata?.name ?? '', ns.metadata?.labels);
      if (labelsChanged(old, ns)) this.queue.onEvent('NamespaceLabel');
    });
    this.namespaces.onDelete((ns) => this.cache.removeNamespace(ns.metadata?.name ?? ''));
  }

  /** Watch and schedule until `signal` aborts; in-flight bindings finish before it resolves. */
  async run(signal: AbortSignal): Promise<void> {
    const informers = [this.namespaces.run(signal), this.nodes.run(signal), this.pods.run(signal)];
    const synced = await Promise.all([
      this.namespaces.waitForSync(signal),
      this.nodes.waitForSync(signal),
      this.pods.waitForSync(signal),
    ]);
    if (synced.every(Boolean)) {
      this.log(`scheduler: ${this.cache.nodes.length} nodes, ${this.queue.stats().active} pods to schedule`);
      this.options.onSynced?.();
      let sliceStart = performance.now();
      while (!signal.aborted) {
        if (this.binds.busy) await this.binds.slot();
        let qp = this.queue.tryPop();
        if (!qp) {
          qp = await this.queue.pop(signal);
          sliceStart = performance.now();
          if (!qp) break;
        }
        this.scheduleOne(qp);
        if (performance.now() - sliceStart > TIME_SLICE_MS) {
          await new Promise((r) => setImmediate(r));
          sliceStart = performance.now();
        }
      }
    }
    await Promise.all([...informers, this.binds.drained(), this.writes.drained()]);
  }

  /** One pod through the pipeline. Synchronous: effects (binding, status, events) go out in the background. */
  scheduleOne(qp: QueuedPod): CycleResult | undefined {
    const pod = qp.pod;
    // Deleted or placed while it waited: nothing to do.
    if (pod.metadata?.deletionTimestamp || this.cache.nodeOf(qp.info.uid) !== undefined) return undefined;
    const started = performance.now();
    let result: CycleResult;
    try {
      result = this.pipeline.schedule(qp.info, this.cache);
    } catch (err) {
      result = { kind: 'error', message: errorMessage(err) };
    }
    switch (result.kind) {
      case 'scheduled':
        this.cache.assume(qp.info, result.nodeName);
        this.nominator.remove(qp.info.uid);
        this.bind(qp, result.nodeName, started);
        break;
      case 'unschedulable':
        this.queue.requeueUnschedulable(qp, result.error.plugins);
        if (result.preemption) this.preempt(qp, result.preemption);
        this.reportFailure(pod, 'Unschedulable', result.error.message, result.preemption?.nodeName);
        break;
      case 'error':
        this.log(`scheduling ${qp.key}: ${result.message}`);
        this.queue.requeueBackoff(qp);
        this.reportFailure(pod, 'SchedulerError', result.message);
        break;
    }
    return result;
  }

  // ---- informer handlers -----------------------------------------------------------------------

  private responsible(pod: Pod): boolean {
    return (pod.spec?.schedulerName ?? DEFAULT_SCHEDULER_NAME) === this.schedulerName;
  }

  private podAdded(pod: Pod): void {
    if (isAssigned(pod)) {
      this.assignedPodAdded(pod);
      return;
    }
    if (!this.responsible(pod) || pod.metadata?.deletionTimestamp) return;
    this.queue.add(pod);
    this.trackNomination(pod);
  }

  private podUpdated(old: Pod, pod: Pod): void {
    if (isAssigned(pod)) {
      if (!isAssigned(old)) {
        this.queue.delete(old);
        this.assignedPodAdded(pod);
        return;
      }
      this.cache.setPod(pod);
      if (labelsChanged(old, pod)) this.queue.onEvent('AssignedPodLabel');
      return;
    }
    if (!this.responsible(pod)) return;
    // Being bound by us: the binding's outcome decides what happens next.
    if (this.cache.isAssumed(uidOf(pod))) return;
    if (pod.metadata?.deletionTimestamp) {
      this.queue.delete(pod);
      this.nominator.remove(uidOf(pod));
      return;
    }
    this.queue.update(pod);
    this.trackNomination(pod);
  }

  private podDeleted(pod: Pod): void {
    if (isAssigned(pod)) {
      this.cache.removePod(uidOf(pod));
      this.queue.onEvent('AssignedPodDelete');
      return;
    }
    this.queue.delete(pod);
    this.nominator.remove(uidOf(pod));
  }

  private assignedPodAdded(pod: Pod): void {
    this.cache.setPod(pod);
    this.nominator.remove(uidOf(pod));
    this.queue.onEvent('AssignedPodAdd');
  }

  /** Nominations made by an earlier run (or another scheduler instance) come back through the informer. */
  private trackNomination(pod: Pod): void {
    const node = pod.status?.nominatedNodeName;
    if (node && this.nominator.nodeOf(uidOf(pod)) !== node) this.nominator.set(new PodInfo(pod), node);
  }

  // ---- effects ---------------------------------------------------------------------------------

  private bind(qp: QueuedPod, nodeName: string, cycleStart: number): void {
    const { namespace, name } = qp.info;
    background(this.binds, async () => {
      try {
        await this.client.bind(namespace, name, nodeName);
      } catch (err) {
        await this.bindFailed(qp, nodeName, err);
        return;
      }
      this.recorder.event(
        podRef(qp.pod),
        'Normal',
        'Scheduled',
        `Successfully assigned ${namespace}/${name} to ${nodeName}`,
      );
      this.options.onBound?.(qp.pod, nodeName, cycleStart);
    });
  }

  /**
   * The binding failed: the pod no longer counts on the node. Gone (404): nothing to do. A
   * conflict (409): someone else bound it, or it is being deleted — re-read it to know. Anything
   * else: retry after backoff, and say so on the pod.
   */
  private async bindFailed(qp: QueuedPod, nodeName: string, err: unknown): Promise<void> {
    if (this.cache.forget(qp.info.uid)) this.queue.onEvent('AssignedPodDelete');
    const code = err instanceof ApiError ? err.code : undefined;
    if (code === 404) return;
    let latest: Pod | undefined = this.pods.get(qp.info.name, qp.info.namespace);
    if (code === 409) {
      latest = await this.client
        .get<Pod & KubeObject>(PODS, qp.info.namespace, qp.info.name)
        .catch(() => undefined);
      if (!latest || isAssigned(latest) || latest.metadata?.deletionTimestamp) return;
    }
    if (!latest || uidOf(latest) !== qp.info.uid || isAssigned(latest)) return;
    this.log(`binding ${qp.key} to ${nodeName}: ${errorMessage(err)}`);
    qp.pod = latest;
    qp.info = new PodInfo(latest);
    this.queue.requeueBackoff(qp);
    this.reportFailure(latest, 'SchedulerError', `Binding rejected: ${errorMessage(err)}`);
  }

  /**
   * Preemption chose `victims` on a node: nominate the pod there (so others leave the room to it),
   * and delete each victim gracefully, as Kubernetes does, with a Preempted event on it.
   */
  private preempt(qp: QueuedPod, preemption: Preemption): void {
    this.nominator.set(qp.info, preemption.nodeName);
    for (const victim of preemption.victims) {
      const { namespace, name } = victim;
      this.recorder.event(
        podRef(victim.pod),
        'Normal',
        'Preempted',
        `Preempted by pod ${qp.info.uid} on node ${preemption.nodeName}`,
      );
      background(this.writes, async () => {
        const condition: PodCondition = {
          type: 'DisruptionTarget',
          status: 'True',
          reason: 'PreemptionByScheduler',
          message: `${this.schedulerName}: preempting to accommodate a higher priority pod`,
          lastTransitionTime: formatTime(new Date(this.clock.now())),
        };
        try {
          await this.client.patch(
            PODS,
            namespace,
            name,
            'strategic',
            { status: { conditions: [condition] } },
            { subresource: 'status' },
          );
          await this.client.delete(PODS, namespace, name);
        } catch (err) {
          if (!(err instanceof ApiError && err.code === 404))
            this.log(`preempting ${namespace}/${name}: ${errorMessage(err)}`);
        }
      });
    }
  }

  /**
   * Tell the user why the pod waits: a FailedScheduling event (aggregated when it repeats) and
   * the PodScheduled=False condition, written only when it changes.
   */
  private reportFailure(pod: Pod, reason: string, text: string, nominatedNodeName?: string): void {
    this.recorder.event(podRef(pod), 'Warning', 'FailedScheduling', text);
    const current = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
    const same = current?.status === 'False' && current.reason === reason && current.message === text;
    const nominate = nominatedNodeName !== undefined && pod.status?.nominatedNodeName !== nominatedNodeName;
    if (same && !nominate) return;
    const condition: PodCondition = {
      type: 'PodScheduled',
      status: 'False',
      reason,
      message: text,
      lastProbeTime: null as unknown as string,
      lastTransitionTime:
        current?.status === 'False' && current.lastTransitionTime
          ? current.lastTransitionTime
          : formatTime(new Date(this.clock.now())),
    };
    const patch = { status: { conditions: [condition], ...(nominate ? { nominatedNodeName } : {}) } };
    const { namespace = 'default', name = '' } = pod.metadata ?? {};
    background(this.writes, async () => {
      try {
        await this.client.patch(PODS, namespace, name, 'strategic', patch, { subresource: 'status' });
      } catch (err) {
        if (!(err instanceof ApiError && err.code === 404))
          this.log(`status of ${namespace}/${name}: ${errorMessage(err)}`);
      }
    });
  }
}
