/**
 * Per-kind table columns and cells, as Kubernetes' server-side printers define them
 * (pkg/printers/internalversion/printers.go): the columns kubectl shows, and with priority 1 the
 * extra ones `-o wide` shows. Cells are strings, integers or booleans, as Kubernetes sends them.
 */
import { isPlainObject, num, objectsIn, rec, str } from '../object.js';
import { canonicalQuantity } from '../quantity.js';
import { formatTime } from '../time.js';
import { formatLabelSelector, selectorString } from '../validation/meta.js';
import { age, humanDuration, timestampMs } from './duration.js';
import { summarizePod } from './pod-status.js';

type Obj = Record<string, unknown>;

export interface TableColumnDefinition {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

export interface TableRowCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

export interface PrintContext {
  now: Date;
  /** Kubernetes' printers clip long load-balancer addresses unless wide. */
  wide: boolean;
}

export interface Printer {
  columns: TableColumnDefinition[];
  /** One value per column, in order. */
  cells(obj: Obj, ctx: PrintContext): unknown[];
  conditions?(obj: Obj): TableRowCondition[] | undefined;
}

// ---- helpers ---------------------------------------------------------------------------------

const NAME_DESCRIPTION =
  'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names';
const AGE_DESCRIPTION =
  'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata';

function col(
  name: string,
  type: string,
  description: string,
  priority = 0,
  format = '',
): TableColumnDefinition {
  return { name, type, format, description, priority };
}

const NAME = col('Name', 'string', NAME_DESCRIPTION, 0, 'name');
const AGE = col('Age', 'string', AGE_DESCRIPTION);
const CONTAINERS = col('Containers', 'string', 'Names of each container in the template.', 1);
const IMAGES = col('Images', 'string', 'Images referenced by each container in the template.', 1);

function name(o: Obj): string {
  return str(rec(o.metadata).name);
}

function created(o: Obj, ctx: PrintContext): string {
  return age(rec(o.metadata).creationTimestamp, ctx.now);
}

function containerCells(podSpec: unknown): [string, string] {
  const cs = objectsIn(rec(podSpec).containers);
  return [cs.map((c) => str(c.name)).join(','), cs.map((c) => str(c.image)).join(',')];
}

function templateSpec(o: Obj): unknown {
  return rec(rec(o.spec).template).spec;
}

/** labels.FormatLabels: "a=b,c=d" sorted by key, "<none>" when empty. */
export function formatLabels(labels: unknown): string {
  const entries = Object.entries(rec(labels)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const out = entries.map(([k, v]) => `${k}=${str(v)}`).join(',');
  return out === '' ? '<none>' : out;
}

function hasCondition(o: Obj, type: string): boolean {
  const c = objectsIn(rec(o.status).conditions).find((x) => x.type === type);
  return c !== undefined && c.status === 'True';
}

function boolPtr(v: unknown): string {
  return typeof v === 'boolean' ? (v ? 'True' : 'False') : '<unset>';
}

/** "a,b,c + 2 more...", "<unset>" when empty. */
function listWithMore(items: string[], count: number, max: number): string {
  const shown = items.slice(0, max).join(',');
  if (count > max) return `${shown} + ${count - max} more...`;
  return shown === '' ? '<unset>' : shown;
}

function loadBalancerAddresses(lb: unknown, wide: boolean): string {
  const set = new Set<string>();
  for (const ing of objectsIn(rec(lb).ingress)) {
    if (str(ing.ip) !== '') set.add(str(ing.ip));
    else if (str(ing.hostname) !== '') set.add(str(ing.hostname));
  }
  let r = [...set].sort().join(',');
  if (!wide && r.length > 16) r = `${r.slice(0, 13)}...`;
  return r;
}

function quantity(v: unknown): string {
  return canonicalQuantity(v) ?? String(v ?? '');
}

// ---- printers --------------------------------------------------------------------------------

const pod: Printer = {
  columns: [
    NAME,
    col('Ready', 'string', 'The aggregate readiness state of this pod for accepting traffic.'),
    col('Status', 'string', 'The aggregate status of the containers in this pod.'),
    col(
      'Restarts',
      'string',
      'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.',
    ),
    AGE,
    col(
      'IP',
      'string',
      'podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.',
      1,
    ),
    col('Node', 'string', 'NodeName indicates in which node this pod is scheduled.', 1),
    col(
      'Nominated Node',
      'string',
      'nominatedNodeName is set only when this pod preempts other pods on the node.',
      1,
    ),
    col(
      'Readiness Gates',
      'string',
      'If specified, all readiness gates will be evaluated for pod readiness.',
      1,
    ),
  ],
  cells(o, ctx) {
    const sum = summarizePod(o, ctx.now);
    const spec = rec(o.spec);
    const status = rec(o.status);
    const podIP = str(rec(objectsIn(status.podIPs)[0]).ip) || '<none>';
    const gates = objectsIn(spec.readinessGates);
    let readinessGates = '<none>';
    if (gates.length > 0) {
      const conditions = objectsIn(status.conditions);
      const trueCount = gates.filter(
        (g) => conditions.find((c) => c.type === g.conditionType)?.status === 'True',
      ).length;
      readinessGates = `${trueCount}/${gates.length}`;
    }
    return [
      name(o),
      sum.ready,
      sum.status,
      sum.restarts,
      created(o, ctx),
      podIP,
      str(spec.nodeName) || '<none>',
      str(status.nominatedNodeName) || '<none>',
      readinessGates,
    ];
  },
  conditions(o) {
    const phase = rec(o.status).phase;
    if (phase === 'Succeeded') {
      return [
        {
          type: 'Completed',
          status: 'True',
          reason: 'Succeeded',
          message: 'The pod has completed successfully.',
        },
      ];
    }
    if (phase === 'Failed')
      return [{ type: 'Completed', status: 'True', reason: 'Failed', message: 'The pod failed.' }];
    return undefined;
  },
};

const deployment: Printer = {
  columns: [
    NAME,
    col('Ready', 'string', 'Number of the pod with ready state'),
    col(
      'Up-to-date',
      'string',
      'Total number of non-terminated pods targeted by this deployment that have the desired template spec.',
    ),
    col(
      'Available',
      'string',
      'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.',
    ),
    AGE,
    CONTAINERS,
    IMAGES,
    col(
      'Selector',
      'string',
      'Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment.',
      1,
    ),
  ],
  cells(o, ctx) {
    const spec = rec(o.spec);
    const status = rec(o.status);
    const [names, images] = containerCells(templateSpec(o));
    return [
      name(o),
      `${num(status.readyReplicas)}/${num(spec.replicas)}`,
      num(status.updatedReplicas),
      num(status.availableReplicas),
      created(o, ctx),
      names,
      images,
      selectorString(spec.selector),
    ];
  },
};

const replicaSet: Printer = {
  columns: [
    NAME,
    col('Desired', 'integer', 'Replicas is the number of desired replicas.'),
    col('Current', 'integer', 'Replicas is the most recently observed number of replicas.'),
    col('Ready', 'integer', 'The number of ready replicas for this replica set.'),
    AGE,
    CONTAINERS,
    IMAGES,
    col('Selector', 'string', 'Selector is a label query over pods that should match the replica count.', 1),
  ],
  cells(o, ctx) {
    const spec = rec(o.spec);
    const status = rec(o.status);
    const [names, images] = containerCells(templateSpec(o));
    return [
      name(o),
      num(spec.replicas),
      num(status.replicas),
      num(status.readyReplicas),
      created(o, ctx),
      names,
      images,
      formatLabelSelector(spec.selector),
    ];
  },
};

const daemonSet: Printer = {
  columns: [
    NAME,
    col('Desired', 'integer', 'The total number of nodes that should be running the daemon pod.'),
    col(
      'Current',
      'integer',
      'The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod.',
    ),
    col(
      'Ready',
      'integer',
      'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and ready.',
    ),
    col('Up-to-date', 'integer', 'The total number of nodes that are running updated daemon pod'),
    col(
      'Available',
      'integer',
      'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available.',
    ),
    col(
      'Node Selector',
      'string',
      'NodeSelector is a selector which must be true for the pod to fit on a node.',
    ),
    AGE,
    CONTAINERS,
    IMAGES,
    col('Selector', 'string', 'A label query over pods that are managed by the daemon set.', 1),
  ],
  cells(o, ctx) {
    const spec = rec(o.spec);
    const status = rec(o.status);
    const [names, images] = containerCells(templateSpec(o));
    return [
      name(o),
      num(status.desiredNumberScheduled),
      num(status.currentNumberScheduled),
      num(status.numberReady),
      num(status.updatedNumberScheduled),
      num(status.numberAvailable),
      formatLabels(rec(templateSpec(o)).nodeSelector),
      created(o, ctx),
      names,
      images,
      formatLabelSelector(spec.selector),
    ];
  },
};

const statefulSet: Printer = {
  columns: [NAME, col('Ready', 'string', 'Number of the pod with ready state'), AGE, CONTAINERS, IMAGES],
  cells(o, ctx) {
    const [names, images] = containerCells(templateSpec(o));
    return [
      name(o),
      `${num(rec(o.status).readyReplicas)}/${num(rec(o.spec).replicas)}`,
      created(o, ctx),
      names,
      images,
    ];
  },
};

const job: Printer = {
  columns: [
    NAME,
    col('Status', 'string', 'Status of the job.'),
    col('Completions', 'string', 'The number of pods which reached phase Succeeded.'),
    col('Duration', 'string', 'Time required to complete the job.'),
    AGE,
    CONTAINERS,
    IMAGES,
    col('Selector', 'string', 'A label query over pods that should match the pod count.', 1),
  ],
  cells(o, ctx) {
    const spec = rec(o.spec);
    const status = rec(o.status);
    const succeeded = num(status.succeeded);
    let completions: string;
    if (typeof spec.completions === 'number') completions = `${succeeded}/${spec.completions}`;
    else if (num(spec.parallelism) > 1) completions = `${succeeded}/1 of ${num(spec.parallelism)}`;
    else completions = `${succeeded}/1`;
    const start = timestampMs(status.startTime);
    const end = timestampMs(status.completionTime);
    let duration = '';
    if (start !== undefined) duration = humanDuration((end ?? ctx.now.getTime()) - start);
    let state = 'Running';
    if (hasCondition(o, 'Complete')) state = 'Complete';
    else if (hasCondition(o, 'Failed')) state = 'Failed';
    else if (rec(o.metadata).deletionTimestamp) state = 'Terminating';
    else if (hasCondition(o, 'Suspended')) state = 'Suspended';
    else if (hasCondition(o, 'FailureTarget')) state = 'FailureTarget';
    const [names, images] = containerCells(templateSpec(o));
    return [
      name(o),
      state,
      completions,
      duration,
      created(o, ctx),
      names,
      images,
      formatLabelSelector(spec.selector),
    ];
  },
};

const cronJob: Printer = {
  columns: [
    NAME,
    col('Schedule', 'string', 'The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron.'),
    col(
      'Timezone',
      'string',
      'The time zone name for the given schedule, see https://en.wikipedia.org/wiki/List_of_tz_database_time_zones.',
    ),
    col(
      'Suspend',
      'boolean',
      'This flag tells the controller to suspend subsequent executions, it does not apply to already started executions.',
    ),
    col('Active', 'integer', 'A list of pointers to currently running jobs.'),
    col('Last Schedule', 'string', 'Information when was the last time the job was successfully scheduled.'),
    AGE,
    CONTAINERS,
    IMAGES,
    col('Selector', 'string', 'A label query over pods that should match the pod count.', 1),
  ],
  cells(o, ctx) {
    const spec = rec(o.spec);
    const status = rec(o.status);
    const jobSpec = rec(rec(spec.jobTemplate).spec);
    const [names, images] = containerCells(rec(jobSpec.template).spec);
    const last = status.lastScheduleTime ? age(status.lastScheduleTime, ctx.now) : '<none>';
    return [
      name(o),
      str(spec.schedule),
      str(spec.timeZone) || '<none>',
      boolPtr(spec.suspend),
      objectsIn(status.active).length,
      last,
      created(o, ctx),
      names,
      images,
      formatLabelSelector(jobSpec.selector),
    ];
  },
};

function serviceExternalIP(svc: Obj, wide: boolean): string {
  const spec = rec(svc.spec);
  const externalIPs = Array.isArray(spec.externalIPs) ? spec.externalIPs.map(str) : [];
  switch (spec.type) {
    case 'ClusterIP':
    case 'NodePort':
      return externalIPs.length > 0 ? externalIPs.join(',') : '<none>';
    case 'LoadBalancer': {
      const lb = loadBalancerAddresses(rec(svc.status).loadBalancer, wide);
      if (externalIPs.length > 0) return [...(lb ? lb.split(',') : []), ...externalIPs].join(',');
      return lb !== '' ? lb : '<pending>';
    }
    case 'ExternalName':
      return str(spec.externalName);
  }
  return '<unknown>';
}

const service: Printer = {
  columns: [
    NAME,
    col('Type', 'string', 'type determines how the Service is exposed.'),
    col(
      'Cluster-IP',
      'string',
      'clusterIP is the IP address of the service and is usually assigned randomly.',
    ),
    col(
      'External-IP',
      'string',
      'externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.',
    ),
    col('Port(s)', 'string', 'The list of ports that are exposed by this service.'),
    AGE,
    col(
      'Selector',
      'string',
      'Route service traffic to pods with label keys and values matching this selector.',
      1,
    ),
  ],
  cells(o, ctx) {
    const spec = rec(o.spec);
    const ips = Array.isArray(spec.clusterIPs) ? spec.clusterIPs : [];
    const clusterIP = ips.length > 0 ? str(ips[0]) : '<none>';
    const ports =
      objectsIn(spec.ports)
        .map((p) =>
          num(p.nodePort) > 0
            ? `${num(p.port)}:${num(p.nodePort)}/${str(p.protocol)}`
            : `${num(p.port)}/${str(p.protocol)}`,
        )
        .join(',') || '<none>';
    return [
      name(o),
      str(spec.type),
      clusterIP,
      serviceExternalIP(o, ctx.wide),
      ports,
      created(o, ctx),
      formatLabels(spec.selector),
    ];
  },
};

const ingress: Printer = {
  columns: [
    NAME,
    col(
      'Class',
      'string',
      'The name of the IngressClass resource that should be used for additional configuration',
    ),
    col('Hosts', 'string', 'Hosts that incoming requests are matched against before the ingress rule'),
    col('Address', 'string', 'Address is a list containing ingress points for the load-balancer'),
    col('Ports', 'string', 'Ports of TLS configurations that open'),
    AGE,
  ],
  cells(o, ctx) {
    const spec = rec(o.spec);
    const rules = objectsIn(spec.rules);
    const hosts: string[] = [];
    let more = false;
    for (const r of rules) {
      if (hosts.length === 3) more = true;
      if (!more && str(r.host) !== '') hosts.push(str(r.host));
    }
    let hostText = hosts.length === 0 ? '*' : hosts.join(',');
    if (hosts.length > 0 && more) hostText = `${hostText} + ${rules.length - 3} more...`;
    const ports = objectsIn(spec.tls).length > 0 ? '80, 443' : '80';
    return [
      name(o),
      str(spec.ingressClassName) || '<none>',
      hostText,
      loadBalancerAddresses(rec(o.status).loadBalancer, ctx.wide),
      ports,
      created(o, ctx),
    ];
  },
};

const ingressClass: Printer = {
  columns: [
    NAME,
    col('Controller', 'string', 'Controller that is responsible for handling this class'),
    col('Parameters', 'string', 'A reference to a resource with additional parameters'),
    AGE,
  ],
  cells(o, ctx) {
    const spec = rec(o.spec);
    let parameters = '<none>';
    if (isPlainObject(spec.parameters)) {
      const p = spec.parameters;
      parameters = str(p.kind);
      if (typeof p.apiGroup === 'string') parameters += `.${p.apiGroup}`;
      parameters += `/${str(p.name)}`;
    }
    return [name(o), str(spec.controller), parameters, created(o, ctx)];
  },
};

const endpoints: Printer = {
  columns: [NAME, col('Endpoints', 'string', 'The set of all endpoints is the union of all subsets.'), AGE],
  cells(o, ctx) {
    const subsets = objectsIn(o.subsets);
    if (subsets.length === 0) return [name(o), '<none>', created(o, ctx)];
    const out: string[] = [];
    let count = 0;
    let more = false;
    const max = 3;
    for (const ss of subsets) {
      const addresses = objectsIn(ss.addresses);
      const ports = objectsIn(ss.ports);
      if (ports.length === 0) {
        count += addresses.length;
        for (const a of addresses) {
          if (out.length === max) {
            more = true;
            break;
          }
          out.push(str(a.ip));
        }
        continue;
      }
      for (const port of ports) {
        count += addresses.length;
        for (const a of addresses) {
          if (out.length === max) {
            more = true;
            break;
          }
          const ip = str(a.ip);
          out.push(ip.includes(':') ? `[${ip}]:${num(port.port)}` : `${ip}:${num(port.port)}`);
        }
      }
    }
    const text = more ? `${out.join(',')} + ${count - max} more...` : out.join(',');
    return [name(o), text, created(o, ctx)];
  },
};

const endpointSlice: Printer = {
  columns: [
    NAME,
    col('AddressType', 'string', 'addressType specifies the type of address carried by this EndpointSlice.'),
    col(
      'Ports',
      'string',
      'ports specifies the list of network ports exposed by each endpoint in this slice.',
    ),
    col('Endpoints', 'string', 'endpoints is a list of unique endpoints in this slice.'),
    AGE,
  ],
  cells(o, ctx) {
    const ports = objectsIn(o.ports).map((p) =>
      typeof p.port === 'number' ? String(p.port) : typeof p.name === 'string' ? p.name : '*',
    );
    const addresses = objectsIn(o.endpoints).flatMap((e) =>
      Array.isArray(e.addresses) ? e.addresses.map(str) : [],
    );
    return [
      name(o),
      str(o.addressType),
      listWithMore(ports, ports.length, 3),
      listWithMore(addresses, addresses.length, 3),
      created(o, ctx),
    ];
  },
};

function nodeRoles(node: Obj): string {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(rec(rec(node.metadata).labels))) {
    if (k.startsWith('node-role.kubernetes.io/')) {
      const role = k.slice('node-role.kubernetes.io/'.length);
      if (role !== '') roles.add(role);
    } else if (k === 'kubernetes.io/role' && str(v) !== '') {
      roles.add(str(v));
    }
  }
  return [...roles].sort().join(',') || '<none>';
}

function nodeAddress(node: Obj, type: string): string {
  return str(objectsIn(rec(node.status).addresses).find((a) => a.type === type)?.address) || '<none>';
}

const node: Printer = {
  columns: [
    NAME,
    col('Status', 'string', 'The status of the node'),
    col('Roles', 'string', 'The roles of the node'),
    AGE,
    col('Version', 'string', 'Kubelet Version reported by the node.'),
    col('Internal-IP', 'string', 'List of addresses reachable to the node.', 1),
    col('External-IP', 'string', 'List of addresses reachable to the node.', 1),
    col(
      'OS-Image',
      'string',
      'OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).',
      1,
    ),
    col(
      'Kernel-Version',
      'string',
      "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).",
      1,
    ),
    col(
      'Container-Runtime',
      'string',
      'ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).',
      1,
    ),
  ],
  cells(o, ctx) {
    const status = rec(o.status);
    const ready = objectsIn(status.conditions).find((c) => c.type === 'Ready');
    const states: string[] = [];
    if (ready) states.push(ready.status === 'True' ? 'Ready' : 'NotReady');
    if (states.length === 0) states.push('Unknown');
    if (rec(o.spec).unschedulable === true) states.push('SchedulingDisabled');
    const info = rec(status.nodeInfo);
    return [
      name(o),
      states.join(','),
      nodeRoles(o),
      created(o, ctx),
      str(info.kubeletVersion),
      nodeAddress(o, 'InternalIP'),
      nodeAddress(o, 'ExternalIP'),
      str(info.osImage) || '<unknown>',
      str(info.kernelVersion) || '<unknown>',
      str(info.containerRuntimeVersion) || '<unknown>',
    ];
  },
};

const event: Printer = {
  columns: [
    col('Last Seen', 'string', 'The time at which the most recent occurrence of this event was recorded.'),
    col('Type', 'string', 'Type of this event (Normal, Warning), new types could be added in the future'),
    col(
      'Reason',
      'string',
      "This should be a short, machine understandable string that gives the reason for the transition into the object's current status.",
    ),
    col('Object', 'string', 'The object that this event is about.'),
    col(
      'Subobject',
      'string',
      'If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement, such as desiredState.manifest.containers[2].',
      1,
    ),
    col(
      'Source',
      'string',
      'The component reporting this event. Should be a short machine understandable string.',
      1,
    ),
    col('Message', 'string', 'A human-readable description of the status of this operation.'),
    col(
      'First Seen',
      'string',
      'The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)',
      1,
    ),
    col('Count', 'string', 'The number of times this event has occurred.', 1),
    { ...NAME, priority: 1 },
  ],
  cells(o, ctx) {
    let first = age(o.firstTimestamp, ctx.now);
    if (timestampMs(o.firstTimestamp) === undefined) first = age(o.eventTime, ctx.now);
    let last = timestampMs(o.lastTimestamp) === undefined ? first : age(o.lastTimestamp, ctx.now);
    let count = num(o.count);
    if (isPlainObject(o.series)) {
      last = age(o.series.lastObservedTime, ctx.now);
      count = num(o.series.count);
    } else if (count === 0) {
      count = 1;
    }
    const involved = rec(o.involvedObject);
    const kind = str(involved.kind).toLowerCase();
    const target = str(involved.name) !== '' ? `${kind}/${str(involved.name)}` : kind;
    const source = rec(o.source);
    const component = str(source.component) || str(o.reportingComponent) || str(o.reportingController);
    const instance = str(source.host) || str(o.reportingInstance);
    return [
      last,
      str(o.type),
      str(o.reason),
      target,
      str(involved.fieldPath),
      instance === '' ? component : `${component}, ${instance}`,
      str(o.message).trim(),
      first,
      count,
      name(o),
    ];
  },
};

const namespace: Printer = {
  columns: [NAME, col('Status', 'string', 'The status of the namespace'), AGE],
  cells: (o, ctx) => [name(o), str(rec(o.status).phase), created(o, ctx)],
};

const secret: Printer = {
  columns: [
    NAME,
    col('Type', 'string', 'Used to facilitate programmatic handling of secret data.'),
    col('Data', 'string', 'Data contains the secret data.'),
    AGE,
  ],
  cells: (o, ctx) => [name(o), str(o.type), Object.keys(rec(o.data)).length, created(o, ctx)],
};

const configMap: Printer = {
  columns: [NAME, col('Data', 'string', 'Data contains the configuration data.'), AGE],
  cells: (o, ctx) => [
    name(o),
    Object.keys(rec(o.data)).length + Object.keys(rec(o.binaryData)).length,
    created(o, ctx),
  ],
};

const serviceAccount: Printer = {
  columns: [
    NAME,
    col(
      'Secrets',
      'string',
      'Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use.',
    ),
    AGE,
  ],
  cells: (o, ctx) => [name(o), objectsIn(o.secrets).length, created(o, ctx)],
};

function hpaTargets(o: Obj): string {
  const specs = objectsIn(rec(o.spec).metrics);
  const statuses = objectsIn(rec(o.status).currentMetrics);
  if (specs.length === 0) return '<none>';
  const out: string[] = [];
  specs.forEach((spec, i) => {
    const st = statuses[i];
    const source = (key: string) => rec(spec[key]);
    const current = (key: string) => (st && isPlainObject(st[key]) ? rec(rec(st[key]).current) : undefined);
    switch (spec.type) {
      case 'External':
      case 'Object': {
        const key = spec.type === 'External' ? 'external' : 'object';
        const target = rec(source(key).target);
        const cur = current(key);
        if (target.averageValue !== undefined) {
          const c = cur?.averageValue !== undefined ? quantity(cur.averageValue) : '<unknown>';
          out.push(`${c}/${quantity(target.averageValue)} (avg)`);
        } else {
          const c = cur ? quantity(cur.value) : '<unknown>';
          out.push(`${c}/${quantity(target.value)}`);
        }
        break;
      }
      case 'Pods': {
        const cur = current('pods');
        out.push(
          `${cur ? quantity(cur.averageValue) : '<unknown>'}/${quantity(rec(source('pods').target).averageValue)}`,
        );
        break;
      }
      case 'Resource':
      case 'ContainerResource': {
        const key = spec.type === 'Resource' ? 'resource' : 'containerResource';
        const src = source(key);
        const target = rec(src.target);
        const cur = current(key);
        if (target.averageValue !== undefined) {
          out.push(
            `${str(src.name)}: ${cur ? quantity(cur.averageValue) : '<unknown>'}/${quantity(target.averageValue)}`,
          );
        } else {
          const c =
            cur && typeof cur.averageUtilization === 'number' ? `${cur.averageUtilization}%` : '<unknown>';
          const t =
            typeof target.averageUtilization === 'number' ? `${target.averageUtilization}%` : '<auto>';
          out.push(`${str(src.name)}: ${c}/${t}`);
        }
        break;
      }
      default:
        out.push('<unknown type>');
    }
  });
  if (out.length > 2) return `${out.slice(0, 2).join(', ')} + ${out.length - 2} more...`;
  return out.join(', ');
}

const hpa: Printer = {
  columns: [
    NAME,
    col('Reference', 'string', 'scaleTargetRef points to the target resource to scale.'),
    col(
      'Targets',
      'string',
      'metrics contains the specifications for which to use to calculate the desired replica count.',
    ),
    col(
      'MinPods',
      'string',
      'minReplicas is the lower limit for the number of replicas to which the autoscaler can scale down.',
    ),
    col(
      'MaxPods',
      'string',
      'maxReplicas is the upper limit for the number of replicas to which the autoscaler can scale up.',
    ),
    col(
      'Replicas',
      'string',
      'currentReplicas is current number of replicas of pods managed by this autoscaler.',
    ),
    AGE,
  ],
  cells(o, ctx) {
    const spec = rec(o.spec);
    const ref = rec(spec.scaleTargetRef);
    return [
      name(o),
      `${str(ref.kind)}/${str(ref.name)}`,
      hpaTargets(o),
      typeof spec.minReplicas === 'number' ? String(spec.minReplicas) : '<unset>',
      num(spec.maxReplicas),
      num(rec(o.status).currentReplicas),
      created(o, ctx),
    ];
  },
};

const networkPolicy: Printer = {
  columns: [
    NAME,
    col('Pod-Selector', 'string', 'Selects the pods to which this NetworkPolicy object applies.'),
    AGE,
  ],
  cells: (o, ctx) => [name(o), formatLabelSelector(rec(o.spec).podSelector ?? {}), created(o, ctx)],
};

function bindingPrinter(what: string): Printer {
  return {
    columns: [
      NAME,
      col(
        'Role',
        'string',
        'RoleRef can reference a Role in the current namespace or a ClusterRole in the global namespace.',
      ),
      AGE,
      col('Users', 'string', `Users in the ${what}`, 1),
      col('Groups', 'string', `Groups in the ${what}`, 1),
      col('ServiceAccounts', 'string', `ServiceAccounts in the ${what}`, 1),
    ],
    cells(o, ctx) {
      const ref = rec(o.roleRef);
      const users: string[] = [];
      const groups: string[] = [];
      const sas: string[] = [];
      for (const sub of objectsIn(o.subjects)) {
        if (sub.kind === 'User') users.push(str(sub.name));
        else if (sub.kind === 'Group') groups.push(str(sub.name));
        else if (sub.kind === 'ServiceAccount') sas.push(`${str(sub.namespace)}/${str(sub.name)}`);
      }
      return [
        name(o),
        `${str(ref.kind)}/${str(ref.name)}`,
        created(o, ctx),
        users.join(', '),
        groups.join(', '),
        sas.join(', '),
      ];
    },
  };
}

const lease: Printer = {
  columns: [
    NAME,
    col('Holder', 'string', 'holderIdentity contains the identity of the holder of a current lease.'),
    AGE,
  ],
  cells: (o, ctx) => [name(o), str(rec(o.spec).holderIdentity), created(o, ctx)],
};

const priorityClass: Printer = {
  columns: [
    NAME,
    col('Value', 'integer', 'value represents the integer value of this priority class.'),
    col(
      'Global-Default',
      'boolean',
      'globalDefault specifies whether this PriorityClass should be considered as the default priority for pods that do not have any priority class.',
    ),
    AGE,
    col(
      'PreemptionPolicy',
      'string',
      'preemptionPolicy is the Policy for preempting pods with lower priority.',
    ),
  ],
  cells: (o, ctx) => [
    name(o),
    num(o.value),
    o.globalDefault === true,
    created(o, ctx),
    str(o.preemptionPolicy),
  ],
};

/** The generic table every other kind gets (rest.NewDefaultTableConvertor): NAME, CREATED AT. */
export const defaultPrinter: Printer = {
  columns: [NAME, col('Created At', 'date', AGE_DESCRIPTION)],
  cells(o) {
    const ms = timestampMs(rec(o.metadata).creationTimestamp);
    return [name(o), ms === undefined ? '0001-01-01T00:00:00Z' : formatTime(new Date(ms))];
  },
};

/** Printers by kind. */
export const PRINTERS: Readonly<Record<string, Printer>> = {
  Pod: pod,
  Deployment: deployment,
  ReplicaSet: replicaSet,
  DaemonSet: daemonSet,
  StatefulSet: statefulSet,
  Job: job,
  CronJob: cronJob,
  Service: service,
  Ingress: ingress,
  IngressClass: ingressClass,
  Endpoints: endpoints,
  EndpointSlice: endpointSlice,
  Node: node,
  Event: event,
  Namespace: namespace,
  Secret: secret,
  ConfigMap: configMap,
  ServiceAccount: serviceAccount,
  HorizontalPodAutoscaler: hpa,
  NetworkPolicy: networkPolicy,
  RoleBinding: bindingPrinter('roleBinding'),
  ClusterRoleBinding: bindingPrinter('clusterRoleBinding'),
  Lease: lease,
  PriorityClass: priorityClass,
};
