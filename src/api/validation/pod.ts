/**
 * Pods and pod templates: the pod spec (containers, ports, env, resources, volumes, mounts,
 * probes, policies, tolerations) and the rules for updating a pod, following
 * pkg/apis/core/validation. Pod templates inside workloads reuse validatePodTemplateSpec.
 */
import { type FieldError, field } from '../errors.js';
import { canonicalQuantity, compareQuantities, parseQuantityExact } from '../quantity.js';
import { VOLUME_SOURCES } from '../volumes.js';
import { validateAnnotations, validateLabelName, validateLabels } from './meta.js';
import {
  IP_ERROR,
  inclusiveRangeError,
  isConfigMapKey,
  isDNS1123Label,
  isDNS1123Subdomain,
  isIP,
  isQualifiedName,
  isRelaxedEnvVarName,
  isValidLabelValue,
  isValidPortName,
  isValidPortNum,
} from './names.js';
import {
  arr,
  check,
  child,
  differences,
  index,
  isInt,
  isSet,
  key,
  nonNegative,
  type Obj,
  oneOf,
  rec,
  semanticEqual,
  str,
} from './util.js';

const MAX_INT32 = 2147483647;
export const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'];
const DNS_POLICIES = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'];
const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'];
const TERMINATION_MESSAGE_POLICIES = ['File', 'FallbackToLogsOnError'];
const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];
const HTTP_SCHEMES = ['HTTP', 'HTTPS'];
const MOUNT_PROPAGATIONS = ['Bidirectional', 'HostToContainer', 'None'];
const FILE_MODE_ERROR = 'must be a number between 0 and 0777 (octal), both inclusive';

export interface PodSpecOptions {
  /** Volume names mounts may also refer to (a StatefulSet's volumeClaimTemplates). */
  extraVolumes?: Iterable<string>;
}

export function validateDNS1123Label(value: string, path: string): FieldError[] {
  return check(value, path, isDNS1123Label);
}

export function validateDNS1123Subdomain(value: string, path: string): FieldError[] {
  return check(value, path, isDNS1123Subdomain);
}

/** ValidatePortNumOrName: an int-or-string port (targetPort, probe ports). */
export function validatePortNumOrName(port: unknown, path: string): FieldError[] {
  if (typeof port === 'number') return check(port, path, isValidPortNum);
  if (typeof port === 'string') return check(port, path, isValidPortName);
  return [field.invalid(path, port ?? null, 'must be an integer or a string')];
}

// ---- the pod -------------------------------------------------------------------------------

export function validatePodSpec(specIn: unknown, path: string, opts: PodSpecOptions = {}): FieldError[] {
  if (!isSet(specIn)) return [field.required(path, '')];
  const spec = rec(specIn);
  const errs: FieldError[] = [];
  const volumes = validateVolumes(spec.volumes, child(path, 'volumes'), errs);
  for (const v of opts.extraVolumes ?? []) volumes.add(v);

  const containers = arr(spec.containers);
  const initContainers = arr(spec.initContainers);
  const names = new Set<string>();
  initContainers.forEach((c, i) => {
    const n = str(rec(c).name);
    const p = index(child(path, 'initContainers'), i);
    if (n !== '' && names.has(n)) errs.push(field.duplicate(child(p, 'name'), n));
    names.add(n);
    errs.push(...validateContainer(rec(c), p, volumes, true));
  });
  if (containers.length === 0) errs.push(field.required(child(path, 'containers'), ''));
  containers.forEach((c, i) => {
    const n = str(rec(c).name);
    const p = index(child(path, 'containers'), i);
    if (n !== '' && names.has(n)) errs.push(field.duplicate(child(p, 'name'), n));
    names.add(n);
    errs.push(...validateContainer(rec(c), p, volumes, false));
  });
  errs.push(...validateHostPorts([...initContainers, ...containers], spec, path));

  errs.push(...oneOf(spec.restartPolicy, child(path, 'restartPolicy'), RESTART_POLICIES));
  errs.push(...oneOf(spec.dnsPolicy, child(path, 'dnsPolicy'), DNS_POLICIES));
  if (spec.dnsPolicy === 'None' && !isSet(spec.dnsConfig)) {
    errs.push(field.required(child(path, 'dnsConfig'), 'must provide `dnsConfig` when `dnsPolicy` is None'));
  }
  if (isSet(spec.dnsConfig)) {
    const nameservers = arr(rec(spec.dnsConfig).nameservers);
    if (nameservers.length > 3) {
      errs.push(
        field.invalid(
          child(path, 'dnsConfig', 'nameservers'),
          nameservers,
          'must not have more than 3 nameservers',
        ),
      );
    }
    nameservers.forEach((ns, i) => {
      if (!isIP(str(ns)))
        errs.push(field.invalid(index(child(path, 'dnsConfig', 'nameservers'), i), ns, IP_ERROR));
    });
  }
  errs.push(...validateLabels(spec.nodeSelector, child(path, 'nodeSelector')));
  for (const name of ['serviceAccountName', 'nodeName', 'priorityClassName', 'schedulerName'] as const) {
    const v = str(spec[name]);
    if (v !== '') errs.push(...validateDNS1123Subdomain(v, child(path, name)));
  }
  for (const name of ['hostname', 'subdomain'] as const) {
    const v = str(spec[name]);
    if (v !== '') errs.push(...validateDNS1123Label(v, child(path, name)));
  }
  if (isSet(spec.activeDeadlineSeconds)) {
    const v = spec.activeDeadlineSeconds;
    if (!isInt(v) || v < 1 || v > MAX_INT32) {
      errs.push(field.invalid(child(path, 'activeDeadlineSeconds'), v, inclusiveRangeError(1, MAX_INT32)));
    }
  }
  errs.push(...validateTolerations(spec.tolerations, child(path, 'tolerations')));
  arr(spec.imagePullSecrets).forEach((s, i) => {
    if (str(rec(s).name) === '')
      errs.push(field.required(child(index(child(path, 'imagePullSecrets'), i), 'name'), ''));
  });
  arr(spec.readinessGates).forEach((g, i) => {
    errs.push(
      ...validateLabelName(
        str(rec(g).conditionType),
        child(index(child(path, 'readinessGates'), i), 'conditionType'),
      ),
    );
  });
  return errs;
}

export function validatePod(pod: Obj, old?: Obj): FieldError[] {
  const errs = validatePodSpec(pod.spec, 'spec');
  // Ephemeral containers are added later through their subresource, never on create.
  if (!old && arr(rec(pod.spec).ephemeralContainers).length > 0) {
    errs.push(field.forbidden('spec.ephemeralContainers', 'cannot be set on create'));
  }
  return errs;
}

/** A pod template inside a workload: template labels and annotations, then the pod spec. */
export function validatePodTemplateSpec(
  template: unknown,
  path: string,
  opts: PodSpecOptions = {},
): FieldError[] {
  if (!isSet(template)) return [field.required(path, '')];
  const t = rec(template);
  const meta = rec(t.metadata);
  const errs: FieldError[] = [];
  errs.push(...validateLabels(meta.labels, child(path, 'metadata', 'labels')));
  errs.push(...validateAnnotations(meta.annotations, child(path, 'metadata', 'annotations')));
  errs.push(...validatePodSpec(t.spec, child(path, 'spec'), opts));
  if (arr(rec(t.spec).ephemeralContainers).length > 0) {
    errs.push(
      field.forbidden(
        child(path, 'spec', 'ephemeralContainers'),
        'ephemeral containers not allowed in pod template',
      ),
    );
  }
  return errs;
}

// ---- containers ----------------------------------------------------------------------------

function validateContainer(c: Obj, path: string, volumes: Set<string>, isInit: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const name = str(c.name);
  if (name === '') errs.push(field.required(child(path, 'name'), ''));
  else errs.push(...validateDNS1123Label(name, child(path, 'name')));

  const image = str(c.image);
  if (image === '') errs.push(field.required(child(path, 'image'), ''));
  else if (image !== image.trim()) {
    errs.push(field.invalid(child(path, 'image'), image, 'must not have leading or trailing whitespace'));
  }
  errs.push(...oneOf(c.imagePullPolicy, child(path, 'imagePullPolicy'), PULL_POLICIES));
  errs.push(
    ...oneOf(
      c.terminationMessagePolicy,
      child(path, 'terminationMessagePolicy'),
      TERMINATION_MESSAGE_POLICIES,
    ),
  );

  errs.push(...validateContainerPorts(c.ports, child(path, 'ports')));
  errs.push(...validateEnv(c.env, child(path, 'env')));
  errs.push(...validateEnvFrom(c.envFrom, child(path, 'envFrom')));
  errs.push(...validateResources(c.resources, child(path, 'resources')));
  errs.push(...validateVolumeMounts(c.volumeMounts, child(path, 'volumeMounts'), volumes));

  const sidecar = isInit && c.restartPolicy === 'Always';
  if (isInit) {
    if (isSet(c.restartPolicy) && c.restartPolicy !== 'Always') {
      errs.push(field.notSupported(child(path, 'restartPolicy'), c.restartPolicy, ['Always']));
    }
  } else if (isSet(c.restartPolicy)) {
    errs.push(field.forbidden(child(path, 'restartPolicy'), 'may not be set for non-init containers'));
  }
  const probes = ['livenessProbe', 'readinessProbe', 'startupProbe'] as const;
  if (isInit && !sidecar) {
    for (const p of [...probes, 'lifecycle'] as const) {
      if (isSet(c[p]))
        errs.push(
          field.forbidden(child(path, p), 'may not be set for init containers without restartPolicy=Always'),
        );
    }
  } else {
    for (const p of probes) {
      if (!isSet(c[p])) continue;
      const probe = rec(c[p]);
      errs.push(...validateProbe(probe, child(path, p)));
      if (p !== 'readinessProbe' && isSet(probe.successThreshold) && probe.successThreshold !== 1) {
        errs.push(field.invalid(child(path, p, 'successThreshold'), probe.successThreshold, 'must be 1'));
      }
      if (p === 'readinessProbe' && isSet(probe.terminationGracePeriodSeconds)) {
        errs.push(
          field.invalid(
            child(path, p, 'terminationGracePeriodSeconds'),
            probe.terminationGracePeriodSeconds,
            'must not be set for readinessProbes',
          ),
        );
      }
    }
    if (isSet(c.lifecycle)) {
      const lc = rec(c.lifecycle);
      for (const hook of ['postStart', 'preStop'] as const) {
        if (isSet(lc[hook]))
          errs.push(...validateHandler(rec(lc[hook]), child(path, 'lifecycle', hook), true));
      }
    }
  }
  return errs;
}

function validateContainerPorts(ports: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  arr(ports).forEach((raw, i) => {
    const p = index(path, i);
    const port = rec(raw);
    const name = str(port.name);
    if (name !== '') {
      const msgs = isValidPortName(name);
      if (msgs.length > 0) for (const m of msgs) errs.push(field.invalid(child(p, 'name'), name, m));
      else if (names.has(name)) errs.push(field.duplicate(child(p, 'name'), name));
      else names.add(name);
    }
    if (!isSet(port.containerPort) || port.containerPort === 0) {
      errs.push(field.required(child(p, 'containerPort'), ''));
    } else {
      for (const m of isValidPortNum(port.containerPort as number)) {
        errs.push(field.invalid(child(p, 'containerPort'), port.containerPort, m));
      }
    }
    if (isSet(port.hostPort) && port.hostPort !== 0) {
      for (const m of isValidPortNum(port.hostPort as number))
        errs.push(field.invalid(child(p, 'hostPort'), port.hostPort, m));
    }
    errs.push(...oneOf(port.protocol, child(p, 'protocol'), PROTOCOLS));
    if (isSet(port.hostIP) && !isIP(str(port.hostIP)))
      errs.push(field.invalid(child(p, 'hostIP'), port.hostIP, IP_ERROR));
  });
  return errs;
}

/** Host ports are unique per (hostIP, protocol, port) across the pod; with hostNetwork they equal containerPort. */
function validateHostPorts(containers: unknown[], spec: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  const hostNetwork = spec.hostNetwork === true;
  containers.forEach((c, ci) => {
    const isInit = ci < arr(spec.initContainers).length;
    const cpath = isInit
      ? index(child(path, 'initContainers'), ci)
      : index(child(path, 'containers'), ci - arr(spec.initContainers).length);
    arr(rec(c).ports).forEach((raw, pi) => {
      const port = rec(raw);
      const p = index(child(cpath, 'ports'), pi);
      if (
        hostNetwork &&
        isSet(port.hostPort) &&
        port.hostPort !== 0 &&
        port.hostPort !== port.containerPort
      ) {
        errs.push(
          field.invalid(
            child(p, 'hostPort'),
            port.hostPort,
            'must match `containerPort` when `hostNetwork` is true',
          ),
        );
      }
      if (!isSet(port.hostPort) || port.hostPort === 0) return;
      const k = `${str(port.hostIP)}/${str(port.protocol) || 'TCP'}/${port.hostPort}`;
      if (seen.has(k)) errs.push(field.duplicate(child(p, 'hostPort'), k));
      seen.add(k);
    });
  });
  return errs;
}

const FIELD_REF_PATHS = [
  'metadata.annotations',
  'metadata.labels',
  'metadata.name',
  'metadata.namespace',
  'metadata.uid',
  'spec.nodeName',
  'spec.serviceAccountName',
  'status.hostIP',
  'status.hostIPs',
  'status.podIP',
  'status.podIPs',
];

function validateEnv(env: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  arr(env).forEach((raw, i) => {
    const p = index(path, i);
    const ev = rec(raw);
    const name = str(ev.name);
    if (name === '') errs.push(field.required(child(p, 'name'), ''));
    errs.push(...check(name, child(p, 'name'), isRelaxedEnvVarName));
    if (!isSet(ev.valueFrom)) return;
    const vf = rec(ev.valueFrom);
    const vp = child(p, 'valueFrom');
    const sources = ['fieldRef', 'resourceFieldRef', 'configMapKeyRef', 'secretKeyRef'].filter((s) =>
      isSet(vf[s]),
    );
    if (str(ev.value) !== '' && sources.length > 0) {
      errs.push(field.invalid(vp, '', 'may not be specified when `value` is not empty'));
    }
    if (sources.length === 0) {
      errs.push(
        field.invalid(
          vp,
          '',
          'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`',
        ),
      );
      return;
    }
    if (sources.length > 1) {
      errs.push(field.invalid(vp, '', 'may not have more than one field specified at a time'));
      return;
    }
    if (isSet(vf.fieldRef)) {
      const fr = rec(vf.fieldRef);
      const fp = str(fr.fieldPath);
      const fpPath = child(vp, 'fieldRef', 'fieldPath');
      if (fp === '') errs.push(field.required(fpPath, ''));
      else {
        const base = fp.replace(/\[.*\]$/, '');
        const subscripted = base !== fp;
        if (subscripted && (base === 'metadata.labels' || base === 'metadata.annotations')) {
          // metadata.labels['key'] and metadata.annotations['key'] are fine
        } else if (
          !FIELD_REF_PATHS.includes(fp) ||
          fp === 'metadata.labels' ||
          fp === 'metadata.annotations'
        ) {
          errs.push(field.notSupported(fpPath, fp, FIELD_REF_PATHS));
        }
      }
    }
    if (isSet(vf.resourceFieldRef) && str(rec(vf.resourceFieldRef).resource) === '') {
      errs.push(field.required(child(vp, 'resourceFieldRef', 'resource'), ''));
    }
    for (const ref of ['configMapKeyRef', 'secretKeyRef'] as const) {
      if (!isSet(vf[ref])) continue;
      const r = rec(vf[ref]);
      const rp = child(vp, ref);
      const k = str(r.key);
      if (k === '') errs.push(field.required(child(rp, 'key'), ''));
      else errs.push(...check(k, child(rp, 'key'), isConfigMapKey));
      if (str(r.name) === '') errs.push(field.required(child(rp, 'name'), ''));
    }
  });
  return errs;
}

function validateEnvFrom(envFrom: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  arr(envFrom).forEach((raw, i) => {
    const p = index(path, i);
    const ef = rec(raw);
    const prefix = str(ef.prefix);
    if (prefix !== '') errs.push(...check(prefix, child(p, 'prefix'), isRelaxedEnvVarName));
    const sources = ['configMapRef', 'secretRef'].filter((s) => isSet(ef[s]));
    if (sources.length === 0) {
      errs.push(field.invalid(p, '', 'must specify one of: `configMapRef` or `secretRef`'));
    } else if (sources.length > 1) {
      errs.push(field.invalid(p, '', 'may not have more than one field specified at a time'));
    } else {
      const ref = sources[0]!;
      const name = str(rec(ef[ref]).name);
      if (name === '') errs.push(field.required(child(p, ref, 'name'), ''));
      else errs.push(...validateDNS1123Subdomain(name, child(p, ref, 'name')));
    }
  });
  return errs;
}

// ---- resources -------------------------------------------------------------------------------

const STANDARD_CONTAINER_RESOURCES = new Set(['cpu', 'memory', 'ephemeral-storage']);

function isNativeResource(name: string): boolean {
  return !name.includes('/') || name.includes('kubernetes.io/');
}

function isHugePages(name: string): boolean {
  return name.startsWith('hugepages-');
}

function validateResourceName(name: string, path: string): FieldError[] {
  const errs = check(name, path, isQualifiedName);
  if (errs.length > 0) return errs;
  if (!name.includes('/')) {
    if (!STANDARD_CONTAINER_RESOURCES.has(name) && !isHugePages(name)) {
      errs.push(field.invalid(path, name, 'must be a standard resource for containers'));
    }
  } else if (!isNativeResource(name)) {
    if (name.startsWith('requests.') || isQualifiedName(`requests.${name}`).length > 0) {
      errs.push(field.invalid(path, name, "doesn't follow extended resource name standard"));
    }
  }
  return errs;
}

function validateQuantityValue(name: string, value: unknown, path: string): FieldError[] {
  const q = parseQuantityExact(value);
  if ('error' in q) return [field.invalid(path, value, q.error)];
  if (q.negative)
    return [field.invalid(path, canonicalQuantity(value), 'must be greater than or equal to 0')];
  if (!isNativeResource(name) && q.nanos % 1_000_000_000n !== 0n) {
    return [field.invalid(path, canonicalQuantity(value), 'must be an integer')];
  }
  return [];
}

/** Requests and limits: known names, valid non-negative quantities, requests ≤ limits. */
export function validateResources(resources: unknown, path: string): FieldError[] {
  if (!isSet(resources)) return [];
  const r = rec(resources);
  const errs: FieldError[] = [];
  const limits = rec(r.limits);
  const requests = rec(r.requests);
  const limPath = child(path, 'limits');
  const reqPath = child(path, 'requests');
  for (const [name, value] of Object.entries(limits)) {
    const p = key(limPath, name);
    errs.push(...validateResourceName(name, p));
    errs.push(...validateQuantityValue(name, value, p));
  }
  for (const [name, value] of Object.entries(requests)) {
    const p = key(reqPath, name);
    errs.push(...validateResourceName(name, p));
    const qerrs = validateQuantityValue(name, value, p);
    errs.push(...qerrs);
    if (qerrs.length > 0) continue;
    const overcommit = isNativeResource(name) && !isHugePages(name);
    if (Object.hasOwn(limits, name)) {
      const cmp = compareQuantities(value, limits[name]);
      if (cmp === undefined) continue;
      const limit = canonicalQuantity(limits[name]);
      if (cmp !== 0 && !overcommit) {
        errs.push(
          field.invalid(reqPath, canonicalQuantity(value), `must be equal to ${name} limit of ${limit}`),
        );
      } else if (cmp > 0) {
        errs.push(
          field.invalid(
            reqPath,
            canonicalQuantity(value),
            `must be less than or equal to ${name} limit of ${limit}`,
          ),
        );
      }
    } else if (!overcommit) {
      errs.push(field.required(limPath, 'Limit must be set for non overcommitable resources'));
    }
  }
  return errs;
}

// ---- volumes and mounts --------------------------------------------------------------------

function validateVolumes(volumes: unknown, path: string, errs: FieldError[]): Set<string> {
  const names = new Set<string>();
  arr(volumes).forEach((raw, i) => {
    const p = index(path, i);
    const v = rec(raw);
    const name = str(v.name);
    const namePath = child(p, 'name');
    if (name === '') errs.push(field.required(namePath, ''));
    else {
      const msgs = isDNS1123Label(name);
      if (msgs.length > 0) for (const m of msgs) errs.push(field.invalid(namePath, name, m));
      else if (names.has(name)) errs.push(field.duplicate(namePath, name));
      else names.add(name);
    }
    const sources = VOLUME_SOURCES.filter((s) => isSet(v[s]));
    if (sources.length === 0) errs.push(field.required(p, 'must specify a volume type'));
    for (const extra of sources.slice(1)) {
      errs.push(field.forbidden(child(p, extra), 'may not specify more than 1 volume type'));
    }
    if (sources.length === 1)
      errs.push(...validateVolumeSource(sources[0]!, rec(v[sources[0]!]), child(p, sources[0]!)));
  });
  return names;
}

function validateMode(mode: unknown, path: string): FieldError[] {
  if (!isSet(mode)) return [];
  return isInt(mode) && mode >= 0 && mode <= 0o777 ? [] : [field.invalid(path, mode, FILE_MODE_ERROR)];
}

function validateKeyToPaths(items: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  arr(items).forEach((raw, i) => {
    const p = index(path, i);
    const item = rec(raw);
    if (str(item.key) === '') errs.push(field.required(child(p, 'key'), ''));
    const itemPath = str(item.path);
    if (itemPath === '') errs.push(field.required(child(p, 'path'), ''));
    else errs.push(...validateLocalNonReservedPath(itemPath, child(p, 'path')));
    errs.push(...validateMode(item.mode, child(p, 'mode')));
  });
  return errs;
}

function validateLocalDescendingPath(target: string, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (target.startsWith('/')) errs.push(field.invalid(path, target, 'must be a relative path'));
  if (target.split(/[\\/]/).includes('..')) errs.push(field.invalid(path, target, "must not contain '..'"));
  return errs;
}

function validateLocalNonReservedPath(target: string, path: string): FieldError[] {
  const errs = validateLocalDescendingPath(target, path);
  if (target.startsWith('..')) errs.push(field.invalid(path, target, "must not start with '..'"));
  return errs;
}

function validateVolumeSource(kind: string, src: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  switch (kind) {
    case 'hostPath':
      if (str(src.path) === '') errs.push(field.required(child(path, 'path'), ''));
      errs.push(
        ...oneOf(src.type, child(path, 'type'), [
          '',
          'BlockDevice',
          'CharDevice',
          'Directory',
          'DirectoryOrCreate',
          'File',
          'FileOrCreate',
          'Socket',
        ]),
      );
      break;
    case 'emptyDir':
      errs.push(...oneOf(src.medium, child(path, 'medium'), ['', 'Memory', 'HugePages']));
      if (isSet(src.sizeLimit)) {
        const q = parseQuantityExact(src.sizeLimit);
        if ('error' in q) errs.push(field.invalid(child(path, 'sizeLimit'), src.sizeLimit, q.error));
        else if (q.negative)
          errs.push(
            field.invalid(child(path, 'sizeLimit'), src.sizeLimit, 'must be greater than or equal to 0'),
          );
      }
      break;
    case 'secret':
      if (str(src.secretName) === '') errs.push(field.required(child(path, 'secretName'), ''));
      errs.push(...validateMode(src.defaultMode, child(path, 'defaultMode')));
      errs.push(...validateKeyToPaths(src.items, child(path, 'items')));
      break;
    case 'configMap':
      if (str(src.name) === '') errs.push(field.required(child(path, 'name'), ''));
      errs.push(...validateMode(src.defaultMode, child(path, 'defaultMode')));
      errs.push(...validateKeyToPaths(src.items, child(path, 'items')));
      break;
    case 'persistentVolumeClaim':
      if (str(src.claimName) === '') errs.push(field.required(child(path, 'claimName'), ''));
      break;
    case 'nfs':
      if (str(src.server) === '') errs.push(field.required(child(path, 'server'), ''));
      if (str(src.path) === '') errs.push(field.required(child(path, 'path'), ''));
      else if (!str(src.path).startsWith('/'))
        errs.push(field.invalid(child(path, 'path'), src.path, 'must be an absolute path'));
      break;
    case 'downwardAPI':
      errs.push(...validateMode(src.defaultMode, child(path, 'defaultMode')));
      arr(src.items).forEach((raw, i) => {
        const ip = index(child(path, 'items'), i);
        const item = rec(raw);
        if (str(item.path) === '') errs.push(field.required(child(ip, 'path'), ''));
        else errs.push(...validateLocalNonReservedPath(str(item.path), child(ip, 'path')));
        errs.push(...validateMode(item.mode, child(ip, 'mode')));
      });
      break;
    case 'projected':
      errs.push(...validateMode(src.defaultMode, child(path, 'defaultMode')));
      break;
    case 'csi':
      if (str(src.driver) === '') errs.push(field.required(child(path, 'driver'), ''));
      break;
    case 'image':
      if (str(src.reference) === '') errs.push(field.required(child(path, 'reference'), ''));
      break;
  }
  return errs;
}

function validateVolumeMounts(mounts: unknown, path: string, volumes: Set<string>): FieldError[] {
  const errs: FieldError[] = [];
  const mountPoints = new Set<string>();
  arr(mounts).forEach((raw, i) => {
    const p = index(path, i);
    const m = rec(raw);
    const name = str(m.name);
    if (name === '') errs.push(field.required(child(p, 'name'), ''));
    if (!volumes.has(name)) errs.push(field.notFound(child(p, 'name'), name));
    const mountPath = str(m.mountPath);
    if (mountPath === '') errs.push(field.required(child(p, 'mountPath'), ''));
    if (mountPoints.has(mountPath))
      errs.push(field.invalid(child(p, 'mountPath'), mountPath, 'must be unique'));
    mountPoints.add(mountPath);
    const subPath = str(m.subPath);
    const subPathExpr = str(m.subPathExpr);
    // Kubernetes reports subPath problems at the unindexed list path.
    if (subPath !== '') errs.push(...validateLocalDescendingPath(subPath, child(path, 'subPath')));
    if (subPathExpr !== '') {
      if (subPath !== '') {
        errs.push(
          field.invalid(
            child(p, 'subPathExpr'),
            subPathExpr,
            'subPathExpr and subPath are mutually exclusive',
          ),
        );
      }
      errs.push(...validateLocalDescendingPath(subPathExpr, child(path, 'subPathExpr')));
    }
    errs.push(...oneOf(m.mountPropagation, child(p, 'mountPropagation'), MOUNT_PROPAGATIONS));
  });
  return errs;
}

// ---- probes and handlers -------------------------------------------------------------------

function validateProbe(probe: Obj, path: string): FieldError[] {
  const errs = validateHandler(probe, path, false);
  for (const f of [
    'initialDelaySeconds',
    'timeoutSeconds',
    'periodSeconds',
    'successThreshold',
    'failureThreshold',
  ]) {
    errs.push(...nonNegative(probe[f], child(path, f)));
  }
  const tgps = probe.terminationGracePeriodSeconds;
  if (isSet(tgps) && (typeof tgps !== 'number' || tgps <= 0)) {
    errs.push(field.invalid(child(path, 'terminationGracePeriodSeconds'), tgps, 'must be greater than 0'));
  }
  return errs;
}

/** A probe's or lifecycle hook's handler: exactly one of exec, httpGet, tcpSocket, grpc (probes) or sleep (hooks). */
function validateHandler(h: Obj, path: string, lifecycle: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const kinds = lifecycle
    ? ['exec', 'httpGet', 'tcpSocket', 'sleep']
    : ['exec', 'httpGet', 'tcpSocket', 'grpc'];
  let count = 0;
  for (const k of kinds) {
    if (!isSet(h[k])) continue;
    const p = child(path, k);
    if (count > 0) {
      errs.push(field.forbidden(p, 'may not specify more than 1 handler type'));
      continue;
    }
    count++;
    const a = rec(h[k]);
    switch (k) {
      case 'exec':
        if (arr(a.command).length === 0) errs.push(field.required(child(p, 'command'), ''));
        break;
      case 'httpGet':
        if (isSet(a.path) && str(a.path) === '') errs.push(field.required(child(p, 'path'), ''));
        errs.push(...validatePortNumOrName(a.port, child(p, 'port')));
        errs.push(...oneOf(a.scheme, child(p, 'scheme'), HTTP_SCHEMES));
        arr(a.httpHeaders).forEach((hdr) => {
          const n = str(rec(hdr).name);
          if (!/^[-A-Za-z0-9]+$/.test(n)) {
            errs.push(
              field.invalid(
                child(p, 'httpHeaders'),
                n,
                "a valid HTTP header must consist of alphanumeric characters or '-' (e.g. 'X-Header-Name', regex used for validation is '[-A-Za-z0-9]+')",
              ),
            );
          }
        });
        break;
      case 'tcpSocket':
        errs.push(...validatePortNumOrName(a.port, child(p, 'port')));
        break;
      case 'grpc':
        for (const m of isValidPortNum(a.port as number))
          errs.push(field.invalid(child(p, 'port'), a.port, m));
        break;
      case 'sleep':
        if (!isInt(a.seconds) || a.seconds < 0) {
          errs.push(field.invalid(child(p, 'seconds'), a.seconds ?? null, 'must be non-negative'));
        }
        break;
    }
  }
  if (count === 0) errs.push(field.required(path, 'must specify a handler type'));
  return errs;
}

// ---- tolerations -----------------------------------------------------------------------------

export function validateTaintEffect(effect: unknown, path: string): FieldError[] {
  return oneOf(effect, path, TAINT_EFFECTS, true);
}

function validateTolerations(tolerations: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  arr(tolerations).forEach((raw, i) => {
    const p = index(path, i);
    const t = rec(raw);
    const k = str(t.key);
    const op = str(t.operator);
    if (k !== '') errs.push(...validateLabelName(k, child(p, 'key')));
    if (k === '' && op !== 'Exists') {
      errs.push(
        field.invalid(
          child(p, 'operator'),
          op,
          'operator must be Exists when `key` is empty, which means "match all values and all keys"',
        ),
      );
    }
    if (isSet(t.tolerationSeconds) && t.effect !== 'NoExecute') {
      errs.push(
        field.invalid(
          child(p, 'effect'),
          str(t.effect),
          "effect must be 'NoExecute' when `tolerationSeconds` is set",
        ),
      );
    }
    switch (op) {
      case 'Equal':
      case '': {
        const msgs = isValidLabelValue(str(t.value));
        if (msgs.length > 0) errs.push(field.invalid(child(p, 'operator'), str(t.value), msgs.join(';')));
        break;
      }
      case 'Exists':
        if (str(t.value) !== '')
          errs.push(
            field.invalid(child(p, 'operator'), t, "value must be empty when `operator` is 'Exists'"),
          );
        break;
      default:
        errs.push(field.notSupported(child(p, 'operator'), op, ['Equal', 'Exists']));
    }
    if (str(t.effect) !== '') errs.push(...validateTaintEffect(t.effect, child(p, 'effect')));
  });
  return errs;
}

// ---- updates ---------------------------------------------------------------------------------

const UPDATABLE_POD_SPEC_FIELDS = [
  '`spec.containers[*].image`',
  '`spec.initContainers[*].image`',
  '`spec.activeDeadlineSeconds`',
  '`spec.tolerations` (only additions to existing tolerations)',
  '`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
];

/** Pod spec changes Kubernetes allows on update; everything else is "pod updates may not change ...". */
export function validatePodUpdate(pod: Obj, old: Obj): FieldError[] {
  const spec = rec(pod.spec);
  const oldSpec = rec(old.spec);
  const errs: FieldError[] = [];
  for (const list of ['containers', 'initContainers'] as const) {
    const nc = arr(spec[list]);
    const oc = arr(oldSpec[list]);
    const p = child('spec', list);
    if (nc.length !== oc.length) {
      errs.push(field.forbidden(p, 'pod updates may not add or remove containers'));
      return errs;
    }
  }

  const ads = spec.activeDeadlineSeconds;
  const oldAds = oldSpec.activeDeadlineSeconds;
  if (isSet(ads)) {
    if (!isInt(ads) || ads < 0 || ads > MAX_INT32) {
      errs.push(field.invalid('spec.activeDeadlineSeconds', ads, inclusiveRangeError(0, MAX_INT32)));
      return errs;
    }
    if (isInt(oldAds) && oldAds < ads) {
      errs.push(
        field.invalid('spec.activeDeadlineSeconds', ads, 'must be less than or equal to previous value'),
      );
      return errs;
    }
  } else if (isSet(oldAds)) {
    errs.push(
      field.invalid(
        'spec.activeDeadlineSeconds',
        null,
        'must not update from a positive integer to nil value',
      ),
    );
  }

  const newTolerations = arr(spec.tolerations);
  for (const o of arr(oldSpec.tolerations)) {
    const found = newTolerations.some((n) =>
      semanticEqual({ ...rec(o), tolerationSeconds: rec(n).tolerationSeconds }, n),
    );
    if (!found) {
      errs.push(
        field.forbidden(
          'spec.tolerations',
          'existing toleration can not be modified except its tolerationSeconds',
        ),
      );
      break;
    }
  }

  if (semanticEqual(spec, oldSpec)) return errs;
  const munged: Obj = structuredClone(spec);
  for (const list of ['containers', 'initContainers'] as const) {
    munged[list] = arr(munged[list]).map((c, i) => ({ ...rec(c), image: rec(arr(oldSpec[list])[i]).image }));
  }
  munged.activeDeadlineSeconds = oldSpec.activeDeadlineSeconds;
  munged.tolerations = oldSpec.tolerations;
  munged.schedulingGates = oldSpec.schedulingGates;
  const oldGrace = oldSpec.terminationGracePeriodSeconds;
  if (typeof oldGrace === 'number' && oldGrace < 0 && munged.terminationGracePeriodSeconds === 1) {
    munged.terminationGracePeriodSeconds = oldGrace;
  }
  if (!semanticEqual(munged, oldSpec)) {
    const diff = differences(oldSpec, munged, 'spec');
    errs.push(
      field.forbidden(
        'spec',
        `pod updates may not change fields other than ${UPDATABLE_POD_SPEC_FIELDS.join(',')}\n${diff.join('\n')}`,
      ),
    );
  }
  return errs;
}
