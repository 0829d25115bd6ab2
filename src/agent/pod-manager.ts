/**
 * The pods of this node: one worker per pod UID, fed by the pod informer (pods whose
 * spec.nodeName is this node) and by runtime events, plus housekeeping that removes what the
 * runtime runs for pods that no longer exist. It also answers "which container is
 * namespace/pod/container?" for logs and exec.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { ContainerRecord, RuntimeDriver } from '../runtime/driver.js';
import { RuntimeUnavailableError } from '../runtime/driver.js';
import type { Clock } from '../util/clock.js';
import { LocateError } from './container-locator.js';
import { viewOf } from './pod-plan.js';
import { PodWorker, type WorkerDeps } from './pod-worker.js';

export interface PodManagerOptions {
  /** How often to look for containers of pods that no longer exist (default 10 s). */
  housekeepingMs?: number;
}

export class PodManager {
  private readonly workers = new Map<string, PodWorker>();
  private readonly abort = new AbortController();
  private synced = false;
  private readonly clock: Clock;
  private readonly driver: RuntimeDriver;

  constructor(
    private readonly deps: WorkerDeps,
    private readonly options: PodManagerOptions = {},
  ) {
    this.clock = deps.clock;
    this.driver = deps.driver;
  }

  get size(): number {
    return this.workers.size;
  }

  /** The informer's add/update. */
  upsert(pod: Pod): void {
    const uid = pod.metadata?.uid;
    if (!uid || pod.spec?.nodeName !== this.deps.nodeName) return;
    const worker = this.workers.get(uid);
    if (worker) {
      worker.update(pod);
      return;
    }
    // A pod first seen after the initial list was created after this agent started: the runtime
    // cannot hold anything of it yet, so its first pass need not ask.
    const created = new PodWorker(pod, this.deps, { newPod: this.synced });
    this.workers.set(uid, created);
    void created.finished.then(() => {
      if (this.workers.get(uid) === created) this.workers.delete(uid);
    });
    created.requestSync();
  }

  /** The informer's delete: the API server no longer has the pod. */
  remove(pod: Pod): void {
    const uid = pod.metadata?.uid;
    if (uid) this.workers.get(uid)?.removed();
  }

  /**
   * The informer has listed every pod once: housekeeping may now remove unknown pods' containers.
   * The first sweep runs at once: containers of pods force-deleted while the agent was away (their
   * node deleted, say) have no Terminating object left to stop them, and their replacement may
   * already run elsewhere under the same name (a StatefulSet's), so they must not wait 10 s more.
   */
  markSynced(): void {
    this.synced = true;
    this.removeOrphans().catch((err: Error) => {
      if (!(err instanceof RuntimeUnavailableError)) this.deps.log(`housekeeping: ${err.message}`);
    });
  }

  /** Runs runtime events and housekeeping until `stop`. */
  start(): void {
    void this.followEvents();
    void this.housekeeping();
  }

  stop(): void {
    this.abort.abort();
    for (const w of this.workers.values()) w.shutdown();
  }

  /** Ask one pod's worker to look again. */
  resync(uid: string): void {
    this.workers.get(uid)?.requestSync();
  }

  /** Pods that use ConfigMap or Secret namespace/name (in a volume, env or envFrom). */
  podsUsing(kind: 'configMap' | 'secret', namespace: string, name: string): Pod[] {
    const out: Pod[] = [];
    for (const w of this.workers.values()) {
      const pod = w.current;
      if (pod.metadata?.namespace === namespace && referencedNames(pod, kind).has(name)) out.push(pod);
    }
    return out;
  }

  /** Ask every worker to look again (after the runtime came back, say). */
  resyncAll(): void {
    for (const w of this.workers.values()) w.requestSync();
  }

  private async followEvents(): Promise<void> {
    const signal = this.abort.signal;
    let delay = 500;
    while (!signal.aborted) {
      try {
        for await (const event of this.driver.events(signal)) {
          delay = 500;
          if (event.podUid) this.workers.get(event.podUid)?.runtimeEvent(event);
        }
      } catch (err) {
        if (signal.aborted) return;
        if (!(err instanceof RuntimeUnavailableError))
          this.deps.log(`runtime events: ${(err as Error).message}`);
      }
      if (signal.aborted) return;
      // The engine went away (restart): wait, then make every pod whole again.
      await this.clock.sleep(delay, signal).catch(() => {});
      delay = Math.min(delay * 2, 10_000);
      this.resyncAll();
    }
  }

  private async housekeeping(): Promise<void> {
    const signal = this.abort.signal;
    const every = this.options.housekeepingMs ?? 10_000;
    while (!signal.aborted) {
      try {
        await this.clock.sleep(every, signal);
      } catch {
        return;
      }
      if (!this.synced) continue;
      try {
        await this.removeOrphans();
      } catch (err) {
        if (!(err instanceof RuntimeUnavailableError))
          this.deps.log(`housekeeping: ${(err as Error).message}`);
      }
    }
  }

  /** Stops and removes runtime objects of pods this node no longer has. */
  async removeOrphans(): Promise<number> {
    const records = await this.driver.list();
    const byPod = new Map<string, ContainerRecord[]>();
    for (const r of records) {
      if (this.workers.has(r.podUid)) continue;
      const list = byPod.get(r.podUid);
      if (list) list.push(r);
      else byPod.set(r.podUid, [r]);
    }
    for (const [uid, list] of byPod) {
      for (const r of list)
        if (r.state === 'running' && r.kind !== 'sandbox') await this.driver.stopContainer(r.id, 2);
      for (const r of list) await this.driver.removeContainer(r.id);
      await this.deps.volumes.tearDown(uid);
    }
    return byPod.size;
  }

  /** The container `name` of pod namespace/pod (its previous instance with `previous`). */
  async locate(
    namespace: string,
    podName: string,
    container: string,
    opts: { previous: boolean },
  ): Promise<{ containerId: string; tty: boolean }> {
    const worker = [...this.workers.values()].find(
      (w) => w.current.metadata?.namespace === namespace && w.current.metadata?.name === podName,
    );
    if (!worker) throw new LocateError(404, `pods "${podName}" not found`);
    const pod = worker.current;
    const spec = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].find(
      (c) => c.name === container,
    );
    if (!spec) throw new LocateError(400, `container ${container} is not valid for pod ${podName}`);
    const view = viewOf(await this.driver.list({ podUid: worker.uid }));
    const instances = (view.containers.get(container) ?? []).filter((r) => r.state !== 'created');
    const chosen = opts.previous ? instances[1] : instances[0];
    if (!chosen) {
      if (opts.previous)
        throw new LocateError(
          400,
          `previous terminated container "${container}" in pod "${podName}" not found`,
        );
      const waiting =
        pod.status?.containerStatuses?.find((s) => s.name === container)?.state?.waiting?.reason ??
        'ContainerCreating';
      throw new LocateError(
        400,
        `container "${container}" in pod "${podName}" is waiting to start: ${waiting}`,
      );
    }
    return { containerId: chosen.id, tty: spec.tty ?? false };
  }
}

/** Names of the ConfigMaps or Secrets a pod refers to anywhere in its spec. */
function referencedNames(pod: Pod, kind: 'configMap' | 'secret'): Set<string> {
  const names = new Set<string>();
  const spec = pod.spec;
  if (!spec) return names;
  for (const v of spec.volumes ?? []) {
    if (kind === 'configMap' && v.configMap?.name) names.add(v.configMap.name);
    if (kind === 'secret' && v.secret?.secretName) names.add(v.secret.secretName);
    for (const s of v.projected?.sources ?? []) {
      if (kind === 'configMap' && s.configMap?.name) names.add(s.configMap.name);
      if (kind === 'secret' && s.secret?.name) names.add(s.secret.name);
    }
  }
  for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
    for (const e of c.env ?? []) {
      const ref = kind === 'configMap' ? e.valueFrom?.configMapKeyRef : e.valueFrom?.secretKeyRef;
      if (ref?.name) names.add(ref.name);
    }
    for (const f of c.envFrom ?? []) {
      const ref = kind === 'configMap' ? f.configMapRef : f.secretRef;
      if (ref?.name) names.add(ref.name);
    }
  }
  if (kind === 'secret') for (const s of spec.imagePullSecrets ?? []) if (s.name) names.add(s.name);
  return names;
}
