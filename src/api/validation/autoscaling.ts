/**
 * autoscaling/v2 HorizontalPodAutoscaler (pkg/apis/autoscaling/validation): the scale target,
 * replica bounds, metric sources and targets, and scaling behavior.
 */
import { type FieldError, field } from '../errors.js';
import { parseQuantityExact } from '../quantity.js';
import { validateLabelSelector } from './meta.js';
import { isQualifiedName, isValidPathSegmentName } from './names.js';
import { arr, check, child, index, isInt, isSet, type Obj, oneOf, rec, str } from './util.js';

const METRIC_SOURCE_TYPES = ['Object', 'Pods', 'Resource', 'External', 'ContainerResource'];
const TARGET_TYPES = ['Utilization', 'Value', 'AverageValue'];
const SOURCE_FIELD: Record<string, string> = {
  Object: 'object',
  Pods: 'pods',
  Resource: 'resource',
  External: 'external',
  ContainerResource: 'containerResource',
};

function validateObjectRef(ref: unknown, path: string): FieldError[] {
  const r = rec(ref);
  const errs: FieldError[] = [];
  for (const f of ['kind', 'name']) {
    const v = str(r[f]);
    if (v === '') errs.push(field.required(child(path, f), ''));
    else errs.push(...check(v, child(path, f), isValidPathSegmentName));
  }
  return errs;
}

function positiveQuantity(v: unknown, path: string): FieldError[] {
  const q = parseQuantityExact(v);
  if ('error' in q) return [field.invalid(path, v, q.error)];
  return q.negative || q.nanos === 0n ? [field.invalid(path, v, 'must be positive')] : [];
}

function validateTarget(target: unknown, path: string): FieldError[] {
  const t = rec(target);
  const errs: FieldError[] = [];
  if (!isSet(t.type) || t.type === '')
    errs.push(field.required(child(path, 'type'), 'must specify a metric target type'));
  else if (!TARGET_TYPES.includes(str(t.type)))
    errs.push(field.notSupported(child(path, 'type'), t.type, TARGET_TYPES));
  if (isSet(t.value)) errs.push(...positiveQuantity(t.value, child(path, 'value')));
  if (isSet(t.averageValue)) errs.push(...positiveQuantity(t.averageValue, child(path, 'averageValue')));
  if (isSet(t.averageUtilization) && (!isInt(t.averageUtilization) || t.averageUtilization < 1)) {
    errs.push(
      field.invalid(child(path, 'averageUtilization'), t.averageUtilization, 'must be greater than 0'),
    );
  }
  switch (t.type) {
    case 'Utilization':
      if (!isSet(t.averageUtilization)) {
        errs.push(
          field.required(
            child(path, 'averageUtilization'),
            'must set either a target raw value or a target utilization',
          ),
        );
      }
      break;
    case 'Value':
      if (!isSet(t.value))
        errs.push(field.required(child(path, 'value'), 'must set either a target value for metric'));
      break;
    case 'AverageValue':
      if (!isSet(t.averageValue))
        errs.push(field.required(child(path, 'averageValue'), 'must set either a target value for metric'));
      break;
  }
  return errs;
}

function validateMetricIdentifier(id: unknown, path: string): FieldError[] {
  const m = rec(id);
  const errs: FieldError[] = [];
  if (str(m.name) === '') errs.push(field.required(child(path, 'name'), 'must specify a metric name'));
  else
    for (const msg of isValidPathSegmentName(str(m.name)))
      errs.push(field.invalid(child(path, 'name'), m.name, msg));
  if (isSet(m.selector)) errs.push(...validateLabelSelector(m.selector, child(path, 'selector')));
  return errs;
}

function validateSource(kind: string, src: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  switch (kind) {
    case 'Object':
      errs.push(...validateObjectRef(src.describedObject, child(path, 'describedObject')));
      errs.push(...validateMetricIdentifier(src.metric, child(path, 'metric')));
      errs.push(...validateTarget(src.target, child(path, 'target')));
      break;
    case 'Pods':
    case 'External':
      errs.push(...validateMetricIdentifier(src.metric, child(path, 'metric')));
      errs.push(...validateTarget(src.target, child(path, 'target')));
      break;
    case 'Resource':
    case 'ContainerResource': {
      if (str(src.name) === '')
        errs.push(field.required(child(path, 'name'), 'must specify a resource name'));
      else
        for (const m of isQualifiedName(str(src.name)))
          errs.push(field.invalid(child(path, 'name'), src.name, m));
      if (kind === 'ContainerResource' && str(src.container) === '') {
        errs.push(field.required(child(path, 'container'), 'must specify a container'));
      }
      const t = rec(src.target);
      if (isSet(t.value))
        errs.push(
          field.forbidden(child(path, 'target', 'value'), 'may not set a target value for resource metrics'),
        );
      errs.push(...validateTarget(src.target, child(path, 'target')));
      break;
    }
  }
  return errs;
}

function validateMetrics(metrics: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  arr(metrics).forEach((raw, i) => {
    const p = index(path, i);
    const spec = rec(raw);
    const type = str(spec.type);
    if (type === '') errs.push(field.required(child(p, 'type'), 'must specify a metric source type'));
    else if (!METRIC_SOURCE_TYPES.includes(type))
      errs.push(field.notSupported(child(p, 'type'), type, METRIC_SOURCE_TYPES));
    const expected = SOURCE_FIELD[type];
    const present = Object.values(SOURCE_FIELD).filter((f) => isSet(spec[f]));
    if (expected && !isSet(spec[expected])) {
      errs.push(field.required(child(p, expected), 'must populate information for the given metric source'));
    }
    if (expected && isSet(spec[expected]))
      errs.push(...validateSource(type, rec(spec[expected]), child(p, expected)));
    for (const f of present) {
      if (f !== expected)
        errs.push(field.forbidden(child(p, f), 'must populate the given metric source only'));
    }
  });
  return errs;
}

const MAX_PERIOD_SECONDS = 1800;
const MAX_STABILIZATION_WINDOW_SECONDS = 3600;

function validateScalingRules(rules: unknown, path: string): FieldError[] {
  if (!isSet(rules)) return [];
  const r = rec(rules);
  const errs: FieldError[] = [];
  errs.push(...oneOf(r.selectPolicy, child(path, 'selectPolicy'), ['Max', 'Min', 'Disabled']));
  const sws = r.stabilizationWindowSeconds;
  if (isSet(sws) && (!isInt(sws) || sws < 0 || sws > MAX_STABILIZATION_WINDOW_SECONDS)) {
    errs.push(
      field.invalid(
        child(path, 'stabilizationWindowSeconds'),
        sws,
        `must be less than or equal to ${MAX_STABILIZATION_WINDOW_SECONDS} and greater than or equal to 0`,
      ),
    );
  }
  const policies = arr(r.policies);
  if (isSet(r.policies) && policies.length === 0) {
    errs.push(field.required(child(path, 'policies'), 'must specify at least one Policy'));
  }
  policies.forEach((raw, i) => {
    const p = index(child(path, 'policies'), i);
    const pol = rec(raw);
    errs.push(...oneOf(pol.type, child(p, 'type'), ['Pods', 'Percent'], true));
    if (!isInt(pol.value) || pol.value <= 0)
      errs.push(field.invalid(child(p, 'value'), pol.value ?? 0, 'must be greater than zero'));
    if (!isInt(pol.periodSeconds) || pol.periodSeconds <= 0) {
      errs.push(
        field.invalid(child(p, 'periodSeconds'), pol.periodSeconds ?? 0, 'must be greater than zero'),
      );
    } else if (pol.periodSeconds > MAX_PERIOD_SECONDS) {
      errs.push(
        field.invalid(
          child(p, 'periodSeconds'),
          pol.periodSeconds,
          `must be less than or equal to ${MAX_PERIOD_SECONDS}`,
        ),
      );
    }
  });
  return errs;
}

export function validateHorizontalPodAutoscaler(obj: Obj): FieldError[] {
  const spec = rec(obj.spec);
  const errs: FieldError[] = [];
  const min = spec.minReplicas;
  const max = spec.maxReplicas;
  if (isSet(min) && (!isInt(min) || min < 1)) {
    errs.push(field.invalid('spec.minReplicas', min, 'must be greater than or equal to 1'));
  }
  if (!isInt(max) || max < 1)
    errs.push(field.invalid('spec.maxReplicas', max ?? 0, 'must be greater than 0'));
  if (isInt(min) && isInt(max) && max < min) {
    errs.push(field.invalid('spec.maxReplicas', max, 'must be greater than or equal to `minReplicas`'));
  }
  errs.push(...validateObjectRef(spec.scaleTargetRef, 'spec.scaleTargetRef'));
  errs.push(...validateMetrics(spec.metrics, 'spec.metrics'));
  if (isSet(spec.behavior)) {
    const b = rec(spec.behavior);
    errs.push(...validateScalingRules(b.scaleUp, 'spec.behavior.scaleUp'));
    errs.push(...validateScalingRules(b.scaleDown, 'spec.behavior.scaleDown'));
  }
  return errs;
}
