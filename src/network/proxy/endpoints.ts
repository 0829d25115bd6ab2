/**
 * Which endpoints a Service port sends traffic to, read from its EndpointSlices the way
 * kube-proxy reads them: the first IPv4 address of each endpoint, the port whose name and
 * protocol match the Service port's, ready endpoints (`conditions.ready` unset counts as ready)
 * and, only when none is ready, those still serving while they terminate, so a rolling update's
 * last old pod keeps answering until its successor is ready.
 */
import type { ServicePort } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { compareAddresses, parseIPv4 } from '../../util/ipv4.js';

export interface ServiceEndpoint {
  ip: string;
  port: number;
  /** On this node: in its pod CIDR, or `nodeName` is this node's. */
  local: boolean;
  ready: boolean;
  /** Serving while terminating: used only when no endpoint is ready. */
  servingTerminating: boolean;
}

/**
 * Every endpoint of the Service port in the slices (already filtered to the Service), sorted by
 * address then port so equal inputs give equal rules; an address listed twice (an endpoint that
 * moves between slices) counts once, ready if any copy is.
 */
export function endpointsForPort(
  slices: readonly EndpointSlice[],
  port: ServicePort,
  isLocal: (ip: string, nodeName: string | undefined) => boolean,
): ServiceEndpoint[] {
  const protocol = port.protocol ?? 'TCP';
  const name = port.name ?? '';
  const found = new Map<string, ServiceEndpoint>();
  for (const slice of slices) {
    if (slice.addressType !== 'IPv4') continue;
    const slicePort = (slice.ports ?? []).find(
      (p) => (p.name ?? '') === name && (p.protocol ?? 'TCP') === protocol,
    );
    const targetPort = slicePort?.port;
    if (typeof targetPort !== 'number' || targetPort < 1 || targetPort > 65535) continue;
    for (const endpoint of slice.endpoints ?? []) {
      const ip = endpoint.addresses?.[0];
      if (!ip || parseIPv4(ip) === undefined) continue;
      const ready = endpoint.conditions?.ready !== false;
      const serving = endpoint.conditions?.serving ?? ready;
      const terminating = endpoint.conditions?.terminating === true;
      const key = `${ip}:${targetPort}`;
      const seen = found.get(key);
      found.set(key, {
        ip,
        port: targetPort,
        local: isLocal(ip, endpoint.nodeName),
        ready: ready || (seen?.ready ?? false),
        servingTerminating: (serving && terminating) || (seen?.servingTerminating ?? false),
      });
    }
  }
  return [...found.values()].sort(compareEndpoints);
}

/** The endpoints traffic may go to: the ready ones, else the serving-terminating ones. */
export function usableEndpoints(endpoints: readonly ServiceEndpoint[]): ServiceEndpoint[] {
  const ready = endpoints.filter((e) => e.ready);
  return ready.length > 0 ? ready : endpoints.filter((e) => e.servingTerminating);
}

function compareEndpoints(a: ServiceEndpoint, b: ServiceEndpoint): number {
  const byIp = compareAddresses(a.ip, b.ip);
  return byIp !== 0 ? byIp : a.port - b.port;
}
