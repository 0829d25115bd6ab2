/**
 * `shoal get KIND [NAME...] [-o yaml|json|wide|name] [-l SELECTOR] [-n NS | -A] [-w]`.
 *
 * Tables come from the server (`Accept: application/json;as=Table;v=v1;g=meta.k8s.io`), so the
 * columns are each kind's own, as kubectl shows them; they are printed aligned (printers.ts).
 * `-w` prints the current state, then each change as a new row (or object), until Ctrl-C.
 */
import type { Command } from 'commander';
import { type ApiError, errors, hasCode } from '../../api/errors.js';
import type { KubeObject } from '../../api/object.js';
import { RESOURCES, type ResourceDef } from '../../api/resources.js';
import { type Client, TABLE_ACCEPT, type Table } from '../../client/rest.js';
import {
  action,
  addConnectionOptions,
  CliError,
  type Connection,
  type ConnectionFlags,
  connect,
  reportError,
  reportNoResources,
  resolveKind,
  resourceName,
  splitKindAndNames,
} from './common.js';
import {
  formatObjects,
  formatTable,
  nameOf,
  StreamingTable,
  type TableFormat,
  withTypeMeta,
} from './printers.js';
import { interruptSignal } from './signals.js';

interface GetFlags extends ConnectionFlags {
  output?: string;
  selector?: string;
  allNamespaces?: boolean;
  watch?: boolean;
  headers?: boolean;
}

const OUTPUTS = ['', 'wide', 'yaml', 'json', 'name'];

/** `get all`: the kinds in a category, as kubectl expands it. */
const CATEGORIES = new Set(RESOURCES.flatMap((r) => r.categories));
const inCategory = (category: string) => RESOURCES.filter((r) => r.categories.includes(category));

export function registerGet(program: Command): void {
  addConnectionOptions(
    program
      .command('get')
      .description('show objects of a kind, as a table or as YAML/JSON')
      .argument('<kind>', 'the kind: pods, po, deployments.apps, deploy, ... (or KIND/NAME)')
      .argument('[names...]', 'only these objects')
      .option('-o, --output <format>', 'wide, yaml, json or name')
      .option('-l, --selector <selector>', 'label selector, e.g. app=web,tier!=db')
      .option('-A, --all-namespaces', 'objects of every namespace')
      .option('-w, --watch', 'after printing, keep printing changes until Ctrl-C')
      .option('--no-headers', 'omit the table header'),
  ).action(action(get));
}

interface Target {
  client: Client;
  def: ResourceDef;
  namespace: string | undefined;
  allNamespaces: boolean;
  labelSelector?: string;
  fieldSelector?: string;
}

/** What to read of `def`: the connection's namespace, or every namespace with -A. */
function targetOf(connection: Connection, def: ResourceDef, flags: GetFlags): Target {
  const allNamespaces = Boolean(flags.allNamespaces) && def.namespaced;
  return {
    client: connection.client,
    def,
    namespace: def.namespaced && !allNamespaces ? connection.namespace : undefined,
    allNamespaces,
    ...(flags.selector ? { labelSelector: flags.selector } : {}),
  };
}

async function get(kindArg: string, nameArgs: string[], flags: GetFlags): Promise<void> {
  const output = flags.output ?? '';
  if (!OUTPUTS.includes(output)) {
    throw new CliError(
      `unable to match a printer suitable for the output format "${output}", allowed formats are: json,name,wide,yaml`,
    );
  }
  if (kindArg.includes(',') || CATEGORIES.has(kindArg)) {
    return getKinds(kindArg.split(',').filter(Boolean), nameArgs, output, flags);
  }
  const { def, names } = splitKindAndNames(kindArg, nameArgs);
  if (names.length > 0 && flags.selector)
    throw new CliError('name cannot be provided when a selector is specified');
  const allNamespaces = Boolean(flags.allNamespaces) && def.namespaced;
  if (allNamespaces && names.length > 0) {
    throw new CliError('a resource cannot be retrieved by name across all namespaces');
  }
  if (flags.watch && names.length > 1)
    throw new CliError('watch is only supported on a single object or a whole kind');
  const connection = connect(flags);
  const target: Target = {
    ...targetOf(connection, def, flags),
    // A watched single object is listed by name, which also gives the version to watch from.
    ...(flags.watch && names.length === 1 ? { fieldSelector: `metadata.name=${names[0]}` } : {}),
  };
  const byName = flags.watch ? [] : names;
  try {
    if (output === '' || output === 'wide') {
      const format: TableFormat = {
        wide: output === 'wide',
        withNamespace: allNamespaces,
        noHeaders: flags.headers === false,
      };
      const printer = new StreamingTable(format, (line) => process.stdout.write(`${line}\n`));
      const table = await fetchTable(target, byName);
      if (flags.watch && names.length === 1 && table.rows.length === 0) throw notFound(def, names[0]!);
      if (table.rows.length > 0) printer.start(table);
      else if (byName.length === 0) reportNoResources(target.namespace);
      if (flags.watch) await watchTable(target, table.metadata?.resourceVersion, printer);
      return;
    }
    const { objects, resourceVersion } = await fetchObjects(target, byName);
    if (flags.watch && names.length === 1 && objects.length === 0) throw notFound(def, names[0]!);
    if (output === 'name') {
      for (const obj of objects) process.stdout.write(`${nameOf(def, obj)}\n`);
    } else if (objects.length > 0 || byName.length === 0) {
      const single = byName.length === 1 || (flags.watch && names.length === 1);
      process.stdout.write(formatObjects(objects, output as 'yaml' | 'json', !single));
    }
    if (flags.watch) await watchObjects(target, resourceVersion, output as 'yaml' | 'json' | 'name');
  } finally {
    connection.client.close();
  }
}

/** `get deploy,svc`: each kind's table in turn (names prefixed with the kind), or one List. */
async function getKinds(kinds: string[], names: string[], output: string, flags: GetFlags): Promise<void> {
  if (names.length > 0) throw new CliError('names cannot be given with several kinds; use KIND/NAME instead');
  if (flags.watch) throw new CliError('watch is only supported on one kind');
  const defs = [...new Set(kinds.flatMap((k) => (CATEGORIES.has(k) ? inCategory(k) : [resolveKind(k)])))];
  const connection = connect(flags);
  try {
    let printed = 0;
    const objects: KubeObject[] = [];
    for (const def of defs) {
      const target = targetOf(connection, def, flags);
      const { allNamespaces } = target;
      if (output === '' || output === 'wide') {
        const table = await fetchTable(target, []);
        if (table.rows.length === 0) continue;
        const nameColumn = table.columnDefinitions.findIndex((c) => c.name.toLowerCase() === 'name');
        for (const row of table.rows) {
          if (nameColumn >= 0) row.cells[nameColumn] = `${resourceName(def)}/${row.cells[nameColumn]}`;
        }
        if (printed++ > 0) process.stdout.write('\n');
        for (const line of formatTable(table, {
          wide: output === 'wide',
          withNamespace: allNamespaces,
          noHeaders: flags.headers === false,
        })) {
          process.stdout.write(`${line}\n`);
        }
      } else {
        const found = (await fetchObjects(target, [])).objects;
        if (output === 'name') for (const o of found) process.stdout.write(`${nameOf(def, o)}\n`);
        objects.push(...found);
      }
    }
    if (output === 'yaml' || output === 'json') process.stdout.write(formatObjects(objects, output, true));
    else if (output !== 'name' && printed === 0) {
      const namespaced = defs.some((d) => d.namespaced) && !flags.allNamespaces;
      reportNoResources(namespaced ? connection.namespace : undefined);
    }
  } finally {
    connection.client.close();
  }
}

/** `get -w NAME` of a missing object fails as a GET of it would. */
function notFound(def: ResourceDef, name: string): ApiError {
  return errors.notFound({ resource: def.resource, group: def.group, name });
}

/** The table of a collection, or of the named objects (a missing name is reported, the rest shown). */
async function fetchTable(t: Target, names: string[]): Promise<Table> {
  if (names.length === 0) {
    return t.client.table(t.def, t.namespace, undefined, {
      ...(t.labelSelector ? { labelSelector: t.labelSelector } : {}),
      ...(t.fieldSelector ? { fieldSelector: t.fieldSelector } : {}),
      includeObject: 'Metadata',
    });
  }
  let merged: Table | undefined;
  for (const name of names) {
    try {
      const one = await t.client.table(t.def, t.namespace, name, { includeObject: 'Metadata' });
      if (!merged) merged = one;
      else merged.rows.push(...one.rows);
    } catch (err) {
      if (!hasCode(err, 404)) throw err;
      reportError(err);
    }
  }
  return merged ?? { kind: 'Table', apiVersion: 'meta.k8s.io/v1', columnDefinitions: [], rows: [] };
}

async function fetchObjects(
  t: Target,
  names: string[],
): Promise<{ objects: KubeObject[]; resourceVersion?: string }> {
  if (names.length === 0) {
    const list = await t.client.list(t.def, t.namespace, {
      ...(t.labelSelector ? { labelSelector: t.labelSelector } : {}),
      ...(t.fieldSelector ? { fieldSelector: t.fieldSelector } : {}),
    });
    return {
      objects: list.items.map((o) => withTypeMeta(t.def, o)),
      ...(list.metadata.resourceVersion ? { resourceVersion: list.metadata.resourceVersion } : {}),
    };
  }
  const objects: KubeObject[] = [];
  for (const name of names) {
    try {
      objects.push(withTypeMeta(t.def, await t.client.get(t.def, t.namespace, name)));
    } catch (err) {
      if (!hasCode(err, 404)) throw err;
      reportError(err);
    }
  }
  return { objects };
}

/**
 * Follow changes from `resourceVersion`, reconnecting from the last version seen when the server
 * ends the stream (its watch timeout), until Ctrl-C.
 */
async function follow<T>(
  t: Target,
  resourceVersion: string | undefined,
  accept: string | undefined,
  onEvent: (object: T) => string | undefined,
): Promise<void> {
  const signal = interruptSignal();
  let rv = resourceVersion;
  while (!signal.aborted) {
    const events = t.client.watch<T>(t.def, t.namespace, {
      ...(rv ? { resourceVersion: rv } : {}),
      ...(t.labelSelector ? { labelSelector: t.labelSelector } : {}),
      ...(t.fieldSelector ? { fieldSelector: t.fieldSelector } : {}),
      ...(accept ? { accept, includeObject: 'Metadata' as const } : {}),
      signal,
    });
    for await (const event of events) {
      if (event.type === 'BOOKMARK') {
        rv = (event.object as { metadata?: { resourceVersion?: string } }).metadata?.resourceVersion ?? rv;
        continue;
      }
      rv = onEvent(event.object) ?? rv;
    }
  }
}

async function watchTable(
  t: Target,
  resourceVersion: string | undefined,
  printer: StreamingTable,
): Promise<void> {
  await follow<Table>(t, resourceVersion, TABLE_ACCEPT, (table) => {
    printer.rows(table);
    return table.rows[table.rows.length - 1]?.object?.metadata?.resourceVersion;
  });
}

async function watchObjects(
  t: Target,
  resourceVersion: string | undefined,
  output: 'yaml' | 'json' | 'name',
): Promise<void> {
  await follow<KubeObject>(t, resourceVersion, undefined, (obj) => {
    const o = withTypeMeta(t.def, obj);
    if (output === 'name') process.stdout.write(`${nameOf(t.def, o)}\n`);
    else if (output === 'yaml') process.stdout.write(`---\n${formatObjects([o], 'yaml', false)}`);
    else process.stdout.write(formatObjects([o], 'json', false));
    return o.metadata.resourceVersion;
  });
}
