/**
 * The READY, STATUS and RESTARTS columns of `kubectl get pods`, derived from a pod's status the
 * way Kubernetes' printer does: init progress ("Init:0/2", "Init:CrashLoopBackOff",
 * "Init:ExitCode:1"), container waiting/terminated reasons ("ContainerCreating",
 * "CrashLoopBackOff", "Completed", "Error", "ExitCode:3", "Signal:9"), "NotReady",
 * "Terminating", "Unknown" (node lost), "SchedulingGated", and restarts with the time of the
 * last one ("5 (3m ago)").
 */
import { isPlainObject, num, objectsIn, rec, str } from '../object.js';
import { humanDuration, timestampMs } from './duration.js';

type Obj = Record<string, unknown>;

export interface PodSummary {
  /** "1/2": ready containers over containers (sidecars count). */
  ready: string;
  status: string;
  restarts: string;
  restartCount: number;
}

export function summarizePod(pod: Obj, now: Date): PodSummary {
  const spec = rec(pod.spec);
  const status = rec(pod.status);
  const meta = rec(pod.metadata);
  const phase = str(status.phase);
  let reason = str(status.reason) !== '' ? str(status.reason) : phase;

  for (const c of objectsIn(status.conditions)) {
    if (c.type === 'PodScheduled' && c.reason === 'SchedulingGated') reason = 'SchedulingGated';
  }

  const initSpecs = new Map<string, Obj>();
  let totalContainers = objectsIn(spec.containers).length;
  for (const c of objectsIn(spec.initContainers)) {
    initSpecs.set(str(c.name), c);
    if (c.restartPolicy === 'Always') totalContainers++;
  }
  const isSidecar = (name: string) => initSpecs.get(name)?.restartPolicy === 'Always';

  let restarts = 0;
  let sidecarRestarts = 0;
  let readyContainers = 0;
  let lastRestart: number | undefined;
  let lastSidecarRestart: number | undefined;
  const later = (a: number | undefined, b: unknown) => {
    const t = timestampMs(rec(rec(b).terminated).finishedAt);
    return t !== undefined && (a === undefined || t > a) ? t : a;
  };

  let initializing = false;
  const initStatuses = objectsIn(status.initContainerStatuses);
  for (let i = 0; i < initStatuses.length; i++) {
    const c = initStatuses[i]!;
    restarts += num(c.restartCount);
    lastRestart = later(lastRestart, c.lastState);
    const sidecar = isSidecar(str(c.name));
    if (sidecar) {
      sidecarRestarts += num(c.restartCount);
      lastSidecarRestart = later(lastSidecarRestart, c.lastState);
    }
    const state = rec(c.state);
    const terminated = isPlainObject(state.terminated) ? state.terminated : undefined;
    const waiting = isPlainObject(state.waiting) ? state.waiting : undefined;
    if (terminated && num(terminated.exitCode) === 0) continue;
    if (sidecar && c.started === true) {
      if (c.ready === true) readyContainers++;
      continue;
    }
    if (terminated) {
      if (str(terminated.reason) === '') {
        reason =
          num(terminated.signal) !== 0
            ? `Init:Signal:${num(terminated.signal)}`
            : `Init:ExitCode:${num(terminated.exitCode)}`;
      } else {
        reason = `Init:${str(terminated.reason)}`;
      }
    } else if (waiting && str(waiting.reason) !== '' && waiting.reason !== 'PodInitializing') {
      reason = `Init:${str(waiting.reason)}`;
    } else {
      reason = `Init:${i}/${objectsIn(spec.initContainers).length}`;
    }
    initializing = true;
    break;
  }

  const initialized = objectsIn(status.conditions).some(
    (c) => c.type === 'Initialized' && c.status === 'True',
  );
  if (!initializing || initialized) {
    restarts = sidecarRestarts;
    lastRestart = lastSidecarRestart;
    let hasRunning = false;
    const statuses = objectsIn(status.containerStatuses);
    for (let i = statuses.length - 1; i >= 0; i--) {
      const c = statuses[i]!;
      restarts += num(c.restartCount);
      lastRestart = later(lastRestart, c.lastState);
      const state = rec(c.state);
      const waiting = isPlainObject(state.waiting) ? state.waiting : undefined;
      const terminated = isPlainObject(state.terminated) ? state.terminated : undefined;
      if (waiting && str(waiting.reason) !== '') reason = str(waiting.reason);
      else if (terminated && str(terminated.reason) !== '') reason = str(terminated.reason);
      else if (terminated) {
        reason =
          num(terminated.signal) !== 0
            ? `Signal:${num(terminated.signal)}`
            : `ExitCode:${num(terminated.exitCode)}`;
      } else if (c.ready === true && isPlainObject(state.running)) {
        hasRunning = true;
        readyContainers++;
      }
    }
    if (reason === 'Completed' && hasRunning) {
      const podReady = objectsIn(status.conditions).some((c) => c.type === 'Ready' && c.status === 'True');
      reason = podReady ? 'Running' : 'NotReady';
    }
  }

  const deleting = meta.deletionTimestamp !== undefined && meta.deletionTimestamp !== null;
  if (deleting && status.reason === 'NodeLost') reason = 'Unknown';
  else if (deleting && phase !== 'Failed' && phase !== 'Succeeded') reason = 'Terminating';

  let restartsText = String(restarts);
  if (restarts !== 0 && lastRestart !== undefined) {
    restartsText = `${restarts} (${humanDuration(now.getTime() - lastRestart)} ago)`;
  }
  return {
    ready: `${readyContainers}/${totalContainers}`,
    status: reason,
    restarts: restartsText,
    restartCount: restarts,
  };
}
