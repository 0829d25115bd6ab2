/**
 * `shoal scheduler`: the scheduler alone, against any cluster a kubeconfig points at (`shoal
 * server` already runs one; this is for running it apart, or a second one for another
 * `schedulerName`). Foreground until SIGINT/SIGTERM.
 */
import { type Command, Option } from 'commander';
import { DEFAULT_SCHEDULER_NAME } from '../../api/defaults/pod.js';
import { SCORING_PROFILES, type ScoringProfile } from '../../scheduler/profiles.js';
import { addConnectionOptions, type ConnectionFlags, connect, interruptSignal } from './common.js';

interface SchedulerFlags extends ConnectionFlags {
  scoring: ScoringProfile;
  schedulerName: string;
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
    .action(async (flags: SchedulerFlags) => {
      const log = (line: string) => console.error(`shoal scheduler: ${line}`);
      const { client } = connect(flags);
      const signal = interruptSignal();
      log(`scheduling pods of ${flags.schedulerName} on ${client.server}`);
      const [{ Scheduler }, { defaultPreemption }] = await Promise.all([
        import('../../scheduler/scheduler.js'),
        import('../../scheduler/preemption.js'),
      ]);
      await new Scheduler(client, {
        scoring: flags.scoring,
        schedulerName: flags.schedulerName,
        postFilter: defaultPreemption(),
        log,
      }).run(signal);
      client.close();
    });
}
