/**
 * `shoal up`: start a local cluster on this machine in the foreground, until Ctrl-C.
 *
 * Today that is the control plane (`shoal server`) with its embedded store; the local agent
 * joins it with the agent issue.
 */
import type { Command } from 'commander';
import { runServer } from './server.js';
import { addServerFlags, type ServerFlags } from './server-options.js';

export function registerUp(program: Command): void {
  addServerFlags(
    program.command('up').description('start a local cluster on this machine (foreground; Ctrl-C stops it)'),
  ).action(async (flags: ServerFlags) => {
    await runServer(flags, 'up');
  });
}
