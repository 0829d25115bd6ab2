/**
 * The ingress controller's routing table: the Ingresses of class `shoal`, their Services and
 * EndpointSlices compiled into lookup structures the proxy reads on every request without
 * allocating or re-parsing anything. Compiling is pure (objects in, table and warnings out); the
 * proxy recompiles on any change and swaps the whole table at once.
 *
 * Matching (Kubernetes leaves host precedence to the controller; this follows Traefik, k3s's
 * default, in falling through):
 * - The Host header (lowercased, port and trailing dot removed) selects up to three rule groups,
 *   tried in order: rules whose host equals it, rules whose wildcard host covers it (`*.a.com`
 *   covers `b.a.com`, not `a.com` nor `c.b.a.com`), and rules without a host. The first group with
 *   a matching path wins; when none has one, the oldest `spec.defaultBackend`, else 404.
 * - Within a group the longest matching path wins and Exact beats Prefix of the same length, as
 *   the Ingress documentation specifies. Prefix matches element-wise (`/foo` matches `/foo`,
 *   `/foo/`, `/foo/bar`, not `/foobar`; `/foo/` means the same as `/foo`); ImplementationSpecific
 *   is treated as Prefix. Paths are compared as sent, before the query string, case-sensitively.
 * - Two Ingresses claiming the same host, path and type: the older one (creationTimestamp, then
 *   namespace/name) keeps it and a warning names the other.
 */
import { DEFAULT_CLASS_ANNOTATION, INGRESS_CLASS, INGRESS_CONTROLLER } from '../../api/network-defaults.js';
import { type KubeObject, rec } from '../../api/object.js';
import { slicesByService } from '../endpoint-slices.js';

export { DEFAULT_CLASS_ANNOTATION, INGRESS_CLASS, INGRESS_CONTROLLER };
/** The deprecated pre-v1 way of naming the class, still common in manifests. */
export const LEGACY_CLASS_ANNOTATION = 'kubernetes.io/ingress.class';
export const CANARY_WEIGHT_ANNOTATION = 'shoal.dev/canary-weight';

/** One backend address; `key` is `host:port`, unique within a backend. */
export interface Endpoint {
  readonly host: string;
  readonly port: number;
  readonly key: string;
}

/**
 * A Service port's ready endpoints. Routes that name the same Service port share one Backend, so
 * round-robin (`next`, the only mutable field) spreads their requests together.
 */
export interface Backend {
  /** `namespace/service:port` (the port as the Ingress names it). */
  readonly key: string;
  /** `namespace/service`: the Service whose endpoints these are. */
  readonly service: string;
  readonly endpoints: readonly Endpoint[];
  /** Why there are no endpoints (the 503 body) when `endpoints` is empty. */
  readonly unavailable: string;
  next: number;
}

export interface Canary {
  readonly backend: Backend;
  /** 0..100: the percentage of the route's requests the canary gets. */
  readonly weight: number;
  /** `namespace/name` of the canary Ingress. */
  readonly ingress: string;
}

export interface Route {
  /** `namespace/name` of the Ingress the route comes from. */
  readonly ingress: string;
  readonly backend: Backend;
  readonly canary: Canary | undefined;
}

/** A TLS certificate: the `kubernetes.io/tls` Secret an Ingress names. */
export interface SecretRef {
  readonly namespace: string;
  readonly name: string;
}

interface PrefixRoute {
  /** Without trailing slash; '' for `/`. */
  readonly prefix: string;
  readonly route: Route;
}

/** The paths of one host (or of the host-less rules). */
class HostRoutes {
  readonly exact = new Map<string, Route>();
  /** Longest prefix first. */
  prefixes: PrefixRoute[] = [];

  match(path: string): Route | undefined {
    const exact = this.exact.get(path);
    if (exact) return exact;
    for (const p of this.prefixes) {
      const n = p.prefix.length;
      // '/' is code 47: the prefix must end at a path element boundary.
      if (path.startsWith(p.prefix) && (path.length === n || path.charCodeAt(n) === 47)) return p.route;
    }
    return undefined;
  }
}

export class RouteTable {
  /** `namespace/name` of every Service some route sends to (found or not). */
  private readonly services: ReadonlySet<string>;

  constructor(
    private readonly exactHosts: ReadonlyMap<string, HostRoutes>,
    private readonly wildcardHosts: ReadonlyMap<string, HostRoutes>,
    private readonly anyHost: HostRoutes | undefined,
    readonly defaultRoute: Route | undefined,
    private readonly backends: ReadonlyMap<string, Backend>,
    private readonly exactCerts: ReadonlyMap<string, SecretRef>,
    private readonly wildcardCerts: ReadonlyMap<string, SecretRef>,
    /** From a `spec.tls` entry without hosts: the certificate for names no other entry covers. */
    readonly defaultCert: SecretRef | undefined,
  ) {
    this.services = new Set([...backends.values()].map((b) => b.service));
  }

  static readonly EMPTY = new RouteTable(
    new Map(),
    new Map(),
    undefined,
    undefined,
    new Map(),
    new Map(),
    new Map(),
    undefined,
  );

  /**
   * The route for a request. `host` is the Host header as sent (any case, maybe with a port);
   * `url` the request target (the query string is ignored).
   */
  match(host: string | undefined, url: string): Route | undefined {
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const name = host ? normalizeHost(host) : '';
    if (name !== '') {
      const exact = this.exactHosts.get(name)?.match(path);
      if (exact) return exact;
      const dot = name.indexOf('.');
      if (dot > 0 && this.wildcardHosts.size > 0) {
        const wild = this.wildcardHosts.get(`*${name.slice(dot)}`)?.match(path);
        if (wild) return wild;
      }
    }
    return this.anyHost?.match(path) ?? this.defaultRoute;
  }

  /**
   * Whether the table depends on the Service `namespace/name` (and so on its EndpointSlices): a
   * change to any other Service compiles to the same table.
   */
  routesTo(serviceKey: string): boolean {
    return this.services.has(serviceKey);
  }

  /** The current version of a backend by key (retries look here for endpoints added since). */
  backend(key: string): Backend | undefined {
    return this.backends.get(key);
  }

  /** The certificate for a TLS server name (SNI), exact host before wildcard before default. */
  certificateFor(serverName: string | undefined): SecretRef | undefined {
    if (serverName) {
      const name = normalizeHost(serverName);
      const exact = this.exactCerts.get(name);
      if (exact) return exact;
      const dot = name.indexOf('.');
      if (dot > 0) {
        const wild = this.wildcardCerts.get(`*${name.slice(dot)}`);
        if (wild) return wild;
      }
    }
    return this.defaultCert;
  }
}

/** Lowercase, without `:port` (IPv6 literals keep their brackets) or a trailing dot. */
export function normalizeHost(host: string): string {
  let h = host;
  if (h.charCodeAt(0) === 91 /* [ */) {
    const end = h.indexOf(']');
    if (end > 0) h = h.slice(0, end + 1);
  } else {
    const colon = h.indexOf(':');
    if (colon >= 0) h = h.slice(0, colon);
  }
  if (h.endsWith('.')) h = h.slice(0, -1);
  return h.toLowerCase();
}

export interface RoutesInput {
  ingresses: readonly KubeObject[];
  ingressClasses: readonly KubeObject[];
  services: readonly KubeObject[];
  endpointSlices: readonly KubeObject[];
}

export interface CompiledRoutes {
  table: RouteTable;
  /** Problems with the objects (invalid canary weights, conflicts, unsupported backends). */
  warnings: string[];
}

/** Whether an Ingress is served by this controller, given the cluster's IngressClasses. */
export function isShoalIngress(ingress: KubeObject, ingressClasses: readonly KubeObject[]): boolean {
  const spec = rec(ingress.spec);
  const named =
    typeof spec.ingressClassName === 'string'
      ? spec.ingressClassName
      : ingress.metadata.annotations?.[LEGACY_CLASS_ANNOTATION];
  if (named !== undefined) return ourClassNames(ingressClasses).has(named);
  return ingressClasses.some(
    (c) => isOurClass(c) && c.metadata.annotations?.[DEFAULT_CLASS_ANNOTATION] === 'true',
  );
}

function isOurClass(c: KubeObject): boolean {
  return c.metadata.name === INGRESS_CLASS || rec(c.spec).controller === INGRESS_CONTROLLER;
}

function ourClassNames(classes: readonly KubeObject[]): Set<string> {
  const names = new Set([INGRESS_CLASS]);
  for (const c of classes) if (isOurClass(c) && c.metadata.name) names.add(c.metadata.name);
  return names;
}

/**
 * `shoal.dev/canary-weight` as a weight: undefined when absent (a main Ingress), NaN when set to
 * anything but an integer 0..100 written in decimal.
 */
export function canaryWeight(ingress: KubeObject): number | undefined {
  const raw = ingress.metadata.annotations?.[CANARY_WEIGHT_ANNOTATION];
  if (raw === undefined) return undefined;
  const v = raw.trim();
  if (!/^\d{1,3}$/.test(v)) return Number.NaN;
  const n = Number(v);
  return n <= 100 ? n : Number.NaN;
}

/** Pending entries while compiling; frozen into HostRoutes at the end. */
interface Claim {
  readonly ingress: string;
  readonly backend: Backend;
  canary?: Canary;
}

const DEFAULT_KEY = 'default backend';

export function compileRoutes(input: RoutesInput): CompiledRoutes {
  const warnings: string[] = [];
  const ours = input.ingresses.filter((i) => isShoalIngress(i, input.ingressClasses)).sort(olderFirst);
  const resolver = new BackendResolver(input.services, input.endpointSlices);

  // Routes by `host \n type \n path` (type Exact or Prefix, path normalized), plus DEFAULT_KEY.
  const claims = new Map<string, Claim>();
  const exactCerts = new Map<string, SecretRef>();
  const wildcardCerts = new Map<string, SecretRef>();
  let defaultCert: SecretRef | undefined;
  let defaultCertFrom = '';
  const canaries: KubeObject[] = [];

  for (const ing of ours) {
    const weight = canaryWeight(ing);
    if (weight !== undefined) {
      if (Number.isNaN(weight)) {
        warnings.push(
          `ingress ${keyOf(ing)}: annotation ${CANARY_WEIGHT_ANNOTATION}=${JSON.stringify(
            ing.metadata.annotations?.[CANARY_WEIGHT_ANNOTATION],
          )} is not an integer from 0 to 100; the canary Ingress is ignored`,
        );
      } else canaries.push(ing);
      continue;
    }
    const name = keyOf(ing);
    forEachPath(ing, warnings, (routeKey, backendSpec) => {
      const existing = claims.get(routeKey);
      if (existing) {
        warnings.push(
          `ingress ${name}: ${describeKey(routeKey)} is already routed by ingress ${existing.ingress}`,
        );
        return;
      }
      claims.set(routeKey, { ingress: name, backend: resolver.resolve(ing, backendSpec) });
    });
    for (const tls of asArray(rec(ing.spec).tls)) {
      const secretName = rec(tls).secretName;
      if (typeof secretName !== 'string' || secretName === '') continue;
      const ref: SecretRef = { namespace: ing.metadata.namespace ?? 'default', name: secretName };
      const hosts = asArray(rec(tls).hosts).filter((h): h is string => typeof h === 'string');
      if (hosts.length === 0) {
        if (!defaultCert) {
          defaultCert = ref;
          defaultCertFrom = name;
        } else if (defaultCertFrom !== name) {
          warnings.push(
            `ingress ${name}: a TLS entry without hosts is ignored; ingress ${defaultCertFrom} already sets the default certificate`,
          );
        }
        continue;
      }
      for (const host of hosts) {
        const h = host.toLowerCase();
        const certs = h.startsWith('*.') ? wildcardCerts : exactCerts;
        if (!certs.has(h)) certs.set(h, ref);
      }
    }
  }

  // A canary joins the main routes it shares exactly (host, path type, path); the older canary
  // wins when two target the same route.
  for (const ing of canaries) {
    const name = keyOf(ing);
    const weight = canaryWeight(ing)!;
    forEachPath(ing, warnings, (routeKey, backendSpec) => {
      const main = claims.get(routeKey);
      if (!main) {
        warnings.push(`canary ingress ${name}: no main Ingress routes ${describeKey(routeKey)}; ignored`);
        return;
      }
      if (main.canary) {
        warnings.push(
          `canary ingress ${name}: ${describeKey(routeKey)} already has canary ingress ${main.canary.ingress}; ignored`,
        );
        return;
      }
      main.canary = { backend: resolver.resolve(ing, backendSpec), weight, ingress: name };
    });
  }

  const exactHosts = new Map<string, HostRoutes>();
  const wildcardHosts = new Map<string, HostRoutes>();
  let anyHost: HostRoutes | undefined;
  let defaultRoute: Route | undefined;
  for (const [key, claim] of claims) {
    const route: Route = { ingress: claim.ingress, backend: claim.backend, canary: claim.canary };
    if (key === DEFAULT_KEY) {
      defaultRoute = route;
      continue;
    }
    const [host, type, path] = key.split('\n') as [string, string, string];
    let group: HostRoutes;
    if (host === '') group = anyHost ??= new HostRoutes();
    else {
      const groups = host.startsWith('*.') ? wildcardHosts : exactHosts;
      group = groups.get(host) ?? new HostRoutes();
      groups.set(host, group);
    }
    if (type === 'Exact') group.exact.set(path, route);
    else group.prefixes.push({ prefix: path, route });
  }
  for (const group of [...exactHosts.values(), ...wildcardHosts.values(), ...(anyHost ? [anyHost] : [])]) {
    group.prefixes.sort((a, b) => b.prefix.length - a.prefix.length);
  }

  return {
    table: new RouteTable(
      exactHosts,
      wildcardHosts,
      anyHost,
      defaultRoute,
      resolver.backends,
      exactCerts,
      wildcardCerts,
      defaultCert,
    ),
    warnings,
  };
}

/** Calls `fn` with the route key and backend of each path of the Ingress, and its defaultBackend. */
function forEachPath(
  ing: KubeObject,
  warnings: string[],
  fn: (routeKey: string, backend: Record<string, unknown>) => void,
): void {
  const spec = rec(ing.spec);
  const visit = (routeKey: string, backend: Record<string, unknown>) => {
    if (backend.service === undefined) {
      warnings.push(
        `ingress ${keyOf(ing)}: ${describeKey(routeKey)} has a resource backend, which shoal does not support; ignored`,
      );
      return;
    }
    fn(routeKey, backend);
  };
  if (spec.defaultBackend !== undefined) visit(DEFAULT_KEY, rec(spec.defaultBackend));
  for (const rule of asArray(spec.rules)) {
    const r = rec(rule);
    const host = typeof r.host === 'string' ? r.host.toLowerCase() : '';
    for (const p of asArray(rec(r.http).paths)) {
      const hp = rec(p);
      const type = hp.pathType === 'Exact' ? 'Exact' : 'Prefix';
      let path = typeof hp.path === 'string' && hp.path !== '' ? hp.path : '/';
      if (type === 'Prefix') path = path.replace(/\/+$/, '');
      visit(`${host}\n${type}\n${path}`, rec(hp.backend));
    }
  }
}

function describeKey(routeKey: string): string {
  if (routeKey === DEFAULT_KEY) return 'the default backend';
  const [host, type, path] = routeKey.split('\n') as [string, string, string];
  return `${host === '' ? 'any host' : `host ${host}`} ${type} path ${type === 'Prefix' ? path || '/' : path}`;
}

/** Turns Ingress backends into Backends with their ready endpoints, one per Service port. */
class BackendResolver {
  readonly backends = new Map<string, Backend>();
  private readonly services = new Map<string, KubeObject>();
  private readonly slices: Map<string, KubeObject[]>;

  constructor(services: readonly KubeObject[], endpointSlices: readonly KubeObject[]) {
    for (const s of services) this.services.set(keyOf(s), s);
    this.slices = slicesByService(endpointSlices);
  }

  resolve(ing: KubeObject, backendSpec: Record<string, unknown>): Backend {
    const ns = ing.metadata.namespace ?? 'default';
    const svcSpec = rec(backendSpec.service);
    const svcName = String(svcSpec.name ?? '');
    const port = rec(svcSpec.port);
    const portLabel =
      typeof port.name === 'string' && port.name !== '' ? port.name : String(port.number ?? '');
    const key = `${ns}/${svcName}:${portLabel}`;
    const known = this.backends.get(key);
    if (known) return known;
    const backend = this.build(key, ns, svcName, port);
    this.backends.set(key, backend);
    return backend;
  }

  private build(key: string, ns: string, svcName: string, port: Record<string, unknown>): Backend {
    const service = `${ns}/${svcName}`;
    const unavailable = (why: string): Backend => ({
      key,
      service,
      endpoints: [],
      unavailable: why,
      next: 0,
    });
    const svc = this.services.get(service);
    if (!svc) return unavailable(`service ${service} not found`);
    const spec = rec(svc.spec);
    if (spec.type === 'ExternalName') {
      return unavailable(`service ${service} is of type ExternalName, which shoal cannot proxy to`);
    }
    const svcPort = asArray(spec.ports)
      .map(rec)
      .find((p) =>
        typeof port.name === 'string' && port.name !== '' ? p.name === port.name : p.port === port.number,
      );
    if (!svcPort) {
      const which =
        typeof port.name === 'string' && port.name !== '' ? `named ${port.name}` : String(port.number);
      return unavailable(`service ${service} has no port ${which}`);
    }
    const portName = typeof svcPort.name === 'string' ? svcPort.name : '';
    // With no slice port entries, the Service says where pods listen (a number; names need a slice).
    const fallbackPort =
      typeof svcPort.targetPort === 'number'
        ? svcPort.targetPort
        : svcPort.targetPort === undefined && typeof svcPort.port === 'number'
          ? svcPort.port
          : undefined;

    const ready = new Map<string, Endpoint>();
    // Terminating endpoints that still serve are used only when nothing is ready, as kube-proxy
    // does: better than failing every request while the last pod of a rollout drains.
    const serving = new Map<string, Endpoint>();
    for (const slice of this.slices.get(service) ?? []) {
      if (slice.addressType === 'FQDN') continue;
      const slicePorts = asArray(slice.ports).map(rec);
      let target: number | undefined;
      if (slicePorts.length === 0) target = fallbackPort;
      else {
        const match = slicePorts.find((p) => (typeof p.name === 'string' ? p.name : '') === portName);
        target = typeof match?.port === 'number' ? match.port : undefined;
      }
      if (target === undefined) continue;
      for (const raw of asArray(slice.endpoints)) {
        const ep = rec(raw);
        const address = asArray(ep.addresses)[0];
        if (typeof address !== 'string' || address === '') continue;
        const cond = rec(ep.conditions);
        const endpoint: Endpoint = { host: address, port: target, key: `${address}:${target}` };
        // Per the EndpointSlice API an unset `ready` means ready.
        if (cond.ready !== false) ready.set(endpoint.key, endpoint);
        else if (cond.serving === true && cond.terminating === true) serving.set(endpoint.key, endpoint);
      }
    }
    const chosen = ready.size > 0 ? ready : serving;
    if (chosen.size === 0) return unavailable(`service ${service} has no ready endpoints`);
    // Sorted so round-robin order does not depend on cache iteration order.
    const endpoints = [...chosen.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return { key, service, endpoints, unavailable: '', next: 0 };
  }
}

/**
 * The backend a request to `route` goes to; `roll` is uniform in [0, 1) (Math.random), drawn per
 * request. The canary gets the request when roll × 100 < weight. When the chosen side has no
 * ready endpoints and the weight splits traffic (0 < weight < 100), the other side serves it.
 */
export function chooseBackend(route: Route, roll: number): Backend {
  const canary = route.canary;
  if (!canary) return route.backend;
  const toCanary = roll * 100 < canary.weight;
  const chosen = toCanary ? canary.backend : route.backend;
  if (chosen.endpoints.length > 0 || canary.weight === 0 || canary.weight === 100) return chosen;
  const other = toCanary ? route.backend : canary.backend;
  return other.endpoints.length > 0 ? other : chosen;
}

function olderFirst(a: KubeObject, b: KubeObject): number {
  const ta = Date.parse(a.metadata.creationTimestamp ?? '') || 0;
  const tb = Date.parse(b.metadata.creationTimestamp ?? '') || 0;
  if (ta !== tb) return ta - tb;
  const ka = keyOf(a);
  const kb = keyOf(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

function keyOf(obj: KubeObject): string {
  return `${obj.metadata.namespace ?? ''}/${obj.metadata.name ?? ''}`;
}

function asArray(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}
