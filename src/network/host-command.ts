/**
 * Commands run on the host (iptables, ip, sysctl, nsenter) go through one injected runner, so unit
 * tests record them and the netns test runs them inside a namespace (`ip netns exec NS ...`).
 */
import { execFile } from 'node:child_process';

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion; a non-zero exit is a result, not an exception. */
export type CommandRunner = (
  command: string,
  args: readonly string[],
  input?: string,
) => Promise<CommandResult>;

/** Bounds each command; iptables waits for the xtables lock (`-w`) that others may hold. */
const COMMAND_TIMEOUT_MS = 30_000;

/** A `CommandRunner` that spawns the command on this host. */
export const hostRunner: CommandRunner = (command, args, input) =>
  new Promise((resolve, reject) => {
    const child = execFile(
      command,
      [...args],
      { timeout: COMMAND_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = (err as { code?: unknown } | null)?.code;
        if (err && typeof code !== 'number') reject(new Error(`${command}: ${err.message}`));
        else resolve({ code: typeof code === 'number' ? code : 0, stdout, stderr });
      },
    );
    // A command that exits without reading its input (sysctl, iptables -C) closes the pipe
    // first; that EPIPE is not a failure of the command, whose exit code tells.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(input ?? '');
  });
