/**
 * Defaults for the non-workload kinds: Service, Endpoints, EndpointSlice, Secret, Namespace,
 * Node, Event, HPA, Ingress, IngressClass, NetworkPolicy, PriorityClass and RBAC bindings.
 */
import { isIPv6 } from '../validation/names.js';
import { RBAC_GROUP } from '../validation/rbac.js';
import {
  canonicalizeQuantities,
  canonicalizeQuantity,
  items,
  maybe,
  type Obj,
  obj,
  setDefault,
  unset,
} from './util.js';

export function defaultService(svc: Obj): void {
  const spec = obj(svc, 'spec');
  setDefault(spec, 'sessionAffinity', 'None');
  if (spec.sessionAffinity === 'None') delete spec.sessionAffinityConfig;
  if (spec.sessionAffinity === 'ClientIP') {
    setDefault(obj(obj(spec, 'sessionAffinityConfig'), 'clientIP'), 'timeoutSeconds', 10800);
  }
  setDefault(spec, 'type', 'ClusterIP');
  for (const port of items(spec, 'ports')) {
    setDefault(port, 'protocol', 'TCP');
    if (unset(port.targetPort) || port.targetPort === 0) port.targetPort = port.port;
  }
  const type = spec.type;
  const externallyAccessible =
    type === 'LoadBalancer' ||
    type === 'NodePort' ||
    (type === 'ClusterIP' && Array.isArray(spec.externalIPs) && spec.externalIPs.length > 0);
  if (externallyAccessible) setDefault(spec, 'externalTrafficPolicy', 'Cluster');
  if (type === 'ClusterIP' || type === 'NodePort' || type === 'LoadBalancer')
    setDefault(spec, 'internalTrafficPolicy', 'Cluster');
  if (type === 'LoadBalancer' && unset(spec.allocateLoadBalancerNodePorts))
    spec.allocateLoadBalancerNodePorts = true;
  if (type !== 'ExternalName') {
    // clusterIP and clusterIPs describe the same addresses; keep them in step (the allocator fills them).
    const ips = Array.isArray(spec.clusterIPs) ? spec.clusterIPs : [];
    if (ips.length === 0 && !unset(spec.clusterIP)) spec.clusterIPs = [spec.clusterIP];
    else if (ips.length > 0 && unset(spec.clusterIP)) spec.clusterIP = ips[0];
    setDefault(spec, 'ipFamilyPolicy', 'SingleStack');
    if (!Array.isArray(spec.ipFamilies) || spec.ipFamilies.length === 0) {
      const first = typeof spec.clusterIP === 'string' ? spec.clusterIP : '';
      spec.ipFamilies = [isIPv6(first) ? 'IPv6' : 'IPv4'];
    }
  }
  obj(obj(svc, 'status'), 'loadBalancer');
}

export function defaultEndpoints(ep: Obj): void {
  for (const subset of items(ep, 'subsets'))
    for (const port of items(subset, 'ports')) setDefault(port, 'protocol', 'TCP');
}

export function defaultEndpointSlice(slice: Obj): void {
  for (const port of items(slice, 'ports')) {
    if (port.name === undefined || port.name === null) port.name = '';
    setDefault(port, 'protocol', 'TCP');
  }
}

/** Type Opaque; `stringData` is merged into `data` (base64), as Kubernetes' conversion does. */
export function defaultSecret(secret: Obj): void {
  setDefault(secret, 'type', 'Opaque');
  const stringData = maybe(secret, 'stringData');
  if (stringData) {
    const data = obj(secret, 'data');
    for (const [k, v] of Object.entries(stringData))
      data[k] = Buffer.from(String(v), 'utf8').toString('base64');
    delete secret.stringData;
  }
}

/**
 * The `kubernetes.io/metadata.name` label and phase Active always; on create the "kubernetes"
 * finalizer the namespace controller removes once the namespace is emptied.
 */
export function defaultNamespace(ns: Obj, create: boolean): void {
  const meta = obj(ns, 'metadata');
  if (typeof meta.name === 'string' && meta.name !== '')
    obj(meta, 'labels')['kubernetes.io/metadata.name'] = meta.name;
  setDefault(obj(ns, 'status'), 'phase', 'Active');
  if (create) {
    const spec = obj(ns, 'spec');
    const finalizers = Array.isArray(spec.finalizers) ? spec.finalizers : [];
    if (!finalizers.includes('kubernetes')) spec.finalizers = [...finalizers, 'kubernetes'];
  }
}

export function defaultNode(node: Obj): void {
  const status = maybe(node, 'status');
  if (!status) return;
  canonicalizeQuantities(status.capacity);
  canonicalizeQuantities(status.allocatable);
  if (unset(status.allocatable) && maybe(status, 'capacity'))
    status.allocatable = { ...(status.capacity as Obj) };
}

/** Core events serialize these fields even when empty. */
export function defaultEvent(ev: Obj): void {
  if (ev.reportingComponent === undefined) ev.reportingComponent = '';
  if (ev.reportingInstance === undefined) ev.reportingInstance = '';
  if (ev.eventTime === undefined) ev.eventTime = null;
  if (ev.firstTimestamp === undefined) ev.firstTimestamp = null;
  if (ev.lastTimestamp === undefined) ev.lastTimestamp = null;
  if (ev.source === undefined) ev.source = {};
}

const DEFAULT_CPU_UTILIZATION = 80;

export function defaultHorizontalPodAutoscaler(hpa: Obj): void {
  const spec = obj(hpa, 'spec');
  setDefault(spec, 'minReplicas', 1);
  if (!Array.isArray(spec.metrics) || spec.metrics.length === 0) {
    spec.metrics = [
      {
        type: 'Resource',
        resource: {
          name: 'cpu',
          target: { type: 'Utilization', averageUtilization: DEFAULT_CPU_UTILIZATION },
        },
      },
    ];
  }
  for (const metric of items(spec, 'metrics')) {
    for (const source of ['object', 'pods', 'resource', 'external', 'containerResource']) {
      const target = maybe(maybe(metric, source) ?? {}, 'target');
      if (target) {
        canonicalizeQuantity(target, 'value');
        canonicalizeQuantity(target, 'averageValue');
      }
    }
  }
  const behavior = maybe(spec, 'behavior');
  if (behavior) {
    const up = obj(behavior, 'scaleUp');
    setDefault(up, 'stabilizationWindowSeconds', 0);
    setDefault(up, 'selectPolicy', 'Max');
    if (!Array.isArray(up.policies)) {
      up.policies = [
        { type: 'Pods', value: 4, periodSeconds: 15 },
        { type: 'Percent', value: 100, periodSeconds: 15 },
      ];
    }
    const down = obj(behavior, 'scaleDown');
    setDefault(down, 'stabilizationWindowSeconds', 300);
    setDefault(down, 'selectPolicy', 'Max');
    if (!Array.isArray(down.policies)) down.policies = [{ type: 'Percent', value: 100, periodSeconds: 15 }];
  }
}

export function defaultIngress(ing: Obj): void {
  obj(obj(ing, 'status'), 'loadBalancer');
}

export function defaultIngressClass(ic: Obj): void {
  const params = maybe(obj(ic, 'spec'), 'parameters');
  if (params) setDefault(params, 'scope', 'Cluster');
}

export function defaultNetworkPolicy(np: Obj): void {
  const spec = obj(np, 'spec');
  if (!Array.isArray(spec.policyTypes) || spec.policyTypes.length === 0) {
    const types = ['Ingress'];
    if (Array.isArray(spec.egress) && spec.egress.length > 0) types.push('Egress');
    spec.policyTypes = types;
  }
  for (const list of ['ingress', 'egress']) {
    for (const rule of items(spec, list))
      for (const port of items(rule, 'ports')) setDefault(port, 'protocol', 'TCP');
  }
}

export function defaultPriorityClass(pc: Obj): void {
  setDefault(pc, 'preemptionPolicy', 'PreemptLowerPriority');
}

export function defaultBinding(binding: Obj): void {
  setDefault(obj(binding, 'roleRef'), 'apiGroup', RBAC_GROUP);
  for (const subject of items(binding, 'subjects')) {
    if (unset(subject.apiGroup) && (subject.kind === 'User' || subject.kind === 'Group'))
      subject.apiGroup = RBAC_GROUP;
  }
}
