/** What one run of a probe handler found, and the handlers' common shape. */
import type { ExecResult } from '../../runtime/driver.js';
import type { ProbeAction } from './spec.js';

/**
 * `warning` counts as success but is worth telling (kubelet's ProbeWarning: an HTTP probe that
 * stopped at a redirect to another host).
 */
export type ProbeResult = 'success' | 'warning' | 'failure';

export interface ProbeOutcome {
  result: ProbeResult;
  /** The explanation kubelet puts after "Liveness probe failed: " (or the body / output on success). */
  output: string;
}

/** Runs a command in the probed container; see RuntimeDriver.exec. */
export type ExecFn = (command: string[], timeoutMs: number) => Promise<ExecResult>;

/**
 * One function per handler type. Each resolves within about `timeoutMs` with an outcome; it
 * throws only when the probe could not be run at all (kubelet's "probe errored").
 */
export type ProbeHandlers = {
  [K in ProbeAction['type']]: (
    action: Extract<ProbeAction, { type: K }>,
    timeoutMs: number,
  ) => Promise<ProbeOutcome>;
};
