/**
 * `shoal apply -f FILE|DIR|-`: server-side apply of every object in the manifests, as field
 * manager "shoal", without forcing (conflicts with other managers are reported, not overridden,
 * unless --force-conflicts). Prints `deployment.apps/web created|configured|unchanged` per object
 * as it goes; a failed object is reported and the rest still applied; any failure exits 1.
 */
import type { Command } from 'commander';
import { ApiError, hasCode } from '../../api/errors.js';
import { deepEqual } from '../../api/json-value.js';
import type { KubeObject } from '../../api/object.js';
import type { Client } from '../../client/rest.js';
import {
  action,
  addConnectionOptions,
  CliError,
  type ConnectionFlags,
  connect,
  reportError,
} from './common.js';
import { type Manifest, namespaceFor, readManifests } from './manifests.js';
import { nameOf } from './printers.js';

const FIELD_MANAGER = 'shoal';

interface ApplyFlags extends ConnectionFlags {
  filename: string[];
  recursive?: boolean;
  forceConflicts?: boolean;
  dryRun?: string;
  fieldManager: string;
}

export function registerApply(program: Command): void {
  addConnectionOptions(
    program
      .command('apply')
      .description('create or update objects from manifest files (server-side apply)')
      .requiredOption(
        '-f, --filename <path>',
        'a file, a directory of .yaml/.yml/.json files, or - for stdin (repeatable)',
        (v: string, prev: string[] = []) => [...prev, v],
      )
      .option('-R, --recursive', 'also read the subdirectories of directories given with -f')
      .option('--force-conflicts', 'take over fields other managers own instead of failing')
      .option('--dry-run <mode>', 'server: let the server check everything but write nothing')
      .option('--field-manager <name>', 'the name the fields are owned under', FIELD_MANAGER),
  ).action(action(apply));
}

async function apply(flags: ApplyFlags): Promise<void> {
  if (flags.dryRun !== undefined && flags.dryRun !== 'server' && flags.dryRun !== 'none') {
    throw new CliError(`--dry-run must be "server" or "none", got "${flags.dryRun}"`);
  }
  const dryRun = flags.dryRun === 'server';
  const manifests = await readManifests(flags.filename, { recursive: flags.recursive ?? false });
  const connection = connect(flags);
  try {
    for (const m of manifests) {
      try {
        const outcome = await applyOne(connection.client, m, namespaceFor(m, connection), {
          dryRun,
          force: flags.forceConflicts ?? false,
          fieldManager: flags.fieldManager,
        });
        process.stdout.write(`${nameOf(m.def, m.obj)} ${outcome}${dryRun ? ' (server dry run)' : ''}\n`);
      } catch (err) {
        reportApplyError(err, m);
      }
    }
  } finally {
    connection.client.close();
  }
}

type ApplyOutcome = 'created' | 'configured' | 'unchanged';

async function applyOne(
  client: Client,
  m: Manifest,
  namespace: string | undefined,
  options: { dryRun: boolean; force: boolean; fieldManager: string },
): Promise<ApplyOutcome> {
  const { def, obj } = m;
  const name = obj.metadata.name;
  if (!name) {
    throw new CliError(
      obj.metadata.generateName
        ? `from ${m.source}: cannot use generateName with apply`
        : `from ${m.source}: a ${def.kind} needs metadata.name`,
    );
  }
  const body = structuredClone(obj);
  if (namespace) body.metadata.namespace = namespace;
  // The object before: to tell "configured" from "unchanged".
  let before: KubeObject | undefined;
  try {
    before = await client.get(def, namespace, name);
  } catch (err) {
    if (!hasCode(err, 404)) throw err;
  }
  const result = await client.apply(def, namespace, body, {
    fieldManager: options.fieldManager,
    force: options.force,
    dryRun: options.dryRun,
    fieldValidation: 'Strict',
  });
  if (before === undefined) return 'created';
  if (result.metadata.resourceVersion === before.metadata.resourceVersion) return 'unchanged';
  // A server may write an apply that changes nothing but bookkeeping (field order, managedFields
  // timestamps): compare what the object says, not its version.
  return sameContent(before, result) ? 'unchanged' : 'configured';
}

/** Equal apart from resourceVersion and managedFields, in any key order. */
export function sameContent(a: KubeObject, b: KubeObject): boolean {
  const strip = (o: KubeObject) => {
    const { resourceVersion: _rv, managedFields: _mf, ...metadata } = o.metadata;
    return { ...o, metadata };
  };
  return deepEqual(strip(a), strip(b));
}

function reportApplyError(err: unknown, m: Manifest): void {
  const what = `${nameOf(m.def, m.obj)} from "${m.source}"`;
  if (err instanceof ApiError && err.code === 409 && err.status.details?.causes?.some(isManagerConflict)) {
    const conflicts = err.status.details.causes.filter(isManagerConflict);
    const lines = [
      `error: ${err.message}`,
      `  while applying ${what}`,
      'These fields are owned by other field managers:',
      ...conflicts.map((c) => `  ${c.field ?? '?'}: ${c.message ?? ''}`),
      'To take them over, apply again with --force-conflicts. To leave them to their managers, remove',
      'them from your manifest (or set them to their current values to share ownership).',
    ];
    process.stderr.write(`${lines.join('\n')}\n`);
    process.exitCode = 1;
    return;
  }
  if (err instanceof ApiError) {
    // An Invalid error names the object itself ("The Deployment "web" is invalid: ...").
    reportError(err, err.reason === 'Invalid' ? undefined : `error when applying ${what}`);
    return;
  }
  reportError(err, err instanceof CliError ? undefined : `applying ${what}`);
}

function isManagerConflict(c: { reason?: string }): boolean {
  return c.reason === 'FieldManagerConflict';
}
