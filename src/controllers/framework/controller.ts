/**
 * What every controller is and gets. A controller is built from a ControllerContext (in its
 * constructor it asks the shared informers for the caches it reads and registers handlers that
 * only enqueue keys), and runs until its signal aborts: `run(signal)` takes keys off its work
 * queue and reconciles each. The manager (manager.ts) builds them all, starts the informers,
 * waits for the caches, then runs the controllers.
 */

import { DEFAULT_CLUSTER_CIDR, DEFAULT_NODE_CIDR_MASK_SIZE } from '../../api/network-defaults.js';
import type { Recorder } from '../../client/events.js';
import type { Client } from '../../client/rest.js';
import type { WorkQueue } from '../../client/workqueue.js';
import type { Clock } from '../../util/clock.js';
import { errorMessage } from '../../util/error-message.js';
import type { SharedInformers } from './informers.js';

/** Settings of the controllers that have any; `shoal server` flags set them. */
export interface ControllerSettings {
  /** A node whose Lease is not renewed for this long is NotReady (default 8 s). */
  nodeMonitorGracePeriodSeconds: number;
  /** The IPv4 range node pod CIDRs are cut from (default 10.42.0.0/16, as k3s). */
  clusterCIDR: string;
  /** The prefix length of each node's pod CIDR (default 24: 254 pods per node). */
  nodeCIDRMaskSize: number;
}

export const DEFAULT_CONTROLLER_SETTINGS: ControllerSettings = {
  nodeMonitorGracePeriodSeconds: 8,
  clusterCIDR: DEFAULT_CLUSTER_CIDR,
  nodeCIDRMaskSize: DEFAULT_NODE_CIDR_MASK_SIZE,
};

export interface ControllerContext {
  client: Client;
  informers: SharedInformers;
  /** Events filed under `component` (the `source` kubectl describe shows), e.g. "replicaset-controller". */
  recorder(component: string): Recorder;
  clock: Clock;
  log: (line: string) => void;
  settings: ControllerSettings;
}

export interface Controller {
  /** Short and stable: "replicaset", "deployment", ... Used in logs and `--controllers`. */
  readonly name: string;
  run(signal: AbortSignal): Promise<void>;
}

export type ControllerFactory = (ctx: ControllerContext) => Controller;

/**
 * Take keys off `queue` with `workers` concurrent reconciles until `signal` aborts. A reconcile
 * that throws is logged and its key retried with the queue's rate limit (5 ms doubling to 1000 s).
 */
export function runWorkers(
  name: string,
  queue: WorkQueue,
  signal: AbortSignal,
  reconcile: (key: string) => Promise<void>,
  options: { workers?: number; log: (line: string) => void },
): Promise<void> {
  return queue.run(signal, reconcile, {
    workers: options.workers ?? 2,
    onError: (key, err) => options.log(`${name} ${key}: ${errorMessage(err)}`),
  });
}
