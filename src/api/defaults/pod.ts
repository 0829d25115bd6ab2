/**
 * Defaults for pods and everything that embeds a pod spec, as pkg/apis/core/v1/defaults.go sets
 * them (SetDefaults_PodSpec, _Container, _Probe, _Volume, ...), plus what the Pod create path and
 * its default admission plugins add (service account, priority, status).
 */

import { splitImageRef } from '../image-ref.js';
import { parseQuantityExact } from '../quantity.js';
import { VOLUME_SOURCES } from '../volumes.js';
import {
  canonicalizeQuantities,
  canonicalizeQuantity,
  items,
  maybe,
  type Obj,
  obj,
  setDefault,
  unset,
} from './util.js';

const DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS = 30;
export const DEFAULT_SCHEDULER_NAME = 'default-scheduler';
const TERMINATION_MESSAGE_PATH = '/dev/termination-log';
/** 0644, the mode Kubernetes gives projected files by default. */
const DEFAULT_FILE_MODE = 0o644;

/** IfNotPresent, or Always for ":latest" and untagged images (SetDefaults_Container). */
export function defaultPullPolicy(image: string): 'Always' | 'IfNotPresent' {
  const { path, tag, digest } = splitImageRef(image);
  // A reference docker cannot parse (upper case in the repository) has no tag: IfNotPresent.
  if (image === '' || /[A-Z]/.test(path)) return 'IfNotPresent';
  // No tag and no digest means ":latest".
  const latest = tag === 'latest' || (!tag && digest === undefined);
  return latest ? 'Always' : 'IfNotPresent';
}

function defaultHTTPGet(h: Obj | undefined): void {
  if (!h) return;
  setDefault(h, 'path', '/');
  setDefault(h, 'scheme', 'HTTP');
}

function defaultProbe(p: Obj | undefined): void {
  if (!p) return;
  for (const [k, v] of [
    ['timeoutSeconds', 1],
    ['periodSeconds', 10],
    ['successThreshold', 1],
    ['failureThreshold', 3],
  ] as const) {
    if (unset(p[k]) || p[k] === 0) p[k] = v;
  }
  defaultHTTPGet(maybe(p, 'httpGet'));
  const grpc = maybe(p, 'grpc');
  if (grpc && grpc.service === undefined) grpc.service = '';
}

function defaultFieldRef(ref: Obj | undefined): void {
  if (ref) setDefault(ref, 'apiVersion', 'v1');
}

function defaultContainer(c: Obj): void {
  if (unset(c.imagePullPolicy))
    c.imagePullPolicy = defaultPullPolicy(typeof c.image === 'string' ? c.image : '');
  setDefault(c, 'terminationMessagePath', TERMINATION_MESSAGE_PATH);
  setDefault(c, 'terminationMessagePolicy', 'File');
  for (const port of items(c, 'ports')) setDefault(port, 'protocol', 'TCP');
  for (const env of items(c, 'env')) defaultFieldRef(maybe(maybe(env, 'valueFrom') ?? {}, 'fieldRef'));
  const resources = obj(c, 'resources');
  canonicalizeQuantities(resources.limits);
  canonicalizeQuantities(resources.requests);
  for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) defaultProbe(maybe(c, probe));
  const lifecycle = maybe(c, 'lifecycle');
  if (lifecycle) {
    for (const hook of ['postStart', 'preStop'])
      defaultHTTPGet(maybe(maybe(lifecycle, hook) ?? {}, 'httpGet'));
  }
}

function defaultVolume(v: Obj): void {
  if (!VOLUME_SOURCES.some((s) => v[s] !== undefined && v[s] !== null)) v.emptyDir = {};
  for (const s of ['secret', 'configMap', 'downwardAPI', 'projected']) {
    const src = maybe(v, s);
    if (src) setDefault(src, 'defaultMode', DEFAULT_FILE_MODE);
  }
  const hostPath = maybe(v, 'hostPath');
  if (hostPath && hostPath.type === undefined) hostPath.type = '';
  const emptyDir = maybe(v, 'emptyDir');
  if (emptyDir) canonicalizeQuantity(emptyDir, 'sizeLimit');
  for (const item of items(maybe(v, 'downwardAPI') ?? {}, 'items')) defaultFieldRef(maybe(item, 'fieldRef'));
  for (const source of items(maybe(v, 'projected') ?? {}, 'sources')) {
    const token = maybe(source, 'serviceAccountToken');
    if (token) setDefault(token, 'expirationSeconds', 3600);
    for (const item of items(maybe(source, 'downwardAPI') ?? {}, 'items'))
      defaultFieldRef(maybe(item, 'fieldRef'));
  }
}

/** SetDefaults_PodSpec and the defaults of everything a pod spec contains (pods and templates). */
function defaultPodSpec(spec: Obj): void {
  setDefault(spec, 'dnsPolicy', 'ClusterFirst');
  setDefault(spec, 'restartPolicy', 'Always');
  if (spec.securityContext === undefined || spec.securityContext === null) spec.securityContext = {};
  setDefault(spec, 'terminationGracePeriodSeconds', DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS);
  setDefault(spec, 'schedulerName', DEFAULT_SCHEDULER_NAME);
  for (const c of [
    ...items(spec, 'initContainers'),
    ...items(spec, 'containers'),
    ...items(spec, 'ephemeralContainers'),
  ]) {
    defaultContainer(c);
  }
  for (const v of items(spec, 'volumes')) defaultVolume(v);
  canonicalizeQuantities(spec.overhead);
}

/** A pod template (workloads): template spec defaults only, none of the Pod-only ones. */
export function defaultPodTemplate(template: unknown): void {
  if (typeof template !== 'object' || template === null || Array.isArray(template)) return;
  defaultPodSpec(obj(template as Obj, 'spec'));
}

/** Known priority classes whose value needs no lookup. */
const SYSTEM_PRIORITIES: Record<string, number> = {
  'system-node-critical': 2_000_001_000,
  'system-cluster-critical': 2_000_000_000,
};

/** Kubernetes' QoS class: Guaranteed, Burstable or BestEffort (from cpu and memory only). */
export function podQOSClass(spec: Obj): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  const requests = new Map<string, bigint>();
  const limits = new Map<string, bigint>();
  let guaranteed = true;
  const positive = (v: unknown): bigint | undefined => {
    const q = parseQuantityExact(v);
    return 'error' in q || q.negative || q.nanos === 0n ? undefined : q.nanos;
  };
  for (const c of [...items(spec, 'containers'), ...items(spec, 'initContainers')]) {
    const res = maybe(c, 'resources') ?? {};
    for (const [name, q] of Object.entries(maybe(res, 'requests') ?? {})) {
      if (name !== 'cpu' && name !== 'memory') continue;
      const v = positive(q);
      if (v !== undefined) requests.set(name, (requests.get(name) ?? 0n) + v);
    }
    const found = new Set<string>();
    for (const [name, q] of Object.entries(maybe(res, 'limits') ?? {})) {
      if (name !== 'cpu' && name !== 'memory') continue;
      const v = positive(q);
      if (v !== undefined) {
        found.add(name);
        limits.set(name, (limits.get(name) ?? 0n) + v);
      }
    }
    if (!found.has('cpu') || !found.has('memory')) guaranteed = false;
  }
  if (requests.size === 0 && limits.size === 0) return 'BestEffort';
  if (guaranteed) {
    for (const [name, req] of requests) {
      if (limits.get(name) !== req) {
        guaranteed = false;
        break;
      }
    }
  }
  return guaranteed && requests.size === limits.size ? 'Guaranteed' : 'Burstable';
}

/**
 * Pod-only defaults (SetDefaults_Pod): requests copied from limits where missing, service links
 * on, host-network ports. With `create`, also what the create path adds: the default service
 * account, the priority of priority-class-less pods (Priority admission), and status Pending with
 * its QoS class. The default not-ready/unreachable tolerations are an admission plugin's, with
 * configurable seconds (apiserver/admission/default-tolerations.ts).
 */
export function defaultPod(pod: Obj, create: boolean): void {
  const spec = obj(pod, 'spec');
  defaultPodSpec(spec);
  for (const c of [...items(spec, 'containers'), ...items(spec, 'initContainers')]) {
    const resources = obj(c, 'resources');
    const limits = maybe(resources, 'limits');
    if (limits) {
      const requests = obj(resources, 'requests');
      for (const [k, v] of Object.entries(limits)) if (requests[k] === undefined) requests[k] = v;
    }
  }
  if (spec.enableServiceLinks === undefined || spec.enableServiceLinks === null)
    spec.enableServiceLinks = true;
  if (spec.hostNetwork === true) {
    for (const c of [...items(spec, 'containers'), ...items(spec, 'initContainers')]) {
      for (const port of items(c, 'ports'))
        if (unset(port.hostPort) || port.hostPort === 0) port.hostPort = port.containerPort;
    }
  }
  // The deprecated serviceAccount field mirrors serviceAccountName (conversion).
  if (unset(spec.serviceAccountName) && !unset(spec.serviceAccount))
    spec.serviceAccountName = spec.serviceAccount;
  if (!create) {
    if (!unset(spec.serviceAccountName)) spec.serviceAccount = spec.serviceAccountName;
    return;
  }
  setDefault(spec, 'serviceAccountName', 'default');
  spec.serviceAccount = spec.serviceAccountName;

  if (unset(spec.priority)) {
    const cls = typeof spec.priorityClassName === 'string' ? spec.priorityClassName : '';
    const value = cls === '' ? 0 : SYSTEM_PRIORITIES[cls];
    if (value !== undefined) {
      spec.priority = value;
      setDefault(spec, 'preemptionPolicy', 'PreemptLowerPriority');
    }
  }
  pod.status = { phase: 'Pending', qosClass: podQOSClass(spec) };
}
