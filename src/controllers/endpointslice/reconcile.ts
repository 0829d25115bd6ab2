/**
 * The EndpointSlices a Service should have, as changes to the ones it has (Kubernetes'
 * EndpointSlice reconciler), with as little churn as possible:
 *
 *   1. Endpoints are grouped by their resolved port set: one set of ports per slice, so pods whose
 *      named targetPort resolves differently end up in different slices.
 *   2. Each existing slice keeps the endpoints still wanted with its port set, updated in place;
 *      a slice that changed (lost or changed an endpoint, or its labels) is rewritten.
 *   3. New endpoints fill the slices being rewritten anyway, then slices emptied in step 2 (one
 *      update instead of a delete and a create), then new slices of at most `maxPerSlice`; the
 *      last, partial, batch goes into an untouched slice with room when there is one.
 *   4. Slices left empty are deleted, except that a Service with no endpoints at all keeps one
 *      empty "placeholder" slice, as Kubernetes does; and a slice to delete while another is to
 *      be created is rewritten into it instead (Kubernetes' finalize step).
 *
 * Slices with another address type than IPv4 (this controller makes no others) are deleted.
 */

import type { Service } from 'kubernetes-types/core/v1.js';
import type {
  EndpointPort,
  EndpointSlice,
  Endpoint as SliceEndpoint,
} from 'kubernetes-types/discovery/v1.js';
import type { KubeObject } from '../../api/object.js';
import { semanticEqual } from '../../api/validation/util.js';
import { newControllerRef } from '../framework/owner.js';
import { type PodEndpoint, portSetKey, type ResolvedPort } from './pod-endpoints.js';

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
export const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';
export const MANAGED_BY = 'endpointslice-controller.k8s.io';
const HEADLESS_LABEL = 'service.kubernetes.io/headless';
export const MAX_ENDPOINTS_PER_SLICE = 100;

export interface SlicePlan {
  create: EndpointSlice[];
  update: EndpointSlice[];
  delete: EndpointSlice[];
}

/** The labels every slice of `svc` carries: the Service's own, and the controller's. */
export function sliceLabels(svc: Service): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(svc.metadata?.labels ?? {})) {
    if (k !== SERVICE_NAME_LABEL && k !== MANAGED_BY_LABEL && k !== HEADLESS_LABEL) labels[k] = v;
  }
  if (svc.spec?.clusterIP === 'None') labels[HEADLESS_LABEL] = '';
  labels[SERVICE_NAME_LABEL] = svc.metadata?.name ?? '';
  labels[MANAGED_BY_LABEL] = MANAGED_BY;
  return labels;
}

export function toSliceEndpoint(ep: PodEndpoint): SliceEndpoint {
  return {
    addresses: [ep.ip],
    conditions: { ready: ep.ready, serving: ep.serving, terminating: ep.terminating },
    ...(ep.hostname ? { hostname: ep.hostname } : {}),
    targetRef: ep.targetRef,
    ...(ep.nodeName ? { nodeName: ep.nodeName } : {}),
    ...(ep.zone ? { zone: ep.zone } : {}),
  };
}

function toSlicePorts(ports: readonly ResolvedPort[]): EndpointPort[] {
  return ports.map((p) => ({
    name: p.name,
    port: p.port,
    protocol: p.protocol,
    ...(p.appProtocol ? { appProtocol: p.appProtocol } : {}),
  }));
}

function slicePortKey(slice: EndpointSlice): string {
  return portSetKey(
    (slice.ports ?? []).map((p) => ({
      name: p.name ?? '',
      port: p.port ?? 0,
      protocol: p.protocol ?? 'TCP',
      ...(p.appProtocol ? { appProtocol: p.appProtocol } : {}),
    })),
  );
}

/** The identity of an endpoint across changes: its pod's uid (or its address, for a foreign one). */
function endpointId(ep: SliceEndpoint): string {
  return ep.targetRef?.uid || `ip:${ep.addresses?.[0] ?? ''}`;
}

interface Group {
  ports: EndpointPort[];
  /** Desired endpoints by id, in order; ones placed are removed. */
  unplaced: Map<string, SliceEndpoint>;
}

interface Working {
  slice: EndpointSlice;
  endpoints: SliceEndpoint[];
}

export function planSlices(
  svc: Service & KubeObject,
  endpoints: readonly PodEndpoint[],
  existing: readonly EndpointSlice[],
  maxPerSlice = MAX_ENDPOINTS_PER_SLICE,
): SlicePlan {
  const labels = sliceLabels(svc);
  const owner = [newControllerRef(svc)];
  const metaOk = (s: EndpointSlice) =>
    semanticEqual(s.metadata?.labels, labels) && semanticEqual(s.metadata?.ownerReferences, owner);
  const rewrite = (s: EndpointSlice, eps: SliceEndpoint[], ports = s.ports ?? []): EndpointSlice => ({
    ...s,
    metadata: { ...s.metadata, labels, ownerReferences: owner },
    ports,
    endpoints: eps,
  });
  const fresh = (ports: EndpointPort[], eps: SliceEndpoint[]): EndpointSlice => ({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      generateName: `${svc.metadata.name}-`,
      namespace: svc.metadata.namespace!,
      labels,
      ownerReferences: owner,
    },
    addressType: 'IPv4',
    ports,
    endpoints: eps,
  });

  const groups = new Map<string, Group>();
  for (const ep of endpoints) {
    const key = portSetKey(ep.ports);
    let g = groups.get(key);
    if (!g) {
      g = { ports: toSlicePorts(ep.ports), unplaced: new Map() };
      groups.set(key, g);
    }
    g.unplaced.set(ep.targetRef.uid ?? '', toSliceEndpoint(ep));
  }

  const plan: SlicePlan = { create: [], update: [], delete: [] };
  const changed = new Map<string, Working[]>();
  const untouched = new Map<string, Working[]>();
  const emptied = new Map<string, EndpointSlice[]>();
  const push = <T>(m: Map<string, T[]>, k: string, v: T) => {
    const list = m.get(k);
    if (list) list.push(v);
    else m.set(k, [v]);
  };
  const byName = [...existing].sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
  for (const slice of byName) {
    if (slice.addressType !== 'IPv4') {
      plan.delete.push(slice);
      continue;
    }
    const key = slicePortKey(slice);
    const group = groups.get(key);
    const kept: SliceEndpoint[] = [];
    let dirty = !metaOk(slice);
    for (const ep of slice.endpoints ?? []) {
      const want = group?.unplaced.get(endpointId(ep));
      if (!want) {
        dirty = true;
        continue;
      }
      group!.unplaced.delete(endpointId(ep));
      kept.push(want);
      if (!semanticEqual(ep, want)) dirty = true;
    }
    if (kept.length === 0) push(emptied, key, slice);
    else push(dirty ? changed : untouched, key, { slice, endpoints: kept });
  }

  for (const [key, group] of groups) {
    const rest = [...group.unplaced.values()];
    // New endpoints go first where a write happens anyway.
    for (const w of changed.get(key) ?? []) {
      while (rest.length > 0 && w.endpoints.length < maxPerSlice) w.endpoints.push(rest.shift()!);
    }
    const spare = emptied.get(key) ?? [];
    while (rest.length > 0 && spare.length > 0) {
      push(changed, key, { slice: spare.shift()!, endpoints: rest.splice(0, maxPerSlice) });
    }
    while (rest.length >= maxPerSlice) plan.create.push(fresh(group.ports, rest.splice(0, maxPerSlice)));
    if (rest.length > 0) {
      const idle = untouched.get(key) ?? [];
      const roomy = idle.findIndex((w) => w.endpoints.length + rest.length <= maxPerSlice);
      if (roomy >= 0) {
        const [w] = idle.splice(roomy, 1);
        w!.endpoints.push(...rest.splice(0));
        push(changed, key, w!);
      } else {
        plan.create.push(fresh(group.ports, rest.splice(0)));
      }
    }
  }
  for (const list of changed.values()) for (const w of list) plan.update.push(rewrite(w.slice, w.endpoints));

  const leftovers = [...emptied.values()].flat();
  if (endpoints.length === 0) {
    // The placeholder: one empty slice says "this Service has no endpoints" (not "not processed yet").
    const keep = leftovers.shift();
    if (keep) {
      if (!metaOk(keep) || (keep.ports ?? []).length > 0 || (keep.endpoints ?? []).length > 0)
        plan.update.push(rewrite(keep, [], []));
    } else {
      plan.create.push(fresh([], []));
    }
  }
  // A slice about to be deleted while another is created (its port set changed, or the
  // placeholder gives way to real endpoints): rewrite it instead, one write instead of two.
  while (plan.create.length > 0 && leftovers.length > 0) {
    const made = plan.create.shift()!;
    plan.update.push(rewrite(leftovers.shift()!, made.endpoints, made.ports));
  }
  plan.delete.push(...leftovers);
  return plan;
}
