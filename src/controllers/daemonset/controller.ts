/**
 * The DaemonSet controller: the wiring around planDaemonSet (reconcile.ts). It watches
 * DaemonSets, nodes, pods and ControllerRevisions; any change to a node's labels, taints or
 * schedulability re-plans every DaemonSet, so nodes that join later or start (or stop) matching
 * a nodeSelector get (or lose) their pod.
 *
 * One pass: claim pods (adopt orphans, release pods the selector no longer matches), make sure
 * the current template has its ControllerRevision, then — only while the expectations of the
 * previous pass are met — delete what the plan deletes or, if nothing, create what it creates
 * (never both in one pass, so one expectations record covers the pass), prune old revisions and
 * write the status.
 */
import type { ControllerRevision, DaemonSet } from 'kubernetes-types/apps/v1.js';
import type { Node } from 'kubernetes-types/core/v1.js';
import { canonicalJson } from '../../api/json-value.js';
import type { KubeObject } from '../../api/object.js';
import { lookupKind } from '../../api/resources.js';
import type { Recorder } from '../../client/events.js';
import { type Informer, keyOf } from '../../client/informer.js';
import type { Client } from '../../client/rest.js';
import { WorkQueue } from '../../client/workqueue.js';
import type { Clock } from '../../util/clock.js';
import { errorMessage } from '../../util/error-message.js';
import { type Controller, type ControllerContext, runWorkers } from '../framework/controller.js';
import { Expectations } from '../framework/expectations.js';
import { controlledBy, indexByController } from '../framework/owner.js';
import { PODS, PodControl, refOf } from '../framework/pod-control.js';
import { claimPods, createPods, deletePods, handlePodEvents } from '../workloads/owned-pods.js';
import {
  CONTROLLER_REVISIONS,
  ensureRevision,
  hashOfRevision,
  planUpdateRevision,
  pruneRevisions,
  REVISION_HASH_LABEL,
} from '../workloads/revisions.js';
import { writeStatus } from '../workloads/status.js';
import { newDaemonPod } from './placement.js';
import { planDaemonSet } from './reconcile.js';

const DAEMONSETS = lookupKind('apps/v1', 'DaemonSet')!;
const NODES = lookupKind('v1', 'Node')!;

export class DaemonSetController implements Controller {
  readonly name = 'daemonset';
  private readonly client: Client;
  private readonly log: (line: string) => void;
  private readonly clock: Clock;
  private readonly recorder: Recorder;
  private readonly podControl: PodControl;
  private readonly daemonSets: Informer<KubeObject>;
  private readonly nodes: Informer<KubeObject>;
  private readonly pods: Informer<KubeObject>;
  private readonly revisions: Informer<KubeObject>;
  private readonly queue: WorkQueue;
  private readonly expectations: Expectations;

  constructor(ctx: ControllerContext) {
    this.client = ctx.client;
    this.log = ctx.log;
    this.clock = ctx.clock;
    this.recorder = ctx.recorder('daemonset-controller');
    this.podControl = new PodControl(ctx.client, this.recorder);
    this.queue = new WorkQueue({ clock: ctx.clock });
    this.expectations = new Expectations(ctx.clock);
    this.daemonSets = ctx.informers.for(DAEMONSETS);
    this.nodes = ctx.informers.for(NODES);
    this.pods = ctx.informers.for(PODS);
    this.revisions = ctx.informers.for(CONTROLLER_REVISIONS);
    indexByController(this.pods);
    indexByController(this.revisions);

    const enqueue = (obj: KubeObject) => this.queue.add(keyOf(obj));
    this.daemonSets.onAdd(enqueue);
    this.daemonSets.onUpdate((_old, ds) => enqueue(ds));
    this.daemonSets.onDelete((ds) => this.expectations.forget(keyOf(ds)));

    const enqueueAll = () => {
      for (const ds of this.daemonSets.list()) enqueue(ds);
    };
    this.nodes.onAdd(enqueueAll);
    this.nodes.onDelete(enqueueAll);
    this.nodes.onUpdate((oldNode, node) => {
      if (nodeFitChanged(oldNode as Node, node as Node)) enqueueAll();
    });

    handlePodEvents(this.pods, {
      kind: 'DaemonSet',
      expectations: this.expectations,
      enqueue: (key) => this.queue.add(key),
      owners: this.daemonSets,
    });
  }

  run(signal: AbortSignal): Promise<void> {
    return runWorkers(this.name, this.queue, signal, (key) => this.reconcile(key), { log: this.log });
  }

  async reconcile(key: string): Promise<void> {
    const cached = this.daemonSets.getByKey(key);
    if (!cached) {
      this.expectations.forget(key);
      return;
    }
    // Its pods are the garbage collector's now.
    if (cached.metadata.deletionTimestamp) return;
    const ds = cached as unknown as DaemonSet;

    const owned = await claimPods(this.client, this.pods, cached, ds.spec?.selector);

    const revisions = controlledBy(this.revisions, cached.metadata.uid!) as unknown as ControllerRevision[];
    const revPlan = planUpdateRevision(cached, ds.spec?.template, revisions, ds.status?.collisionCount ?? 0);
    const current = await ensureRevision(this.client, revPlan);
    const hash = hashOfRevision(current);

    const plan = planDaemonSet({
      ds,
      nodes: this.nodes.list() as unknown as Node[],
      pods: owned,
      hash,
      nowMs: this.clock.now(),
    });

    if (this.expectations.satisfied(key)) {
      if (plan.delete.length > 0) {
        for (const { pod, reason } of plan.delete) {
          if (reason !== 'failed') continue;
          this.recorder.event(
            refOf(cached),
            'Warning',
            'FailedDaemonPod',
            `Found failed daemon pod ${keyOf(pod)} on node ${pod.spec?.nodeName ?? ''}, will try to kill it`,
          );
        }
        const pods = plan.delete.map((d) => d.pod);
        const error = await deletePods(this.expectations, key, this.podControl, cached, pods);
        if (error) throw error;
      } else if (plan.create.length > 0) {
        const { error } = await createPods(this.expectations, key, plan.create.length, (i) =>
          this.podControl.create(cached, newDaemonPod(ds, plan.create[i]!, hash)),
        );
        if (error) throw new Error(`creating pods: ${errorMessage(error)}`);
      }
    }

    const live = new Set<string>([current.metadata!.name!]);
    for (const pod of owned) {
      const h = pod.metadata?.labels?.[REVISION_HASH_LABEL];
      if (h) live.add(`${cached.metadata.name}-${h}`);
    }
    await pruneRevisions(this.client, revisions, live, ds.spec?.revisionHistoryLimit ?? 10);

    const status = {
      ...plan.status,
      ...(revPlan.collisionCount ? { collisionCount: revPlan.collisionCount } : {}),
    };
    await writeStatus(this.client, DAEMONSETS, cached, status);
    if (plan.requeueAfterMs !== undefined) this.queue.addAfter(key, plan.requeueAfterMs + 1);
  }
}

/** Whether a node changed in a way that can change which DaemonSets belong on it. */
function nodeFitChanged(a: Node, b: Node): boolean {
  return (
    canonicalJson(a.metadata?.labels ?? {}) !== canonicalJson(b.metadata?.labels ?? {}) ||
    canonicalJson(a.spec?.taints ?? []) !== canonicalJson(b.spec?.taints ?? []) ||
    !!a.spec?.unschedulable !== !!b.spec?.unschedulable
  );
}
