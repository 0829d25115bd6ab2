/** What controllers ask of a node (the node-lifecycle, pod GC and ServiceLB controllers ask the same). */
import type { Node } from 'kubernetes-types/core/v1.js';

/** Whether the node's Ready condition is True (Unknown and False both count as not Ready). */
export function isNodeReady(node: Node): boolean {
  return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}
