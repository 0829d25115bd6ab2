/**
 * The pod's status as Kubernetes reports it, computed from the runtime's view, the plan's waits,
 * the worker's start errors and the probes — a pure function (kubelet's generateAPIPodStatus and
 * getPhase). The status manager compares the result with what it last sent and writes only changes.
 */
import type {
  ContainerState,
  ContainerStatus,
  Pod,
  PodCondition,
  PodStatus,
} from 'kubernetes-types/core/v1.js';
import { formatTime } from '../api/time.js';
import type { ContainerRecord } from '../runtime/driver.js';
import type { PodPlan, PodRuntimeView } from './pod-plan.js';

export interface ProbeState {
  ready: boolean;
  started: boolean;
}

export interface StatusInput {
  pod: Pod;
  runtime: PodRuntimeView;
  /** The plan's CrashLoopBackOff waits and terminal phase. */
  plan: Pick<PodPlan, 'waiting' | 'terminal'>;
  /** Why a container could not be started (image pull, config), by container name. */
  errors: ReadonlyMap<string, { reason: string; message: string }>;
  /** Probe results of running containers, by container id. */
  probes: (containerId: string) => ProbeState | undefined;
  hostIP: string;
  /** The runtime's prefix for container ids, e.g. `docker`. */
  runtimeName: string;
  now: Date;
}

export function podStatus(input: StatusInput): PodStatus {
  const { pod, runtime } = input;
  const old = pod.status ?? {};
  const spec = pod.spec ?? { containers: [] };
  const now = formatTime(input.now);
  const sandbox = runtime.sandbox;
  const sandboxReady = sandbox?.state === 'running';

  const initStatuses = (spec.initContainers ?? []).map((c) =>
    containerStatus(input, c.name, c.image ?? '', true),
  );
  const initialized = initStatuses.every((s) => s.state?.terminated?.exitCode === 0);
  const statuses = spec.containers.map((c) =>
    containerStatus(input, c.name, c.image ?? '', false, initialized ? undefined : 'PodInitializing'),
  );

  const phase = input.plan.terminal ?? podPhase(pod, initialized, statuses);
  const terminal = phase === 'Succeeded' || phase === 'Failed';
  const unready = statuses.filter((s) => !s.ready).map((s) => s.name);
  const incomplete = initStatuses.filter((s) => s.state?.terminated?.exitCode !== 0).map((s) => s.name);
  const gates = (spec.readinessGates ?? []).filter(
    (g) => !(old.conditions ?? []).some((c) => c.type === g.conditionType && c.status === 'True'),
  );

  const conditions: PodCondition[] = [];
  const add = (type: string, ok: boolean, reason?: string, message?: string) => {
    const previous = (old.conditions ?? []).find((c) => c.type === type);
    const status = ok ? 'True' : 'False';
    const cond: PodCondition = {
      type,
      status,
      lastTransitionTime: previous && previous.status === status ? previous.lastTransitionTime : now,
    };
    if (!ok && reason) cond.reason = reason;
    if (!ok && message) cond.message = message;
    conditions.push(cond);
  };
  add('PodReadyToStartContainers', sandboxReady && !terminal);
  add(
    'Initialized',
    initialized,
    'ContainersNotInitialized',
    `containers with incomplete status: [${incomplete.join(' ')}]`,
  );
  const containersReady = unready.length === 0 && !terminal;
  const readyReason = terminal ? 'PodCompleted' : 'ContainersNotReady';
  const readyMessage = terminal ? undefined : `containers with unready status: [${unready.join(' ')}]`;
  add('ContainersReady', containersReady, readyReason, readyMessage);
  if (containersReady && gates.length > 0) {
    add(
      'Ready',
      false,
      'ReadinessGatesNotReady',
      `corresponding condition of pod readiness gate "${gates[0]!.conditionType}" does not exist.`,
    );
  } else {
    add('Ready', containersReady, readyReason, readyMessage);
  }
  const scheduled = (old.conditions ?? []).find((c) => c.type === 'PodScheduled');
  conditions.push(scheduled ?? { type: 'PodScheduled', status: 'True', lastTransitionTime: now });
  // Conditions others own (readiness gates, DisruptionTarget) are kept as they are.
  const ours = new Set(conditions.map((c) => c.type));
  for (const c of old.conditions ?? []) if (!ours.has(c.type)) conditions.push(c);

  const status: PodStatus = {
    phase,
    conditions,
    hostIP: input.hostIP,
    hostIPs: [{ ip: input.hostIP }],
    startTime: old.startTime ?? now,
    containerStatuses: statuses,
  };
  const podIP = spec.hostNetwork ? input.hostIP : sandbox?.ip;
  if (podIP) {
    status.podIP = podIP;
    status.podIPs = [{ ip: podIP }];
  }
  if (initStatuses.length > 0) status.initContainerStatuses = initStatuses;
  if (old.qosClass) status.qosClass = old.qosClass;
  return status;
}

function containerStatus(
  input: StatusInput,
  name: string,
  image: string,
  init: boolean,
  blockedReason?: string,
): ContainerStatus {
  const list = input.runtime.containers.get(name) ?? [];
  const current = list[0];
  const previous = list[1];
  const status: ContainerStatus = {
    name,
    image,
    imageID: current?.imageId ?? '',
    ready: false,
    started: false,
    restartCount: current?.attempt ?? 0,
    state: {},
    lastState: {},
  };
  if (current && current.state !== 'created') status.containerID = `${input.runtimeName}://${current.id}`;
  const waitingFor = input.plan.waiting.get(name) ?? input.errors.get(name);

  if (current?.state === 'running') {
    const probe = input.probes(current.id);
    status.state = { running: { startedAt: formatTime(current.startedAt ?? current.createdAt) } };
    status.started = init ? false : (probe?.started ?? true);
    status.ready = init ? false : (probe?.ready ?? true);
    if (previous?.state === 'exited') status.lastState = { terminated: terminated(input, previous) };
  } else if (current?.state === 'exited') {
    if (waitingFor) {
      status.state = { waiting: { reason: waitingFor.reason, message: waitingFor.message } };
      status.lastState = { terminated: terminated(input, current) };
    } else {
      status.state = { terminated: terminated(input, current) };
      if (previous?.state === 'exited') status.lastState = { terminated: terminated(input, previous) };
    }
  } else {
    const waiting: ContainerState['waiting'] = {
      reason: waitingFor?.reason ?? blockedReason ?? 'ContainerCreating',
    };
    if (waitingFor?.message) waiting.message = waitingFor.message;
    status.state = { waiting };
    if (previous?.state === 'exited') status.lastState = { terminated: terminated(input, previous) };
  }
  return status;
}

function terminated(input: StatusInput, r: ContainerRecord): NonNullable<ContainerState['terminated']> {
  const exitCode = r.exitCode ?? 0;
  const neverStarted = !r.startedAt && Boolean(r.error);
  const reason = r.oomKilled
    ? 'OOMKilled'
    : neverStarted
      ? 'ContainerCannotRun'
      : exitCode === 0
        ? 'Completed'
        : 'Error';
  const t: NonNullable<ContainerState['terminated']> = {
    exitCode,
    reason,
    startedAt: formatTime(r.startedAt ?? r.createdAt),
    finishedAt: formatTime(r.finishedAt ?? input.now),
    containerID: `${input.runtimeName}://${r.id}`,
  };
  if (r.error) t.message = r.error;
  return t;
}

/** Kubernetes' getPhase: a container that waits to be restarted counts as stopped. */
function podPhase(pod: Pod, initialized: boolean, statuses: ContainerStatus[]): string {
  if (!initialized) return 'Pending';
  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const s of statuses) {
    if (s.state?.running) running++;
    else if (s.state?.terminated) {
      stopped++;
      if (s.state.terminated.exitCode === 0) succeeded++;
    } else if (s.lastState?.terminated) {
      stopped++;
      if (s.lastState.terminated.exitCode === 0) succeeded++;
    } else waiting++;
  }
  if (waiting > 0) return 'Pending';
  if (running > 0) return 'Running';
  if (stopped > 0) {
    const policy = pod.spec?.restartPolicy ?? 'Always';
    if (policy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    return policy === 'Never' ? 'Failed' : 'Running';
  }
  return 'Pending';
}
