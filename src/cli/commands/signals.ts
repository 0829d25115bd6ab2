/**
 * Ctrl-C and SIGTERM for the commands: the foreground ones (server, agent, simulate) run until
 * then, watches stop then. Apart from common.ts so that those daemons do not load the client
 * verbs' modules.
 */
/** An AbortSignal that fires on Ctrl-C / SIGTERM (for watches). */
export function interruptSignal(): AbortSignal {
  const ac = new AbortController();
  const stop = () => ac.abort(new Error('interrupted'));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return ac.signal;
}

/** Resolves on Ctrl-C / SIGTERM: the foreground commands (server, agent, simulate) run until then. */
export function interrupted(): Promise<void> {
  const signal = interruptSignal();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}
