/**
 * What an Ingress of class shoal reports in `status.loadBalancer.ingress`: the addresses of the
 * nodes whose ingress proxy serves it (every node runs one), as k3s's ServiceLB reports its
 * Services. Pure, so the lead's status writer only compares and writes.
 */
import { isIP } from 'node:net';
import type { IngressLoadBalancerIngress } from 'kubernetes-types/networking/v1.js';
import { type KubeObject, objectsIn, rec } from '../../api/object.js';

/**
 * The `status.loadBalancer.ingress` list for the given node addresses: IPs as `ip`, anything
 * else as `hostname`; duplicates and empty strings dropped; sorted (IPv4 before IPv6, then by
 * text) so the same nodes always give the same list and no write happens for a reordering.
 */
export function ingressLoadBalancerStatus(nodeAddresses: readonly string[]): IngressLoadBalancerIngress[] {
  const unique = [...new Set(nodeAddresses.map((a) => a.trim()).filter((a) => a !== ''))];
  const rank = (a: string) => (isIP(a) === 4 ? 0 : isIP(a) === 6 ? 1 : 2);
  unique.sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
  return unique.map((a) => (isIP(a) ? { ip: a } : { hostname: a }));
}

/** Whether the Ingress's current `status.loadBalancer.ingress` differs from `desired`. */
export function ingressStatusDiffers(
  ingress: KubeObject,
  desired: readonly IngressLoadBalancerIngress[],
): boolean {
  const current = objectsIn(rec(rec(ingress.status).loadBalancer).ingress);
  if (current.length !== desired.length) return true;
  return current.some((c, i) => {
    const d = desired[i]!;
    return (c.ip ?? undefined) !== d.ip || (c.hostname ?? undefined) !== d.hostname || c.ports !== undefined;
  });
}
