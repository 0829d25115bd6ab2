/**
 * Cluster-level and bookkeeping kinds: Namespace, Node, Event, Lease and PriorityClass.
 */
import { type FieldError, field } from '../errors.js';
import { parseQuantityExact } from '../quantity.js';
import { validateFinalizerName, validateLabelName } from './meta.js';
import { CIDR_ERROR, isCIDR, isDNS1123Subdomain, isQualifiedName, isValidLabelValue } from './names.js';
import { validateTaintEffect } from './pod.js';
import { arr, check, child, immutable, index, isInt, isSet, key, type Obj, oneOf, rec, str } from './util.js';

export function validateNamespace(obj: Obj): FieldError[] {
  const errs: FieldError[] = [];
  for (const f of arr(rec(obj.spec).finalizers))
    errs.push(...validateFinalizerName(str(f), 'spec.finalizers'));
  return errs;
}

// ---- Node ----------------------------------------------------------------------------------

export function validateNode(obj: Obj): FieldError[] {
  const spec = rec(obj.spec);
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  arr(spec.taints).forEach((raw, i) => {
    const p = index('spec.taints', i);
    const t = rec(raw);
    errs.push(...validateLabelName(str(t.key), child(p, 'key')));
    const msgs = isValidLabelValue(str(t.value));
    if (msgs.length > 0) errs.push(field.invalid(child(p, 'value'), str(t.value), msgs.join(';')));
    errs.push(...validateTaintEffect(t.effect, child(p, 'effect')));
    const k = `${str(t.effect)}\u0000${str(t.key)}`;
    if (seen.has(k)) {
      errs.push({
        type: 'Duplicate',
        field: p,
        value: t,
        detail: 'taints must be unique by key and effect pair',
      });
    }
    seen.add(k);
  });
  const cidrs = arr(spec.podCIDRs);
  cidrs.forEach((c, i) => {
    if (!isCIDR(str(c))) errs.push(field.invalid(index('spec.podCIDRs', i), c, CIDR_ERROR));
  });
  if (cidrs.length > 2)
    errs.push(field.invalid('spec.podCIDRs', cidrs, 'may specify no more than one CIDR for each IP family'));
  if (isSet(spec.podCIDR) && cidrs.length > 0 && spec.podCIDR !== cidrs[0]) {
    errs.push(field.invalid('spec.podCIDRs', cidrs, 'first value must match `podCIDR`'));
  }
  const status = rec(obj.status);
  for (const list of ['capacity', 'allocatable'] as const) {
    for (const [name, value] of Object.entries(rec(status[list]))) {
      const p = key(`status.${list}`, name);
      errs.push(...check(name, p, isQualifiedName));
      const q = parseQuantityExact(value);
      if ('error' in q) errs.push(field.invalid(p, value, q.error));
      else if (q.negative) errs.push(field.invalid(p, value, 'must be greater than or equal to 0'));
    }
  }
  return errs;
}

/** The pod CIDRs a Node has: `podCIDRs`, or the older single `podCIDR` when only that is set. */
function podCIDRsOf(spec: Obj): unknown[] {
  const cidrs = arr(spec.podCIDRs);
  if (cidrs.length > 0) return cidrs;
  return isSet(spec.podCIDR) && str(spec.podCIDR) !== '' ? [spec.podCIDR] : [];
}

/**
 * A Node's pod CIDRs may be set once (the node IPAM controller assigns them to a Node that has
 * none) and never changed after: the agent has built its pod network on them (ValidateNodeUpdate).
 */
export function validateNodeUpdate(obj: Obj, old: Obj): FieldError[] {
  const before = podCIDRsOf(rec(old.spec));
  if (before.length === 0) return [];
  const after = podCIDRsOf(rec(obj.spec));
  if (before.length === after.length && before.every((c, i) => c === after[i])) return [];
  return [field.forbidden('spec.podCIDRs', 'node updates may not change podCIDR except from "" to valid')];
}

// ---- Event (core/v1) ------------------------------------------------------------------------

export function validateEvent(obj: Obj): FieldError[] {
  const errs: FieldError[] = [];
  const ns = str(rec(obj.metadata).namespace);
  const involvedNs = str(rec(obj.involvedObject).namespace);
  if (!isSet(obj.eventTime)) {
    if (involvedNs === '') {
      if (ns !== '' && ns !== 'default') {
        errs.push(field.invalid('involvedObject.namespace', involvedNs, 'does not match event.namespace'));
      }
    } else if (ns !== involvedNs) {
      errs.push(field.invalid('involvedObject.namespace', involvedNs, 'does not match event.namespace'));
    }
  } else {
    if (involvedNs === '' && ns !== 'default' && ns !== 'kube-system') {
      errs.push(field.invalid('involvedObject.namespace', involvedNs, 'does not match event.namespace'));
    }
    const controller = str(obj.reportingComponent);
    if (controller === '') errs.push(field.required('reportingComponent', ''));
    errs.push(...check(controller, 'reportingComponent', isQualifiedName));
    const limits: Array<[string, number, boolean]> = [
      ['reportingInstance', 128, true],
      ['action', 128, true],
      ['reason', 128, true],
      ['message', 1024, false],
    ];
    for (const [f, max, required] of limits) {
      const v = str(obj[f]);
      if (required && v === '') errs.push(field.required(f, ''));
      if (v.length > max) errs.push(field.invalid(f, '', `can have at most ${max} characters`));
    }
  }
  errs.push(...check(ns, 'namespace', isDNS1123Subdomain));
  return errs;
}

// ---- Lease ---------------------------------------------------------------------------------

export function validateLease(obj: Obj): FieldError[] {
  const spec = rec(obj.spec);
  const errs: FieldError[] = [];
  if (
    isSet(spec.leaseDurationSeconds) &&
    !(isInt(spec.leaseDurationSeconds) && spec.leaseDurationSeconds > 0)
  ) {
    errs.push(
      field.invalid('spec.leaseDurationSeconds', spec.leaseDurationSeconds, 'must be greater than 0'),
    );
  }
  if (isSet(spec.leaseTransitions) && !(isInt(spec.leaseTransitions) && spec.leaseTransitions >= 0)) {
    errs.push(
      field.invalid('spec.leaseTransitions', spec.leaseTransitions, 'must be greater than or equal to 0'),
    );
  }
  errs.push(...oneOf(spec.strategy, 'spec.strategy', ['OldestEmulationVersion']));
  return errs;
}

// ---- PriorityClass -------------------------------------------------------------------------

const HIGHEST_USER_DEFINABLE_PRIORITY = 1_000_000_000;
/** The built-in classes a "system-" name must be one of, with their fixed values. */
export const SYSTEM_PRIORITY_CLASSES: Record<string, number> = {
  'system-node-critical': 2_000_001_000,
  'system-cluster-critical': 2_000_000_000,
};

export function validatePriorityClass(obj: Obj): FieldError[] {
  const errs: FieldError[] = [];
  const name = str(rec(obj.metadata).name);
  const value = obj.value;
  if (!isInt(value)) errs.push(field.required('value', ''));
  if (name.startsWith('system-')) {
    const known = SYSTEM_PRIORITY_CLASSES[name];
    let why: string | undefined;
    if (known === undefined) why = `${name} is not a known system priority class`;
    else if (value !== known) why = `value of ${name} PriorityClass must be ${known}`;
    else if (obj.globalDefault === true) why = `globalDefault of ${name} PriorityClass must be false`;
    if (why) {
      errs.push(
        field.forbidden(
          'metadata.name',
          `priority class names with 'system-' prefix are reserved for system use only. error: ${why}`,
        ),
      );
    }
  } else if (isInt(value) && value > HIGHEST_USER_DEFINABLE_PRIORITY) {
    errs.push(
      field.forbidden(
        'value',
        `maximum allowed value of a user defined priority is ${HIGHEST_USER_DEFINABLE_PRIORITY}`,
      ),
    );
  }
  errs.push(...oneOf(obj.preemptionPolicy, 'preemptionPolicy', ['Never', 'PreemptLowerPriority']));
  return errs;
}

export function validatePriorityClassUpdate(obj: Obj, old: Obj): FieldError[] {
  const errs: FieldError[] = [];
  if (obj.value !== old.value) errs.push(field.forbidden('value', 'may not be changed in an update.'));
  errs.push(...immutable(obj.preemptionPolicy, old.preemptionPolicy, 'preemptionPolicy'));
  return errs;
}
