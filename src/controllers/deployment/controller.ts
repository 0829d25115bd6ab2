/**
 * The deployment controller's wiring: informer handlers that enqueue Deployment keys, and a
 * reconcile that claims the Deployment's ReplicaSets, asks reconcile.ts for a plan and writes it
 * (ReplicaSets first, then the Deployment's metadata/spec, then its status, then the events).
 *
 * Writes carry the cached resourceVersion, so a plan made from a stale cache fails with 409 and
 * the key is retried once the cache has caught up. The new ReplicaSet's name is deterministic
 * (`<deployment>-<pod-template-hash>`), so a create repeated before the watch delivered the first
 * one fails with AlreadyExists instead of making two (Kubernetes needs no expectations here either);
 * an AlreadyExists from a ReplicaSet that is not ours is a hash collision, and bumping
 * status.collisionCount gives the next try another name.
 */
import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { hasCode } from '../../api/errors.js';
import { selectorMatches } from '../../api/labels.js';
import type { KubeObject } from '../../api/object.js';
import { lookupKind } from '../../api/resources.js';
import type { PlannedEvent, Recorder } from '../../client/events.js';
import { type Informer, keyOf, splitKey } from '../../client/informer.js';
import type { Client } from '../../client/rest.js';
import { WorkQueue } from '../../client/workqueue.js';
import type { Clock } from '../../util/clock.js';
import { errorMessage } from '../../util/error-message.js';
import { type Controller, type ControllerContext, runWorkers } from '../framework/controller.js';
import {
  claim,
  controlledBy,
  controllerRefOf,
  indexByController,
  ownedOrOrphans,
  planClaims,
} from '../framework/owner.js';
import { PODS, refOf } from '../framework/pod-control.js';
import { type DeploymentPlan, planDeployment } from './reconcile.js';
import { equalIgnoreHash } from './replicasets.js';
import { hasProgressDeadline, newCondition, PROGRESSING, REASON, setCondition } from './status.js';

export const DEPLOYMENTS = lookupKind('apps/v1', 'Deployment')!;
export const REPLICASETS = lookupKind('apps/v1', 'ReplicaSet')!;

/** The ReplicaSet create failed because the name is taken: the pass stops, the key is retried. */
class RetryLater extends Error {}

export class DeploymentController implements Controller {
  readonly name = 'deployment';
  private readonly client: Client;
  private readonly clock: Clock;
  private readonly log: (line: string) => void;
  private readonly recorder: Recorder;
  private readonly deployments: Informer<Deployment & KubeObject>;
  private readonly replicaSets: Informer<ReplicaSet & KubeObject>;
  private readonly pods: Informer<Pod & KubeObject>;
  private readonly queue: WorkQueue;

  constructor(ctx: ControllerContext) {
    this.client = ctx.client;
    this.clock = ctx.clock;
    this.log = ctx.log;
    this.recorder = ctx.recorder('deployment-controller');
    this.queue = new WorkQueue({ clock: ctx.clock });
    this.deployments = ctx.informers.for(DEPLOYMENTS);
    this.replicaSets = ctx.informers.for(REPLICASETS);
    this.pods = ctx.informers.for(PODS);
    indexByController(this.replicaSets);
    indexByController(this.pods);

    const enqueue = (d: KubeObject) => this.queue.add(keyOf(d));
    this.deployments.onAdd(enqueue);
    this.deployments.onUpdate((_old, d) => enqueue(d));
    this.deployments.onDelete(enqueue);

    this.replicaSets.onAdd((rs) => this.enqueueFor(rs));
    this.replicaSets.onUpdate((old, rs) => {
      const oldRef = controllerRefOf(old);
      const newRef = controllerRefOf(rs);
      if (oldRef && oldRef.uid !== newRef?.uid) this.enqueueOwner(old);
      if (newRef) this.enqueueOwner(rs);
      else if (JSON.stringify(old.metadata.labels) !== JSON.stringify(rs.metadata.labels))
        this.enqueueFor(rs);
    });
    this.replicaSets.onDelete((rs) => this.enqueueOwner(rs));
    // Recreate waits for the old pods to be gone; only their deletion tells it when.
    this.pods.onDelete((pod) => {
      const ref = controllerRefOf(pod);
      if (ref?.kind !== 'ReplicaSet') return;
      const rs = this.replicaSets.get(ref.name, pod.metadata.namespace);
      const owner = rs && controllerRefOf(rs);
      if (owner?.kind !== 'Deployment') return;
      const d = this.deployments.get(owner.name, pod.metadata.namespace);
      if (d?.spec?.strategy?.type === 'Recreate') this.queue.add(keyOf(d));
    });
  }

  run(signal: AbortSignal): Promise<void> {
    return runWorkers(this.name, this.queue, signal, (key) => this.reconcile(key), { log: this.log });
  }

  /** The owning Deployment of `rs`, or for an orphan every Deployment that would adopt it. */
  private enqueueFor(rs: KubeObject): void {
    if (controllerRefOf(rs)) {
      this.enqueueOwner(rs);
      return;
    }
    for (const d of this.deployments.list(rs.metadata.namespace)) {
      if (d.spec?.selector && selectorMatches(d.spec.selector, rs.metadata.labels)) this.queue.add(keyOf(d));
    }
  }

  private enqueueOwner(rs: KubeObject): void {
    const ref = controllerRefOf(rs);
    if (ref?.kind !== 'Deployment') return;
    const d = this.deployments.get(ref.name, rs.metadata.namespace);
    if (d && d.metadata.uid === ref.uid) this.queue.add(keyOf(d));
  }

  async reconcile(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const d = this.deployments.get(name, namespace);
    if (!d) return;
    const claims = planClaims(d, d.spec?.selector, ownedOrOrphans(this.replicaSets, d));
    const owned =
      claims.adopt.length + claims.release.length > 0
        ? await claim(this.client, REPLICASETS, d, claims)
        : claims.owned;
    const pods =
      d.spec?.strategy?.type === 'Recreate'
        ? owned.flatMap((rs) => controlledBy(this.pods, rs.metadata.uid!))
        : [];
    const plan = planDeployment({ deployment: d, replicaSets: owned, pods, now: this.clock.now() });
    try {
      await this.apply(d, plan);
    } catch (err) {
      if (err instanceof RetryLater) {
        this.queue.addAfter(key, 1000);
        return;
      }
      throw err;
    }
    if (plan.requeueAfterMs !== undefined) this.queue.addAfter(key, Math.max(plan.requeueAfterMs, 250));
  }

  private async apply(d: Deployment & KubeObject, plan: DeploymentPlan): Promise<void> {
    const ns = d.metadata.namespace;
    for (const step of plan.steps) {
      const rs = step.rs as ReplicaSet & KubeObject;
      if (step.op === 'create') await this.createReplicaSet(d, rs);
      else if (step.op === 'update') await this.client.update(REPLICASETS, ns, rs);
      else {
        await this.client
          .delete(REPLICASETS, ns, rs.metadata.name!, { preconditions: { uid: rs.metadata.uid! } })
          .catch((err: unknown) => {
            if (!hasCode(err, 404)) throw err;
          });
      }
      this.record(d, step.events);
    }
    let current: KubeObject = d;
    if (plan.deployment) current = await this.client.update(DEPLOYMENTS, ns, plan.deployment as KubeObject);
    if (plan.status) {
      await this.client.update(
        DEPLOYMENTS,
        ns,
        { ...current, status: plan.status },
        { subresource: 'status' },
      );
    }
    this.record(d, plan.events);
  }

  private async createReplicaSet(d: Deployment & KubeObject, rs: ReplicaSet & KubeObject): Promise<void> {
    const ns = d.metadata.namespace;
    try {
      await this.client.create(REPLICASETS, ns, rs);
      return;
    } catch (err) {
      if (hasCode(err, 409)) return this.nameTaken(d, rs);
      const message = `Failed to create new replica set "${rs.metadata.name}": ${errorMessage(err)}`;
      this.record(d, [{ type: 'Warning', reason: REASON.failedRSCreate, message }]);
      if (hasProgressDeadline(d)) {
        const status = structuredClone(d.status ?? {});
        setCondition(
          status,
          newCondition(PROGRESSING, 'False', REASON.failedRSCreate, message, this.clock.now()),
        );
        await this.client
          .update(DEPLOYMENTS, ns, { ...d, status }, { subresource: 'status' })
          .catch(() => {});
      }
      throw err;
    }
  }

  /** AlreadyExists: ours (the watch is behind) or a hash collision (another template has the name). */
  private async nameTaken(d: Deployment & KubeObject, rs: ReplicaSet & KubeObject): Promise<never> {
    const ns = d.metadata.namespace;
    const existing = (await this.client.get(REPLICASETS, ns, rs.metadata.name!)) as ReplicaSet & KubeObject;
    const ref = controllerRefOf(existing);
    if (ref?.uid === d.metadata.uid && equalIgnoreHash(existing.spec?.template, d.spec?.template)) {
      throw new RetryLater();
    }
    const status = {
      ...structuredClone(d.status ?? {}),
      collisionCount: (d.status?.collisionCount ?? 0) + 1,
    };
    await this.client.update(DEPLOYMENTS, ns, { ...d, status }, { subresource: 'status' });
    this.log(
      `deployment ${keyOf(d)}: hash collision on ReplicaSet ${rs.metadata.name}; collisionCount now ${status.collisionCount}`,
    );
    throw new RetryLater();
  }

  private record(d: Deployment & KubeObject, events: readonly PlannedEvent[]): void {
    for (const e of events) this.recorder.event(refOf(d), e.type, e.reason, e.message);
  }
}
