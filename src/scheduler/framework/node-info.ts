/**
 * What the scheduler knows about a pod (`PodInfo`) and a node (`NodeInfo`), computed once when the
 * object enters the scheduler's cache so plugins never re-parse quantities or selectors per node.
 *
 * Resource arithmetic follows Kubernetes: a pod requests max(sum of its containers + sidecars,
 * the largest init container + sidecars started before it) + overhead; requests default to
 * limits; for scoring, a container without a request counts as 100m CPU / 200Mi memory
 * ("non-zero" requests) so empty pods still spread.
 */
import type {
  Container,
  ContainerImage,
  Node,
  Pod,
  PodAffinityTerm,
  Taint,
} from 'kubernetes-types/core/v1.js';
import { fromLabelSelector, type Requirement } from '../../api/labels.js';
import { quantityMilliValue, quantityValue } from '../../api/quantity.js';

export const DEFAULT_MILLI_CPU_REQUEST = 100;
export const DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024;

/** Amounts in base units: CPU in millicores, memory and storage in bytes, extended resources as counts. */
export interface Resources {
  milliCpu: number;
  memory: number;
  ephemeralStorage: number;
  /** Extended and other scalar resources by name (`nvidia.com/gpu`, `hugepages-2Mi`, ...). */
  scalar: Record<string, number>;
}

const emptyResources = (): Resources => ({ milliCpu: 0, memory: 0, ephemeralStorage: 0, scalar: {} });

export interface HostPort {
  protocol: string;
  /** "0.0.0.0" when the pod binds all addresses. */
  hostIP: string;
  port: number;
}

/** A required or preferred (anti-)affinity term, compiled. */
export interface AffinityTerm {
  /** Namespaces the term selects pods in (the pod's own when the term names none and has no namespaceSelector). */
  namespaces: ReadonlySet<string>;
  /** Namespace labels that also select (from `namespaceSelector`; `[]` selects all namespaces). */
  namespaceSelector?: Requirement[];
  selector: Requirement[];
  topologyKey: string;
}

export interface WeightedAffinityTerm extends AffinityTerm {
  weight: number;
}

export class PodInfo {
  readonly uid: string;
  readonly namespace: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  /** `spec.priority` (set by admission from the PriorityClass), 0 when unset. */
  readonly priority: number;
  readonly requests: Resources;
  /** Requests with the scoring defaults for containers that request nothing. */
  readonly nonZeroRequests: { milliCpu: number; memory: number };
  readonly hostPorts: readonly HostPort[];
  readonly requiredAffinityTerms: readonly AffinityTerm[];
  readonly requiredAntiAffinityTerms: readonly AffinityTerm[];
  readonly preferredAffinityTerms: readonly WeightedAffinityTerm[];
  readonly preferredAntiAffinityTerms: readonly WeightedAffinityTerm[];

  constructor(readonly pod: Pod) {
    const meta = pod.metadata ?? {};
    this.uid = meta.uid ?? '';
    this.namespace = meta.namespace ?? 'default';
    this.name = meta.name ?? '';
    this.labels = meta.labels ?? {};
    this.priority = pod.spec?.priority ?? 0;
    const { requests, nonZero } = podRequests(pod);
    this.requests = requests;
    this.nonZeroRequests = nonZero;
    this.hostPorts = hostPorts(pod);
    const affinity = pod.spec?.affinity;
    const ns = this.namespace;
    // Most pods have no terms: they share one empty list rather than holding four each.
    this.requiredAffinityTerms = compileAll(
      affinity?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution,
      (t) => compileTerm(t, ns),
    );
    this.requiredAntiAffinityTerms = compileAll(
      affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution,
      (t) => compileTerm(t, ns),
    );
    this.preferredAffinityTerms = compileAll(
      affinity?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution,
      (w) => ({ ...compileTerm(w.podAffinityTerm, ns), weight: w.weight }),
    );
    this.preferredAntiAffinityTerms = compileAll(
      affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution,
      (w) => ({ ...compileTerm(w.podAffinityTerm, ns), weight: w.weight }),
    );
  }

  get hasAffinityTerms(): boolean {
    return (
      this.requiredAffinityTerms.length > 0 ||
      this.requiredAntiAffinityTerms.length > 0 ||
      this.preferredAffinityTerms.length > 0 ||
      this.preferredAntiAffinityTerms.length > 0
    );
  }
}

/**
 * Shared by every untainted node: TaintToleration's filter reads `taints.length` on every node it
 * visits, and one array stays in the CPU cache where thousands of empty ones would not.
 */
const NO_TAINTS: readonly Taint[] = Object.freeze([]);

export class NodeInfo {
  node!: Node;
  name = '';
  labels: Readonly<Record<string, string>> = {};
  taints: readonly Taint[] = NO_TAINTS;
  unschedulable = false;
  /** `status.allocatable` (falling back to capacity); `pods` is the pod count limit. */
  allocatable: Resources & { pods: number } = { ...emptyResources(), pods: 0 };
  /** Images on the node (from `status.images`), every name → size in bytes. */
  imageSizes: ReadonlyMap<string, number> = new Map();

  readonly pods: PodInfo[] = [];
  readonly podsWithAffinity: PodInfo[] = [];
  readonly podsWithRequiredAntiAffinity: PodInfo[] = [];
  readonly requested: Resources = emptyResources();
  readonly nonZeroRequested = { milliCpu: 0, memory: 0 };
  readonly usedPorts: HostPort[] = [];
  /**
   * The numbers NodeResourcesFit and BalancedAllocation read for hundreds of nodes per pod, copied
   * from `allocatable`, `requested` and `nonZeroRequested` (free = allocatable − requested)
   * whenever those change: fields of the NodeInfo itself are read without loading three more
   * objects per node, which dominated the cycle's time at 5,000 nodes.
   */
  freePods = 0;
  freeMilliCpu = 0;
  freeMemory = 0;
  freeEphemeralStorage = 0;
  allocatableMilliCpu = 0;
  allocatableMemory = 0;
  requestedMilliCpu = 0;
  requestedMemory = 0;
  nonZeroMilliCpu = 0;
  nonZeroMemory = 0;

  constructor(node?: Node) {
    if (node) this.setNode(node);
  }

  setNode(node: Node): void {
    // Heartbeats rewrite a Node every few seconds with the same images: keep the map (and what
    // ImageLocality and the cache derive from it, keyed by its identity) unless they changed.
    if (!sameImages(this.node?.status?.images, node.status?.images)) this.imageSizes = imageSizesOf(node);
    this.node = node;
    this.name = node.metadata?.name ?? '';
    this.labels = node.metadata?.labels ?? {};
    this.taints = node.spec?.taints ?? NO_TAINTS;
    this.unschedulable = node.spec?.unschedulable === true;
    const alloc = node.status?.allocatable ?? node.status?.capacity ?? {};
    this.allocatable = { ...resourcesOf(alloc), pods: quantityValue(alloc.pods) ?? 0 };
    this.updateHotNumbers();
  }

  addPod(pi: PodInfo): void {
    this.pods.push(pi);
    if (pi.hasAffinityTerms) this.podsWithAffinity.push(pi);
    if (pi.requiredAntiAffinityTerms.length > 0) this.podsWithRequiredAntiAffinity.push(pi);
    addResources(this.requested, pi.requests, 1);
    this.nonZeroRequested.milliCpu += pi.nonZeroRequests.milliCpu;
    this.nonZeroRequested.memory += pi.nonZeroRequests.memory;
    for (const p of pi.hostPorts) this.usedPorts.push(p);
    this.updateHotNumbers();
  }

  /** Removes the pod with this UID; false when it is not on this node. */
  removePod(uid: string): boolean {
    const i = this.pods.findIndex((p) => p.uid === uid);
    if (i < 0) return false;
    const pi = this.pods[i]!;
    this.pods.splice(i, 1);
    removeFrom(this.podsWithAffinity, pi);
    removeFrom(this.podsWithRequiredAntiAffinity, pi);
    addResources(this.requested, pi.requests, -1);
    this.nonZeroRequested.milliCpu -= pi.nonZeroRequests.milliCpu;
    this.nonZeroRequested.memory -= pi.nonZeroRequests.memory;
    for (const p of pi.hostPorts) {
      const j = this.usedPorts.indexOf(p);
      if (j >= 0) this.usedPorts.splice(j, 1);
    }
    this.updateHotNumbers();
    return true;
  }

  private updateHotNumbers(): void {
    const a = this.allocatable;
    const r = this.requested;
    this.freePods = a.pods - this.pods.length;
    this.freeMilliCpu = a.milliCpu - r.milliCpu;
    this.freeMemory = a.memory - r.memory;
    this.freeEphemeralStorage = a.ephemeralStorage - r.ephemeralStorage;
    this.allocatableMilliCpu = a.milliCpu;
    this.allocatableMemory = a.memory;
    this.requestedMilliCpu = r.milliCpu;
    this.requestedMemory = r.memory;
    this.nonZeroMilliCpu = this.nonZeroRequested.milliCpu;
    this.nonZeroMemory = this.nonZeroRequested.memory;
  }

  /** A copy whose pod list and sums can be changed without touching this one (preemption what-ifs). */
  clone(): NodeInfo {
    const c = new NodeInfo(this.node);
    for (const p of this.pods) c.addPod(p);
    return c;
  }
}

/** Two host ports collide when protocol and port match and either binds all addresses or both bind the same one. */
export function portsConflict(a: HostPort, b: HostPort): boolean {
  return (
    a.port === b.port &&
    a.protocol === b.protocol &&
    (a.hostIP === b.hostIP || a.hostIP === '0.0.0.0' || b.hostIP === '0.0.0.0')
  );
}

/** Every name of every image on the node → size in bytes. */
function imageSizesOf(node: Node): Map<string, number> {
  const images = new Map<string, number>();
  for (const image of node.status?.images ?? [])
    for (const name of image.names ?? []) images.set(name, image.sizeBytes ?? 0);
  return images;
}

function sameImages(a: readonly ContainerImage[] = [], b: readonly ContainerImage[] = []): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x.sizeBytes !== y.sizeBytes) return false;
    const xs = x.names ?? [];
    const ys = y.names ?? [];
    if (xs.length !== ys.length) return false;
    for (let j = 0; j < xs.length; j++) if (xs[j] !== ys[j]) return false;
  }
  return true;
}

function removeFrom(list: PodInfo[], pi: PodInfo): void {
  const i = list.indexOf(pi);
  if (i >= 0) list.splice(i, 1);
}

function addResources(into: Resources, r: Resources, sign: 1 | -1): void {
  into.milliCpu += sign * r.milliCpu;
  into.memory += sign * r.memory;
  into.ephemeralStorage += sign * r.ephemeralStorage;
  for (const [k, v] of Object.entries(r.scalar)) into.scalar[k] = (into.scalar[k] ?? 0) + sign * v;
}

function resourcesOf(list: Record<string, unknown>): Resources {
  const r = emptyResources();
  for (const [name, q] of Object.entries(list)) {
    if (name === 'cpu') r.milliCpu = quantityMilliValue(q) ?? 0;
    else if (name === 'memory') r.memory = quantityValue(q) ?? 0;
    else if (name === 'ephemeral-storage') r.ephemeralStorage = quantityValue(q) ?? 0;
    else if (name !== 'pods') r.scalar[name] = quantityValue(q) ?? 0;
  }
  return r;
}

/** A container's requests, defaulting each resource to its limit as the API's defaulting does. */
function containerRequests(c: Container): Resources {
  return resourcesOf({ ...(c.resources?.limits ?? {}), ...(c.resources?.requests ?? {}) });
}

function maxInto(into: Resources, r: Resources): void {
  into.milliCpu = Math.max(into.milliCpu, r.milliCpu);
  into.memory = Math.max(into.memory, r.memory);
  into.ephemeralStorage = Math.max(into.ephemeralStorage, r.ephemeralStorage);
  for (const [k, v] of Object.entries(r.scalar)) into.scalar[k] = Math.max(into.scalar[k] ?? 0, v);
}

function podRequests(pod: Pod): {
  requests: Resources;
  nonZero: { milliCpu: number; memory: number };
} {
  const spec = pod.spec;
  const sum = emptyResources();
  const nonZero = { milliCpu: 0, memory: 0 };
  const addNonZero = (r: Resources, into: { milliCpu: number; memory: number }) => {
    into.milliCpu += r.milliCpu || DEFAULT_MILLI_CPU_REQUEST;
    into.memory += r.memory || DEFAULT_MEMORY_REQUEST;
  };
  for (const c of spec?.containers ?? []) {
    const r = containerRequests(c);
    addResources(sum, r, 1);
    addNonZero(r, nonZero);
  }
  // Init containers run one at a time, beside the sidecars (restartPolicy Always) started before them.
  const sidecars = emptyResources();
  const initPeak = emptyResources();
  const nonZeroSidecars = { milliCpu: 0, memory: 0 };
  const nonZeroInitPeak = { milliCpu: 0, memory: 0 };
  for (const c of spec?.initContainers ?? []) {
    const r = containerRequests(c);
    if (c.restartPolicy === 'Always') {
      addResources(sidecars, r, 1);
      addResources(sum, r, 1);
      addNonZero(r, nonZeroSidecars);
      addNonZero(r, nonZero);
      continue;
    }
    const during = emptyResources();
    addResources(during, sidecars, 1);
    addResources(during, r, 1);
    maxInto(initPeak, during);
    const nz = { ...nonZeroSidecars };
    addNonZero(r, nz);
    nonZeroInitPeak.milliCpu = Math.max(nonZeroInitPeak.milliCpu, nz.milliCpu);
    nonZeroInitPeak.memory = Math.max(nonZeroInitPeak.memory, nz.memory);
  }
  maxInto(sum, initPeak);
  nonZero.milliCpu = Math.max(nonZero.milliCpu, nonZeroInitPeak.milliCpu);
  nonZero.memory = Math.max(nonZero.memory, nonZeroInitPeak.memory);
  if (spec?.overhead) {
    const o = resourcesOf(spec.overhead);
    addResources(sum, o, 1);
    nonZero.milliCpu += o.milliCpu;
    nonZero.memory += o.memory;
  }
  return { requests: sum, nonZero };
}

const NONE: readonly never[] = Object.freeze([]);

function compileAll<In, Out>(list: readonly In[] | undefined, compile: (item: In) => Out): readonly Out[] {
  return list && list.length > 0 ? list.map(compile) : NONE;
}

function hostPorts(pod: Pod): readonly HostPort[] {
  let out: HostPort[] | undefined;
  const containers = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
  for (const c of containers)
    for (const p of c.ports ?? []) {
      if (!p.hostPort || p.hostPort <= 0) continue;
      out ??= [];
      out.push({ protocol: p.protocol ?? 'TCP', hostIP: p.hostIP || '0.0.0.0', port: p.hostPort });
    }
  return out ?? NONE;
}

function compileTerm(term: PodAffinityTerm, podNamespace: string): AffinityTerm {
  const namespaces = new Set(term.namespaces ?? []);
  const namespaceSelector = term.namespaceSelector ? fromLabelSelector(term.namespaceSelector) : undefined;
  if (namespaces.size === 0 && !namespaceSelector) namespaces.add(podNamespace);
  return {
    namespaces,
    ...(namespaceSelector ? { namespaceSelector } : {}),
    // A nil labelSelector selects no pods (Kubernetes' rule for affinity terms).
    selector: fromLabelSelector(term.labelSelector) ?? [{ key: '', operator: 'In', values: [] }],
    topologyKey: term.topologyKey,
  };
}
