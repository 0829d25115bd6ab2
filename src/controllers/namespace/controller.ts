/**
 * The namespace controller: when a namespace is deleted, delete everything in it, then clear the
 * namespace's `spec.finalizers` (PUT .../finalize) so the API server removes the namespace.
 * Level-triggered: it re-lists what is left on every pass and requeues until nothing is.
 */
import { hasCode } from '../../api/errors.js';
import type { KubeObject } from '../../api/object.js';
import { lookupResource, RESOURCES } from '../../api/resources.js';
import type { Informer } from '../../client/informer.js';
import type { Client } from '../../client/rest.js';
import { WorkQueue } from '../../client/workqueue.js';
import { type Controller, type ControllerContext, runWorkers } from '../framework/controller.js';
import { planNamespaceCleanup } from './reconcile.js';

const NAMESPACES = lookupResource('', 'v1', 'namespaces')!;
/** Namespaced kinds, events last so the deletion's own events stay readable as long as possible. */
const CONTENT_KINDS = RESOURCES.filter((r) => r.namespaced && r.verbs.includes('deletecollection')).sort(
  (a, b) => Number(a.kind === 'Event') - Number(b.kind === 'Event'),
);
/** While objects are terminating, look again this often. */
const RECHECK_MS = 1000;
/**
 * Kubernetes' namespaceDeletionGracePeriod: a deleted namespace's contents are deleted 5 s after
 * the deletion is seen, not at once, so that writes already on their way (a `kubectl delete -f`
 * deleting the namespace and then its objects, a controller's last create) land first.
 */
const DELETION_GRACE_MS = 5000;

export class NamespaceController implements Controller {
  readonly name = 'namespace';
  private readonly client: Client;
  private readonly log: (line: string) => void;
  private readonly informer: Informer;
  private readonly queue = new WorkQueue();

  constructor(ctx: ControllerContext) {
    this.client = ctx.client;
    this.log = ctx.log;
    this.informer = ctx.informers.for(NAMESPACES);
    const enqueue = (ns: KubeObject) => {
      if (ns.metadata.deletionTimestamp) this.queue.addAfter(ns.metadata.name!, DELETION_GRACE_MS);
    };
    this.informer.onAdd(enqueue);
    this.informer.onUpdate((_old, ns) => enqueue(ns));
  }

  run(signal: AbortSignal): Promise<void> {
    return runWorkers(this.name, this.queue, signal, (name) => this.reconcile(name), { log: this.log });
  }

  async reconcile(name: string): Promise<void> {
    const namespace = this.informer.get(name);
    if (!namespace?.metadata.deletionTimestamp) return;
    const contents: { kind: (typeof CONTENT_KINDS)[number]; obj: KubeObject }[] = [];
    for (const kind of CONTENT_KINDS) {
      const list = await this.client.listAll(kind, name);
      for (const obj of list.items) contents.push({ kind, obj });
    }
    const plan = planNamespaceCleanup(
      namespace,
      contents.map((c) => c.obj),
    );
    if (plan.action === 'finalize') {
      await this.client.update(
        NAMESPACES,
        undefined,
        { ...namespace, spec: { finalizers: [] } } as KubeObject,
        {
          subresource: 'finalize',
        },
      );
      return;
    }
    if (plan.action === 'delete') {
      const pending = new Set(plan.objects);
      for (const { kind, obj } of contents) {
        if (!pending.has(obj)) continue;
        await this.client
          .delete(kind, name, obj.metadata.name!, { propagationPolicy: 'Background' })
          .catch((err: unknown) => {
            if (!hasCode(err, 404)) throw err;
          });
      }
      this.queue.addAfter(name, RECHECK_MS);
    }
  }
}
