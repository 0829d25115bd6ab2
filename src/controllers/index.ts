/**
 * The controllers `shoal server` runs, in one list: each entry builds one controller from the
 * shared context (framework/controller.ts). Add a controller here and nowhere else.
 */
import { CronJobController } from './cronjob/controller.js';
import { DaemonSetController } from './daemonset/controller.js';
import { DeploymentController } from './deployment/controller.js';
import { EndpointsController } from './endpoints/controller.js';
import { EndpointSliceController } from './endpointslice/controller.js';
import type { ControllerFactory } from './framework/controller.js';
import { GarbageCollector } from './garbagecollector/controller.js';
import { JobController } from './job/controller.js';
import { TTLAfterFinishedController } from './job/ttl-controller.js';
import { NamespaceController } from './namespace/controller.js';
import { NodeIpamController } from './nodeipam/controller.js';
import { NodeLifecycleController } from './nodelifecycle/controller.js';
import { TaintEvictionController } from './nodelifecycle/eviction-controller.js';
import { PodGCController } from './podgc/controller.js';
import { ReplicaSetController } from './replicaset/controller.js';
import { ServiceLBController } from './servicelb/controller.js';
import { StatefulSetController } from './statefulset/controller.js';

export const CONTROLLERS: readonly ControllerFactory[] = [
  (ctx) => new NamespaceController(ctx),
  (ctx) => new ReplicaSetController(ctx),
  (ctx) => new DeploymentController(ctx),
  (ctx) => new DaemonSetController(ctx),
  (ctx) => new StatefulSetController(ctx),
  (ctx) => new JobController(ctx),
  (ctx) => new TTLAfterFinishedController(ctx),
  (ctx) => new CronJobController(ctx),
  (ctx) => new GarbageCollector(ctx),
  (ctx) => new NodeLifecycleController(ctx),
  (ctx) => new TaintEvictionController(ctx),
  (ctx) => new PodGCController(ctx),
  (ctx) => new NodeIpamController(ctx),
  (ctx) => new EndpointSliceController(ctx),
  (ctx) => new EndpointsController(ctx),
  (ctx) => new ServiceLBController(ctx),
];

export { type ControllerSettings, DEFAULT_CONTROLLER_SETTINGS } from './framework/controller.js';
export { ControllerManager } from './framework/manager.js';
