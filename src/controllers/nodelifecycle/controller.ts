/**
 * The node lifecycle controller (Kubernetes' node-lifecycle-controller): watches Nodes and their
 * Leases (kube-node-lease/<node>); when neither was renewed for the grace period (settings
 * `nodeMonitorGracePeriodSeconds`, default 8 s, or the Lease's own duration when that is longer)
 * it marks the node's conditions Unknown; and it
 * keeps every node's condition taints (taints.ts) in line with its conditions. The taint eviction
 * controller (eviction-controller.ts) then moves the pods off.
 *
 * Each node is one key. A node is looked at when it or its Lease changes, and again when its
 * grace period would run out: a silent node produces no events, so the timer is what notices it.
 */
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { Node } from 'kubernetes-types/core/v1.js';
import { hasCode } from '../../api/errors.js';
import type { KubeObject } from '../../api/object.js';
import { lookupResource } from '../../api/resources.js';
import type { Recorder } from '../../client/events.js';
import type { Informer } from '../../client/informer.js';
import type { Client } from '../../client/rest.js';
import { WorkQueue } from '../../client/workqueue.js';
import type { Clock } from '../../util/clock.js';
import { type Controller, type ControllerContext, runWorkers } from '../framework/controller.js';
import { isNodeReady } from '../framework/nodes.js';
import { refOf } from '../framework/pod-control.js';
import { gracePeriodMs, judgeHealth, type NodeHealth, observeHealth } from './health.js';
import { desiredTaints } from './taints.js';

const NODES = lookupResource('', 'v1', 'nodes')!;
const LEASES = lookupResource('coordination.k8s.io', 'v1', 'leases')!;
export const NODE_LEASE_NAMESPACE = 'kube-node-lease';

type NodeObject = Node & KubeObject;

export class NodeLifecycleController implements Controller {
  readonly name = 'nodelifecycle';
  private readonly client: Client;
  private readonly clock: Clock;
  private readonly log: (line: string) => void;
  private readonly recorder: Recorder;
  private readonly nodes: Informer<NodeObject>;
  private readonly leases: Informer<Lease & KubeObject>;
  private readonly queue: WorkQueue;
  private readonly graceMs: number;
  private readonly health = new Map<string, NodeHealth>();
  /** Whether the last pass found every node not Ready (evictions stopped); undefined before any. */
  private allDown: boolean | undefined;

  constructor(ctx: ControllerContext) {
    this.client = ctx.client;
    this.clock = ctx.clock;
    this.log = ctx.log;
    this.recorder = ctx.recorder('node-controller');
    this.queue = new WorkQueue({ clock: ctx.clock });
    this.graceMs = ctx.settings.nodeMonitorGracePeriodSeconds * 1000;
    this.nodes = ctx.informers.for<NodeObject>(NODES);
    this.leases = ctx.informers.for<Lease & KubeObject>(LEASES);
    const enqueueNode = (node: KubeObject) => this.queue.add(node.metadata.name!);
    this.nodes.onAdd(enqueueNode);
    this.nodes.onUpdate((old, node) => {
      // The agent is the one that says Ready again; the event tells the user when we saw it.
      if (!isNodeReady(old) && isNodeReady(node)) {
        this.recorder.event(
          refOf(node),
          'Normal',
          'NodeReady',
          `Node ${node.metadata.name} status is now: NodeReady`,
        );
      }
      enqueueNode(node);
    });
    this.nodes.onDelete((node) => {
      this.health.delete(node.metadata.name!);
      this.queue.add(node.metadata.name!);
    });
    const enqueueLease = (lease: KubeObject) => {
      if (lease.metadata.namespace === NODE_LEASE_NAMESPACE) this.queue.add(lease.metadata.name!);
    };
    this.leases.onAdd(enqueueLease);
    this.leases.onUpdate((_old, lease) => enqueueLease(lease));
  }

  run(signal: AbortSignal): Promise<void> {
    return runWorkers(this.name, this.queue, signal, (name) => this.reconcile(name), { log: this.log });
  }

  async reconcile(name: string): Promise<void> {
    let node = this.nodes.get(name);
    if (!node) {
      this.health.delete(name);
      return;
    }
    const now = this.clock.now();
    const lease = this.leases.get(name, NODE_LEASE_NAMESPACE);
    const health = observeHealth(this.health.get(name), node, lease, now);
    this.health.set(name, health);
    const verdict = judgeHealth(node, health, now, gracePeriodMs(lease, this.graceMs));
    if (verdict.conditions) {
      const wasReady = isNodeReady(node);
      this.log(
        `node ${name}: no heartbeat for ${Math.round((now - health.probeAt) / 1000)} s; marking it Unknown`,
      );
      node = await this.write(
        { ...node, status: { ...node.status, conditions: verdict.conditions } },
        'status',
      );
      if (wasReady) {
        this.recorder.event(
          refOf(node),
          'Normal',
          'NodeNotReady',
          `Node ${name} status is now: NodeNotReady`,
        );
      }
    }
    const taints = desiredTaints(node, { evictionsStopped: this.evictionsStopped(), now });
    if (taints) {
      const { taints: _drop, ...spec } = node.spec ?? {};
      await this.write({ ...node, spec: taints.length > 0 ? { ...spec, taints } : spec });
    }
    if (verdict.recheckInMs !== undefined) this.queue.addAfter(name, verdict.recheckInMs);
  }

  /**
   * Whether no node at all is Ready (Kubernetes' full disruption): then no pod is evicted. When
   * that changes, every node is looked at again, to add or drop its NoExecute taints.
   */
  private evictionsStopped(): boolean {
    const nodes = this.nodes.list();
    const allDown = nodes.length > 0 && !nodes.some(isNodeReady);
    if (this.allDown !== undefined && allDown !== this.allDown) {
      this.log(
        allDown
          ? 'no node is Ready: stopping evictions until one is'
          : 'a node is Ready again: evictions resume',
      );
      for (const n of nodes) this.queue.add(n.metadata.name!);
    }
    this.allDown = allDown;
    return allDown;
  }

  /**
   * Write the node (its status, or the rest) based on the cached version: a node changed meanwhile
   * (the agent came back) fails with a conflict and the key is retried from the fresh cache.
   */
  private async write(node: NodeObject, subresource?: 'status'): Promise<NodeObject> {
    try {
      return await this.client.update<NodeObject>(NODES, undefined, node, subresource ? { subresource } : {});
    } catch (err) {
      if (hasCode(err, 409)) throw new Error(`node ${node.metadata.name} changed meanwhile; retrying`);
      throw err;
    }
  }
}
