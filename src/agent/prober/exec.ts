/** exec probes: a command run in the container; exit status 0 is success. */
import { goQuote } from '../go-text.js';
import type { ExecFn, ProbeOutcome } from './outcome.js';
import type { ExecAction } from './spec.js';

/** Runtime errors (container gone, engine down) propagate: the probe errored, it did not fail. */
export async function execProbe(exec: ExecFn, action: ExecAction, timeoutMs: number): Promise<ProbeOutcome> {
  const result = await exec(action.command, timeoutMs);
  if (result.timedOut) {
    return { result: 'failure', output: `command ${goQuote(action.command.join(' '))} timed out` };
  }
  // As kubelet: the failure message is the command's own output (e.g. "cat: can't open ...").
  return { result: result.exitCode === 0 ? 'success' : 'failure', output: result.output.trimEnd() };
}
