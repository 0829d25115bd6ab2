/**
 * A container's probe as the prober runs it: the timing with Kubernetes' defaults applied, and the
 * action with its target resolved (host defaulted to the pod IP, named ports looked up in the
 * container's ports). Pure, so the rules are tested without sockets.
 */
import type { Container, Probe } from 'kubernetes-types/core/v1.js';

export type ProbeKind = 'liveness' | 'readiness' | 'startup';

export interface HttpGetAction {
  type: 'httpGet';
  scheme: 'http' | 'https';
  host: string;
  port: number;
  /** Path and query, always starting with `/`. */
  path: string;
  /** In spec order; names are case-insensitive and may repeat, as HTTP allows. */
  headers: Array<{ name: string; value: string }>;
}

export interface TcpSocketAction {
  type: 'tcpSocket';
  host: string;
  port: number;
}

export interface GrpcAction {
  type: 'grpc';
  host: string;
  port: number;
  /** Empty: the server's overall health. */
  service: string;
}

export interface ExecAction {
  type: 'exec';
  command: string[];
}

export type ProbeAction = HttpGetAction | TcpSocketAction | GrpcAction | ExecAction;

export interface ProbeTiming {
  initialDelayMs: number;
  periodMs: number;
  timeoutMs: number;
  successThreshold: number;
  failureThreshold: number;
}

/**
 * The probe's configuration cannot be run (no IP yet, unknown named port, no handler). Kubelet
 * reports these as "probe errored" and does not count them towards a threshold; so does Shoal.
 */
export class ProbeConfigError extends Error {
  override name = 'ProbeConfigError';
}

/** A positive whole number of seconds, or the default when unset, zero or nonsense. */
function seconds(value: number | undefined, fallback: number): number {
  return value !== undefined && Number.isFinite(value) && value > 0 ? Math.floor(value) : fallback;
}

/** Timing with the API server's defaults; successThreshold is 1 for liveness and startup probes. */
export function probeTiming(probe: Probe, kind: ProbeKind): ProbeTiming {
  return {
    initialDelayMs: seconds(probe.initialDelaySeconds, 0) * 1000,
    periodMs: seconds(probe.periodSeconds, 10) * 1000,
    timeoutMs: seconds(probe.timeoutSeconds, 1) * 1000,
    successThreshold: kind === 'readiness' ? seconds(probe.successThreshold, 1) : 1,
    failureThreshold: seconds(probe.failureThreshold, 3),
  };
}

/** A port number, or a named port of the container, checked to be a valid TCP port. */
export function resolvePort(port: number | string, container: Container, where: string): number {
  let number: number;
  if (typeof port === 'number') {
    number = port;
  } else {
    const named = container.ports?.find((p) => p.name === port);
    if (!named) {
      throw new ProbeConfigError(
        `${where}: port "${port}" is not a named port of container "${container.name}"`,
      );
    }
    number = named.containerPort;
  }
  if (!Number.isInteger(number) || number < 1 || number > 65535) {
    throw new ProbeConfigError(`${where}: invalid port number ${number} (must be 1 to 65535)`);
  }
  return number;
}

function targetHost(host: string | undefined, podIP: string | undefined, where: string): string {
  if (host) return host;
  if (podIP) return podIP;
  throw new ProbeConfigError(`${where}: the pod has no IP address yet and no host is set`);
}

/** The action of `probe`, ready to run; throws ProbeConfigError saying what is wrong and where. */
export function resolveProbeAction(
  probe: Probe,
  kind: ProbeKind,
  container: Container,
  podIP: string | undefined,
): ProbeAction {
  const field = `${kind}Probe`;
  const handlers = (['exec', 'httpGet', 'tcpSocket', 'grpc'] as const).filter((h) => probe[h] !== undefined);
  if (handlers.length !== 1) {
    throw new ProbeConfigError(
      handlers.length === 0
        ? `${field}: no handler (one of exec, httpGet, tcpSocket, grpc is required)`
        : `${field}: more than one handler (${handlers.join(', ')}); exactly one is allowed`,
    );
  }
  if (probe.exec) {
    const command = probe.exec.command ?? [];
    if (command.length === 0) throw new ProbeConfigError(`${field}.exec.command: must not be empty`);
    return { type: 'exec', command };
  }
  if (probe.httpGet) {
    const where = `${field}.httpGet`;
    const scheme = (probe.httpGet.scheme ?? 'HTTP').toLowerCase();
    if (scheme !== 'http' && scheme !== 'https') {
      throw new ProbeConfigError(`${where}.scheme: "${probe.httpGet.scheme}" is not HTTP or HTTPS`);
    }
    const path = probe.httpGet.path ?? '';
    return {
      type: 'httpGet',
      scheme,
      host: targetHost(probe.httpGet.host, podIP, `${where}.host`),
      port: resolvePort(probe.httpGet.port, container, `${where}.port`),
      path: path.startsWith('/') ? path : `/${path}`,
      headers: (probe.httpGet.httpHeaders ?? []).map(({ name, value }) => ({ name, value })),
    };
  }
  if (probe.tcpSocket) {
    const where = `${field}.tcpSocket`;
    return {
      type: 'tcpSocket',
      host: targetHost(probe.tcpSocket.host, podIP, `${where}.host`),
      port: resolvePort(probe.tcpSocket.port, container, `${where}.port`),
    };
  }
  const grpc = probe.grpc!;
  return {
    type: 'grpc',
    // gRPC probes have no host field: always the pod's own address.
    host: targetHost(undefined, podIP, `${field}.grpc`),
    port: resolvePort(grpc.port, container, `${field}.grpc.port`),
    service: grpc.service ?? '',
  };
}
