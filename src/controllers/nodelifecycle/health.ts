/**
 * Is a node alive? The pure half of the node lifecycle controller's health check, as Kubernetes'
 * `tryUpdateNodeHealth`: the agent proves it is alive by renewing its Lease (every 2 s) and by
 * posting its status (Ready's lastHeartbeatTime). The controller notes, on its OWN clock, when it
 * last saw either of them change (`probeAt`); when neither changed for the grace period, the
 * node's conditions go Unknown. Timestamps written by the node are only compared for equality,
 * never with our clock: the two machines' clocks may disagree by any amount.
 */
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { Node, NodeCondition } from 'kubernetes-types/core/v1.js';
import { formatTime } from '../../api/time.js';

/** What the controller remembers of a node between passes. */
export interface NodeHealth {
  /** When (our clock, ms) the node was last seen alive. */
  probeAt: number;
  /** Ready's lastHeartbeatTime as last seen. */
  heartbeat: string | undefined;
  /** The Lease's renewTime as last seen. */
  renewTime: string | undefined;
}

/** The conditions the agent owns and that go Unknown when it falls silent (not NetworkUnavailable). */
export const SILENT_NODE_CONDITIONS = ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure'] as const;

function readyCondition(node: Node): NodeCondition | undefined {
  return node.status?.conditions?.find((c) => c.type === 'Ready');
}

/**
 * Update what we know of `node` with its current state and Lease: any change of the heartbeat or
 * of the Lease's renewTime since the last pass means the node was alive just now. A node seen for
 * the first time (or after a controller restart) counts as alive now, so it gets a full grace
 * period before anything is concluded about it.
 */
export function observeHealth(
  previous: NodeHealth | undefined,
  node: Node,
  lease: Lease | undefined,
  now: number,
): NodeHealth {
  const heartbeat = readyCondition(node)?.lastHeartbeatTime;
  const renewTime = lease?.spec?.renewTime;
  const alive = !previous || previous.heartbeat !== heartbeat || previous.renewTime !== renewTime;
  return { probeAt: alive ? now : previous.probeAt, heartbeat, renewTime };
}

/**
 * The grace period of one node: the configured one, or the duration its Lease declares when that
 * is longer. Shoal's agents hold 8 s Leases renewed every 2 s; a holder that renews less often
 * (`shoal simulate` renews thousands of 40 s Leases every 10-20 s, as Kubernetes' kubelets do)
 * says so in its Lease, and is not declared dead between two renewals it promised.
 */
export function gracePeriodMs(lease: Lease | undefined, configuredMs: number): number {
  return Math.max(configuredMs, (lease?.spec?.leaseDurationSeconds ?? 0) * 1000);
}

export interface HealthVerdict {
  /** The node's conditions to write, when they must change (the node fell silent); else undefined. */
  conditions?: NodeCondition[];
  /** When to look again if nothing changes before (ms from now): when the grace period runs out. */
  recheckInMs?: number;
}

/**
 * Whether the node has been silent for longer than `graceMs`; if so, the conditions it should
 * have: every agent-owned condition Unknown (reason NodeStatusUnknown, lastTransitionTime now,
 * the last heartbeat kept), missing ones added as NodeStatusNeverUpdated. A node whose
 * conditions are all Unknown already needs no write.
 */
export function judgeHealth(node: Node, health: NodeHealth, now: number, graceMs: number): HealthVerdict {
  const silentFor = now - health.probeAt;
  if (silentFor <= graceMs) return { recheckInMs: graceMs - silentFor + 1 };
  const stamp = formatTime(new Date(now));
  const conditions = [...(node.status?.conditions ?? [])];
  let changed = false;
  for (const type of SILENT_NODE_CONDITIONS) {
    const i = conditions.findIndex((c) => c.type === type);
    if (i < 0) {
      conditions.push({
        type,
        status: 'Unknown',
        reason: 'NodeStatusNeverUpdated',
        message: 'Agent never posted node status.',
        ...(node.metadata?.creationTimestamp ? { lastHeartbeatTime: node.metadata.creationTimestamp } : {}),
        lastTransitionTime: stamp,
      });
      changed = true;
    } else if (conditions[i]!.status !== 'Unknown') {
      conditions[i] = {
        ...conditions[i]!,
        status: 'Unknown',
        reason: 'NodeStatusUnknown',
        message: 'Agent stopped posting node status.',
        lastTransitionTime: stamp,
      };
      changed = true;
    }
  }
  return changed ? { conditions } : {};
}
