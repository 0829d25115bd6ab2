/**
 * apps/v1 workloads: Deployment, ReplicaSet, DaemonSet and StatefulSet — selectors that must
 * match their template, replica counts, update strategies, and what may change on update — and
 * the ControllerRevisions DaemonSets and StatefulSets keep (pkg/apis/apps/validation).
 */
import { type FieldError, field } from '../errors.js';
import { isEmptySelector, selectorMatches, validateLabelSelector } from './meta.js';
import { validatePodTemplateSpec } from './pod.js';
import {
  arr,
  immutable,
  intOrPercentValue,
  isSet,
  nonNegative,
  notMoreThan100Percent,
  type Obj,
  positiveIntOrPercent,
  rec,
  semanticEqual,
  str,
} from './util.js';

const SELECTOR_MISMATCH = '`selector` does not match template `labels`';

/** Selector required, valid and non-empty ("empty selector is invalid for <what>"). */
function validateSelector(selector: unknown, what: string): FieldError[] {
  if (!isSet(selector)) return [field.required('spec.selector', '')];
  const errs = validateLabelSelector(selector, 'spec.selector');
  if (isEmptySelector(selector))
    errs.push(field.invalid('spec.selector', selector, `empty selector is invalid for ${what}`));
  return errs;
}

function templateLabels(spec: Obj): Record<string, unknown> {
  return rec(rec(rec(spec.template).metadata).labels);
}

/**
 * The template's labels must satisfy the selector. A missing selector matches nothing (so it
 * never matches); an empty one matches everything (so it is not checked).
 */
function validateSelectorMatchesTemplate(spec: Obj): FieldError[] {
  if (isSet(spec.selector) && isEmptySelector(spec.selector)) return [];
  if (selectorMatches(spec.selector, templateLabels(spec))) return [];
  return [field.invalid('spec.template.metadata.labels', templateLabels(spec), SELECTOR_MISMATCH)];
}

/** Whether metav1.LabelSelectorAsSelector would fail on this selector (any invalid part). */
function selectorUnusable(selector: unknown): boolean {
  return isSet(selector) && validateLabelSelector(selector, 'spec.selector').length > 0;
}

/**
 * The pod template of a ReplicaSet-like controller (ValidatePodTemplateSpecForReplicaSet): only
 * checked when the selector is usable, as Kubernetes does.
 */
function validateControllerTemplate(spec: Obj, kindLabel: string, unusableDetail: string): FieldError[] {
  if (selectorUnusable(spec.selector)) return [field.invalid('spec.selector', spec.selector, unusableDetail)];
  return [
    ...validateSelectorMatchesTemplate(spec),
    ...validatePodTemplateSpec(spec.template, 'spec.template'),
    ...validateTemplateForController(spec, kindLabel),
  ];
}

/** Controllers' pods always restart, and have no deadline. */
function validateTemplateForController(
  spec: Obj,
  kindLabel: string,
  deadlineAsInvalid = false,
): FieldError[] {
  const podSpec = rec(rec(spec.template).spec);
  const errs: FieldError[] = [];
  const rp = podSpec.restartPolicy;
  if (isSet(rp) && rp !== 'Always')
    errs.push(field.notSupported('spec.template.spec.restartPolicy', rp, ['Always']));
  if (isSet(podSpec.activeDeadlineSeconds)) {
    const msg = `activeDeadlineSeconds in ${kindLabel} is not Supported`;
    errs.push(
      deadlineAsInvalid
        ? field.invalid('spec.template.spec.activeDeadlineSeconds', podSpec.activeDeadlineSeconds, msg)
        : field.forbidden('spec.template.spec.activeDeadlineSeconds', msg),
    );
  }
  return errs;
}

// ---- Deployment ----------------------------------------------------------------------------

function validateDeploymentStrategy(strategy: unknown): FieldError[] {
  const s = rec(strategy);
  const path = 'spec.strategy';
  const errs: FieldError[] = [];
  switch (s.type) {
    case undefined:
    case null:
    case '':
      break;
    case 'Recreate':
      if (isSet(s.rollingUpdate)) {
        errs.push(
          field.forbidden(`${path}.rollingUpdate`, "may not be specified when strategy `type` is 'Recreate'"),
        );
      }
      break;
    case 'RollingUpdate': {
      if (!isSet(s.rollingUpdate)) break;
      const ru = rec(s.rollingUpdate);
      const p = `${path}.rollingUpdate`;
      errs.push(...positiveIntOrPercent(ru.maxUnavailable, `${p}.maxUnavailable`));
      errs.push(...positiveIntOrPercent(ru.maxSurge, `${p}.maxSurge`));
      if (intOrPercentValue(ru.maxUnavailable) === 0 && intOrPercentValue(ru.maxSurge) === 0) {
        errs.push(
          field.invalid(`${p}.maxUnavailable`, ru.maxUnavailable ?? 0, 'may not be 0 when `maxSurge` is 0'),
        );
      }
      errs.push(...notMoreThan100Percent(ru.maxUnavailable, `${p}.maxUnavailable`));
      break;
    }
    default:
      errs.push(field.notSupported(path, strategy, ['Recreate', 'RollingUpdate']));
  }
  return errs;
}

export function validateDeployment(obj: Obj): FieldError[] {
  const spec = rec(obj.spec);
  const errs: FieldError[] = [];
  errs.push(...nonNegative(spec.replicas, 'spec.replicas'));
  errs.push(...validateSelector(spec.selector, 'deployment'));
  errs.push(...validateControllerTemplate(spec, 'ReplicaSet', 'invalid label selector'));
  errs.push(...validateDeploymentStrategy(spec.strategy));
  errs.push(...nonNegative(spec.minReadySeconds, 'spec.minReadySeconds'));
  errs.push(...nonNegative(spec.revisionHistoryLimit, 'spec.revisionHistoryLimit'));
  if (isSet(spec.progressDeadlineSeconds)) {
    errs.push(...nonNegative(spec.progressDeadlineSeconds, 'spec.progressDeadlineSeconds'));
    const minReady = typeof spec.minReadySeconds === 'number' ? spec.minReadySeconds : 0;
    if (typeof spec.progressDeadlineSeconds === 'number' && spec.progressDeadlineSeconds <= minReady) {
      errs.push(
        field.invalid(
          'spec.progressDeadlineSeconds',
          spec.progressDeadlineSeconds,
          'must be greater than minReadySeconds',
        ),
      );
    }
  }
  return errs;
}

/** apps/v1 selectors never change once set. */
export function validateSelectorUpdate(obj: Obj, old: Obj): FieldError[] {
  return immutable(rec(obj.spec).selector, rec(old.spec).selector, 'spec.selector');
}

// ---- ReplicaSet ----------------------------------------------------------------------------

export function validateReplicaSet(obj: Obj): FieldError[] {
  const spec = rec(obj.spec);
  const errs: FieldError[] = [];
  errs.push(...nonNegative(spec.replicas, 'spec.replicas'));
  errs.push(...nonNegative(spec.minReadySeconds, 'spec.minReadySeconds'));
  errs.push(...validateSelector(spec.selector, 'deployment'));
  errs.push(...validateControllerTemplate(spec, 'ReplicaSet', 'invalid label selector'));
  return errs;
}

// ---- DaemonSet -----------------------------------------------------------------------------

function validateDaemonSetUpdateStrategy(strategy: unknown): FieldError[] {
  const s = rec(strategy);
  const path = 'spec.updateStrategy';
  switch (s.type) {
    case undefined:
    case null:
    case '':
    case 'OnDelete':
      return [];
    case 'RollingUpdate': {
      if (!isSet(s.rollingUpdate)) return [];
      const ru = rec(s.rollingUpdate);
      const p = `${path}.rollingUpdate`;
      const errs = [
        ...positiveIntOrPercent(ru.maxUnavailable, `${p}.maxUnavailable`),
        ...positiveIntOrPercent(ru.maxSurge, `${p}.maxSurge`),
        ...notMoreThan100Percent(ru.maxUnavailable, `${p}.maxUnavailable`),
        ...notMoreThan100Percent(ru.maxSurge, `${p}.maxSurge`),
      ];
      const hasUnavailable = intOrPercentValue(ru.maxUnavailable) !== 0;
      const hasSurge = intOrPercentValue(ru.maxSurge) !== 0;
      if (hasUnavailable && hasSurge) {
        errs.push(
          field.invalid(`${p}.maxSurge`, ru.maxSurge, 'may not be set when maxUnavailable is non-zero'),
        );
      } else if (!hasUnavailable && !hasSurge) {
        errs.push(field.required(`${p}.maxUnavailable`, 'cannot be 0 when maxSurge is 0'));
      }
      return errs;
    }
    default:
      return [field.notSupported(path, strategy, ['RollingUpdate', 'OnDelete'])];
  }
}

export function validateDaemonSet(obj: Obj): FieldError[] {
  const spec = rec(obj.spec);
  const errs: FieldError[] = [];
  errs.push(...validateSelector(spec.selector, 'daemonset'));
  if (!selectorUnusable(spec.selector) && !selectorMatches(spec.selector, templateLabels(spec))) {
    errs.push(field.invalid('spec.template.metadata.labels', templateLabels(spec), SELECTOR_MISMATCH));
  }
  errs.push(...validatePodTemplateSpec(spec.template, 'spec.template'));
  errs.push(...validateTemplateForController(spec, 'DaemonSet'));
  errs.push(...nonNegative(spec.minReadySeconds, 'spec.minReadySeconds'));
  errs.push(...validateDaemonSetUpdateStrategy(spec.updateStrategy));
  errs.push(...nonNegative(spec.revisionHistoryLimit, 'spec.revisionHistoryLimit'));
  return errs;
}

// ---- StatefulSet ---------------------------------------------------------------------------

const PVC_RETENTION = ['Retain', 'Delete'];

export function validateStatefulSet(obj: Obj): FieldError[] {
  const spec = rec(obj.spec);
  const errs: FieldError[] = [];
  const pmp = spec.podManagementPolicy;
  if (isSet(pmp) && pmp !== 'OrderedReady' && pmp !== 'Parallel') {
    errs.push(field.invalid('spec.podManagementPolicy', pmp, "must be 'OrderedReady' or 'Parallel'"));
  }
  const us = rec(spec.updateStrategy);
  switch (us.type) {
    case undefined:
    case null:
    case '':
      break;
    case 'OnDelete':
      if (isSet(us.rollingUpdate)) {
        errs.push(
          field.invalid(
            'spec.updateStrategy.rollingUpdate',
            us.rollingUpdate,
            "only allowed for updateStrategy 'RollingUpdate'",
          ),
        );
      }
      break;
    case 'RollingUpdate':
      if (isSet(us.rollingUpdate)) {
        const ru = rec(us.rollingUpdate);
        errs.push(...nonNegative(ru.partition, 'spec.updateStrategy.rollingUpdate.partition'));
        if (isSet(ru.maxUnavailable)) {
          const p = 'spec.updateStrategy.rollingUpdate.maxUnavailable';
          errs.push(...positiveIntOrPercent(ru.maxUnavailable, p));
          if (intOrPercentValue(ru.maxUnavailable) === 0)
            errs.push(field.invalid(p, ru.maxUnavailable, 'cannot be 0'));
          errs.push(...notMoreThan100Percent(ru.maxUnavailable, p));
        }
      }
      break;
    default:
      errs.push(
        field.invalid('spec.updateStrategy', spec.updateStrategy, "must be 'RollingUpdate' or 'OnDelete'"),
      );
  }
  if (isSet(spec.persistentVolumeClaimRetentionPolicy)) {
    const r = rec(spec.persistentVolumeClaimRetentionPolicy);
    for (const f of ['whenDeleted', 'whenScaled']) {
      const v = r[f];
      if (isSet(v) && !PVC_RETENTION.includes(str(v))) {
        errs.push(field.notSupported(`spec.persistentVolumeClaimRetentionPolicy.${f}`, v, PVC_RETENTION));
      }
    }
  }
  errs.push(...nonNegative(spec.replicas, 'spec.replicas'));
  errs.push(...nonNegative(spec.minReadySeconds, 'spec.minReadySeconds'));
  errs.push(...nonNegative(spec.revisionHistoryLimit, 'spec.revisionHistoryLimit'));
  if (isSet(spec.ordinals)) errs.push(...nonNegative(rec(spec.ordinals).start, 'spec.ordinals.start'));
  errs.push(...validateSelector(spec.selector, 'statefulset'));
  if (selectorUnusable(spec.selector)) errs.push(field.invalid('spec.selector', spec.selector, ''));
  else errs.push(...validateSelectorMatchesTemplate(spec));
  const claimNames = arr(spec.volumeClaimTemplates).map((t) => str(rec(rec(t).metadata).name));
  errs.push(...validatePodTemplateSpec(spec.template, 'spec.template', { extraVolumes: claimNames }));
  errs.push(...validateTemplateForController(spec, 'StatefulSet'));
  return errs;
}

const STATEFULSET_MUTABLE = [
  'replicas',
  'ordinals',
  'template',
  'updateStrategy',
  'persistentVolumeClaimRetentionPolicy',
  'minReadySeconds',
];

export function validateStatefulSetUpdate(obj: Obj, old: Obj): FieldError[] {
  const spec = { ...rec(obj.spec) };
  const oldSpec = rec(old.spec);
  for (const f of STATEFULSET_MUTABLE) spec[f] = oldSpec[f];
  if (semanticEqual(spec, oldSpec)) return [];
  return [
    field.forbidden(
      'spec',
      "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
    ),
  ];
}

// ---- ControllerRevision --------------------------------------------------------------------

/** ValidateControllerRevisionCreate: `data` is required and `revision` non-negative. */
export function validateControllerRevision(obj: Obj): FieldError[] {
  const errs: FieldError[] = [];
  if (!isSet(obj.data)) errs.push(field.required('data', ''));
  errs.push(...nonNegative(obj.revision, 'revision'));
  return errs;
}

/** A revision is a snapshot: its data never changes (its revision number may). */
export function validateControllerRevisionUpdate(obj: Obj, old: Obj): FieldError[] {
  return immutable(obj.data, old.data, 'data');
}
