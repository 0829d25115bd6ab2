/**
 * Keeps the agent's Node object true, as the kubelet's node status manager does:
 *
 * 1. Register: create the Node with its labels and status; if one of that name exists, take it
 *    over (add our labels, keep foreign ones, write our status). Retried with backoff until it works.
 * 2. Heartbeat: renew the node Lease every `leaseRenewIntervalMs` (see node-lease.ts).
 * 3. Status: every `statusCheckIntervalMs` observe the host and the runtime (a runtime that does
 *    not answer makes the node NotReady) and compute the status (node-status-compute.ts); patch it when anything but
 *    the heartbeat times changed, and at least every `statusReportIntervalMs` otherwise. Failures
 *    wait a capped backoff and try again; a Node deleted meanwhile is registered again.
 *
 * Status writes are strategic merge patches of the status subresource, so conditions and
 * addresses merge by type and a condition another component owns is left alone.
 */
import type { Node, NodeStatus } from 'kubernetes-types/core/v1.js';
import { hasReason } from '../api/errors.js';
import type { KubeObject } from '../api/object.js';
import { lookupResource } from '../api/resources.js';
import { Backoff } from '../client/backoff.js';
import type { RuntimeInfo } from '../runtime/driver.js';
import { type Clock, systemClock } from '../util/clock.js';
import { errorMessage } from '../util/error-message.js';
import type { HostStats } from './host-stats.js';
import { type NodeApi, NodeLease } from './node-lease.js';
import { computeNodeStatus, nodeLabels, statusChanged } from './node-status-compute.js';

const NODES = lookupResource('', 'v1', 'nodes')!;
type NamedNode = Node & KubeObject;

export interface NodeStatusReporterOptions {
  /** Built from the node's own credentials (see join.ts `nodeClient`). */
  client: NodeApi;
  nodeName: string;
  hostStats: HostStats;
  runtimeInfo: () => Promise<RuntimeInfo>;
  /** The agent's HTTPS port (daemonEndpoints.kubeletEndpoint.Port). */
  port: number;
  /** The node's IP addresses, reported as InternalIP. */
  addresses: string[];
  clock?: Clock;
  /** Default 8 s. */
  leaseDurationSeconds?: number;
  /** Default 2 s. */
  leaseRenewIntervalMs?: number;
  /** How often the status is observed and compared (default 10 s, the kubelet's). */
  statusCheckIntervalMs?: number;
  /** Longest time without a status write (default 60 s). */
  statusReportIntervalMs?: number;
  /** Largest wait after a failure (default 7 s). */
  maxBackoffMs?: number;
  /** Pod capacity (default the kubelet's 110). */
  maxPods?: number;
  /** Labels set besides the agent's own (hostname, os, arch), e.g. a topology zone. */
  labels?: Record<string, string>;
  /**
   * Shifts the lease renewals and status checks after the first by this much (default 0), so
   * that many nodes reported from one process (`shoal simulate`) do not all write at once.
   */
  phaseMs?: number;
  log?: (msg: string) => void;
}

export class NodeStatusReporter {
  private readonly clock: Clock;
  private readonly log: (msg: string) => void;
  private readonly lease: NodeLease;
  private runtime: RuntimeInfo | undefined;
  private runtimeError: string | undefined;
  private stopper: AbortController | undefined;
  private running: Promise<void> | undefined;
  private current: NamedNode | undefined;
  private posted: NodeStatus | undefined;
  private postedAt = 0;
  /** Write the status at the next check, changed or not. */
  private reportDue = false;
  private announceRegistered: (ok: boolean) => void = () => {};
  private readonly registration = new Promise<boolean>((resolve) => {
    this.announceRegistered = resolve;
  });

  constructor(private readonly options: NodeStatusReporterOptions) {
    this.clock = options.clock ?? systemClock;
    this.log = options.log ?? (() => undefined);
    this.lease = new NodeLease({
      client: options.client,
      nodeName: options.nodeName,
      nodeUid: () => this.current?.metadata.uid,
      clock: this.clock,
      leaseDurationSeconds: options.leaseDurationSeconds ?? 8,
      renewIntervalMs: options.leaseRenewIntervalMs ?? 2_000,
      ...(options.maxBackoffMs ? { maxBackoffMs: options.maxBackoffMs } : {}),
      ...(options.phaseMs ? { phaseMs: options.phaseMs } : {}),
      log: this.log,
      // The controller may have marked the node Unknown while it was cut off, and only the agent
      // says Ready: report at the next check even if nothing changed here (the kubelet compares
      // with the server's copy to the same effect).
      onReconnected: () => {
        this.reportDue = true;
      },
    });
  }

  /** The Node as the server last returned it, once registered. */
  get node(): Node | undefined {
    return this.current;
  }

  start(): void {
    if (this.running) throw new Error('the node status reporter is already running');
    this.stopper = new AbortController();
    this.running = this.run(this.stopper.signal);
  }

  /** Resolves true once the Node is registered, false when the reporter stopped before that. */
  registered(): Promise<boolean> {
    return this.registration;
  }

  /** Stop every loop and wait for them to end; in-flight requests are aborted. */
  async stop(): Promise<void> {
    this.stopper?.abort();
    await this.running;
    this.running = undefined;
  }

  private async run(signal: AbortSignal): Promise<void> {
    const registered = await this.registerWithRetry(signal);
    this.announceRegistered(registered);
    if (!registered) return;
    await Promise.all([this.lease.run(signal), this.statusLoop(signal)]);
  }

  private async registerWithRetry(signal: AbortSignal): Promise<boolean> {
    const backoff = this.backoff();
    while (!signal.aborted) {
      try {
        await this.register(signal);
        return true;
      } catch (err) {
        if (signal.aborted) break;
        const delay = backoff.next();
        this.log(
          `registering node ${this.options.nodeName} failed (retrying in ${delay} ms): ${errorMessage(err)}`,
        );
        if (!(await this.sleep(delay, signal))) break;
      }
    }
    return false;
  }

  /** Create the Node, or take over the one of that name. */
  private async register(signal: AbortSignal): Promise<void> {
    const { client, nodeName } = this.options;
    await this.observeRuntime();
    const host = await this.options.hostStats.read();
    const labels = { ...this.options.labels, ...nodeLabels(nodeName, host.hostname, this.runtime) };
    const status = computeNodeStatus(this.statusInput(host), undefined, new Date(this.clock.now()));
    try {
      this.current = await client.create<NamedNode>(
        NODES,
        undefined,
        { apiVersion: 'v1', kind: 'Node', metadata: { name: nodeName, labels }, spec: {}, status },
        { signal },
      );
      this.posted = status;
      this.postedAt = this.clock.now();
      this.log(`registered node ${nodeName}`);
      return;
    } catch (err) {
      if (!hasReason(err, 'AlreadyExists')) throw err;
    }
    // Someone (this agent before a restart, or an admin) made it: add our labels, keep theirs.
    let existing = await client.get<NamedNode>(NODES, undefined, nodeName, { signal });
    const have = existing.metadata.labels ?? {};
    if (Object.entries(labels).some(([k, v]) => have[k] !== v)) {
      existing = await client.update<NamedNode>(
        NODES,
        undefined,
        { ...existing, metadata: { ...existing.metadata, labels: { ...have, ...labels } } },
        { signal },
      );
    }
    this.current = existing;
    await this.writeStatus(
      computeNodeStatus(this.statusInput(host), existing.status, new Date(this.clock.now())),
      signal,
    );
    this.log(`took over the existing node ${nodeName}`);
  }

  private async statusLoop(signal: AbortSignal): Promise<void> {
    const backoff = this.backoff();
    const check = this.options.statusCheckIntervalMs ?? 10_000;
    const report = this.options.statusReportIntervalMs ?? 60_000;
    let phase = this.options.phaseMs ?? 0;
    while (!signal.aborted) {
      let delay = check + phase;
      phase = 0;
      try {
        await this.observeRuntime();
        const host = await this.options.hostStats.read();
        const status = computeNodeStatus(this.statusInput(host), this.posted, new Date(this.clock.now()));
        if (
          this.reportDue ||
          statusChanged(this.posted, status) ||
          this.clock.now() - this.postedAt >= report
        ) {
          await this.writeStatus(status, signal);
          this.reportDue = false;
        }
        backoff.reset();
      } catch (err) {
        if (signal.aborted) break;
        if (hasReason(err, 'NotFound')) {
          this.log(`node ${this.options.nodeName} was deleted: registering it again`);
          this.posted = undefined;
          if (!(await this.registerWithRetry(signal))) break;
          continue;
        }
        delay = backoff.next();
        this.log(`updating the node status failed (retrying in ${delay} ms): ${errorMessage(err)}`);
      }
      if (!(await this.sleep(delay, signal))) break;
    }
  }

  private async writeStatus(status: NodeStatus, signal: AbortSignal): Promise<void> {
    this.current = await this.options.client.patch<NamedNode>(
      NODES,
      undefined,
      this.options.nodeName,
      'strategic',
      { status },
      { subresource: 'status', signal },
    );
    this.posted = status;
    this.postedAt = this.clock.now();
  }

  /** Ask the runtime; keep its last good answer, and remember why it failed. */
  private async observeRuntime(): Promise<void> {
    try {
      this.runtime = await this.options.runtimeInfo();
      this.runtimeError = undefined;
    } catch (err) {
      this.runtimeError = `cannot get the runtime's info: ${errorMessage(err)}`;
    }
  }

  private statusInput(host: Awaited<ReturnType<HostStats['read']>>) {
    return {
      host,
      runtime: this.runtime,
      runtimeProblem: this.runtimeError,
      port: this.options.port,
      internalIps: this.options.addresses,
      ...(this.options.maxPods ? { maxPods: this.options.maxPods } : {}),
    };
  }

  /** Sleep; false when stopped. */
  private async sleep(ms: number, signal: AbortSignal): Promise<boolean> {
    try {
      await this.clock.sleep(ms, signal);
    } catch {
      // stopped
    }
    return !signal.aborted;
  }

  private backoff(): Backoff {
    return new Backoff({ initialMs: 200, maxMs: this.options.maxBackoffMs ?? 7_000 });
  }
}
