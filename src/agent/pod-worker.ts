/**
 * One pod's worker: it makes the runtime match the pod, one sync at a time. A sync lists the pod's
 * runtime objects, asks `planPod` what to do, does it, and hands the resulting status to the status
 * manager. Syncs are requested by the pod changing, a runtime event (a container died), a probe
 * result, a backoff ending, and a periodic resync; requests that arrive during a sync collapse into
 * one more sync. Deleting the pod (deletionTimestamp) switches the worker to terminating: preStop
 * hooks and graceful stops within the grace period, removal of every runtime object and volume,
 * then the final delete that lets the API server forget the pod.
 */
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import { defaultPullPolicy } from '../api/defaults/pod.js';
import { podRef, type Recorder } from '../client/events.js';
import {
  type ContainerRecord,
  ImageError,
  type Mount,
  type PullPolicy,
  type RuntimeDriver,
  type RuntimeEvent,
  RuntimeUnavailableError,
  type SandboxRecord,
} from '../runtime/driver.js';
import type { Clock } from '../util/clock.js';
import { ContainerConfigError } from './config-error.js';
import { checkRunAsNonRoot, containerSpec, PodSpecError, sandboxSpec } from './container-spec.js';
import { runHook } from './hooks.js';
import {
  backoffKey,
  type KillRequest,
  type PodPlan,
  type PodRuntimeView,
  planPod,
  viewOf,
} from './pod-plan.js';
import { type ProbeState, podStatus } from './pod-status.js';
import type { RestartBackoff } from './restart-backoff.js';
import type { PodRef, StatusManager } from './status-manager.js';
import { VolumeSetUpError } from './volumes/index.js';

/** Pod volumes as the worker needs them (implemented by volumes/). */
export interface PodVolumes {
  setUp(pod: Pod): Promise<void>;
  mountsFor(pod: Pod, container: Container, env: Array<{ name: string; value: string }>): Promise<Mount[]>;
  tearDown(podUid: string): Promise<void>;
}

/** Resolves a container's environment; throws `ContainerConfigError` when a source is missing. */
export type EnvResolver = (
  pod: Pod,
  container: Container,
  ctx: { podIP?: string; hostIP: string },
) => Promise<Array<{ name: string; value: string }>>;

export interface ProbeRunner extends ProbeState {
  stop(): void;
}

export interface ProbeArgs {
  pod: Pod;
  container: Container;
  containerId: string;
  podIP?: string;
  /** What the API server last had for this instance, when it was adopted after an agent restart. */
  initial?: ProbeState;
  onChange(): void;
  onUnhealthy(probe: string, message: string): void;
  onKill(probe: string, message: string): void;
}

export type ProbeFactory = (args: ProbeArgs) => ProbeRunner;

export interface WorkerDeps {
  driver: RuntimeDriver;
  nodeName: string;
  hostIP: string;
  clock: Clock;
  volumes: PodVolumes;
  env: EnvResolver;
  probes: ProbeFactory;
  events: Recorder;
  status: StatusManager;
  backoff: RestartBackoff;
  imageBackoff: RestartBackoff;
  /** Final delete of a terminated pod (grace 0, uid precondition). */
  confirmDeleted(pod: PodRef): Promise<void>;
  log(message: string): void;
  /**
   * Longest time between two syncs of a pod that nothing woke (default 10 s). Simulated nodes
   * stretch it: their runtime never changes behind the worker's back, and 150,000 pods resyncing
   * every 10 s would be 15,000 syncs a second for nothing.
   */
  resyncMs?: number;
}

const MIN_RESYNC_MS = 10_000;
/** Plans carried out in one pass without listing (sandbox, init container, containers), at most. */
const MAX_STEPS_PER_PASS = 4;

/** Whether the worker must look again after the pod changed from `a` to `b`. */
function actionable(a: Pod, b: Pod): boolean {
  const ma = a.metadata ?? {};
  const mb = b.metadata ?? {};
  return (
    ma.deletionTimestamp !== mb.deletionTimestamp ||
    ma.deletionGracePeriodSeconds !== mb.deletionGracePeriodSeconds ||
    JSON.stringify(a.spec) !== JSON.stringify(b.spec) ||
    JSON.stringify(ma.labels) !== JSON.stringify(mb.labels) ||
    JSON.stringify(ma.annotations) !== JSON.stringify(mb.annotations)
  );
}

/** What carrying out a plan did: nothing, something (list again), or only added these objects. */
type Outcome = 'unchanged' | 'changed' | ContainerRecord[];

export class PodWorker {
  private pod: Pod;
  private syncing = false;
  private again = false;
  private stopped = false;
  /** Set once the API server no longer has the pod (deleted while we were away, or forced). */
  private gone = false;
  private wake: AbortController | undefined;
  private readonly probes = new Map<string, ProbeRunner>();
  private readonly killRequests = new Map<string, KillRequest>();
  /** Why a container could not start (image, config); `at` is when an image pull failed. */
  private readonly errors = new Map<string, { reason: string; message: string; at?: number }>();
  /** Probe states the API had for containers running when this worker started (adoption). */
  private readonly adopted = new Map<string, ProbeState>();
  /** The runtime as the last completed sync saw it, to report probe results while it is down. */
  private lastSeen: { view: PodRuntimeView; plan: PodPlan } | undefined;
  private done: (() => void) | undefined;
  readonly finished: Promise<void>;

  /** Objects this worker started whose 'start' event it has not seen yet. */
  private readonly selfStarted = new Set<string>();
  /** Nothing of this pod can be in the runtime yet (see PodManager.upsert): skip the first list. */
  private newPod: boolean;

  constructor(
    pod: Pod,
    private readonly deps: WorkerDeps,
    options: { newPod?: boolean } = {},
  ) {
    this.pod = pod;
    this.newPod = options.newPod ?? false;
    this.finished = new Promise((resolve) => {
      this.done = resolve;
    });
    for (const s of pod.status?.containerStatuses ?? []) {
      const id = s.containerID?.split('://')[1];
      if (id) this.adopted.set(id, { ready: s.ready, started: s.started ?? false });
    }
  }

  get uid(): string {
    return this.pod.metadata?.uid ?? '';
  }

  get current(): Pod {
    return this.pod;
  }

  /** The pod's terminationGracePeriodSeconds (Kubernetes' default 30). */
  private get graceSeconds(): number {
    return this.pod.spec?.terminationGracePeriodSeconds ?? 30;
  }

  /**
   * The API server's newest version of the pod. Most updates are this agent's own status writes
   * coming back through the watch: they change nothing the worker acts on, so only a change to the
   * spec, the labels/annotations or the deletion request starts a pass.
   */
  update(pod: Pod): void {
    const before = this.pod;
    this.pod = pod;
    if (actionable(before, pod)) this.requestSync();
  }

  /** The API server no longer has this pod: stop everything of it. */
  removed(): void {
    this.gone = true;
    this.requestSync();
  }

  /**
   * Something happened in the runtime to one of this pod's objects. The start of a container this
   * worker just started (and already accounted for) changes nothing: only other events need a pass.
   */
  runtimeEvent(event: RuntimeEvent): void {
    if (event.type === 'start' && this.selfStarted.delete(event.id)) return;
    this.requestSync();
  }

  requestSync(): void {
    if (this.stopped) return;
    if (this.syncing) {
      this.again = true;
      return;
    }
    this.syncing = true;
    void this.loop();
  }

  /** Stops probes and timers without touching containers (agent shutdown). */
  shutdown(): void {
    this.stopped = true;
    this.wake?.abort();
    for (const p of this.probes.values()) p.stop();
    this.probes.clear();
  }

  private async loop(): Promise<void> {
    try {
      do {
        this.again = false;
        try {
          await this.sync();
        } catch (err) {
          if (err instanceof RuntimeUnavailableError) {
            // As kubelet's status manager: probe results (a readiness probe failing because the
            // containers died with the engine) are reported even while the runtime cannot be listed.
            if (this.lastSeen && !this.gone) this.report(this.lastSeen.view, this.lastSeen.plan);
          } else this.deps.log(`pod ${this.name()}: sync failed: ${(err as Error).message}`);
          this.scheduleWake(this.deps.clock.now() + 2000);
        }
      } while (this.again && !this.stopped);
    } finally {
      this.syncing = false;
    }
  }

  private name(): string {
    return `${this.pod.metadata?.namespace}/${this.pod.metadata?.name}`;
  }

  private ref(): PodRef {
    const m = this.pod.metadata ?? {};
    return { namespace: m.namespace ?? 'default', name: m.name ?? '', uid: m.uid ?? '' };
  }

  private async sync(): Promise<void> {
    const { driver, clock } = this.deps;
    if (this.gone || this.pod.metadata?.deletionTimestamp) return this.terminate();

    let records = this.newPod ? [] : await driver.list({ podUid: this.uid });
    this.newPod = false;
    let view: PodRuntimeView;
    let plan: PodPlan;
    for (let step = 0; ; step++) {
      view = viewOf(records);
      plan = this.plan(view);
      const outcome = await this.carryOut(plan, view);
      if (outcome === 'unchanged') break;
      // On the start path (a new sandbox, new containers) the worker knows exactly what changed and
      // plans again at once; after anything else the next pass lists the runtime afresh.
      if (outcome === 'changed' || step >= MAX_STEPS_PER_PASS) {
        this.again = true;
        return;
      }
      records = [...records, ...outcome];
    }
    for (const name of plan.waiting.keys()) {
      const m = this.pod.metadata ?? {};
      this.deps.events.event(
        podRef(this.pod, name),
        'Warning',
        'BackOff',
        `Back-off restarting failed container ${name} in pod ${m.name}_${m.namespace}(${m.uid})`,
      );
    }
    this.syncProbes(view);
    this.lastSeen = { view, plan };
    this.report(view, plan);
    // Look again when a backoff ends, and now and then anyway (missed events, image retries).
    const resync = this.deps.resyncMs ?? MIN_RESYNC_MS;
    this.scheduleWake(Math.min(plan.wakeAt ?? Number.POSITIVE_INFINITY, clock.now() + resync));
  }

  /** What to do about the pod, given the runtime as `view` shows it. */
  private plan(view: PodRuntimeView): PodPlan {
    return planPod({
      pod: this.pod,
      runtime: view,
      now: this.deps.clock.now(),
      backoff: this.deps.backoff,
      killRequests: this.killRequests,
    });
  }

  /** Hands the pod's status, as `view` and the current probe results make it, to the status manager. */
  private report(view: PodRuntimeView, plan: PodPlan): void {
    const status = podStatus({
      pod: this.pod,
      runtime: view,
      plan,
      errors: this.errors,
      probes: (id) => this.probes.get(id),
      hostIP: this.deps.hostIP,
      runtimeName: this.deps.driver.name,
      now: new Date(this.deps.clock.now()),
    });
    this.deps.status.set(this.ref(), status);
  }

  /**
   * Does what the plan says. 'unchanged': nothing changed in the runtime. 'changed': something did,
   * list again. Records: only these objects were added (a new sandbox or newly started containers)
   * and the rest is as it was, so the caller can plan again without listing.
   */
  private async carryOut(plan: PodPlan, view: PodRuntimeView): Promise<Outcome> {
    const { driver } = this.deps;
    let acted = false;
    for (const r of plan.remove) {
      await driver.removeContainer(r.id);
      acted = true;
    }
    for (const k of plan.kill) {
      this.deps.events.event(podRef(this.pod, k.record.name), 'Normal', 'Killing', k.message);
      await this.stopContainer(k.record, this.graceSeconds);
      this.killRequests.delete(k.record.id);
      acted = true;
    }
    if (plan.createSandbox) {
      const fresh = !acted && !view.sandbox && view.oldSandboxes.length === 0;
      for (const old of [view.sandbox, ...view.oldSandboxes]) {
        if (old) await driver.removeContainer(old.id);
      }
      if (view.sandbox) {
        this.deps.events.event(
          podRef(this.pod),
          'Normal',
          'SandboxChanged',
          'Pod sandbox changed, it will be killed and re-created.',
        );
      }
      try {
        await this.deps.volumes.setUp(this.pod);
      } catch (err) {
        // One event per volume, as kubelet; each message already says `MountVolume.SetUp failed ...`.
        const failures =
          err instanceof VolumeSetUpError ? err.failures.map((f) => f.message) : [(err as Error).message];
        for (const message of failures)
          this.deps.events.event(podRef(this.pod), 'Warning', 'FailedMount', message);
        return acted ? 'changed' : 'unchanged';
      }
      if (fresh && view.containers.size === 0) return this.startFresh();
      const sandbox = await driver.runSandbox(sandboxSpec(this.pod));
      this.selfStarted.add(sandbox.id);
      return fresh ? [sandbox] : 'changed';
    }
    for (const old of view.oldSandboxes) {
      await driver.removeContainer(old.id);
      acted = true;
    }
    if (plan.stopSandbox && view.sandbox?.state === 'running') {
      await driver.stopContainer(view.sandbox.id, 0);
      acted = true;
    }
    const sandbox = view.sandbox;
    if (sandbox?.state !== 'running') return acted ? 'changed' : 'unchanged';
    const started: string[] = [];
    for (const [c, kind] of this.toStart(plan)) {
      const result = await this.start(c, kind, sandbox, view.containers.get(c.name)?.[0]);
      if (result === 'changed') acted = true;
      else if (result) started.push(result);
    }
    if (acted) return 'changed';
    if (started.length === 0) return 'unchanged';
    const added = await Promise.all(started.map((id) => driver.inspect(id)));
    return added.every((r) => r !== undefined) ? added : 'changed';
  }

  /** The containers a plan starts, in order: the next init container, or the app containers. */
  private toStart(plan: PodPlan): Array<[Container, 'init' | 'container']> {
    const spec = this.pod.spec ?? { containers: [] };
    const out: Array<[Container, 'init' | 'container']> = [];
    if (plan.startInit) {
      out.push([(spec.initContainers ?? []).find((x) => x.name === plan.startInit)!, 'init']);
    }
    for (const name of plan.start) out.push([spec.containers.find((x) => x.name === name)!, 'container']);
    return out;
  }

  /**
   * A new pod's first steps. The sandbox is created, and while it starts (for Docker the longest
   * step: the network set-up) the containers the plan starts first are pulled and created to join
   * it; only their starts wait for it. A container whose environment names the pod's IP is created
   * once the sandbox has it. Starts keep the plan's order (init containers one at a time, postStart
   * hooks before the next container). The records of the sandbox and of the containers started.
   */
  private async startFresh(): Promise<Outcome> {
    const { driver } = this.deps;
    const created = await driver.createSandbox(sandboxSpec(this.pod));
    this.selfStarted.add(created.id);
    const starting = driver.startSandbox(created.id);
    // Awaited below; until then a failed start must not count as an unhandled rejection.
    starting.catch(() => undefined);
    const toStart = this.toStart(this.plan(viewOf([{ ...created, state: 'running' }])));
    const made = new Map<Container, string>();
    for (const [c, kind] of toStart) {
      if (needsPodIP(c)) continue;
      const result = await this.create(c, kind, created, undefined);
      if (typeof result === 'object') made.set(c, result.id);
    }
    let sandbox: SandboxRecord;
    try {
      sandbox = await starting;
    } catch (err) {
      // The containers made for it cannot run without it; the next pass starts from nothing again.
      for (const id of made.values()) await driver.removeContainer(id).catch(() => undefined);
      throw err;
    }
    const started: string[] = [];
    for (const [c, kind] of toStart) {
      const id = made.get(c);
      if (id) {
        await this.launch(c, id, sandbox);
        started.push(id);
      } else if (needsPodIP(c)) {
        const result = await this.start(c, kind, sandbox, undefined);
        if (result !== undefined && result !== 'changed') started.push(result);
      }
    }
    // Not built from what the worker knows: the runtime's start time and image id (both in the
    // status) come only from inspecting, and a guess would be corrected by a second status write.
    const added = await Promise.all(started.map((id) => driver.inspect(id)));
    return added.every((r) => r !== undefined) ? [sandbox, ...added] : 'changed';
  }

  /**
   * Pull, create and start one container. The new container's id; undefined when none was made
   * (the reason is in `errors`); 'changed' when an earlier never-started instance was removed too.
   */
  private async start(
    c: Container,
    kind: 'container' | 'init',
    sandbox: SandboxRecord,
    previous: ContainerRecord | undefined,
  ): Promise<string | 'changed' | undefined> {
    const made = await this.create(c, kind, sandbox, previous);
    if (made === undefined || made === 'changed') return made;
    await this.launch(c, made.id, sandbox);
    return made.replaced ? 'changed' : made.id;
  }

  /**
   * Pull and create one container, not started. Its id, and whether it replaced an earlier
   * never-started instance; undefined when none was made (the reason is in `errors`); 'changed'
   * when none was made but the earlier instance was removed.
   */
  private async create(
    c: Container,
    kind: 'container' | 'init',
    sandbox: SandboxRecord,
    previous: ContainerRecord | undefined,
  ): Promise<{ id: string; replaced: boolean } | 'changed' | undefined> {
    const { driver, clock, events } = this.deps;
    const ref = podRef(this.pod, c.name);
    const image = c.image ?? '';
    const imageKey = `${backoffKey(this.pod, c.name)}/image`;
    const lastImageError = this.errors.get(c.name);
    if (
      lastImageError &&
      (lastImageError.reason === 'ErrImagePull' || lastImageError.reason === 'ImagePullBackOff')
    ) {
      const failedAt = lastImageError.at ?? clock.now();
      const until = this.deps.imageBackoff.readyAt(imageKey, failedAt);
      if (until > clock.now()) {
        this.errors.set(c.name, {
          reason: 'ImagePullBackOff',
          message: `Back-off pulling image "${image}"`,
          at: failedAt,
        });
        this.scheduleWake(until);
        return undefined;
      }
    }
    const pullStarted = clock.now();
    let pulled: 'present' | 'pulled';
    try {
      // The API server defaults imagePullPolicy; objects stored before that get the same rule here.
      pulled = await driver.ensureImage(
        image,
        (c.imagePullPolicy as PullPolicy | undefined) ?? defaultPullPolicy(image),
      );
    } catch (err) {
      if (!(err instanceof ImageError)) throw err;
      this.errors.set(c.name, { reason: err.reason, message: err.message, at: clock.now() });
      if (err.reason === 'ErrImagePull') {
        this.deps.imageBackoff.restarted(imageKey);
        events.event(ref, 'Warning', 'Failed', `Failed to pull image "${image}": ${err.message}`);
      } else {
        events.event(ref, 'Warning', 'ErrImageNeverPull', err.message);
      }
      return undefined;
    }
    let env: Array<{ name: string; value: string }>;
    let mounts: Mount[];
    try {
      checkRunAsNonRoot(this.pod, c);
      env = await this.deps.env(this.pod, c, { podIP: sandbox.ip, hostIP: this.deps.hostIP });
      mounts = await this.deps.volumes.mountsFor(this.pod, c, env);
    } catch (err) {
      if (!(err instanceof ContainerConfigError || err instanceof PodSpecError)) throw err;
      this.errors.set(c.name, { reason: 'CreateContainerConfigError', message: (err as Error).message });
      events.event(ref, 'Warning', 'Failed', `Error: ${(err as Error).message}`);
      return undefined;
    }
    const attempt = previous ? previous.attempt + (previous.state === 'created' ? 0 : 1) : 0;
    if (previous && previous.state === 'exited') this.deps.backoff.restarted(backoffKey(this.pod, c.name));
    const replaced = previous?.state === 'created';
    if (replaced) await driver.removeContainer(previous.id);
    events.event(
      ref,
      'Normal',
      'Pulled',
      pulled === 'pulled'
        ? `Successfully pulled image "${image}" in ${((clock.now() - pullStarted) / 1000).toFixed(3)}s`
        : `Container image "${image}" already present on machine`,
    );
    const spec = containerSpec(this.pod, c, kind, attempt, env, mounts);
    let id: string;
    try {
      id = await driver.createContainer(sandbox, spec);
    } catch (err) {
      if (err instanceof RuntimeUnavailableError) throw err;
      this.errors.set(c.name, { reason: 'CreateContainerError', message: (err as Error).message });
      events.event(ref, 'Warning', 'Failed', `Error: ${(err as Error).message}`);
      return replaced ? 'changed' : undefined;
    }
    events.event(ref, 'Normal', 'Created', `Created container ${c.name}`);
    this.errors.delete(c.name);
    return { id, replaced };
  }

  /** Starts a created container (its sandbox running) and runs its postStart hook. */
  private async launch(c: Container, id: string, sandbox: SandboxRecord): Promise<void> {
    const { driver, clock, events } = this.deps;
    const ref = podRef(this.pod, c.name);
    try {
      this.selfStarted.add(id);
      await driver.startContainer(id);
    } catch (err) {
      this.selfStarted.delete(id);
      if (err instanceof RuntimeUnavailableError) throw err;
      events.event(
        ref,
        'Warning',
        'Failed',
        `Error: failed to start container "${c.name}": ${(err as Error).message}`,
      );
      return;
    }
    events.event(ref, 'Normal', 'Started', `Started container ${c.name}`);
    const postStart = c.lifecycle?.postStart;
    if (postStart) {
      const failure = await runHook(postStart, {
        driver,
        containerId: id,
        container: c,
        podIP: sandbox.ip,
        timeoutMs: this.graceSeconds * 1000,
        clock,
      });
      if (failure) {
        events.event(ref, 'Warning', 'FailedPostStartHook', `PostStartHook failed: ${failure}`);
        await driver.stopContainer(id, this.graceSeconds);
      }
    }
  }

  /** preStop (within the grace period), then SIGTERM and SIGKILL after what is left of it. */
  private async stopContainer(r: ContainerRecord, graceSeconds: number): Promise<void> {
    const { driver, clock } = this.deps;
    this.probes.get(r.id)?.stop();
    this.probes.delete(r.id);
    const c = [...(this.pod.spec?.containers ?? []), ...(this.pod.spec?.initContainers ?? [])].find(
      (x) => x.name === r.name,
    );
    const started = clock.now();
    const preStop = c?.lifecycle?.preStop;
    if (preStop && c && r.state === 'running' && graceSeconds > 0) {
      const failure = await runHook(preStop, {
        driver,
        containerId: r.id,
        container: c,
        podIP: this.pod.spec?.hostNetwork ? this.deps.hostIP : this.pod.status?.podIP,
        timeoutMs: graceSeconds * 1000,
        clock,
      });
      if (failure) {
        this.deps.events.event(
          podRef(this.pod, r.name),
          'Warning',
          'FailedPreStopHook',
          `PreStopHook failed: ${failure}`,
        );
      }
    }
    const left = Math.max(
      graceSeconds <= 0 ? 0 : 2,
      Math.ceil(graceSeconds - (clock.now() - started) / 1000),
    );
    await driver.stopContainer(r.id, Math.min(graceSeconds, left));
  }

  private async terminate(): Promise<void> {
    const { driver, events } = this.deps;
    const records = await driver.list({ podUid: this.uid });
    const grace = this.gone
      ? Math.min(this.graceSeconds, 2)
      : (this.pod.metadata?.deletionGracePeriodSeconds ?? this.graceSeconds);
    const running = records.filter((r) => r.kind !== 'sandbox' && r.state === 'running');
    await Promise.all(
      running.map(async (r) => {
        events.event(podRef(this.pod, r.name), 'Normal', 'Killing', `Stopping container ${r.name}`);
        await this.stopContainer(r, grace);
      }),
    );
    for (const r of records) await driver.removeContainer(r.id);
    await this.deps.volumes.tearDown(this.uid);
    for (const p of this.probes.values()) p.stop();
    this.probes.clear();
    this.deps.backoff.forget(`${this.uid}/`);
    this.deps.imageBackoff.forget(`${this.uid}/`);
    if (!this.gone) {
      // Report the final state, then let the API server remove the object.
      await this.deps.status.flush();
      await this.deps.confirmDeleted(this.ref());
    }
    this.deps.status.forget(this.uid);
    this.stopped = true;
    this.wake?.abort();
    this.done?.();
  }

  private syncProbes(view: PodRuntimeView): void {
    const running = new Set<string>();
    const containers = this.pod.spec?.containers ?? [];
    for (const c of containers) {
      const r = view.containers.get(c.name)?.[0];
      if (r?.state !== 'running') continue;
      running.add(r.id);
      if (this.probes.has(r.id)) continue;
      this.probes.set(
        r.id,
        this.deps.probes({
          pod: this.pod,
          container: c,
          containerId: r.id,
          podIP: this.pod.spec?.hostNetwork ? this.deps.hostIP : view.sandbox?.ip,
          initial: this.adopted.get(r.id),
          onChange: () => this.requestSync(),
          onUnhealthy: (_probe, message) => {
            this.deps.events.event(podRef(this.pod, c.name), 'Warning', 'Unhealthy', message);
          },
          onKill: (probe) => {
            const what = probe === 'startup' ? 'failed startup probe' : 'failed liveness probe';
            this.killRequests.set(r.id, {
              reason: 'Killing',
              message: `Container ${c.name} ${what}, will be restarted`,
            });
            this.requestSync();
          },
        }),
      );
    }
    for (const [id, p] of this.probes) {
      if (!running.has(id)) {
        p.stop();
        this.probes.delete(id);
        this.killRequests.delete(id);
      }
    }
  }

  private scheduleWake(at: number): void {
    if (this.stopped) return;
    this.wake?.abort();
    const wake = new AbortController();
    this.wake = wake;
    const delay = Math.max(0, at - this.deps.clock.now());
    this.deps.clock.sleep(delay, wake.signal).then(
      () => {
        if (this.wake === wake) this.requestSync();
      },
      () => {},
    );
  }
}

/** Whether the container's environment takes the pod's IP (it must wait for the sandbox's). */
function needsPodIP(c: Container): boolean {
  return (c.env ?? []).some((e) => {
    const path = e.valueFrom?.fieldRef?.fieldPath;
    return path === 'status.podIP' || path === 'status.podIPs';
  });
}
