/**
 * The controllers `shoal server` runs, in one list: each entry builds one controller from the
 * shared context (framework/controller.ts). Add a controller here and nowhere else.
 */
import type { ControllerFactory } from './framework/controller.js';
import { NamespaceController } from './namespace/controller.js';
import { NodeLifecycleController } from './nodelifecycle/controller.js';
import { TaintEvictionController } from './nodelifecycle/eviction-controller.js';
import { PodGCController } from './podgc/controller.js';
import { ReplicaSetController } from './replicaset/controller.js';

export const CONTROLLERS: readonly ControllerFactory[] = [
  (ctx) => new NamespaceController(ctx),
  (ctx) => new ReplicaSetController(ctx),
  (ctx) => new NodeLifecycleController(ctx),
  (ctx) => new TaintEvictionController(ctx),
  (ctx) => new PodGCController(ctx),
];

export { type ControllerSettings, DEFAULT_CONTROLLER_SETTINGS } from './framework/controller.js';
export { LeaderElector } from './framework/leader-election.js';
export { ControllerManager } from './framework/manager.js';
