/**
 * The pod garbage collector (Kubernetes' PodGC, the parts about lost nodes; reconcile.ts says
 * which pods and why). Each pod is one key; pods are looked at when they change and when their
 * node is deleted or changes its taints. Force deletion is a DELETE with grace 0 and the pod's
 * UID as precondition; an orphan first gets DisruptionTarget (DeletionByPodGC), as in Kubernetes.
 */
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { hasCode } from '../../api/errors.js';
import type { KubeObject } from '../../api/object.js';
import { lookupResource } from '../../api/resources.js';
import { type Informer, keyOf } from '../../client/informer.js';
import type { Client } from '../../client/rest.js';
import { WorkQueue } from '../../client/workqueue.js';
import type { Clock } from '../../util/clock.js';
import { type Controller, type ControllerContext, runWorkers } from '../framework/controller.js';
import { markDisruptionTarget, PODS } from '../framework/pod-control.js';
import { indexByNode, podsOnNode } from '../framework/pods.js';
import { planPodGC } from './reconcile.js';

const NODES = lookupResource('', 'v1', 'nodes')!;

type PodObject = Pod & KubeObject;
type NodeObject = Node & KubeObject;

export class PodGCController implements Controller {
  readonly name = 'podgc';
  private readonly client: Client;
  private readonly clock: Clock;
  private readonly log: (line: string) => void;
  private readonly pods: Informer<PodObject>;
  private readonly nodes: Informer<NodeObject>;
  private readonly queue: WorkQueue;
  /** Nodes pods are bound to but the cache lacks, and since when (our clock). */
  private readonly missingSince = new Map<string, number>();

  constructor(ctx: ControllerContext) {
    this.client = ctx.client;
    this.clock = ctx.clock;
    this.log = ctx.log;
    this.queue = new WorkQueue({ clock: ctx.clock });
    this.pods = ctx.informers.for<PodObject>(PODS);
    this.nodes = ctx.informers.for<NodeObject>(NODES);
    indexByNode(this.pods);
    const enqueuePod = (pod: PodObject) => {
      // Pods on known nodes matter only once terminating; pods on unknown nodes always.
      const nodeName = pod.spec?.nodeName;
      if (pod.metadata.deletionTimestamp || (nodeName && !this.nodes.get(nodeName)))
        this.queue.add(keyOf(pod));
    };
    this.pods.onAdd(enqueuePod);
    this.pods.onUpdate((_old, pod) => enqueuePod(pod));
    const enqueuePodsOf = (node: KubeObject) => {
      for (const pod of podsOnNode(this.pods, node.metadata.name!)) enqueuePod(pod);
    };
    this.nodes.onAdd((node) => this.missingSince.delete(node.metadata.name!));
    this.nodes.onUpdate((_old, node) => enqueuePodsOf(node));
    this.nodes.onDelete(enqueuePodsOf);
  }

  run(signal: AbortSignal): Promise<void> {
    return runWorkers(this.name, this.queue, signal, (key) => this.reconcile(key), { log: this.log });
  }

  async reconcile(key: string): Promise<void> {
    const pod = this.pods.getByKey(key);
    if (!pod) return;
    const nodeName = pod.spec?.nodeName;
    const node = nodeName ? this.nodes.get(nodeName) : undefined;
    const now = this.clock.now();
    if (nodeName && !node && !this.missingSince.has(nodeName)) this.missingSince.set(nodeName, now);
    const plan = planPodGC(pod, node, nodeName ? this.missingSince.get(nodeName) : undefined, now);
    switch (plan.action) {
      case 'none':
        return;
      case 'wait':
        this.queue.addAfter(key, plan.ms);
        return;
      case 'confirm-orphan':
        if (await this.nodeExists(nodeName!)) {
          this.missingSince.delete(nodeName!);
          return;
        }
        this.log(`pod ${key}: node ${nodeName} no longer exists; force-deleting it`);
        await this.markDisrupted(pod, 'PodGC: node no longer exists', now);
        await this.forceDelete(pod);
        return;
      case 'force-delete':
        this.log(`pod ${key}: force-deleting a terminating pod (${plan.why})`);
        await this.forceDelete(pod);
        return;
    }
  }

  private async nodeExists(name: string): Promise<boolean> {
    try {
      await this.client.get(NODES, undefined, name);
      return true;
    } catch (err) {
      if (hasCode(err, 404)) return false;
      throw err;
    }
  }

  private async markDisrupted(pod: PodObject, message: string, now: number): Promise<void> {
    try {
      await markDisruptionTarget(this.client, pod, 'DeletionByPodGC', message, now);
    } catch (err) {
      if (!hasCode(err, 404)) throw err;
    }
  }

  private async forceDelete(pod: PodObject): Promise<void> {
    try {
      await this.client.delete(PODS, pod.metadata.namespace, pod.metadata.name!, {
        gracePeriodSeconds: 0,
        preconditions: { uid: pod.metadata.uid! },
      });
    } catch (err) {
      if (!hasCode(err, 404, 409)) throw err;
    }
  }
}
