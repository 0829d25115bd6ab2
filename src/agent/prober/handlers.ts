/** The real handlers: network probes from the agent's host, exec probes through the runtime. */
import { execProbe } from './exec.js';
import { grpcProbe } from './grpc.js';
import { httpProbe } from './http.js';
import type { ExecFn, ProbeHandlers } from './outcome.js';
import { tcpProbe } from './tcp.js';

export function defaultProbeHandlers(exec: ExecFn): ProbeHandlers {
  return {
    httpGet: httpProbe,
    tcpSocket: tcpProbe,
    grpc: grpcProbe,
    exec: (action, timeoutMs) => execProbe(exec, action, timeoutMs),
  };
}
