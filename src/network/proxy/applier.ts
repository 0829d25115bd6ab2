/**
 * Writes computed proxy rules into the kernel: one `iptables-restore --noflush -w` per sync
 * replaces the contents of all our chains at once (and deletes our chains no longer computed),
 * then the jumps from the built-in chains are checked with `-C` and inserted at the top when
 * missing. Every command goes through an injected runner, so tests record them and the netns
 * test runs them inside a namespace (`ip netns exec NS ...`).
 */
import { type CommandResult, type CommandRunner, hostRunner } from '../host-command.js';
import { type ProxyRules, renderRestoreInput } from './rules.js';

/** How the proxy changes the kernel; `IptablesApplier` is the real one. */
export interface RuleApplier {
  apply(rules: ProxyRules): Promise<void>;
  /** Removes every rule and chain with our prefix. */
  cleanup(): Promise<void>;
}

const TABLES = ['filter', 'nat'] as const;
type Table = (typeof TABLES)[number];
export class IptablesApplier implements RuleApplier {
  constructor(
    private readonly prefix: string,
    private readonly run: CommandRunner = hostRunner,
  ) {}

  async apply(rules: ProxyRules): Promise<void> {
    for (const [name, value] of Object.entries(rules.sysctls))
      await this.must('sysctl', ['-w', `${name}=${value}`]);
    const existing = await this.ourChains();
    const input = renderRestoreInput(rules, { nat: existing.nat, filter: existing.filter });
    await this.restore(input);
    for (const jump of rules.jumps) {
      const check = await this.run('iptables', ['-w', '-t', jump.table, '-C', jump.chain, ...jump.args]);
      if (check.code !== 0)
        await this.must('iptables', ['-w', '-t', jump.table, '-I', jump.chain, '1', ...jump.args]);
    }
  }

  async cleanup(): Promise<void> {
    const lines: string[] = [];
    for (const table of TABLES) {
      const saved = await this.save(table);
      const chains = chainsIn(saved, this.prefix);
      lines.push(`*${table}`);
      // Rules elsewhere (the built-in chains) that jump into ours go first, or the chains
      // could not be deleted.
      for (const line of saved.split('\n')) {
        const m = /^-A (\S+) (.*-j (\S+).*)$/.exec(line);
        if (m && !isOurs(m[1]!, this.prefix) && isOurs(m[3]!, this.prefix)) lines.push(`-D ${m[1]} ${m[2]}`);
      }
      for (const chain of chains) lines.push(`:${chain} - [0:0]`);
      for (const chain of chains) lines.push(`-X ${chain}`);
      lines.push('COMMIT');
    }
    await this.restore(`${lines.join('\n')}\n`);
  }

  private async ourChains(): Promise<Record<Table, string[]>> {
    const found = { filter: [] as string[], nat: [] as string[] };
    for (const table of TABLES) found[table] = chainsIn(await this.save(table), this.prefix);
    return found;
  }

  private async save(table: Table): Promise<string> {
    return (await this.must('iptables-save', ['-t', table])).stdout;
  }

  private async restore(input: string): Promise<void> {
    const result = await this.run('iptables-restore', ['--noflush', '-w'], input);
    if (result.code === 0) return;
    // iptables-restore names the line it failed on; quote that line, which says far more.
    const failed = /line (\d+) failed/.exec(result.stderr);
    const line = failed ? input.split('\n')[Number(failed[1]) - 1] : undefined;
    throw new Error(
      `iptables-restore failed (exit ${result.code}): ${result.stderr.trim()}${line ? `; the line: ${line}` : ''}`,
    );
  }

  private async must(command: string, args: string[]): Promise<CommandResult> {
    const result = await this.run(command, args);
    if (result.code !== 0)
      throw new Error(`${command} ${args.join(' ')} failed (exit ${result.code}): ${result.stderr.trim()}`);
    return result;
  }
}

/** Our chains declared in `iptables-save` output. */
function chainsIn(saved: string, prefix: string): string[] {
  return saved
    .split('\n')
    .flatMap((line) => (line.startsWith(':') ? [line.slice(1).split(' ')[0]!] : []))
    .filter((chain) => isOurs(chain, prefix));
}

function isOurs(chain: string, prefix: string): boolean {
  return chain.startsWith(`${prefix}-`);
}
