/**
 * One hollow node: the agent's own parts, minus everything that touches a real machine. Its pods
 * run on a `SimulatedDriver` through the agent's PodManager and pod workers (so pod status is
 * computed exactly as `shoal agent --runtime simulated` computes it), its Node and Lease are kept
 * by the agent's NodeStatusReporter. What the fleet shares comes in `HollowNodeShared`: one client
 * for Nodes and Leases, one StatusManager for every pod's status writes, one limited final delete.
 *
 * Left out, as KWOK does: Events (three per pod start would triple the write load), the logs and
 * exec endpoint (the Node reports port 0, so the API server answers logs/exec with a clear 503),
 * volumes, env resolution and probes (no process runs; containers count as started and ready).
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { HostSnapshot, HostStats } from '../agent/host-stats.js';
import { ALWAYS_READY_PROBES, NO_ENV, NO_VOLUMES } from '../agent/no-process-parts.js';
import type { NodeApi } from '../agent/node-lease.js';
import { NodeStatusReporter } from '../agent/node-status.js';
import { PodManager } from '../agent/pod-manager.js';
import type { WorkerDeps } from '../agent/pod-worker.js';
import type { RestartBackoff } from '../agent/restart-backoff.js';
import type { PodRef, StatusManager } from '../agent/status-manager.js';
import { SimulatedDriver } from '../runtime/simulated/driver.js';
import type { Clock } from '../util/clock.js';
import type { HollowNodeSpec, LeaseTiming } from './layout.js';

/** What every hollow node of a fleet shares. */
export interface HollowNodeShared {
  nodeApi: NodeApi;
  status: StatusManager;
  /** The final DELETE of a terminated pod (grace 0, uid precondition), as the agent sends it. */
  confirmDeleted(ref: PodRef): Promise<void>;
  cpus: number;
  memoryBytes: number;
  maxPods: number;
  /** How long a simulated container takes to start. */
  startDelayMs: number;
  lease: LeaseTiming;
  /** How often each node compares its status with what it posted (nothing changes: rarely). */
  statusCheckMs: number;
  /** Longest time between two status writes (Kubernetes' nodeStatusReportFrequency, 5 min). */
  statusReportMs: number;
  /** Longest time between two syncs of a pod nothing woke. */
  podResyncMs: number;
  backoff: RestartBackoff;
  imageBackoff: RestartBackoff;
  clock: Clock;
  /** Changes every run, as a machine's boot id changes every boot. */
  bootId: string;
  log(line: string): void;
}

/** The filesystem a hollow node reports (ephemeral-storage capacity; the agent reserves 10 %). */
const DISK_BYTES = 100 * 2 ** 30;
const PID_MAX = 4_194_304;

export class HollowNode {
  readonly name: string;
  readonly driver: SimulatedDriver;
  private readonly pods: PodManager;
  private readonly reporter: NodeStatusReporter;

  constructor(spec: HollowNodeSpec, shared: HollowNodeShared) {
    this.name = spec.name;
    this.driver = new SimulatedDriver({
      nodeName: spec.name,
      startDelayMs: shared.startDelayMs,
      cpus: shared.cpus,
      memoryBytes: shared.memoryBytes,
      clock: shared.clock,
    });
    const deps: WorkerDeps = {
      driver: this.driver,
      nodeName: spec.name,
      hostIP: spec.ip,
      clock: shared.clock,
      volumes: NO_VOLUMES,
      env: NO_ENV,
      probes: ALWAYS_READY_PROBES,
      events: { event: () => {} },
      status: shared.status,
      backoff: shared.backoff,
      imageBackoff: shared.imageBackoff,
      confirmDeleted: (ref) => shared.confirmDeleted(ref),
      log: (line) => shared.log(`node ${spec.name}: ${line}`),
      resyncMs: shared.podResyncMs,
    };
    // The PodManager is not started: its runtime-event follower (a 32 KiB queue per node in
    // events.on) and housekeeping exist for a runtime that changes behind the agent's back.
    // Nothing changes a simulated runtime but the pod workers themselves.
    this.pods = new PodManager(deps);
    const host: HostSnapshot = {
      memory: { totalBytes: shared.memoryBytes, availableBytes: shared.memoryBytes },
      filesystem: { totalBytes: DISK_BYTES, availableBytes: DISK_BYTES },
      pids: { inUse: 0, max: PID_MAX },
      bootId: shared.bootId,
      machineId: spec.machineId,
      systemUuid: '',
      hostname: spec.name,
    };
    const hostStats: HostStats = { read: async () => host };
    this.reporter = new NodeStatusReporter({
      client: shared.nodeApi,
      nodeName: spec.name,
      hostStats,
      runtimeInfo: () => this.driver.info(),
      port: 0,
      addresses: [spec.ip],
      clock: shared.clock,
      leaseDurationSeconds: shared.lease.durationSeconds,
      leaseRenewIntervalMs: shared.lease.renewMs,
      statusCheckIntervalMs: shared.statusCheckMs,
      statusReportIntervalMs: shared.statusReportMs,
      maxPods: shared.maxPods,
      labels: spec.labels,
      phaseMs: spec.phaseMs,
      log: (line) => {
        // Progress is reported for the whole fleet; one line per node would drown it.
        if (!/^(registered|took over the existing) node /.test(line)) shared.log(line);
      },
    });
  }

  /**
   * Registers the Node and then keeps its Lease and status; resolves true once registered (false
   * when stopped first). A failed registration is retried with backoff, as the agent does.
   */
  register(): Promise<boolean> {
    this.reporter.start();
    return this.reporter.registered();
  }

  /** The pod informer's add and update, for a pod bound to this node. */
  upsert(pod: Pod): void {
    this.pods.upsert(pod);
  }

  /** The pod informer's delete: the API server no longer has the pod. */
  remove(pod: Pod): void {
    this.pods.remove(pod);
  }

  /** Pods this node runs (workers alive). */
  get podCount(): number {
    return this.pods.size;
  }

  /** Stops the heartbeat and the workers. The Node and its pods stay as last reported. */
  async stop(): Promise<void> {
    this.pods.stop();
    await this.reporter.stop();
    await this.driver.close();
  }
}
