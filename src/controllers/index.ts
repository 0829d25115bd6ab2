/**
 * The controllers `shoal server` runs, in one list: each entry builds one controller from the
 * shared context (framework/controller.ts). Add a controller here and nowhere else.
 */
import { DeploymentController } from './deployment/controller.js';
import type { ControllerFactory } from './framework/controller.js';
import { NamespaceController } from './namespace/controller.js';
import { ReplicaSetController } from './replicaset/controller.js';

export const CONTROLLERS: readonly ControllerFactory[] = [
  (ctx) => new NamespaceController(ctx),
  (ctx) => new ReplicaSetController(ctx),
  (ctx) => new DeploymentController(ctx),
];

export { type ControllerSettings, DEFAULT_CONTROLLER_SETTINGS } from './framework/controller.js';
export { LeaderElector } from './framework/leader-election.js';
export { ControllerManager } from './framework/manager.js';
