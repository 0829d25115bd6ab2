/**
 * Why a pod fits nowhere, worded exactly as Kubernetes' FitError (framework/types.go), since users
 * and tools read it in FailedScheduling events and the PodScheduled condition:
 *
 *   "0/5 nodes are available: 2 node(s) had untolerated taint {dedicated: gpu}, 3 Insufficient cpu.
 *    preemption: 0/5 nodes are available: 5 No preemption victims found for incoming pod."
 *
 * Each node's reasons are counted; "<count> <reason>" strings are sorted as strings (as Go's
 * sort.Strings does, so "10 x" sorts before "2 y"). A preFilter rejection replaces the per-node
 * histogram with its own message. The postFilter (preemption) message is appended as is.
 */
import type { Status } from './framework/types.js';

export const NO_NODES_MESSAGE = 'no nodes available to schedule pods';

export class FitError {
  constructor(
    readonly numAllNodes: number,
    /** Every rejected node's status, by node name. */
    readonly statuses: ReadonlyMap<string, Status>,
    /** Set when a preFilter plugin rejected the pod outright. */
    readonly preFilterMsg = '',
    public postFilterMsg = '',
  ) {}

  get message(): string {
    if (this.numAllNodes === 0) return NO_NODES_MESSAGE;
    let msg = `0/${this.numAllNodes} nodes are available:`;
    if (this.preFilterMsg) msg += ` ${this.preFilterMsg}.`;
    else {
      const counts = new Map<string, number>();
      for (const status of this.statuses.values())
        for (const reason of status.reasons) counts.set(reason, (counts.get(reason) ?? 0) + 1);
      const histogram = [...counts].map(([reason, n]) => `${n} ${reason}`).sort();
      if (histogram.length > 0) msg += ` ${histogram.join(', ')}.`;
    }
    if (this.postFilterMsg) msg += ` ${this.postFilterMsg}`;
    return msg;
  }

  /** The plugins that rejected the pod somewhere: the queue wakes it on events that concern them. */
  get plugins(): string[] {
    const names = new Set<string>();
    for (const s of this.statuses.values()) if (s.plugin) names.add(s.plugin);
    return [...names];
  }
}
