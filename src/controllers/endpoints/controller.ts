/**
 * The Endpoints controller (Kubernetes' endpoint-controller): keeps each selector Service's
 * core/v1 Endpoints object (reconcile.ts) in step with its pods, and deletes it with the Service
 * (Endpoints carry no owner reference, as in Kubernetes). Services without a selector keep the
 * Endpoints their user writes. Pod changes enqueue only the Services selecting the pod, at once.
 */
import type { Endpoints, Pod, Service } from 'kubernetes-types/core/v1.js';
import { hasCode } from '../../api/errors.js';
import type { KubeObject } from '../../api/object.js';
import { lookupResource } from '../../api/resources.js';
import { type Informer, keyOf, splitKey } from '../../client/informer.js';
import type { Client } from '../../client/rest.js';
import { WorkQueue } from '../../client/workqueue.js';
import { SERVICES, servicesSelecting } from '../endpointslice/controller.js';
import { managesEndpoints, serviceEndpoints } from '../endpointslice/pod-endpoints.js';
import { type Controller, type ControllerContext, runWorkers } from '../framework/controller.js';
import { PODS } from '../framework/pod-control.js';
import { planEndpoints } from './reconcile.js';

const ENDPOINTS = lookupResource('', 'v1', 'endpoints')!;

type ServiceObject = Service & KubeObject;
type EndpointsObject = Endpoints & KubeObject;

/** Endpoints used as leader-election locks by older components carry this; never touch them. */
const LEADER_ANNOTATION = 'control-plane.alpha.kubernetes.io/leader';

export class EndpointsController implements Controller {
  readonly name = 'endpoints';
  private readonly client: Client;
  private readonly log: (line: string) => void;
  private readonly services: Informer<ServiceObject>;
  private readonly pods: Informer<Pod & KubeObject>;
  private readonly endpoints: Informer<EndpointsObject>;
  private readonly queue: WorkQueue;

  constructor(ctx: ControllerContext) {
    this.client = ctx.client;
    this.log = ctx.log;
    this.queue = new WorkQueue({ clock: ctx.clock });
    this.services = ctx.informers.for<ServiceObject>(SERVICES);
    this.pods = ctx.informers.for<Pod & KubeObject>(PODS);
    this.endpoints = ctx.informers.for<EndpointsObject>(ENDPOINTS);
    const enqueue = (obj: KubeObject) => this.queue.add(keyOf(obj));
    this.services.onAdd(enqueue);
    this.services.onUpdate((_old, svc) => enqueue(svc));
    this.services.onDelete(enqueue);
    const enqueueFor = (pod: Pod, old?: Pod) => {
      for (const key of servicesSelecting(this.services, pod, old)) this.queue.add(key);
    };
    this.pods.onAdd((pod) => enqueueFor(pod));
    this.pods.onUpdate((old, pod) => enqueueFor(pod, old));
    this.pods.onDelete((pod) => enqueueFor(pod));
    // Ours deleted by someone else: put it back (an edit is undone at the Service's next change,
    // as in Kubernetes, so an Endpoints a user writes before its Service is never deleted under them).
    this.endpoints.onDelete(enqueue);
  }

  run(signal: AbortSignal): Promise<void> {
    return runWorkers(this.name, this.queue, signal, (key) => this.reconcile(key), { log: this.log });
  }

  async reconcile(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const svc = this.services.getByKey(key);
    const existing = this.endpoints.getByKey(key);
    if (!svc) {
      if (existing && !existing.metadata.annotations?.[LEADER_ANNOTATION]) {
        await this.tolerate(() =>
          this.client.delete(ENDPOINTS, namespace, name, { preconditions: { uid: existing.metadata.uid! } }),
        );
      }
      return;
    }
    if (!managesEndpoints(svc)) return;
    const endpoints = serviceEndpoints(svc, this.pods.list(namespace), { includeTerminating: false });
    const plan = planEndpoints(svc, endpoints, existing);
    if (plan.action === 'create') {
      await this.tolerate(() => this.client.create(ENDPOINTS, namespace, plan.endpoints as EndpointsObject));
    } else if (plan.action === 'update') {
      await this.tolerate(() => this.client.update(ENDPOINTS, namespace, plan.endpoints as EndpointsObject));
    }
  }

  /** Gone already is fine; a conflict (the cache was behind) is retried from the fresh cache. */
  private async tolerate(op: () => Promise<unknown>): Promise<void> {
    try {
      await op();
    } catch (err) {
      if (hasCode(err, 404)) return;
      if (hasCode(err, 409)) throw new Error('the cache was behind (conflict); retrying');
      throw err;
    }
  }
}
