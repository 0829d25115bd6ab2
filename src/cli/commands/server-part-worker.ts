/**
 * Worker-thread entry of a control-plane part (server-parts.ts): runs the part given in
 * workerData until the parent says 'stop', sending its log lines to the parent.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { errorMessage } from '../../util/error-message.js';
import { type PartMessage, type PartSpec, runPart } from './server-parts.js';

const port = parentPort!;
const spec = workerData as PartSpec;
const stop = new AbortController();
port.on('message', (m: unknown) => {
  if (m === 'stop') stop.abort();
});
const log = (line: string) => port.postMessage({ type: 'log', line } satisfies PartMessage);

try {
  await runPart(spec, stop.signal, log);
} catch (err) {
  log(`${spec.part}: ${errorMessage(err)}`);
  process.exitCode = 1;
}
// Done: whatever is still open (an idle keep-alive socket, a timer) must not keep the thread.
process.exit();
