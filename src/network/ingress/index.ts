/**
 * The ingress controller: an HTTP and HTTPS reverse proxy of Shoal's own for networking.k8s.io/v1
 * Ingresses of class `shoal`. `compileRoutes` (routes.ts) turns Ingresses, IngressClasses,
 * Services and EndpointSlices into an immutable routing table (hosts, Exact and Prefix paths,
 * default backend, weighted canaries, TLS certificates by SNI); `IngressProxy` (proxy.ts) follows
 * the caches, swaps a new table in after each change and forwards requests and WebSockets to
 * ready endpoints over pooled connections, retrying endpoints that fail before answering;
 * status.ts says what `status.loadBalancer.ingress` the Ingresses it serves should report.
 */

export {
  IngressProxy,
  type IngressProxyOptions,
  type ListeningPorts,
  type ListenOptions,
  tlsMaterial,
} from './proxy.js';
export {
  type Backend,
  CANARY_WEIGHT_ANNOTATION,
  type Canary,
  type CompiledRoutes,
  canaryWeight,
  chooseBackend,
  compileRoutes,
  DEFAULT_CLASS_ANNOTATION,
  type Endpoint,
  INGRESS_CLASS,
  INGRESS_CONTROLLER,
  isShoalIngress,
  LEGACY_CLASS_ANNOTATION,
  normalizeHost,
  type Route,
  type RoutesInput,
  RouteTable,
  type SecretRef,
} from './routes.js';
export { ingressLoadBalancerStatus, ingressStatusDiffers } from './status.js';
