/**
 * The node's heartbeat: a `coordination.k8s.io/v1` Lease in `kube-node-lease` named after the
 * node, renewed every few seconds, as the kubelet's lease controller does. A cheap write the
 * control plane watches to tell a live node from a dead one, so the full status is written only
 * when it changes (or once a minute).
 *
 * The lease is owned by the Node (ownerReference with the Node's uid), recreated when someone
 * deletes it, and renewed with the last version seen; a conflict or a missing lease is resolved
 * at once by re-reading, other failures wait a capped exponential backoff. Nothing here throws out
 * of `run`: a heartbeat that gives up is worse than one that keeps trying.
 */
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import { hasReason } from '../api/errors.js';
import type { KubeObject } from '../api/object.js';
import { lookupResource } from '../api/resources.js';
import { formatMicroTime } from '../api/time.js';
import { Backoff } from '../client/backoff.js';
import type { Client } from '../client/rest.js';
import type { Clock } from '../util/clock.js';

export const NODE_LEASE_NAMESPACE = 'kube-node-lease';
/** A Lease as the server returns it: the envelope fields are always there. */
type LeaseObject = Lease & KubeObject;
const LEASES = lookupResource('coordination.k8s.io', 'v1', 'leases')!;

/** The part of the client the agent's node reporting uses (the real Client, or a test double). */
export type NodeApi = Pick<Client, 'get' | 'create' | 'update' | 'patch'>;

export interface NodeLeaseOptions {
  client: NodeApi;
  nodeName: string;
  /** The Node's uid, for the owner reference; read at every renewal (a re-registered node has a new one). */
  nodeUid: () => string | undefined;
  clock: Clock;
  leaseDurationSeconds: number;
  renewIntervalMs: number;
  /** Largest wait between failed renewals (default 7 s, as the kubelet's). */
  maxBackoffMs?: number;
  /**
   * Extra wait after the first renewal only (default 0). Many leases renewed from one process
   * (`shoal simulate`) each get a different phase in [0, renewIntervalMs), so their renewals are
   * spread evenly over the interval instead of coming due together.
   */
  phaseMs?: number;
  log?: (msg: string) => void;
  /**
   * A renewal succeeded after one or more failed: the node was cut off for a while, long enough,
   * perhaps, for the control plane to mark it Unknown.
   */
  onReconnected?: () => void;
}

export class NodeLease {
  private lease: Lease | undefined;
  private readonly backoff: Backoff;

  constructor(private readonly options: NodeLeaseOptions) {
    this.backoff = new Backoff({
      initialMs: Math.min(200, options.renewIntervalMs),
      maxMs: options.maxBackoffMs ?? 7_000,
    });
  }

  /** Renew until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    const { clock, log } = this.options;
    let phase = this.options.phaseMs ?? 0;
    let failed = false;
    while (!signal.aborted) {
      let delay = this.options.renewIntervalMs + phase;
      phase = 0;
      try {
        await this.renew(signal);
        this.backoff.reset();
        if (failed) this.options.onReconnected?.();
        failed = false;
      } catch (err) {
        if (signal.aborted) break;
        failed = true;
        delay = this.backoff.next();
        log?.(`renewing the node lease failed (retrying in ${delay} ms): ${(err as Error).message}`);
      }
      try {
        await clock.sleep(delay, signal);
      } catch {
        break;
      }
    }
  }

  /** One renewal: update the lease last seen; re-read or create it when that is stale or gone. */
  async renew(signal?: AbortSignal): Promise<Lease> {
    const { client, nodeName } = this.options;
    const opts = signal ? { signal } : {};
    if (this.lease) {
      try {
        this.lease = await client.update<LeaseObject>(
          LEASES,
          NODE_LEASE_NAMESPACE,
          this.desired(this.lease),
          opts,
        );
        return this.lease;
      } catch (err) {
        this.lease = undefined;
        if (!hasReason(err, 'Conflict', 'NotFound')) throw err;
      }
    }
    let current: Lease | undefined;
    try {
      current = await client.get<LeaseObject>(LEASES, NODE_LEASE_NAMESPACE, nodeName, opts);
    } catch (err) {
      if (!hasReason(err, 'NotFound')) throw err;
    }
    const next = this.desired(current ?? { metadata: { name: nodeName, namespace: NODE_LEASE_NAMESPACE } });
    this.lease = current
      ? await client.update<LeaseObject>(LEASES, NODE_LEASE_NAMESPACE, next, opts)
      : await client.create<LeaseObject>(LEASES, NODE_LEASE_NAMESPACE, next, opts);
    return this.lease;
  }

  private desired(base: Lease): LeaseObject {
    const { nodeName } = this.options;
    const uid = this.options.nodeUid();
    return {
      ...base,
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        ...base.metadata,
        name: nodeName,
        namespace: NODE_LEASE_NAMESPACE,
        ...(uid ? { ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: nodeName, uid }] } : {}),
      },
      spec: {
        ...base.spec,
        holderIdentity: nodeName,
        leaseDurationSeconds: this.options.leaseDurationSeconds,
        renewTime: formatMicroTime(new Date(this.options.clock.now())),
      },
    };
  }
}
