/**
 * The node IPAM controller (Kubernetes' nodeipam range allocator): every Node gets a pod CIDR cut
 * from the cluster CIDR (settings `clusterCIDR`, `nodeCIDRMaskSize`; `shoal server
 * --cluster-cidr`, `--node-cidr-mask-size`). The agent builds the node's pod bridge on it.
 *
 * Which ranges are taken lives only in memory (cidr-set.ts): before the first reconcile it is
 * rebuilt from the Nodes in the synced cache, so a restarted server or a new leader never hands a
 * range out twice. A write is a PUT carrying the cached resourceVersion; if the Node changed
 * meanwhile it fails with 409, the range goes back, and the Node is tried again from the fresh
 * cache. A deleted Node's range is free again, and the Nodes waiting for one are looked at.
 */
import type { Node } from 'kubernetes-types/core/v1.js';
import { hasCode } from '../../api/errors.js';
import type { KubeObject } from '../../api/object.js';
import { lookupResource } from '../../api/resources.js';
import type { Recorder } from '../../client/events.js';
import type { Informer } from '../../client/informer.js';
import type { Client } from '../../client/rest.js';
import { WorkQueue } from '../../client/workqueue.js';
import { type Controller, type ControllerContext, runWorkers } from '../framework/controller.js';
import { refOf } from '../framework/pod-control.js';
import { CidrSet, clusterCIDR } from './cidr-set.js';
import { planNodeCIDR, podCIDRsOf } from './reconcile.js';

const NODES = lookupResource('', 'v1', 'nodes')!;

type NodeObject = Node & KubeObject;

export class NodeIpamController implements Controller {
  readonly name = 'nodeipam';
  private readonly client: Client;
  private readonly log: (line: string) => void;
  private readonly recorder: Recorder;
  private readonly nodes: Informer<NodeObject>;
  private readonly queue: WorkQueue;
  private readonly cidrs: CidrSet;

  constructor(ctx: ControllerContext) {
    const cluster = clusterCIDR(ctx.settings.clusterCIDR, ctx.settings.nodeCIDRMaskSize);
    if (typeof cluster === 'string') throw new Error(cluster);
    this.cidrs = new CidrSet(cluster);
    this.client = ctx.client;
    this.log = ctx.log;
    this.recorder = ctx.recorder('node-controller');
    this.queue = new WorkQueue({ clock: ctx.clock });
    this.nodes = ctx.informers.for<NodeObject>(NODES);
    const enqueue = (node: NodeObject) => {
      if (podCIDRsOf(node).length === 0) this.queue.add(node.metadata.name!);
    };
    this.nodes.onAdd(enqueue);
    this.nodes.onUpdate((_old, node) => enqueue(node));
    this.nodes.onDelete((node) => {
      const freed = podCIDRsOf(node);
      if (freed.length === 0) return;
      for (const c of freed) this.cidrs.release(c);
      for (const waiting of this.nodes.list()) enqueue(waiting);
    });
  }

  run(signal: AbortSignal): Promise<void> {
    // The caches are synced before run: take every range a Node already holds before handing any out.
    for (const node of this.nodes.list()) for (const c of podCIDRsOf(node)) this.cidrs.occupy(c);
    // One worker: ranges are handed out in order, one Node at a time.
    return runWorkers(this.name, this.queue, signal, (name) => this.reconcile(name), {
      workers: 1,
      log: this.log,
    });
  }

  async reconcile(name: string): Promise<void> {
    const node = this.nodes.get(name);
    if (!node) return;
    const plan = planNodeCIDR(node, this.cidrs);
    switch (plan.action) {
      case 'none':
        return;
      case 'exhausted':
        this.log(
          `node ${name}: no pod CIDR left in ${this.describeCluster()}; it waits for a Node to be deleted`,
        );
        this.recorder.event(refOf(node), plan.event.type, plan.event.reason, plan.event.message);
        return;
      case 'assign':
        try {
          await this.client.update<NodeObject>(NODES, undefined, plan.node as NodeObject);
        } catch (err) {
          this.cidrs.release(plan.cidr);
          if (hasCode(err, 404)) return;
          if (hasCode(err, 409)) throw new Error(`node ${name} changed meanwhile; retrying`);
          throw err;
        }
        this.log(`node ${name}: pod CIDR ${plan.cidr}`);
    }
  }

  private describeCluster(): string {
    const c = this.cidrs.cluster;
    return `the cluster CIDR (${this.cidrs.size} ranges of /${c.nodeMaskSize})`;
  }
}
