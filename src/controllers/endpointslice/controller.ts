/**
 * The EndpointSlice controller (Kubernetes' endpointslice-controller): for each Service with a
 * selector, discovery.k8s.io/v1 EndpointSlices (IPv4) listing the pods it selects, one endpoint
 * per pod with an IP (pod-endpoints.ts decides which pods and how they look; reconcile.ts which
 * slices to create, rewrite and delete). The slices carry `kubernetes.io/service-name`, the
 * managed-by label and the Service as controller owner, so the garbage collector removes them
 * with it. Services without a selector are left alone: their slices are the user's.
 *
 * Each Service is one key. Readiness changes must show within a second, so a pod change enqueues
 * at once (no batching delay), and only the Services whose selector matches the pod's old or new
 * labels. Slices created with generateName cannot be told apart from a stale cache by name, so
 * creations are counted as expectations (framework/expectations.ts): until the watch has
 * delivered them, the Service waits, instead of creating the same slices twice. Updates and
 * deletes carry the cached resourceVersion, so a stale cache costs a 409 and a retry.
 */
import type { Node, Pod, Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { hasCode } from '../../api/errors.js';
import type { KubeObject } from '../../api/object.js';
import { lookupResource } from '../../api/resources.js';
import { type Informer, keyOf, splitKey } from '../../client/informer.js';
import type { Client } from '../../client/rest.js';
import { WorkQueue } from '../../client/workqueue.js';
import { type Controller, type ControllerContext, runWorkers } from '../framework/controller.js';
import { Expectations } from '../framework/expectations.js';
import { PODS } from '../framework/pod-control.js';
import { indexByNode, podsOnNode } from '../framework/pods.js';
import { managesEndpoints, selects, serviceEndpoints, ZONE_LABEL } from './pod-endpoints.js';
import { MANAGED_BY, MANAGED_BY_LABEL, planSlices, SERVICE_NAME_LABEL } from './reconcile.js';

export const SERVICES = lookupResource('', 'v1', 'services')!;
export const NODES = lookupResource('', 'v1', 'nodes')!;
const SLICES = lookupResource('discovery.k8s.io', 'v1', 'endpointslices')!;

type ServiceObject = Service & KubeObject;
type PodObject = Pod & KubeObject;
type SliceObject = EndpointSlice & KubeObject;

/** The slice informer's index of this controller's slices by their Service's key. */
const BY_SERVICE = 'endpointslice-service';

function serviceKeyOf(slice: SliceObject): string | undefined {
  const labels = slice.metadata.labels ?? {};
  const name = labels[SERVICE_NAME_LABEL];
  return labels[MANAGED_BY_LABEL] === MANAGED_BY && name ? `${slice.metadata.namespace}/${name}` : undefined;
}

/**
 * The Services of `pod`'s namespace selecting it (or its earlier version `old`), each once: what a
 * pod change enqueues. Shared with the Endpoints controller.
 */
export function servicesSelecting(services: Informer<ServiceObject>, pod: Pod, old?: Pod): string[] {
  const keys: string[] = [];
  for (const svc of services.list(pod.metadata?.namespace)) {
    if (selects(svc, pod) || (old && selects(svc, old))) keys.push(keyOf(svc));
  }
  return keys;
}

export class EndpointSliceController implements Controller {
  readonly name = 'endpointslice';
  private readonly client: Client;
  private readonly log: (line: string) => void;
  private readonly services: Informer<ServiceObject>;
  private readonly pods: Informer<PodObject>;
  private readonly nodes: Informer<Node & KubeObject>;
  private readonly slices: Informer<SliceObject>;
  private readonly queue: WorkQueue;
  private readonly expectations: Expectations;

  constructor(ctx: ControllerContext) {
    this.client = ctx.client;
    this.log = ctx.log;
    this.queue = new WorkQueue({ clock: ctx.clock });
    this.expectations = new Expectations(ctx.clock);
    this.services = ctx.informers.for<ServiceObject>(SERVICES);
    this.pods = ctx.informers.for<PodObject>(PODS);
    this.nodes = ctx.informers.for<Node & KubeObject>(NODES);
    this.slices = ctx.informers.for<SliceObject>(SLICES);
    indexByNode(this.pods);
    this.slices.addIndex(BY_SERVICE, (s) => {
      const key = serviceKeyOf(s);
      return key ? [key] : [];
    });

    const enqueueService = (svc: KubeObject) => this.queue.add(keyOf(svc));
    this.services.onAdd(enqueueService);
    this.services.onUpdate((_old, svc) => enqueueService(svc));
    this.services.onDelete((svc) => this.expectations.forget(keyOf(svc)));

    const enqueueFor = (pod: Pod, old?: Pod) => {
      for (const key of servicesSelecting(this.services, pod, old)) this.queue.add(key);
    };
    this.pods.onAdd((pod) => enqueueFor(pod));
    this.pods.onUpdate((old, pod) => enqueueFor(pod, old));
    this.pods.onDelete((pod) => enqueueFor(pod));

    // A node's zone shows in its pods' endpoints.
    this.nodes.onUpdate((old, node) => {
      if (old.metadata.labels?.[ZONE_LABEL] === node.metadata.labels?.[ZONE_LABEL]) return;
      for (const pod of podsOnNode(this.pods, node.metadata.name!)) enqueueFor(pod);
    });

    this.slices.onAdd((slice) => {
      const key = serviceKeyOf(slice);
      if (!key) return;
      this.expectations.creationObserved(key);
      this.queue.add(key);
    });
    // Someone else changed or deleted one of ours: put it back as it should be.
    const repair = (slice: SliceObject) => {
      const key = serviceKeyOf(slice);
      if (key) this.queue.add(key);
    };
    this.slices.onUpdate((_old, slice) => repair(slice));
    this.slices.onDelete(repair);
  }

  run(signal: AbortSignal): Promise<void> {
    return runWorkers(this.name, this.queue, signal, (key) => this.reconcile(key), { log: this.log });
  }

  async reconcile(key: string): Promise<void> {
    const svc = this.services.getByKey(key);
    // A deleted Service's slices go with it (the garbage collector follows their owner reference).
    if (!svc || !managesEndpoints(svc)) return;
    if (!this.expectations.satisfied(key)) return; // the slices just created are on their way
    const { namespace } = splitKey(key);
    const endpoints = serviceEndpoints(svc, this.pods.list(namespace), {
      includeTerminating: true,
      zoneOf: (node) => this.nodes.get(node)?.metadata.labels?.[ZONE_LABEL],
    });
    const existing = this.slices.byIndex(BY_SERVICE, key);
    const plan = planSlices(svc, endpoints, existing);
    for (const slice of plan.update) {
      await this.write(() => this.client.update(SLICES, namespace, slice as SliceObject), slice);
    }
    if (plan.create.length > 0) {
      this.expectations.expectCreations(key, plan.create.length);
      for (const slice of plan.create) {
        try {
          await this.client.create(SLICES, namespace, slice as SliceObject);
        } catch (err) {
          this.expectations.creationFailed(key);
          throw err;
        }
      }
    }
    for (const slice of plan.delete) {
      await this.write(
        () =>
          this.client.delete(SLICES, namespace, slice.metadata!.name!, {
            preconditions: { uid: slice.metadata!.uid! },
          }),
        slice,
      );
    }
  }

  /** A write based on the cache; a slice changed or gone meanwhile is retried from the fresh cache. */
  private async write(op: () => Promise<unknown>, slice: EndpointSlice): Promise<void> {
    try {
      await op();
    } catch (err) {
      if (hasCode(err, 404)) return;
      if (hasCode(err, 409))
        throw new Error(`EndpointSlice ${slice.metadata?.name} changed meanwhile; retrying`);
      throw err;
    }
  }
}
