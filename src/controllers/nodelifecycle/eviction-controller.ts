/**
 * The taint eviction controller (Kubernetes' taint-eviction-controller): deletes the pods of a
 * node with a NoExecute taint they do not tolerate, at once, or once their tolerationSeconds have
 * passed (eviction.ts decides). Every pod gets 2 s tolerations of not-ready and unreachable by
 * default (admission/default-tolerations.ts), so a lost node's pods go 2 s after its taint.
 *
 * Each pod is one key; a node whose taints change enqueues its pods (found through the pod
 * informer's index by node name). Pending evictions live in memory, as Kubernetes' do: a
 * controller that restarts starts their countdowns again.
 *
 * An evicted pod gets the condition DisruptionTarget (DeletionByTaintManager), then a normal
 * delete with its grace period; on an unreachable node nothing confirms that delete, so the pod
 * stays Terminating until its agent comes back or its node is deleted (pod GC). ReplicaSets count
 * only pods not being deleted, so their replacements start at once; a StatefulSet waits for the
 * pod object to be gone, so its pod is never run twice.
 */
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { hasCode } from '../../api/errors.js';
import type { KubeObject } from '../../api/object.js';
import { lookupResource } from '../../api/resources.js';
import type { Recorder } from '../../client/events.js';
import { type Informer, keyOf, splitKey } from '../../client/informer.js';
import type { Client } from '../../client/rest.js';
import { WorkQueue } from '../../client/workqueue.js';
import type { Clock } from '../../util/clock.js';
import { type Controller, type ControllerContext, runWorkers } from '../framework/controller.js';
import { markDisruptionTarget, PODS, refOf } from '../framework/pod-control.js';
import { indexByNode, podsOnNode } from '../framework/pods.js';
import { type PendingEviction, planEviction } from './eviction.js';

const NODES = lookupResource('', 'v1', 'nodes')!;

type PodObject = Pod & KubeObject;
type NodeObject = Node & KubeObject;

export class TaintEvictionController implements Controller {
  readonly name = 'taint-eviction';
  private readonly client: Client;
  private readonly clock: Clock;
  private readonly log: (line: string) => void;
  private readonly recorder: Recorder;
  private readonly pods: Informer<PodObject>;
  private readonly nodes: Informer<NodeObject>;
  private readonly queue: WorkQueue;
  private readonly pending = new Map<string, PendingEviction>();

  constructor(ctx: ControllerContext) {
    this.client = ctx.client;
    this.clock = ctx.clock;
    this.log = ctx.log;
    this.recorder = ctx.recorder('taint-eviction-controller');
    this.queue = new WorkQueue({ clock: ctx.clock });
    this.pods = ctx.informers.for<PodObject>(PODS);
    this.nodes = ctx.informers.for<NodeObject>(NODES);
    indexByNode(this.pods);
    const enqueuePod = (pod: PodObject) => {
      if (pod.spec?.nodeName) this.queue.add(keyOf(pod));
    };
    this.pods.onAdd(enqueuePod);
    this.pods.onUpdate((_old, pod) => enqueuePod(pod));
    this.pods.onDelete((pod) => this.pending.delete(keyOf(pod)));
    const enqueuePodsOf = (node: KubeObject) => {
      for (const pod of podsOnNode(this.pods, node.metadata.name!)) this.queue.add(keyOf(pod));
    };
    this.nodes.onAdd(enqueuePodsOf);
    this.nodes.onUpdate((old, node) => {
      if (noExecuteTaints(old) !== noExecuteTaints(node)) enqueuePodsOf(node);
    });
    this.nodes.onDelete(enqueuePodsOf);
  }

  run(signal: AbortSignal): Promise<void> {
    return runWorkers(this.name, this.queue, signal, (key) => this.reconcile(key), { log: this.log });
  }

  async reconcile(key: string): Promise<void> {
    const pod = this.pods.getByKey(key);
    if (!pod) {
      this.pending.delete(key);
      return;
    }
    const node = pod.spec?.nodeName ? this.nodes.get(pod.spec.nodeName) : undefined;
    const now = this.clock.now();
    const pending = this.pending.get(key);
    const plan = planEviction(pod, node?.spec?.taints ?? [], pending, now);
    const { namespace, name } = splitKey(key);
    switch (plan.action) {
      case 'none':
        if (pending && !pod.metadata.deletionTimestamp) {
          this.recorder.event(
            refOf(pod),
            'Normal',
            'TaintManagerEviction',
            `Cancelling deletion of Pod ${key}`,
          );
        }
        this.pending.delete(key);
        return;
      case 'wait':
        this.pending.set(key, plan.pending);
        this.queue.addAfter(key, plan.pending.at - now);
        return;
      case 'evict':
        this.pending.delete(key);
        this.recorder.event(refOf(pod), 'Normal', 'TaintManagerEviction', `Marking for deletion Pod ${key}`);
        this.log(`evicting pod ${key} from node ${pod.spec?.nodeName} (NoExecute taint)`);
        try {
          await markDisruptionTarget(
            this.client,
            pod,
            'DeletionByTaintManager',
            'Taint manager: deleting due to NoExecute taint',
            now,
          );
          await this.client.delete(PODS, namespace, name, { preconditions: { uid: pod.metadata.uid! } });
        } catch (err) {
          // Gone, or replaced by a new pod of the same name (which is judged on its own).
          if (!hasCode(err, 404, 409)) throw err;
        }
        return;
    }
  }
}

/** The node's NoExecute taints, as a string to compare. */
function noExecuteTaints(node: KubeObject): string {
  const taints = ((node as NodeObject).spec?.taints ?? []).filter((t) => t.effect === 'NoExecute');
  return JSON.stringify(taints.map((t) => [t.key, t.value ?? '']));
}
