/**
 * The legacy core/v1 Endpoints object of a Service (Kubernetes' endpoints controller), for
 * `kubectl get endpoints` and older clients: same name as the Service, the Service's labels
 * (plus `service.kubernetes.io/headless` for a headless one), and subsets that group the pods by
 * the ports they resolved (as Kubernetes' RepackSubsets): Ready pods under `addresses`, the
 * others under `notReadyAddresses`, each sorted by IP. The pods and their conditions come from
 * the code the EndpointSlice controller uses (../endpointslice/pod-endpoints.ts); unlike slices,
 * Endpoints leave out pods being deleted unless the Service publishes not-ready addresses.
 */
import type {
  EndpointAddress,
  EndpointPort,
  EndpointSubset,
  Endpoints,
  Service,
} from 'kubernetes-types/core/v1.js';
import { semanticEqual } from '../../api/validation/util.js';
import { type PodEndpoint, portSetKey } from '../endpointslice/pod-endpoints.js';

const HEADLESS_LABEL = 'service.kubernetes.io/headless';

function address(ep: PodEndpoint): EndpointAddress {
  return {
    ip: ep.ip,
    ...(ep.hostname ? { hostname: ep.hostname } : {}),
    ...(ep.nodeName ? { nodeName: ep.nodeName } : {}),
    targetRef: ep.targetRef,
  };
}

const byIP = (a: EndpointAddress, b: EndpointAddress) =>
  a.ip.localeCompare(b.ip, 'en', { numeric: true }) ||
  (a.targetRef?.uid ?? '').localeCompare(b.targetRef?.uid ?? '');

/** The subsets for these endpoints of `svc`. */
export function endpointSubsets(svc: Service, endpoints: readonly PodEndpoint[]): EndpointSubset[] {
  const headless = svc.spec?.clusterIP === 'None';
  const servicePorts = svc.spec?.ports?.length ?? 0;
  const groups = new Map<
    string,
    { ports: EndpointPort[]; ready: EndpointAddress[]; notReady: EndpointAddress[] }
  >();
  for (const ep of endpoints) {
    // A pod serving none of the Service's ports is no endpoint of it; only a headless Service
    // without ports lists bare addresses (for DNS).
    if (ep.ports.length === 0 && !(headless && servicePorts === 0)) continue;
    const key = portSetKey(ep.ports);
    let g = groups.get(key);
    if (!g) {
      const ports = ep.ports
        .map((p) => ({
          ...(p.name ? { name: p.name } : {}),
          port: p.port,
          protocol: p.protocol,
          ...(p.appProtocol ? { appProtocol: p.appProtocol } : {}),
        }))
        .sort((a, b) => (a.name ?? '').localeCompare(b.name ?? '') || a.port - b.port);
      g = { ports, ready: [], notReady: [] };
      groups.set(key, g);
    }
    (ep.ready ? g.ready : g.notReady).push(address(ep));
  }
  return [...groups.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([, g]) => ({
      ...(g.ready.length > 0 ? { addresses: g.ready.sort(byIP) } : {}),
      ...(g.notReady.length > 0 ? { notReadyAddresses: g.notReady.sort(byIP) } : {}),
      ...(g.ports.length > 0 ? { ports: g.ports } : {}),
    }));
}

export function endpointsLabels(svc: Service): Record<string, string> {
  const labels: Record<string, string> = { ...(svc.metadata?.labels ?? {}) };
  delete labels[HEADLESS_LABEL];
  if (svc.spec?.clusterIP === 'None') labels[HEADLESS_LABEL] = '';
  return labels;
}

export type EndpointsPlan =
  | { action: 'none' }
  | { action: 'create'; endpoints: Endpoints }
  | { action: 'update'; endpoints: Endpoints };

/** Create, rewrite (keeping its other metadata) or leave the Service's Endpoints `existing`. */
export function planEndpoints(
  svc: Service,
  endpoints: readonly PodEndpoint[],
  existing: Endpoints | undefined,
): EndpointsPlan {
  const subsets = endpointSubsets(svc, endpoints);
  const labels = endpointsLabels(svc);
  if (!existing) {
    return {
      action: 'create',
      endpoints: {
        apiVersion: 'v1',
        kind: 'Endpoints',
        metadata: { name: svc.metadata?.name ?? '', namespace: svc.metadata?.namespace ?? '', labels },
        subsets,
      },
    };
  }
  if (semanticEqual(existing.subsets, subsets) && semanticEqual(existing.metadata?.labels, labels)) {
    return { action: 'none' };
  }
  return {
    action: 'update',
    endpoints: { ...existing, metadata: { ...existing.metadata, labels }, subsets },
  };
}
