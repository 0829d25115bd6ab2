/**
 * Builders of the API objects the ingress tests feed the controller: Ingresses, the shoal
 * IngressClass, Services and EndpointSlices, Secrets. Test-only.
 */
import type { KubeObject } from '../../api/object.js';
import { SERVICE_NAME_LABEL } from '../endpoint-slices.js';
import { DEFAULT_CLASS_ANNOTATION, INGRESS_CLASS, INGRESS_CONTROLLER } from './routes.js';

let clock = Date.parse('2024-01-01T00:00:00Z');

/** `creationTimestamp`s that grow with each object built, so "older" is the one built first. */
function created(): string {
  clock += 1000;
  return new Date(clock).toISOString();
}

export function shoalClass(isDefault = true): KubeObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'IngressClass',
    metadata: {
      name: INGRESS_CLASS,
      ...(isDefault ? { annotations: { [DEFAULT_CLASS_ANNOTATION]: 'true' } } : {}),
    },
    spec: { controller: INGRESS_CONTROLLER },
  };
}

export function backend(service: string, port: number | string): Record<string, unknown> {
  return { service: { name: service, port: typeof port === 'number' ? { number: port } : { name: port } } };
}

export interface PathSpec {
  host?: string;
  path?: string;
  pathType?: 'Exact' | 'Prefix' | 'ImplementationSpecific';
  service: string;
  port?: number | string;
}

export function ingress(
  name: string,
  paths: PathSpec[],
  opts: {
    namespace?: string;
    className?: string | null;
    annotations?: Record<string, string>;
    defaultBackend?: Record<string, unknown>;
    tls?: { hosts?: string[]; secretName: string }[];
  } = {},
): KubeObject {
  const byHost = new Map<string, PathSpec[]>();
  for (const p of paths) byHost.set(p.host ?? '', [...(byHost.get(p.host ?? '') ?? []), p]);
  const rules = [...byHost].map(([host, ps]) => ({
    ...(host ? { host } : {}),
    http: {
      paths: ps.map((p) => ({
        path: p.path ?? '/',
        pathType: p.pathType ?? 'Prefix',
        backend: backend(p.service, p.port ?? 80),
      })),
    },
  }));
  const className = opts.className === undefined ? INGRESS_CLASS : opts.className;
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: {
      name,
      namespace: opts.namespace ?? 'default',
      creationTimestamp: created(),
      ...(opts.annotations ? { annotations: opts.annotations } : {}),
    },
    spec: {
      ...(className !== null ? { ingressClassName: className } : {}),
      ...(rules.length > 0 ? { rules } : {}),
      ...(opts.defaultBackend ? { defaultBackend: opts.defaultBackend } : {}),
      ...(opts.tls ? { tls: opts.tls } : {}),
    },
  };
}

export interface ServicePortSpec {
  name?: string;
  port: number;
  targetPort?: number | string;
}

export function service(
  name: string,
  ports: ServicePortSpec[] = [{ port: 80 }],
  opts: { namespace?: string; type?: string } = {},
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: opts.namespace ?? 'default' },
    spec: {
      ...(opts.type ? { type: opts.type } : {}),
      ports: ports.map((p) => ({ protocol: 'TCP', ...p })),
    },
  };
}

export interface EndpointSpec {
  ip: string;
  ready?: boolean;
  serving?: boolean;
  terminating?: boolean;
}

/** An EndpointSlice of `svc` with the given endpoints (IP strings are ready) and ports. */
export function slice(
  name: string,
  svc: string,
  endpoints: (string | EndpointSpec)[],
  ports: { name?: string; port: number }[] = [{ port: 8080 }],
  namespace = 'default',
): KubeObject {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name, namespace, labels: { [SERVICE_NAME_LABEL]: svc } },
    addressType: 'IPv4',
    endpoints: endpoints.map((e) => {
      const s = typeof e === 'string' ? { ip: e } : e;
      const conditions: Record<string, boolean> = {};
      if (s.ready !== undefined) conditions.ready = s.ready;
      if (s.serving !== undefined) conditions.serving = s.serving;
      if (s.terminating !== undefined) conditions.terminating = s.terminating;
      return { addresses: [s.ip], conditions };
    }),
    ports: ports.map((p) => ({
      protocol: 'TCP',
      ...(p.name !== undefined ? { name: p.name } : {}),
      port: p.port,
    })),
  };
}

export function tlsSecret(name: string, certPem: string, keyPem: string, namespace = 'default'): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace, resourceVersion: '1' },
    type: 'kubernetes.io/tls',
    data: {
      'tls.crt': Buffer.from(certPem).toString('base64'),
      'tls.key': Buffer.from(keyPem).toString('base64'),
    },
  };
}
