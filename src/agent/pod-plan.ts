/**
 * What to do next for one pod, decided from what the runtime shows — a pure function, as
 * kubelet's computePodActions. The pod worker lists the pod's sandbox and containers, asks
 * `planPod`, carries the plan out, and asks again on the next change. Because the plan is computed
 * from the runtime's state every time (level-triggered), an agent that restarts, or a step that
 * failed halfway, needs no memory to carry on.
 *
 * Rules (Kubernetes'):
 * - The sandbox comes first; if it died, everything in it is stopped and it is made anew (a pod with
 *   restartPolicy Never that already ran containers is not restarted that way).
 * - Init containers run one at a time, in order, each to success; a failed one is restarted (with
 *   backoff) unless the policy is Never, which fails the pod.
 * - Then every regular container is started; one that exits is restarted as restartPolicy says,
 *   after the crash-loop backoff; a running one whose spec changed, or that a liveness/startup probe
 *   condemned, is stopped (and then restarted by the same rules).
 * - With restartPolicy Never/OnFailure, once every container has finished for good, the pod is
 *   terminal and its sandbox is stopped.
 */
import { createHash } from 'node:crypto';
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import { canonicalJson } from '../api/json-value.js';
import type { ContainerRecord, SandboxRecord } from '../runtime/driver.js';
import { LABEL_SPEC_HASH } from '../runtime/driver.js';
import type { RestartBackoff } from './restart-backoff.js';

/** The runtime's objects of one pod, as `viewOf` groups them. */
export interface PodRuntimeView {
  /** The newest sandbox, if any. */
  sandbox?: SandboxRecord;
  /** Older sandboxes (left behind by a recreation): to remove. */
  oldSandboxes: SandboxRecord[];
  /** Container instances by container name, newest first. */
  containers: Map<string, ContainerRecord[]>;
}

export interface KillRequest {
  /** Event reason, e.g. `Unhealthy` (probe) or `Killing`. */
  reason: string;
  message: string;
}

export interface PlanInput {
  pod: Pod;
  runtime: PodRuntimeView;
  now: number;
  backoff: RestartBackoff;
  /** Running containers (by id) that a probe condemned. */
  killRequests: ReadonlyMap<string, KillRequest>;
}

export interface ContainerKill {
  record: ContainerRecord;
  reason: string;
  message: string;
}

export interface Waiting {
  reason: string;
  message: string;
  /** When it may start (ms since the epoch). */
  until: number;
}

export interface PodPlan {
  /** Make a new sandbox (after stopping what ran in the old one). */
  createSandbox: boolean;
  /** Stop the sandbox: the pod has finished. */
  stopSandbox: boolean;
  /** Init container to start now. */
  startInit?: string;
  /** Regular containers to start now. */
  start: string[];
  kill: ContainerKill[];
  /** Never-started instances that a newer one replaced. */
  remove: ContainerRecord[];
  /** Containers held back by the crash-loop backoff. */
  waiting: Map<string, Waiting>;
  /** The pod is done for good (restartPolicy Never/OnFailure). */
  terminal?: 'Succeeded' | 'Failed';
  /** When to look again even if nothing happens (a backoff ends). */
  wakeAt?: number;
}

/** Group a pod's runtime records (newest first) for planning. */
export function viewOf(records: ContainerRecord[]): PodRuntimeView {
  const sorted = [...records].sort(newestFirst);
  const sandboxes = sorted.filter((r): r is SandboxRecord => r.kind === 'sandbox');
  const containers = new Map<string, ContainerRecord[]>();
  for (const r of sorted) {
    if (r.kind === 'sandbox') continue;
    const list = containers.get(r.name);
    if (list) list.push(r);
    else containers.set(r.name, [r]);
  }
  return { sandbox: sandboxes[0], oldSandboxes: sandboxes.slice(1), containers };
}

function newestFirst(a: ContainerRecord, b: ContainerRecord): number {
  return b.attempt - a.attempt || b.createdAt.getTime() - a.createdAt.getTime();
}

/**
 * A stable fingerprint of what in a container's spec needs a new container when it changes (the
 * whole container spec, nested fields included; Kubernetes lets only the image change on a live
 * pod). Keys are sorted at every level, so the same spec always hashes the same.
 */
export function specHash(container: Container): string {
  return createHash('sha256').update(canonicalJson(container)).digest('hex').slice(0, 16);
}

export function backoffKey(pod: Pod, name: string): string {
  return `${pod.metadata?.uid ?? ''}/${name}`;
}

/** Whether the policy restarts a container that exited with `exitCode`. */
function policyRestarts(pod: Pod, exitCode: number | undefined): boolean {
  const policy = pod.spec?.restartPolicy ?? 'Always';
  if (policy === 'Always') return true;
  if (policy === 'OnFailure') return exitCode !== 0;
  return false;
}

/** The newest instance of container `name`, if it ever ran or was made. */
function latest(view: PodRuntimeView, name: string): ContainerRecord | undefined {
  return view.containers.get(name)?.[0];
}

export function planPod(input: PlanInput): PodPlan {
  const { pod, runtime } = input;
  const spec = pod.spec ?? { containers: [] };
  const plan: PodPlan = {
    createSandbox: false,
    stopSandbox: false,
    start: [],
    kill: [],
    remove: [],
    waiting: new Map(),
  };

  // A never-started leftover of a failed start (one that is not the newest) would hide the
  // previous instance from the status; older dead instances are the garbage collector's (gc/).
  for (const list of runtime.containers.values()) {
    list.forEach((r, i) => {
      if (r.state === 'created' && i > 0) plan.remove.push(r);
    });
  }

  const everRan = [...runtime.containers.values()].some((l) => l.length > 0);
  const sandboxUp = runtime.sandbox?.state === 'running';
  if (!sandboxUp) {
    // Containers still running in a dead sandbox's namespaces are stopped before it is replaced.
    for (const list of runtime.containers.values()) {
      for (const r of list) {
        if (r.state === 'running')
          plan.kill.push({
            record: r,
            reason: 'Killing',
            message: 'Pod sandbox changed, it will be killed and re-created.',
          });
      }
    }
    // A pod that is done stays done: Never after any run, OnFailure once every container
    // succeeded (its sandbox was stopped for that very reason; as kubelet's computePodActions).
    const policy = spec.restartPolicy ?? 'Always';
    const phase = finalPhase(pod, runtime);
    if (everRan && (policy === 'Never' || (policy === 'OnFailure' && phase === 'Succeeded'))) {
      plan.terminal = phase;
      return plan;
    }
    plan.createSandbox = true;
    return plan;
  }

  // ---- init containers, in order ----
  for (const c of spec.initContainers ?? []) {
    const r = latest(runtime, c.name);
    if (!r || r.state === 'created') {
      plan.startInit = c.name;
      return plan;
    }
    if (r.state === 'running' || r.state === 'unknown') return plan;
    if (r.exitCode === 0) continue;
    // Failed: Never fails the pod; otherwise retry after the backoff.
    if ((spec.restartPolicy ?? 'Always') === 'Never') {
      plan.terminal = 'Failed';
      plan.stopSandbox = true;
      return plan;
    }
    if (!holdBack(plan, input, c.name, r)) plan.startInit = c.name;
    return plan;
  }

  // ---- regular containers ----
  let finished = 0;
  for (const c of spec.containers) {
    const r = latest(runtime, c.name);
    if (!r || r.state === 'created') {
      plan.start.push(c.name);
      continue;
    }
    const changed = (r.labels[LABEL_SPEC_HASH] ?? '') !== specHash(c);
    if (r.state === 'running') {
      const condemned = input.killRequests.get(r.id);
      if (condemned) plan.kill.push({ record: r, ...condemned });
      else if (changed) {
        plan.kill.push({
          record: r,
          reason: 'Killing',
          message: `Container ${c.name} definition changed, will be restarted`,
        });
      }
      continue;
    }
    if (r.state === 'unknown') continue;
    // Exited.
    if (changed) {
      plan.start.push(c.name);
      continue;
    }
    if (!policyRestarts(pod, r.exitCode)) {
      finished++;
      continue;
    }
    if (!holdBack(plan, input, c.name, r)) plan.start.push(c.name);
  }
  if (finished === spec.containers.length && spec.containers.length > 0) {
    plan.terminal = finalPhase(pod, runtime);
    plan.stopSandbox = true;
  }
  return plan;
}

/** Records a CrashLoopBackOff wait when the backoff holds `name` back; returns whether it does. */
function holdBack(plan: PodPlan, input: PlanInput, name: string, r: ContainerRecord): boolean {
  const key = backoffKey(input.pod, name);
  const finishedAt = r.finishedAt?.getTime() ?? input.now;
  const until = input.backoff.readyAt(key, finishedAt, r.startedAt?.getTime());
  if (until <= input.now) return false;
  const pod = input.pod.metadata ?? {};
  const seconds = Math.round(input.backoff.delayMs(key) / 1000);
  const delay = seconds >= 60 && seconds % 60 === 0 ? `${seconds / 60}m0s` : `${seconds}s`;
  plan.waiting.set(name, {
    reason: 'CrashLoopBackOff',
    message: `back-off ${delay} restarting failed container=${name} pod=${pod.name}_${pod.namespace}(${pod.uid})`,
    until,
  });
  plan.wakeAt = Math.min(plan.wakeAt ?? Number.POSITIVE_INFINITY, until);
  return true;
}

/** Succeeded when every regular container's last run exited 0, else Failed. */
function finalPhase(pod: Pod, runtime: PodRuntimeView): 'Succeeded' | 'Failed' {
  for (const c of pod.spec?.containers ?? []) {
    const r = latest(runtime, c.name);
    if (r?.exitCode !== 0) return 'Failed';
  }
  return 'Succeeded';
}
