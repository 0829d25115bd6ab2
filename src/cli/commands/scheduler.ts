/**
 * `shoal scheduler`: the scheduler alone, against any cluster a kubeconfig points at (`shoal
 * server` already runs one; this is for running it apart, or a second one for another
 * `schedulerName`). Foreground until SIGINT/SIGTERM.
 *
 * It schedules only while it holds its leader Lease (kube-system/shoal-scheduler for the default
 * scheduler name, the Lease `shoal server`'s own scheduler takes), so several of them, and the
 * servers' schedulers, never bind the same pods at once.
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { type Command, Option } from 'commander';
import { DEFAULT_SCHEDULER_NAME } from '../../api/defaults/pod.js';
import { SCORING_PROFILES, type ScoringProfile } from '../../scheduler/profiles.js';
import { action, addConnectionOptions, CliError, type ConnectionFlags, connect } from './common.js';
import { interruptSignal } from './signals.js';

interface SchedulerFlags extends ConnectionFlags {
  scoring: ScoringProfile;
  schedulerName: string;
  leaderElect: boolean;
  leaseName?: string;
}

/** The Lease of the schedulers for `schedulerName`: one per name, so each name has its leader. */
function schedulerLeaseName(flags: SchedulerFlags): string {
  const name =
    flags.leaseName ??
    (flags.schedulerName === DEFAULT_SCHEDULER_NAME ? 'shoal-scheduler' : flags.schedulerName);
  if (!/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(name)) {
    const flag = flags.leaseName === undefined ? '--scheduler-name' : '--lease-name';
    throw new CliError(
      `${flag} "${name}" is not a valid Lease name (lowercase letters, digits, '-' and '.'): pass --lease-name`,
    );
  }
  return name;
}

export function registerScheduler(program: Command): void {
  addConnectionOptions(program.command('scheduler').description('run the scheduler alone, in the foreground'))
    .addOption(
      new Option('--scoring <profile>', 'least-allocated spreads pods, most-allocated packs them')
        .choices(SCORING_PROFILES)
        .default('least-allocated'),
    )
    .option(
      '--scheduler-name <name>',
      'the spec.schedulerName of the pods to schedule',
      DEFAULT_SCHEDULER_NAME,
    )
    .option(
      '--no-leader-elect',
      'schedule without holding the leader Lease (only when no other scheduler runs)',
    )
    .option(
      '--lease-name <name>',
      'the kube-system Lease to hold while scheduling (default: shoal-scheduler, or the --scheduler-name)',
    )
    .action(
      action(async (flags: SchedulerFlags) => {
        const log = (line: string) => console.error(`shoal scheduler: ${line}`);
        const leaseName = flags.leaderElect ? schedulerLeaseName(flags) : undefined;
        const { client } = connect(flags);
        const signal = interruptSignal();
        log(`scheduling pods of ${flags.schedulerName} on ${client.server}`);
        const [{ defaultScheduler }, { LeaderElector }] = await Promise.all([
          import('../../scheduler/default-scheduler.js'),
          import('../../client/leader-election.js'),
        ]);
        const schedule = (leading: AbortSignal) =>
          defaultScheduler(client, { scoring: flags.scoring, schedulerName: flags.schedulerName, log }).run(
            leading,
          );
        if (leaseName) {
          // No data directory to derive a stable identity from: a restarted scheduler waits for
          // its predecessor's Lease to expire, unless that one released it on a graceful stop.
          const identity = `${os.hostname()}_${randomUUID()}`;
          await new LeaderElector(client, { name: leaseName, identity, log }).run(signal, schedule);
        } else {
          await schedule(signal);
        }
        client.close();
      }),
    );
}
