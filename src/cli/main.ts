/**
 * The `shoal` command line: one binary for the server, the agents and the user's commands.
 * Each verb lives in commands/<verb>.ts and registers itself here. Only the verb being run is
 * loaded (all of them for help or an unknown verb): a long-running agent should not carry the
 * client verbs' YAML and printing modules in its memory.
 */
import { Command } from 'commander';

type Register = (program: Command) => void;

const VERBS: Record<string, () => Promise<Register>> = {
  server: async () => (await import('./commands/server.js')).registerServer,
  up: async () => (await import('./commands/up.js')).registerUp,
  agent: async () => (await import('./commands/agent.js')).registerAgent,
  scheduler: async () => (await import('./commands/scheduler.js')).registerScheduler,
  simulate: async () => (await import('./commands/simulate.js')).registerSimulate,
  apply: async () => (await import('./commands/apply.js')).registerApply,
  get: async () => (await import('./commands/get.js')).registerGet,
  describe: async () => (await import('./commands/describe.js')).registerDescribe,
  delete: async () => (await import('./commands/delete.js')).registerDelete,
};

const program = new Command()
  .name('shoal')
  .description('Shoal: a Kubernetes-compatible container orchestrator, as light as Docker Swarm to run')
  .showHelpAfterError();

// The program has no options of its own, so the first word that is not an option is the verb.
const verb = process.argv.slice(2).find((arg) => !arg.startsWith('-'));
const load = verb !== undefined && Object.hasOwn(VERBS, verb) ? [VERBS[verb]!] : Object.values(VERBS);
for (const register of await Promise.all(load.map((l) => l()))) register(program);

await program.parseAsync(process.argv);
