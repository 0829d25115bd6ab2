/**
 * What the ServiceLB status controller writes for one Service (as k3s's ServiceLB): a
 * `type: LoadBalancer` Service is reachable on every Ready, schedulable Node's address (the
 * agents' proxy opens its ports there), so `status.loadBalancer.ingress` lists each such Node's
 * InternalIP, sorted; a Service of another type has no ingress, so one left from an earlier
 * LoadBalancer is cleared. Services with a `loadBalancerClass` belong to another implementation
 * and are left alone.
 */
import type { LoadBalancerIngress, Node, Service } from 'kubernetes-types/core/v1.js';
import { semanticEqual } from '../../api/validation/util.js';
import { compareAddresses } from '../../util/ipv4.js';
import { isNodeReady } from '../framework/nodes.js';

/** A Node that takes load-balanced traffic: Ready and not cordoned. */
export function servesLoadBalancers(node: Node): boolean {
  return isNodeReady(node) && node.spec?.unschedulable !== true;
}

export function internalIP(node: Node): string | undefined {
  return node.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
}

/** The ingress points of a LoadBalancer Service on these Nodes. */
export function loadBalancerIngress(nodes: readonly Node[]): LoadBalancerIngress[] {
  const ips = new Set<string>();
  for (const n of nodes) {
    const ip = servesLoadBalancers(n) ? internalIP(n) : undefined;
    if (ip) ips.add(ip);
  }
  return [...ips].sort(compareAddresses).map((ip) => ({ ip }));
}

/** The Service with its new status, or undefined when it is right already (or not ours). */
export function planServiceLBStatus(svc: Service, nodes: readonly Node[]): Service | undefined {
  if (svc.spec?.loadBalancerClass) return undefined;
  const ingress = svc.spec?.type === 'LoadBalancer' ? loadBalancerIngress(nodes) : [];
  const current = svc.status?.loadBalancer?.ingress ?? [];
  if (semanticEqual(current, ingress)) return undefined;
  const { ingress: _drop, ...loadBalancer } = svc.status?.loadBalancer ?? {};
  return {
    ...svc,
    status: { ...svc.status, loadBalancer: ingress.length > 0 ? { ...loadBalancer, ingress } : loadBalancer },
  };
}
