/**
 * The `shoal` command line: one binary for the server, the agents and the user's commands.
 * Each verb lives in commands/<verb>.ts and registers itself here.
 */
import { Command } from 'commander';
import { registerAgent } from './commands/agent.js';
import { registerApply } from './commands/apply.js';
import { registerDelete } from './commands/delete.js';
import { registerDescribe } from './commands/describe.js';
import { registerGet } from './commands/get.js';
import { registerScheduler } from './commands/scheduler.js';
import { registerServer } from './commands/server.js';
import { registerSimulate } from './commands/simulate.js';
import { registerUp } from './commands/up.js';

const program = new Command()
  .name('shoal')
  .description('Shoal: a Kubernetes-compatible container orchestrator, as light as Docker Swarm to run')
  .showHelpAfterError();

registerServer(program);
registerUp(program);
registerAgent(program);
registerScheduler(program);
registerSimulate(program);
registerApply(program);
registerGet(program);
registerDescribe(program);
registerDelete(program);

await program.parseAsync(process.argv);
