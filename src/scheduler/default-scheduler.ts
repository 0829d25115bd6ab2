/**
 * The scheduler as Shoal runs it (`shoal server`'s part, `shoal scheduler`, bench:scheduler):
 * the Scheduler with Kubernetes' default preemption as its postFilter. Tests build a Scheduler
 * bare, with the postFilter they need.
 */
import type { Client } from '../client/rest.js';
import { defaultPreemption } from './preemption.js';
import { Scheduler, type SchedulerOptions } from './scheduler.js';

export function defaultScheduler(
  client: Client,
  options: Omit<SchedulerOptions, 'postFilter'> = {},
): Scheduler {
  return new Scheduler(client, { ...options, postFilter: defaultPreemption() });
}
