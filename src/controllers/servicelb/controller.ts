/**
 * The ServiceLB status controller (k3s's ServiceLB, the part that reports addresses; the agents'
 * proxy programs the host ports): writes `status.loadBalancer.ingress` of LoadBalancer Services
 * through the /status subresource (reconcile.ts decides what). Each Service is one key; a Node
 * change that alters the set of ingress addresses (readiness, cordoning, its InternalIP, the Node
 * coming or going) enqueues every Service that is or was a LoadBalancer.
 */
import type { Node, Service } from 'kubernetes-types/core/v1.js';
import { hasCode } from '../../api/errors.js';
import type { KubeObject } from '../../api/object.js';
import { type Informer, keyOf } from '../../client/informer.js';
import type { Client } from '../../client/rest.js';
import { WorkQueue } from '../../client/workqueue.js';
import { NODES, SERVICES } from '../endpointslice/controller.js';
import { type Controller, type ControllerContext, runWorkers } from '../framework/controller.js';
import { internalIP, planServiceLBStatus, servesLoadBalancers } from './reconcile.js';

type ServiceObject = Service & KubeObject;
type NodeObject = Node & KubeObject;

export class ServiceLBController implements Controller {
  readonly name = 'servicelb';
  private readonly client: Client;
  private readonly log: (line: string) => void;
  private readonly services: Informer<ServiceObject>;
  private readonly nodes: Informer<NodeObject>;
  private readonly queue: WorkQueue;

  constructor(ctx: ControllerContext) {
    this.client = ctx.client;
    this.log = ctx.log;
    this.queue = new WorkQueue({ clock: ctx.clock });
    this.services = ctx.informers.for<ServiceObject>(SERVICES);
    this.nodes = ctx.informers.for<NodeObject>(NODES);
    const enqueue = (svc: ServiceObject) => {
      if (svc.spec?.type === 'LoadBalancer' || (svc.status?.loadBalancer?.ingress?.length ?? 0) > 0)
        this.queue.add(keyOf(svc));
    };
    this.services.onAdd(enqueue);
    this.services.onUpdate((_old, svc) => enqueue(svc));
    const enqueueAll = () => {
      for (const svc of this.services.list()) enqueue(svc);
    };
    const address = (n: Node) => (servesLoadBalancers(n) ? (internalIP(n) ?? '') : '');
    this.nodes.onAdd(enqueueAll);
    this.nodes.onUpdate((old, node) => {
      if (address(old) !== address(node)) enqueueAll();
    });
    this.nodes.onDelete(enqueueAll);
  }

  run(signal: AbortSignal): Promise<void> {
    return runWorkers(this.name, this.queue, signal, (key) => this.reconcile(key), { log: this.log });
  }

  async reconcile(key: string): Promise<void> {
    const svc = this.services.getByKey(key);
    if (!svc) return;
    const updated = planServiceLBStatus(svc, this.nodes.list());
    if (!updated) return;
    try {
      await this.client.update(SERVICES, svc.metadata.namespace, updated as ServiceObject, {
        subresource: 'status',
      });
    } catch (err) {
      if (hasCode(err, 404)) return;
      if (hasCode(err, 409)) throw new Error(`service ${key} changed meanwhile; retrying`);
      throw err;
    }
  }
}
