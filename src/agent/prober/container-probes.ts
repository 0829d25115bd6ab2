/**
 * The probes of one running container instance, run as kubelet's prober workers do:
 *
 * - One worker per defined probe (startup, liveness, readiness), each ticking every
 *   `periodSeconds`; the first tick waits a random part of a period, so pods adopted together by
 *   an agent that just started do not probe together (as kubelet, only within one period of the
 *   agent's start: a container started later is probed at once). Ticks before `initialDelaySeconds` (counted from the container's start)
 *   do nothing.
 * - While a startup probe is defined and has not succeeded, liveness and readiness do not run.
 *   Once it succeeds it never runs again for this instance, and readiness runs at once.
 * - Results count towards `successThreshold` / `failureThreshold` (threshold.ts). Readiness starts
 *   as failure; liveness and startup start as success/unknown. A container without a readiness
 *   probe is ready as soon as it has started.
 * - Every failed run is reported (`onUnhealthy`, kubelet's `Unhealthy` event:
 *   "Liveness probe failed: ..."); a probe that could not be run at all ("probe errored") is
 *   reported but not counted, as kubelet does. Liveness or startup reaching `failureThreshold`
 *   calls `onKill` once and that probe stops: a new instance gets a new ContainerProbes.
 *
 * Time comes from the injected Clock; handlers are injectable, so the state machine is tested
 * without sockets or sleeping.
 */
import type { Container, Probe } from 'kubernetes-types/core/v1.js';
import type { Clock } from '../../util/clock.js';
import { goDuration } from '../go-text.js';
import { defaultProbeHandlers } from './handlers.js';
import type { ExecFn, ProbeHandlers, ProbeOutcome } from './outcome.js';
import {
  type ProbeAction,
  type ProbeKind,
  type ProbeTiming,
  probeTiming,
  resolveProbeAction,
} from './spec.js';
import { type ResultRun, recordResult, type Verdict } from './threshold.js';

export interface ProbeState {
  ready: boolean;
  started: boolean;
}

export interface ContainerProbesOptions {
  /** Default target of network probes (with hostNetwork, the node's IP). */
  podIP: string | undefined;
  container: Container;
  /** Runs a command in this container instance (exec probes). */
  exec: ExecFn;
  clock: Clock;
  /** Defaults to the real network and exec handlers. */
  handlers?: ProbeHandlers;
  /** When the container started (ms, clock time): initialDelaySeconds counts from here. Default: start(). */
  startedAt?: number;
  /**
   * The state the API server last had for this very container instance, when the agent adopts a
   * running container after a restart: readiness and startup resume from it instead of starting
   * over, so a restart of the agent does not flip ready pods to not ready.
   */
  initial?: ProbeState;
  /** When the agent started (clock ms): the first-run jitter applies only within one period of it. Default: always. */
  agentStartedAt?: number;
  /** Source of the first-run jitter, in [0, 1). Default Math.random. */
  random?: () => number;
  /** Called after start() whenever `ready` or `started` changes. */
  onChange(state: ProbeState): void;
  /** Every failed or errored run, with the Event message ("Readiness probe failed: ..."); reason `Unhealthy`. */
  onUnhealthy(probe: ProbeKind, message: string): void;
  /** Liveness or startup reached failureThreshold: restart the container (Event reason `Killing`). */
  onKill(probe: 'liveness' | 'startup', message: string): void;
  /** A run that counted as success but is worth telling (Event reason `ProbeWarning`). */
  onWarning?(probe: ProbeKind, message: string): void;
}

const TITLE: Record<ProbeKind, string> = { liveness: 'Liveness', readiness: 'Readiness', startup: 'Startup' };
const KINDS: ProbeKind[] = ['startup', 'liveness', 'readiness'];
/** Handlers enforce the timeout themselves; this backstop only catches one that hangs anyway. */
const HANDLER_GRACE_MS = 1000;

interface Worker {
  kind: ProbeKind;
  probe: Probe;
  timing: ProbeTiming;
  run: ResultRun;
  /** This probe will not run again for this instance (startup succeeded, or it asked for a kill). */
  done: boolean;
  /** The sleep between ticks, aborted to run early or to stop. */
  nap?: AbortController;
}

export class ContainerProbes {
  private readonly workers = new Map<ProbeKind, Worker>();
  private readonly handlers: ProbeHandlers;
  /** Every sleep in progress, so stop() leaves no timer behind. */
  private readonly sleeps = new Set<AbortController>();
  private startupDone: boolean;
  private readinessPassed: boolean;
  private startedAt = 0;
  private running = false;
  private stopped = false;

  constructor(private readonly opts: ContainerProbesOptions) {
    this.handlers = opts.handlers ?? defaultProbeHandlers(opts.exec);
    for (const kind of KINDS) {
      const probe = opts.container[`${kind}Probe`];
      if (probe)
        this.workers.set(kind, {
          kind,
          probe,
          timing: probeTiming(probe, kind),
          run: { count: 0 },
          done: false,
        });
    }
    this.startupDone = !this.workers.has('startup') || (opts.initial?.started ?? false);
    this.readinessPassed = !this.workers.has('readiness') || (opts.initial?.ready ?? false);
    if (this.startupDone && this.workers.has('startup')) this.workers.get('startup')!.done = true;
  }

  /** No startup probe, or it has succeeded. */
  get started(): boolean {
    return this.startupDone;
  }

  /** Started, and the readiness probe (if any) has passed its success threshold. */
  get ready(): boolean {
    return this.startupDone && this.readinessPassed;
  }

  /** Starts the workers; a second call, or one after stop(), does nothing. */
  start(): void {
    if (this.running || this.stopped) return;
    this.running = true;
    this.startedAt = this.opts.startedAt ?? this.opts.clock.now();
    for (const worker of this.workers.values()) void this.loop(worker);
  }

  /** Stops every worker at once; results of probes still in flight are dropped. */
  stop(): void {
    this.stopped = true;
    for (const sleep of this.sleeps) sleep.abort();
    this.sleeps.clear();
  }

  private async loop(w: Worker): Promise<void> {
    const { clock } = this.opts;
    const random = this.opts.random ?? Math.random;
    const { agentStartedAt } = this.opts;
    const recentStart = agentStartedAt === undefined || clock.now() - agentStartedAt < w.timing.periodMs;
    let due = clock.now() + (recentStart ? random() * w.timing.periodMs : 0);
    while (!this.stopped && !w.done) {
      await this.nap(w, Math.max(0, due - clock.now()));
      if (this.stopped || w.done) return;
      // A run woken early (readiness after startup) keeps the ticks where they were, as kubelet's
      // manual trigger does.
      const scheduled = clock.now() >= due;
      await this.tick(w);
      if (!scheduled) continue;
      // Like Go's ticker: ticks missed by a slow probe collapse into one, run at once.
      due += w.timing.periodMs;
      while (due + w.timing.periodMs <= clock.now()) due += w.timing.periodMs;
    }
  }

  private async nap(w: Worker, ms: number): Promise<void> {
    const controller = new AbortController();
    w.nap = controller;
    this.sleeps.add(controller);
    try {
      await this.opts.clock.sleep(ms, controller.signal);
    } catch {
      // Woken early or stopped: the loop checks which.
    } finally {
      this.sleeps.delete(controller);
      if (w.nap === controller) w.nap = undefined;
    }
  }

  private async tick(w: Worker): Promise<void> {
    const { clock, container, podIP } = this.opts;
    if (clock.now() - this.startedAt < w.timing.initialDelayMs) return;
    if (w.kind !== 'startup' && !this.startupDone) return;
    let outcome: ProbeOutcome;
    try {
      const action = resolveProbeAction(w.probe, w.kind, container, podIP);
      outcome = await this.runHandler(action, w.timing.timeoutMs);
    } catch (err) {
      if (!this.stopped) {
        this.opts.onUnhealthy(w.kind, `${TITLE[w.kind]} probe errored: ${(err as Error).message ?? err}`);
      }
      return;
    }
    if (this.stopped) return;
    if (outcome.result === 'failure') {
      this.opts.onUnhealthy(w.kind, `${TITLE[w.kind]} probe failed: ${outcome.output}`);
    } else if (outcome.result === 'warning') {
      this.opts.onWarning?.(w.kind, `${TITLE[w.kind]} probe warning: ${outcome.output}`);
    }
    const { run, settled } = recordResult(
      w.run,
      outcome.result === 'failure' ? 'failure' : 'success',
      w.timing,
    );
    w.run = run;
    if (settled) this.settle(w, settled);
  }

  private async runHandler(action: ProbeAction, timeoutMs: number): Promise<ProbeOutcome> {
    const handler = this.handlers[action.type] as (a: ProbeAction, t: number) => Promise<ProbeOutcome>;
    const guard = new AbortController();
    this.sleeps.add(guard);
    const limit = timeoutMs + HANDLER_GRACE_MS;
    try {
      return await Promise.race([
        handler(action, timeoutMs),
        this.opts.clock.sleep(limit, guard.signal).then(
          (): ProbeOutcome => ({
            result: 'failure',
            output: `probe did not complete within ${goDuration(limit)}`,
          }),
        ),
      ]);
    } finally {
      guard.abort();
      this.sleeps.delete(guard);
    }
  }

  private settle(w: Worker, result: Verdict): void {
    if (w.kind === 'readiness') {
      this.update(() => {
        this.readinessPassed = result === 'success';
      });
    } else if (result === 'failure') {
      w.done = true;
      const kind = w.kind;
      this.opts.onKill(kind, `Container ${this.opts.container.name} failed ${kind} probe, will be restarted`);
    } else if (w.kind === 'startup') {
      w.done = true;
      this.update(() => {
        this.startupDone = true;
      });
      // Kubelet probes readiness at once when a container has started, rather than a period later.
      this.workers.get('readiness')?.nap?.abort();
    }
  }

  private update(change: () => void): void {
    const before = { ready: this.ready, started: this.started };
    change();
    if (before.ready !== this.ready || before.started !== this.started) {
      this.opts.onChange({ ready: this.ready, started: this.started });
    }
  }
}
