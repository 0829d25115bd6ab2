/**
 * Which pods back a Service and how each one looks as an endpoint: the decisions the EndpointSlice
 * controller and the legacy Endpoints controller (../endpoints/) share, as Kubernetes' endpoint
 * utilities do. Pure functions of the Service, its pods and their Nodes' zones.
 *
 * A pod is an endpoint when it is not finished (Succeeded/Failed), has an IPv4 pod IP, and (for
 * the Endpoints controller, unless the Service publishes not-ready addresses) is not being
 * deleted. Its conditions are Kubernetes': `serving` = Ready (or the Service publishes not-ready
 * addresses); `ready` = serving and not terminating (or publishNotReadyAddresses); `terminating`
 * = it has a deletionTimestamp. Its ports are the Service's ports with each targetPort resolved
 * for this pod: a named targetPort is the containerPort of that name and protocol, and a port
 * the pod does not expose is left out for that pod only.
 */
import type { ObjectReference, Pod, Service, ServicePort } from 'kubernetes-types/core/v1.js';
import { isPodReady, isTerminal, isTerminating } from '../framework/pods.js';

/** A Service port resolved for one pod (discovery/v1 EndpointPort and core/v1 EndpointPort alike). */
export interface ResolvedPort {
  name: string;
  port: number;
  protocol: string;
  appProtocol?: string;
}

export interface PodEndpoint {
  ip: string;
  ready: boolean;
  serving: boolean;
  terminating: boolean;
  nodeName?: string;
  zone?: string;
  hostname?: string;
  targetRef: ObjectReference;
  /** In the Service's port order. */
  ports: ResolvedPort[];
}

/** The Node label an endpoint's zone comes from. */
export const ZONE_LABEL = 'topology.kubernetes.io/zone';

/**
 * Whether the endpoint controllers manage the Service's endpoints: it has a non-empty selector
 * (without one, its Endpoints/EndpointSlices are the user's) and is not an ExternalName (a DNS
 * alias has no endpoints; Kubernetes issue 105986).
 */
export function managesEndpoints(svc: Service): boolean {
  return svc.spec?.type !== 'ExternalName' && Object.keys(svc.spec?.selector ?? {}).length > 0;
}

/** The Service's selector matches the pod's labels (same namespace). */
export function selects(svc: Service, pod: Pod): boolean {
  if (svc.metadata?.namespace !== pod.metadata?.namespace) return false;
  const selector = svc.spec?.selector ?? {};
  const labels = pod.metadata?.labels ?? {};
  const entries = Object.entries(selector);
  return entries.length > 0 && entries.every(([k, v]) => labels[k] === v);
}

/** The pod's IPv4 address, if it has one yet. */
export function podIPv4(pod: Pod): string | undefined {
  const ips = [pod.status?.podIP, ...(pod.status?.podIPs ?? []).map((p) => p.ip)];
  return ips.find((ip): ip is string => !!ip && /^\d{1,3}(\.\d{1,3}){3}$/.test(ip));
}

/** The port `servicePort` targets on `pod`; undefined when a named targetPort is not on the pod. */
export function resolveTargetPort(pod: Pod, servicePort: ServicePort): number | undefined {
  const target = servicePort.targetPort ?? servicePort.port;
  if (typeof target === 'number') return target;
  const protocol = servicePort.protocol ?? 'TCP';
  // Sidecars (init containers that keep running) serve too, as in Kubernetes' FindPort.
  const containers = [
    ...(pod.spec?.containers ?? []),
    ...(pod.spec?.initContainers ?? []).filter((c) => c.restartPolicy === 'Always'),
  ];
  for (const c of containers) {
    for (const p of c.ports ?? []) {
      if (p.name === target && (p.protocol ?? 'TCP') === protocol) return p.containerPort;
    }
  }
  return undefined;
}

export interface EndpointOptions {
  /** Keep pods that are being deleted (EndpointSlices do, with terminating: true). */
  includeTerminating: boolean;
  /** The zone of a Node (its topology.kubernetes.io/zone label), if known. */
  zoneOf?: (nodeName: string) => string | undefined;
}

/** The pod as an endpoint of `svc`, or undefined when it is not one. */
export function podEndpoint(svc: Service, pod: Pod, options: EndpointOptions): PodEndpoint | undefined {
  if (isTerminal(pod)) return undefined;
  const ip = podIPv4(pod);
  if (!ip) return undefined;
  const terminating = isTerminating(pod);
  const publishNotReady = svc.spec?.publishNotReadyAddresses === true;
  if (terminating && !options.includeTerminating && !publishNotReady) return undefined;
  const serving = publishNotReady || isPodReady(pod);
  const ports: ResolvedPort[] = [];
  for (const sp of svc.spec?.ports ?? []) {
    const port = resolveTargetPort(pod, sp);
    if (port === undefined) continue;
    ports.push({
      name: sp.name ?? '',
      port,
      protocol: sp.protocol ?? 'TCP',
      ...(sp.appProtocol ? { appProtocol: sp.appProtocol } : {}),
    });
  }
  const nodeName = pod.spec?.nodeName;
  const zone = nodeName ? options.zoneOf?.(nodeName) : undefined;
  // A pod's own DNS name under the Service: only when its subdomain is this Service.
  const hostname =
    pod.spec?.hostname && pod.spec.subdomain === svc.metadata?.name ? pod.spec.hostname : undefined;
  return {
    ip,
    ready: publishNotReady || (serving && !terminating),
    serving,
    terminating,
    ...(nodeName ? { nodeName } : {}),
    ...(zone ? { zone } : {}),
    ...(hostname ? { hostname } : {}),
    targetRef: {
      kind: 'Pod',
      namespace: pod.metadata?.namespace ?? '',
      name: pod.metadata?.name ?? '',
      uid: pod.metadata?.uid ?? '',
    },
    ports,
  };
}

/** The endpoints of `svc` among `pods` (its namespace's), in pod-name order. */
export function serviceEndpoints(
  svc: Service,
  pods: readonly Pod[],
  options: EndpointOptions,
): PodEndpoint[] {
  const out: PodEndpoint[] = [];
  for (const pod of pods) {
    if (!selects(svc, pod)) continue;
    const ep = podEndpoint(svc, pod, options);
    if (ep) out.push(ep);
  }
  return out.sort((a, b) => (a.targetRef.name ?? '').localeCompare(b.targetRef.name ?? ''));
}

/** A key that is equal for equal port sets, whatever their order. */
export function portSetKey(ports: readonly ResolvedPort[]): string {
  return JSON.stringify(
    ports
      .map((p) => [p.name, p.port, p.protocol, p.appProtocol ?? ''])
      .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
  );
}
