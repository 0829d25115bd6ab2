/**
 * `shoal describe KIND [NAME...]`: a readable summary of objects, as kubectl describe gives it:
 * metadata, labels, annotations, the highlights of the spec (per kind where it helps: pods,
 * workloads, services, config maps, secrets, nodes; the spec as YAML otherwise), status
 * conditions, and the Events that name the object (listed with an involvedObject field selector).
 *
 * `describeObject` is pure (object, events, now → text) so it is tested without a server.
 */
import type { Command } from 'commander';
import { stringify as toYaml } from 'yaml';
import type { KubeObject } from '../../api/object.js';
import { lookupResource, type ResourceDef } from '../../api/resources.js';
import { humanDuration } from '../../api/tables/duration.js';
import type { Client } from '../../client/rest.js';
import {
  action,
  addConnectionOptions,
  CliError,
  type ConnectionFlags,
  connect,
  reportError,
  reportNoResources,
  splitKindAndNames,
} from './common.js';
import { alignRows } from './printers.js';

const EVENTS = lookupResource('', 'v1', 'events')!;

interface DescribeFlags extends ConnectionFlags {
  selector?: string;
}

export function registerDescribe(program: Command): void {
  addConnectionOptions(
    program
      .command('describe')
      .description('show a readable summary of objects, with their conditions and events')
      .argument('<kind>', 'the kind: pods, po, deployments.apps, deploy, ... (or KIND/NAME)')
      .argument('[names...]', 'the objects (default: all of the kind in the namespace)')
      .option('-l, --selector <selector>', 'label selector, e.g. app=web'),
  ).action(action(describe));
}

async function describe(kindArg: string, nameArgs: string[], flags: DescribeFlags): Promise<void> {
  const { def, names } = splitKindAndNames(kindArg, nameArgs);
  if (names.length > 0 && flags.selector)
    throw new CliError('name cannot be provided when a selector is specified');
  const connection = connect(flags);
  const { client } = connection;
  const namespace = def.namespaced ? connection.namespace : undefined;
  try {
    let objects: KubeObject[] = [];
    if (names.length === 0) {
      objects = (await client.list(def, namespace, flags.selector ? { labelSelector: flags.selector } : {}))
        .items;
      if (objects.length === 0) reportNoResources(namespace);
    }
    for (const name of names) {
      try {
        objects.push(await client.get(def, namespace, name));
      } catch (err) {
        reportError(err);
      }
    }
    let first = true;
    for (const obj of objects) {
      const events = await eventsFor(client, def, obj);
      process.stdout.write(`${first ? '' : '\n\n'}${describeObject(def, obj, events, new Date())}`);
      first = false;
    }
  } finally {
    client.close();
  }
}

/** The events naming `obj` (by name, namespace and uid), oldest first; an error message if they cannot be listed. */
async function eventsFor(client: Client, def: ResourceDef, obj: KubeObject): Promise<KubeObject[] | string> {
  const m = obj.metadata;
  const selector = [
    `involvedObject.name=${m.name}`,
    ...(def.namespaced ? [`involvedObject.namespace=${m.namespace}`] : []),
    ...(m.uid ? [`involvedObject.uid=${m.uid}`] : []),
  ].join(',');
  try {
    const list = await client.list(EVENTS, def.namespaced ? m.namespace : undefined, {
      fieldSelector: selector,
    });
    return list.items.sort((a, b) => eventTime(a, 'last') - eventTime(b, 'last'));
  } catch (err) {
    return `<unable to list events: ${(err as Error).message}>`;
  }
}

function eventTime(e: KubeObject, which: 'first' | 'last'): number {
  const ev = e as { lastTimestamp?: string; firstTimestamp?: string; eventTime?: string };
  const t =
    (which === 'last' ? ev.lastTimestamp : ev.firstTimestamp) ?? ev.eventTime ?? e.metadata.creationTimestamp;
  const ms = Date.parse(t ?? '');
  return Number.isNaN(ms) ? 0 : ms;
}

// ---- the text ----------------------------------------------------------------------------------

type Line = { indent: number; label: string; value: string[] } | { indent: number; text: string };

/** Builds "Label:  value" lines; runs of labels at one indent are aligned. */
class Out {
  readonly lines: Line[] = [];

  field(indent: number, label: string, value: string | string[] | undefined): void {
    const v = value === undefined || value === '' ? ['<none>'] : Array.isArray(value) ? value : [value];
    this.lines.push({ indent, label, value: v.length === 0 ? ['<none>'] : v });
  }

  /** A label with nothing after it: a section. */
  section(indent: number, label: string): void {
    this.lines.push({ indent, label, value: [] });
  }

  text(indent: number, text: string): void {
    this.lines.push({ indent, text });
  }

  /** Rows aligned as a table (2 spaces apart), under a header and its dashes. */
  table(
    indent: number,
    header: string[],
    rows: string[][],
    dashes = header.map((h) => '-'.repeat(h.length)),
  ): void {
    // kubectl's describe tables are 2 spaces apart (get's are 3).
    for (const line of alignRows([header, dashes, ...rows], [], 2, 0).lines) this.text(indent, line);
  }

  render(): string {
    const out: string[] = [];
    let i = 0;
    while (i < this.lines.length) {
      const first = this.lines[i]!;
      if (!('label' in first)) {
        out.push(' '.repeat(first.indent) + first.text);
        i++;
        continue;
      }
      // A run of labelled lines at one indent, sections included.
      let j = i;
      let width = 0;
      while (j < this.lines.length) {
        const l = this.lines[j]!;
        if (!('label' in l) || l.indent !== first.indent) break;
        if (l.value.length > 0) width = Math.max(width, l.label.length + 1);
        j++;
      }
      for (const l of this.lines.slice(i, j) as Extract<Line, { label: string }>[]) {
        const pad = ' '.repeat(l.indent);
        if (l.value.length === 0) {
          out.push(`${pad}${l.label}:`);
          continue;
        }
        const head = `${pad}${`${l.label}:`.padEnd(width)}  `;
        out.push(head + l.value[0]);
        for (const more of l.value.slice(1)) out.push(' '.repeat(head.length) + more);
      }
      i = j;
    }
    return `${out.map((l) => l.trimEnd()).join('\n')}\n`;
  }
}

function timestamp(t: string | undefined): string | undefined {
  if (!t) return undefined;
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? t : d.toUTCString().replace('GMT', '+0000');
}

function pairs(map: Record<string, string> | undefined, sep = '='): string[] {
  return Object.entries(map ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}${sep}${v}`);
}

function selectorText(
  selector: { matchLabels?: Record<string, string>; matchExpressions?: unknown[] } | undefined,
): string {
  if (!selector) return '<none>';
  const parts = pairs(selector.matchLabels);
  for (const e of (selector.matchExpressions ?? []) as {
    key: string;
    operator: string;
    values?: string[];
  }[]) {
    parts.push(`${e.key} ${e.operator.toLowerCase()}${e.values?.length ? ` (${e.values.join(',')})` : ''}`);
  }
  return parts.join(',') || '<none>';
}

/** Objects of kinds we only read loosely: a missing field shows as <none>, never as a crash. */
// biome-ignore lint/suspicious/noExplicitAny: free-form walking of fields that may be absent
type Any = Record<string, any>;

export function describeObject(
  def: ResourceDef,
  obj: KubeObject,
  events: KubeObject[] | string,
  now: Date,
): string {
  const o = new Out();
  const m = obj.metadata;
  o.field(0, 'Name', m.name);
  if (def.namespaced) o.field(0, 'Namespace', m.namespace);
  o.field(0, 'Labels', pairs(m.labels));
  o.field(0, 'Annotations', pairs(m.annotations, ': '));
  o.field(0, 'CreationTimestamp', timestamp(m.creationTimestamp));
  if (m.deletionTimestamp) {
    o.field(
      0,
      'DeletionTimestamp',
      `${timestamp(m.deletionTimestamp)} (grace period ${m.deletionGracePeriodSeconds ?? 0}s)`,
    );
  }
  if (m.finalizers?.length) o.field(0, 'Finalizers', m.finalizers.join(', '));
  const controller = m.ownerReferences?.find((r) => r.controller) ?? m.ownerReferences?.[0];
  if (controller) o.field(0, 'Controlled By', `${controller.kind}/${controller.name}`);

  const spec = (obj.spec ?? {}) as Any;
  const status = (obj.status ?? {}) as Any;
  switch (def.kind) {
    case 'Pod':
      describePod(o, obj, spec, status);
      break;
    case 'Deployment':
    case 'ReplicaSet':
    case 'StatefulSet':
    case 'DaemonSet':
      describeWorkload(o, def.kind, spec, status);
      break;
    case 'Service':
      describeService(o, spec);
      break;
    case 'ConfigMap':
      describeData(o, obj.data as Record<string, string> | undefined, false);
      break;
    case 'Secret':
      o.field(0, 'Type', (obj.type as string | undefined) ?? 'Opaque');
      describeData(o, obj.data as Record<string, string> | undefined, true);
      break;
    case 'Namespace':
      o.field(0, 'Status', status.phase ?? 'Active');
      break;
    case 'Node':
      describeNode(o, spec, status);
      break;
    default:
      describeGeneric(o, obj);
  }

  const conditions = (status.conditions ?? []) as Any[];
  if (conditions.length > 0) {
    o.section(0, 'Conditions');
    o.table(
      2,
      ['Type', 'Status', 'Reason', 'Message'],
      conditions.map((c) => [String(c.type ?? ''), String(c.status ?? ''), c.reason ?? '', c.message ?? '']),
    );
  }

  if (typeof events === 'string') o.text(0, `Events:  ${events}`);
  else if (events.length === 0) o.text(0, 'Events:  <none>');
  else {
    o.section(0, 'Events');
    o.table(
      2,
      ['Type', 'Reason', 'Age', 'From', 'Message'],
      events.map((e) => {
        const ev = e as Any;
        const last = eventTime(e, 'last');
        let age = last ? humanDuration(now.getTime() - last) : '<unknown>';
        if ((ev.count ?? 1) > 1)
          age += ` (x${ev.count} over ${humanDuration(now.getTime() - eventTime(e, 'first'))})`;
        const from = ev.source?.component
          ? `${ev.source.component}${ev.source.host ? `, ${ev.source.host}` : ''}`
          : (ev.reportingComponent ?? '');
        return [ev.type ?? '', ev.reason ?? '', age, from, String(ev.message ?? '').trim()];
      }),
      ['----', '------', '----', '----', '-------'],
    );
  }
  return o.render();
}

function describeContainers(o: Out, indent: number, containers: Any[], statuses: Any[] = []): void {
  for (const c of containers) {
    o.section(indent, c.name);
    const i = indent + 2;
    o.field(i, 'Image', c.image);
    const ports = ((c.ports ?? []) as Any[]).map(
      (p) => `${p.containerPort}/${p.protocol ?? 'TCP'}${p.name ? ` (${p.name})` : ''}`,
    );
    o.field(i, ports.length > 1 ? 'Ports' : 'Port', ports.join(', ') || '<none>');
    if (c.command) o.field(i, 'Command', c.command as string[]);
    if (c.args) o.field(i, 'Args', c.args as string[]);
    const st = statuses.find((s) => s.name === c.name);
    if (st) {
      const [state, detail] = Object.entries((st.state ?? {}) as Any)[0] ?? ['unknown', {}];
      const why = (detail as Any)?.reason ? ` (${(detail as Any).reason})` : '';
      o.field(i, 'State', `${state[0]!.toUpperCase()}${state.slice(1)}${why}`);
      o.field(i, 'Ready', String(Boolean(st.ready)));
      o.field(i, 'Restart Count', String(st.restartCount ?? 0));
    }
    const res = (c.resources ?? {}) as Any;
    if (res.limits) o.field(i, 'Limits', pairs(res.limits, ': '));
    if (res.requests) o.field(i, 'Requests', pairs(res.requests, ': '));
    const env = ((c.env ?? []) as Any[]).map((e) =>
      e.value !== undefined
        ? `${e.name}: ${e.value}`
        : `${e.name}: <set from ${Object.keys(e.valueFrom ?? {})[0] ?? 'elsewhere'}>`,
    );
    o.field(i, 'Environment', env.length ? env : '<none>');
  }
}

function describePod(o: Out, obj: KubeObject, spec: Any, status: Any): void {
  o.field(0, 'Node', spec.nodeName ?? '<none>');
  o.field(0, 'Start Time', timestamp(status.startTime));
  o.field(0, 'Status', obj.metadata.deletionTimestamp ? 'Terminating' : (status.phase ?? 'Unknown'));
  if (status.reason) o.field(0, 'Reason', status.reason);
  if (status.message) o.field(0, 'Message', status.message);
  o.field(0, 'IP', status.podIP);
  if (spec.initContainers?.length) {
    o.section(0, 'Init Containers');
    describeContainers(o, 2, spec.initContainers, status.initContainerStatuses);
  }
  o.section(0, 'Containers');
  describeContainers(o, 2, spec.containers ?? [], status.containerStatuses);
  if (spec.nodeSelector) o.field(0, 'Node-Selectors', pairs(spec.nodeSelector));
  if (spec.tolerations?.length) {
    o.field(
      0,
      'Tolerations',
      (spec.tolerations as Any[]).map(
        (t) => `${t.key ?? ''}${t.operator === 'Exists' ? '' : `=${t.value ?? ''}`}:${t.effect ?? ''}`,
      ),
    );
  }
}

function describeWorkload(o: Out, kind: string, spec: Any, status: Any): void {
  o.field(0, 'Selector', selectorText(spec.selector));
  const desired = spec.replicas ?? 1;
  if (kind === 'Deployment') {
    o.field(
      0,
      'Replicas',
      `${desired} desired | ${status.updatedReplicas ?? 0} updated | ${status.replicas ?? 0} total | ${status.availableReplicas ?? 0} available | ${status.unavailableReplicas ?? 0} unavailable`,
    );
    o.field(0, 'StrategyType', spec.strategy?.type ?? 'RollingUpdate');
  } else if (kind === 'DaemonSet') {
    o.field(0, 'Desired Number of Nodes Scheduled', String(status.desiredNumberScheduled ?? 0));
    o.field(0, 'Current Number of Nodes Scheduled', String(status.currentNumberScheduled ?? 0));
    o.field(0, 'Number of Nodes Ready', String(status.numberReady ?? 0));
  } else {
    o.field(0, 'Replicas', `${status.replicas ?? 0} current / ${desired} desired`);
    o.field(
      0,
      'Pods Status',
      `${status.readyReplicas ?? 0} Ready / ${status.availableReplicas ?? 0} Available`,
    );
  }
  const template = (spec.template ?? {}) as Any;
  o.section(0, 'Pod Template');
  o.field(2, 'Labels', pairs(template.metadata?.labels));
  o.section(2, 'Containers');
  describeContainers(o, 3, template.spec?.containers ?? []);
}

function describeService(o: Out, spec: Any): void {
  o.field(0, 'Selector', pairs(spec.selector).join(',') || '<none>');
  o.field(0, 'Type', spec.type ?? 'ClusterIP');
  o.field(0, 'IP', spec.clusterIP);
  for (const p of (spec.ports ?? []) as Any[]) {
    o.field(0, 'Port', `${p.name ?? '<unset>'}  ${p.port}/${p.protocol ?? 'TCP'}`);
    o.field(0, 'TargetPort', `${p.targetPort ?? p.port}/${p.protocol ?? 'TCP'}`);
    if (p.nodePort) o.field(0, 'NodePort', `${p.name ?? '<unset>'}  ${p.nodePort}/${p.protocol ?? 'TCP'}`);
  }
  o.field(0, 'Session Affinity', spec.sessionAffinity ?? 'None');
}

function describeData(o: Out, data: Record<string, string> | undefined, secret: boolean): void {
  o.text(0, '');
  o.text(0, 'Data');
  o.text(0, '====');
  for (const [k, v] of Object.entries(data ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
    if (secret) {
      o.field(0, k, `${Buffer.from(v, 'base64').length} bytes`);
    } else {
      o.text(0, `${k}:`);
      o.text(0, '----');
      for (const line of v.split('\n')) o.text(0, line);
      o.text(0, '');
    }
  }
}

function describeNode(o: Out, spec: Any, status: Any): void {
  o.field(0, 'Unschedulable', String(Boolean(spec.unschedulable)));
  o.field(
    0,
    'Taints',
    ((spec.taints ?? []) as Any[]).map((t) => `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`),
  );
  o.field(
    0,
    'Addresses',
    ((status.addresses ?? []) as Any[]).map((a) => `${a.type}: ${a.address}`),
  );
  if (status.capacity) o.field(0, 'Capacity', pairs(status.capacity, ': '));
  if (status.allocatable) o.field(0, 'Allocatable', pairs(status.allocatable, ': '));
}

/** Kinds without their own summary: the spec (and other top-level fields) and status as YAML. */
function describeGeneric(o: Out, obj: KubeObject): void {
  const { apiVersion: _a, kind: _k, metadata: _m, status, ...rest } = obj;
  for (const [key, value] of Object.entries(rest)) yamlSection(o, key, value);
  const { conditions: _c, ...otherStatus } = (status ?? {}) as Any;
  if (Object.keys(otherStatus).length > 0) yamlSection(o, 'status', otherStatus);
}

function yamlSection(o: Out, key: string, value: unknown): void {
  const label = key[0]!.toUpperCase() + key.slice(1);
  if (value === null || typeof value !== 'object') {
    o.field(0, label, String(value));
    return;
  }
  o.section(0, label);
  for (const line of toYaml(value, { lineWidth: 0 }).trimEnd().split('\n')) o.text(2, line);
}
