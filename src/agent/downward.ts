/**
 * The Downward API: values a pod sees about itself, shared by env `fieldRef`/`resourceFieldRef`
 * and downwardAPI volume items. Paths, rounding and error wording follow the kubelet, so a pod
 * behaves (and fails) here as it does on Kubernetes.
 */
import type { Container, ObjectFieldSelector, Pod, ResourceFieldSelector } from 'kubernetes-types/core/v1.js';
import { quantityError, quantityMilliValue, quantityValue } from '../api/quantity.js';
import { isQualifiedName } from '../api/validation/names.js';
import { goQuote } from './go-text.js';

/** What the node can give pods: the value a `limits.*` reference falls back to when unset. */
export interface Allocatable {
  cpu?: string;
  memory?: string;
  'ephemeral-storage'?: string;
}

/** Addresses only the agent knows (the sandbox's IPs, the node's IPs). */
export interface PodAddresses {
  podIP?: string;
  podIPs?: string[];
  hostIP?: string;
  hostIPs?: string[];
}

/** Paths a `fieldRef` may name (the API server's list; `spec.host` is an old alias of spec.nodeName). */
const FIELD_LABELS = new Set([
  'metadata.annotations',
  'metadata.labels',
  'metadata.name',
  'metadata.namespace',
  'metadata.uid',
  'spec.nodeName',
  'spec.restartPolicy',
  'spec.serviceAccountName',
  'spec.schedulerName',
  'status.phase',
  'status.hostIP',
  'status.hostIPs',
  'status.podIP',
  'status.podIPs',
]);

/** `metadata.labels['app']` → [`metadata.labels`, `app`]; undefined without a subscript. */
function splitSubscript(fieldPath: string): [string, string] | undefined {
  if (!fieldPath.endsWith("']")) return undefined;
  const open = fieldPath.indexOf("['");
  if (open <= 0) return undefined;
  return [fieldPath.slice(0, open), fieldPath.slice(open + 2, -2)];
}

/**
 * A metadata field as text: name, namespace, uid, one label or annotation (`metadata.labels['k']`,
 * empty when absent), or all of them as sorted `key="value"` lines (downwardAPI volumes).
 */
export function metadataFieldValue(pod: Pod, fieldPath: string): string {
  const meta = pod.metadata ?? {};
  const sub = splitSubscript(fieldPath);
  if (sub) {
    const [path, key] = sub;
    if (path !== 'metadata.labels' && path !== 'metadata.annotations')
      throw new Error(`fieldPath "${fieldPath}" does not support subscript`);
    // Annotation keys are checked case-insensitively, label keys as written (as the kubelet does).
    const errs = isQualifiedName(path === 'metadata.annotations' ? key.toLowerCase() : key);
    if (errs.length > 0) throw new Error(`invalid key subscript in ${fieldPath}: ${errs.join(';')}`);
    const map = path === 'metadata.labels' ? meta.labels : meta.annotations;
    return map?.[key] ?? '';
  }
  switch (fieldPath) {
    case 'metadata.annotations':
      return formatMap(meta.annotations);
    case 'metadata.labels':
      return formatMap(meta.labels);
    case 'metadata.name':
      return meta.name ?? '';
    case 'metadata.namespace':
      return meta.namespace ?? '';
    case 'metadata.uid':
      return meta.uid ?? '';
  }
  throw new Error(`unsupported fieldPath: ${fieldPath}`);
}

/** An env `fieldRef`'s value: metadata fields plus the node, service account and addresses. */
export function podFieldValue(
  pod: Pod,
  selector: ObjectFieldSelector,
  ctx: PodAddresses & { nodeName: string },
): string {
  const version = selector.apiVersion || 'v1';
  if (version !== 'v1') throw new Error(`unsupported pod version: ${version}`);
  let fieldPath = selector.fieldPath;
  const sub = splitSubscript(fieldPath);
  if (sub) {
    if (sub[0] !== 'metadata.annotations' && sub[0] !== 'metadata.labels')
      throw new Error(`field label does not support subscript: ${fieldPath}`);
  } else if (fieldPath === 'spec.host') {
    fieldPath = 'spec.nodeName';
  } else if (!FIELD_LABELS.has(fieldPath)) {
    throw new Error(`field label not supported: ${fieldPath}`);
  }

  const hostIPs = ctx.hostIPs?.length ? ctx.hostIPs : ctx.hostIP ? [ctx.hostIP] : [];
  let podIPs = ctx.podIPs?.length ? ctx.podIPs : ctx.podIP ? [ctx.podIP] : [];
  // A host-network pod's addresses are the node's.
  if (podIPs.length === 0 && pod.spec?.hostNetwork) podIPs = hostIPs;
  switch (fieldPath) {
    case 'spec.nodeName':
      return pod.spec?.nodeName || ctx.nodeName;
    case 'spec.serviceAccountName':
      return pod.spec?.serviceAccountName ?? '';
    case 'status.hostIP':
    case 'status.hostIPs':
      if (hostIPs.length === 0)
        throw new Error(`cannot resolve ${fieldPath}: the node's address is not known`);
      return fieldPath === 'status.hostIP' ? ctx.hostIP || hostIPs[0]! : hostIPs.join(',');
    case 'status.podIP':
      return podIPs[0] ?? '';
    case 'status.podIPs':
      return podIPs.join(',');
  }
  return metadataFieldValue(pod, fieldPath);
}

/**
 * A `resourceFieldRef`'s value: the container's request or limit divided by `divisor` (default 1)
 * and rounded up, as the kubelet does (`limits.cpu: 250m` → "1"; with divisor `1m` → "250"). An
 * unset limit stands for the node's allocatable amount. `container` is the one the reference sits
 * in; `selector.containerName` names another (required in downwardAPI volumes).
 */
export function resourceFieldValue(
  selector: ResourceFieldSelector,
  pod: Pod,
  container: Container | undefined,
  allocatable: Allocatable,
): string {
  const target = selector.containerName ? findContainer(pod, selector.containerName) : container;
  if (!target) throw new Error(`container ${selector.containerName ?? ''} not found`);

  let divisor: string | number = '1';
  if (selector.divisor !== undefined && selector.divisor !== '') {
    const err = quantityError(selector.divisor);
    if (err)
      throw new Error(`invalid divisor ${JSON.stringify(selector.divisor)} for ${selector.resource}: ${err}`);
    // A zero divisor means "not set", as in the kubelet.
    if (quantityMilliValue(selector.divisor) !== 0) divisor = selector.divisor;
  }

  const m = /^(limits|requests)\.(cpu|memory|ephemeral-storage|hugepages-.+)$/.exec(selector.resource);
  if (!m) throw new Error(`unsupported container resource : ${selector.resource}`);
  const [, kind, name] = m as unknown as [string, 'limits' | 'requests', string];

  let amount: string | number | undefined =
    kind === 'limits' ? target.resources?.limits?.[name] : target.resources?.requests?.[name];
  if (kind === 'limits' && name in allocatable && (amount === undefined || quantityMilliValue(amount) === 0))
    amount = allocatable[name as keyof Allocatable];
  amount ??= '0';
  if (quantityError(amount))
    throw new Error(
      `invalid quantity ${JSON.stringify(amount)} for ${selector.resource} of container ${target.name}`,
    );

  // CPU counts in millicores so that "250m" divided by "1m" is exact; the rest in whole units.
  const [value, per] =
    name === 'cpu'
      ? [quantityMilliValue(amount)!, quantityMilliValue(divisor)!]
      : [quantityValue(amount)!, quantityValue(divisor)!];
  return String(Math.ceil(value / per));
}

function findContainer(pod: Pod, name: string): Container | undefined {
  return (
    pod.spec?.containers?.find((c) => c.name === name) ??
    pod.spec?.initContainers?.find((c) => c.name === name)
  );
}

/** `key="value"` lines sorted by key, values quoted as Go's %q does (the kubelet's file format). */
export function formatMap(map: Record<string, string> | undefined): string {
  return Object.keys(map ?? {})
    .sort()
    .map((k) => `${k}=${goQuote(map![k]!)}\n`)
    .join('');
}
