/**
 * `shoal delete KIND NAME... | KIND/NAME... | -f FILE|DIR|- | KIND -l SELECTOR | KIND --all`.
 *
 * Deletes with propagationPolicy Background (dependents are cleaned up after the owner is gone)
 * and prints `pod "x" deleted` per object. An object that waits for finalizers or a grace period
 * is deleted as far as the server is concerned; `--wait` follows it until it is really gone,
 * saying what it waits for.
 */
import type { Command } from 'commander';
import { hasCode } from '../../api/errors.js';
import type { KubeObject } from '../../api/object.js';
import type { ResourceDef } from '../../api/resources.js';
import type { Client } from '../../client/rest.js';
import { isGone } from '../../client/watch.js';
import {
  action,
  addConnectionOptions,
  CliError,
  type ConnectionFlags,
  connect,
  reportError,
  reportNoResources,
  resourceName,
  splitKindAndNames,
} from './common.js';
import { namespaceFor, readManifests } from './manifests.js';
import { interruptSignal } from './signals.js';

interface DeleteFlags extends ConnectionFlags {
  filename?: string[];
  recursive?: boolean;
  selector?: string;
  all?: boolean;
  gracePeriod?: string;
  ignoreNotFound?: boolean;
  wait?: boolean;
  timeout?: string;
}

export function registerDelete(program: Command): void {
  addConnectionOptions(
    program
      .command('delete')
      .description('delete objects by kind and name, by label selector, or as listed in manifest files')
      .argument('[kind]', 'the kind: pods, po, deployments.apps, deploy, ... (or KIND/NAME)')
      .argument('[names...]', 'the objects to delete')
      .option(
        '-f, --filename <path>',
        'delete the objects in a file, directory or - (stdin) (repeatable)',
        (v: string, prev: string[] = []) => [...prev, v],
      )
      .option('-R, --recursive', 'also read the subdirectories of directories given with -f')
      .option('-l, --selector <selector>', 'delete the objects of KIND matching this label selector')
      .option('--all', 'delete every object of KIND in the namespace')
      .option('--grace-period <seconds>', 'seconds the object gets to stop (0: immediately)')
      .option('--ignore-not-found', 'treat objects that do not exist as deleted')
      .option('--wait', 'wait until the objects are really gone (finalizers, graceful termination)')
      .option('--timeout <seconds>', 'with --wait: give up after this long', '60'),
  ).action(action(del));
}

interface Victim {
  def: ResourceDef;
  namespace: string | undefined;
  name: string;
}

async function del(kindArg: string | undefined, nameArgs: string[], flags: DeleteFlags): Promise<void> {
  const grace = flags.gracePeriod === undefined ? undefined : Number(flags.gracePeriod);
  if (grace !== undefined && (!Number.isInteger(grace) || grace < 0)) {
    throw new CliError(`--grace-period must be a whole number of seconds, got "${flags.gracePeriod}"`);
  }
  const timeoutSeconds = Number(flags.timeout ?? '60');
  const connection = connect(flags);
  const { client } = connection;
  try {
    const victims: Victim[] = [];
    if (flags.filename?.length) {
      if (kindArg) throw new CliError('give either -f or KIND [NAME], not both');
      for (const m of await readManifests(flags.filename, { recursive: flags.recursive ?? false })) {
        if (!m.obj.metadata.name)
          throw new CliError(`from ${m.source}: a ${m.def.kind} without metadata.name cannot be deleted`);
        victims.push({ def: m.def, namespace: namespaceFor(m, connection), name: m.obj.metadata.name });
      }
    } else {
      if (!kindArg)
        throw new CliError('you must give KIND NAME, KIND/NAME, KIND -l SELECTOR, KIND --all or -f FILE');
      const { def, names } = splitKindAndNames(kindArg, nameArgs);
      const namespace = def.namespaced ? connection.namespace : undefined;
      if (names.length > 0 && (flags.selector || flags.all)) {
        throw new CliError('name cannot be provided when a selector or --all is specified');
      }
      if (names.length === 0) {
        if (!flags.selector && !flags.all) {
          throw new CliError(
            `resource(s) were provided, but no name was specified: give NAME, -l SELECTOR or --all`,
          );
        }
        const list = await client.list(
          def,
          namespace,
          flags.selector ? { labelSelector: flags.selector } : {},
        );
        if (list.items.length === 0) reportNoResources(namespace);
        for (const o of list.items)
          victims.push({ def, namespace: o.metadata.namespace ?? namespace, name: o.metadata.name! });
      }
      for (const name of names) victims.push({ def, namespace, name });
    }

    const pending: { victim: Victim; obj: KubeObject }[] = [];
    for (const v of victims) {
      try {
        const obj = await client.delete(v.def, v.namespace, v.name, {
          propagationPolicy: 'Background',
          ...(grace !== undefined ? { gracePeriodSeconds: grace } : {}),
        });
        process.stdout.write(`${resourceName(v.def)} "${v.name}" deleted\n`);
        if (obj?.metadata?.deletionTimestamp) pending.push({ victim: v, obj });
      } catch (err) {
        if (hasCode(err, 404) && flags.ignoreNotFound) continue;
        reportError(err);
      }
    }
    if (flags.wait) {
      const signal = interruptSignal();
      for (const { victim, obj } of pending) {
        await waitUntilGone(client, victim, obj, timeoutSeconds * 1000, signal);
      }
    }
  } finally {
    client.close();
  }
}

/** Follow a terminating object until it is gone, reporting what holds it. */
async function waitUntilGone(
  client: Client,
  v: Victim,
  obj: KubeObject,
  timeoutMs: number,
  interrupt: AbortSignal,
): Promise<void> {
  const what = `${resourceName(v.def)} "${v.name}"`;
  const holds = (o: KubeObject) => {
    const reasons: string[] = [];
    if (o.metadata.finalizers?.length) reasons.push(`finalizers: ${o.metadata.finalizers.join(', ')}`);
    if (o.metadata.deletionGracePeriodSeconds)
      reasons.push(`grace period ${o.metadata.deletionGracePeriodSeconds}s`);
    return reasons.length ? ` (${reasons.join('; ')})` : '';
  };
  process.stderr.write(`waiting for ${what} to be gone${holds(obj)}...\n`);
  const uid = obj.metadata.uid;
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = AbortSignal.any([interrupt, timeout]);
  let rv = obj.metadata.resourceVersion;
  while (!signal.aborted) {
    try {
      for await (const event of client.watch(v.def, v.namespace, {
        fieldSelector: `metadata.name=${v.name}`,
        ...(rv ? { resourceVersion: rv } : {}),
        signal,
      })) {
        const o = event.object;
        if (event.type === 'DELETED' || (uid && o.metadata?.uid && o.metadata.uid !== uid)) {
          process.stderr.write(`${what} is gone\n`);
          return;
        }
        if (event.type === 'MODIFIED') process.stderr.write(`still waiting for ${what}${holds(o)}...\n`);
        rv = o.metadata?.resourceVersion ?? rv;
      }
    } catch (err) {
      if (!isGone(err)) throw err;
      // The version we watched from is compacted: look again.
      try {
        const now = await client.get(v.def, v.namespace, v.name);
        if (uid && now.metadata.uid !== uid) break;
        rv = now.metadata.resourceVersion;
      } catch (e) {
        if (hasCode(e, 404)) break;
        throw e;
      }
    }
  }
  if (timeout.aborted)
    throw new CliError(`timed out after ${timeoutMs / 1000}s waiting for ${what} to be gone`);
  if (!interrupt.aborted) process.stderr.write(`${what} is gone\n`);
}
