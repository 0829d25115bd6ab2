/**
 * What the user-facing verbs (apply, get, describe, delete) share: the connection flags
 * (`--kubeconfig`, `--context`, `-n`), building the client, naming resources as kubectl does
 * (`deployment.apps/web`), and printing failures as kubectl words them, with exit code 1.
 */
import fs from 'node:fs';
import type { Command } from 'commander';
import { ApiError } from '../../api/errors.js';
import { type ResourceDef, resolveResourceName } from '../../api/resources.js';
import { loadKubeconfig } from '../../client/kubeconfig.js';
import { Client } from '../../client/rest.js';
import { errorMessage } from '../../util/error-message.js';

export interface ConnectionFlags {
  kubeconfig?: string;
  context?: string;
  namespace?: string;
}

export function addConnectionOptions(cmd: Command): Command {
  return cmd
    .option('--kubeconfig <file>', 'kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context to use (default: its current-context)')
    .option('-n, --namespace <namespace>', 'namespace (default: the context\'s, else "default")');
}

export interface Connection {
  client: Client;
  /** -n, else the kubeconfig context's namespace. */
  namespace: string;
  /** Whether -n was given (then objects naming another namespace are refused). */
  namespaceFromFlag: boolean;
}

function version(): string {
  try {
    const pkg = new URL('../../../../package.json', import.meta.url);
    return (JSON.parse(fs.readFileSync(pkg, 'utf8')) as { version?: string }).version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

export function connect(flags: ConnectionFlags): Connection {
  const conn = loadKubeconfig({
    ...(flags.kubeconfig ? { path: flags.kubeconfig } : {}),
    ...(flags.context ? { context: flags.context } : {}),
  });
  const client = Client.fromKubeconfig(conn, {
    userAgent: `shoal/${version()} (${process.platform}/${process.arch})`,
    onWarning: (w) => process.stderr.write(`Warning: ${w}\n`),
  });
  return {
    client,
    namespace: flags.namespace || conn.namespace,
    namespaceFromFlag: Boolean(flags.namespace),
  };
}

/** A kind as the user typed it ("po", "deployments.apps", "Deployment"). */
export function resolveKind(arg: string): ResourceDef {
  const def = resolveResourceName(arg);
  if (!def) throw new CliError(`the server doesn't have a resource type "${arg}"`);
  return def;
}

/** `KIND NAME...` or `KIND/NAME ...`: the kind and the names. */
export function splitKindAndNames(kindArg: string, names: string[]): { def: ResourceDef; names: string[] } {
  const all = [kindArg, ...names];
  if (kindArg.includes('/')) {
    let def: ResourceDef | undefined;
    const out: string[] = [];
    for (const a of all) {
      const slash = a.indexOf('/');
      if (slash < 0)
        throw new CliError(
          `there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (e.g. 'shoal get resource/<resource_name>' instead of 'shoal get resource resource/<resource_name>'`,
        );
      const d = resolveKind(a.slice(0, slash));
      if (def && d !== def) throw new CliError('resource/name arguments must all be of one kind');
      def = d;
      out.push(a.slice(slash + 1));
    }
    return { def: def!, names: out };
  }
  return { def: resolveKind(kindArg), names };
}

/** How kubectl names a kind in output: "pod", "deployment.apps". */
export function resourceName(def: ResourceDef): string {
  return def.group ? `${def.singular}.${def.group}` : def.singular;
}

/** kubectl's note on stderr when a listing is empty (`namespace`: the one listed, if any). */
export function reportNoResources(namespace: string | undefined): void {
  process.stderr.write(
    namespace ? `No resources found in ${namespace} namespace.\n` : 'No resources found\n',
  );
}

/** A failure worded for the user; printed as `error: <message>`. */
export class CliError extends Error {}

/** The text kubectl prints for a failure. */
function describeError(err: unknown, context?: string): string {
  if (err instanceof ApiError) {
    const s = err.status;
    const causes = s.details?.causes ?? [];
    if (s.reason === 'Invalid' && causes.length > 0 && s.details?.kind) {
      const head = `The ${s.details.kind} "${s.details.name ?? ''}" is invalid: `;
      const fmt = (c: { field?: string; message?: string }) =>
        `${c.field ? `${c.field}: ` : ''}${c.message ?? ''}`;
      if (causes.length === 1) return head + fmt(causes[0]!);
      return `${head}\n${causes.map((c) => `* ${fmt(c)}`).join('\n')}`;
    }
    return `Error from server${s.reason ? ` (${s.reason})` : ''}: ${context ? `${context}: ` : ''}${s.message}`;
  }
  const message = errorMessage(err);
  return `error: ${context ? `${context}: ` : ''}${message}`;
}

export function reportError(err: unknown, context?: string): void {
  process.stderr.write(`${describeError(err, context)}\n`);
  process.exitCode = 1;
}

/** Wrap a command's action: failures are printed and set exit code 1. */
export function action<A extends unknown[]>(
  fn: (...args: A) => Promise<void>,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (err) {
      reportError(err);
    }
  };
}
