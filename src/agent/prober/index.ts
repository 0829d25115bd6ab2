/**
 * Container probes for the agent: `ContainerProbes` runs the startup, liveness and readiness
 * probes of one running container instance with kubelet's timing, thresholds and Event messages,
 * and tells the pod logic when the container is started / ready and when it must be restarted.
 * The handlers (httpGet, tcpSocket, grpc, exec) are plain functions, usable on their own, as is
 * `resolvePort` (a probe's port number or named container port).
 */
export { ContainerProbes, type ContainerProbesOptions, type ProbeState } from './container-probes.js';
export { execProbe } from './exec.js';
export { grpcProbe } from './grpc.js';
export { defaultProbeHandlers } from './handlers.js';
export { httpProbe } from './http.js';
export type { ExecFn, ProbeHandlers, ProbeOutcome, ProbeResult } from './outcome.js';
export {
  type ExecAction,
  type GrpcAction,
  type HttpGetAction,
  type ProbeAction,
  ProbeConfigError,
  type ProbeKind,
  resolvePort,
  type TcpSocketAction,
} from './spec.js';
export { tcpProbe } from './tcp.js';
