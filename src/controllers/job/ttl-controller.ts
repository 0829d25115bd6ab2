/**
 * The ttl-after-finished controller: deletes a finished Job `ttlSecondsAfterFinished` seconds
 * after it finished, with foreground propagation so its pods go first, as Kubernetes does.
 *
 * It is its own controller, as in kube-controller-manager, because it acts on a different
 * trigger (time after the end) than the Job controller (pods) and can be switched off alone;
 * it shares the Job informer with the Job controller, so it costs no extra watch.
 *
 * Before deleting, it reads the Job afresh from the API server: the user may have changed the
 * TTL since the cache saw it. The delete carries that read's resourceVersion as precondition.
 */
import type { Job } from 'kubernetes-types/batch/v1.js';
import { hasCode } from '../../api/errors.js';
import type { KubeObject } from '../../api/object.js';
import { type Informer, keyOf, splitKey } from '../../client/informer.js';
import type { Client } from '../../client/rest.js';
import { WorkQueue } from '../../client/workqueue.js';
import type { Clock } from '../../util/clock.js';
import { type Controller, type ControllerContext, runWorkers } from '../framework/controller.js';
import { JOBS, MAX_REQUEUE_MS } from './controller.js';
import { ttlExpiry } from './ttl.js';

export class TTLAfterFinishedController implements Controller {
  readonly name = 'ttl-after-finished';
  private readonly client: Client;
  private readonly clock: Clock;
  private readonly log: (line: string) => void;
  private readonly jobs: Informer<KubeObject>;
  private readonly queue: WorkQueue;

  constructor(ctx: ControllerContext) {
    this.client = ctx.client;
    this.clock = ctx.clock;
    this.log = ctx.log;
    this.queue = new WorkQueue({ clock: ctx.clock });
    this.jobs = ctx.informers.for(JOBS);
    const enqueue = (job: KubeObject) => {
      if (ttlExpiry(job as unknown as Job) !== undefined) this.queue.add(keyOf(job));
    };
    this.jobs.onAdd(enqueue);
    this.jobs.onUpdate((_old, job) => enqueue(job));
  }

  run(signal: AbortSignal): Promise<void> {
    return runWorkers(this.name, this.queue, signal, (key) => this.reconcile(key), { log: this.log });
  }

  async reconcile(key: string): Promise<void> {
    const now = this.clock.now();
    /** Whether `job` is due for deletion; when it will be later, come back then. */
    const due = (job: KubeObject): boolean => {
      const expiry = ttlExpiry(job as unknown as Job);
      if (expiry === undefined) return false;
      if (expiry > now) {
        this.queue.addAfter(key, Math.min(expiry - now, MAX_REQUEUE_MS));
        return false;
      }
      return true;
    };
    const cached = this.jobs.getByKey(key);
    if (!cached || !due(cached)) return;
    const { namespace, name } = splitKey(key);
    let fresh: KubeObject;
    try {
      fresh = await this.client.get(JOBS, namespace, name);
    } catch (err) {
      if (hasCode(err, 404)) return;
      throw err;
    }
    if (!due(fresh)) return;
    try {
      await this.client.delete(JOBS, namespace, name, {
        propagationPolicy: 'Foreground',
        preconditions: { uid: fresh.metadata.uid!, resourceVersion: fresh.metadata.resourceVersion! },
      });
    } catch (err) {
      // Gone already, or changed since we read it (the next event brings it back here).
      if (!hasCode(err, 404, 409)) throw err;
    }
  }
}
