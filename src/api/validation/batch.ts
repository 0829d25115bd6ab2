/**
 * batch/v1 Job and CronJob (pkg/apis/batch/validation): counts, completion mode, the pod
 * template's restart policy, selector and template immutability, cron schedules, time zones and
 * concurrency policies.
 */
import { type FieldError, field } from '../errors.js';
import { defaultTimeZoneCheck, parseCron } from './cron.js';
import { selectorMatches, validateLabelSelector } from './meta.js';
import { isValidLabelValue } from './names.js';
import { validatePodTemplateSpec } from './pod.js';
import {
  check,
  child,
  immutable,
  isSet,
  nonNegative,
  type Obj,
  oneOf,
  rec,
  semanticEqual,
  str,
} from './util.js';

const MAX_PARALLELISM_FOR_INDEXED_JOB = 100000;

/** The parts of a JobSpec shared by Jobs and CronJob job templates. */
function validateJobSpecCommon(spec: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const f of [
    'parallelism',
    'completions',
    'activeDeadlineSeconds',
    'backoffLimit',
    'ttlSecondsAfterFinished',
  ]) {
    errs.push(...nonNegative(spec[f], child(path, f)));
  }
  if (isSet(spec.backoffLimitPerIndex))
    errs.push(...nonNegative(spec.backoffLimitPerIndex, child(path, 'backoffLimitPerIndex')));
  if (isSet(spec.completionMode)) {
    const mode = spec.completionMode;
    if (mode !== 'NonIndexed' && mode !== 'Indexed') {
      errs.push(field.notSupported(child(path, 'completionMode'), mode, ['NonIndexed', 'Indexed']));
    }
    if (mode === 'Indexed') {
      if (!isSet(spec.completions))
        errs.push(field.required(child(path, 'completions'), 'when completion mode is Indexed'));
      if (typeof spec.parallelism === 'number' && spec.parallelism > MAX_PARALLELISM_FOR_INDEXED_JOB) {
        errs.push(
          field.invalid(
            child(path, 'parallelism'),
            spec.parallelism,
            `must be less than or equal to ${MAX_PARALLELISM_FOR_INDEXED_JOB} when completion mode is Indexed`,
          ),
        );
      }
    }
  }
  errs.push(
    ...oneOf(spec.podReplacementPolicy, child(path, 'podReplacementPolicy'), [
      'TerminatingOrFailed',
      'Failed',
    ]),
  );
  errs.push(...validatePodTemplateSpec(spec.template, child(path, 'template')));
  const rp = rec(rec(spec.template).spec).restartPolicy;
  if (rp !== 'OnFailure' && rp !== 'Never') {
    errs.push(
      field.notSupported(child(path, 'template', 'spec', 'restartPolicy'), rp ?? '', ['OnFailure', 'Never']),
    );
  }
  return errs;
}

export function validateJob(obj: Obj): FieldError[] {
  const spec = rec(obj.spec);
  const errs: FieldError[] = [];
  // The job name becomes a label value on its pods.
  const name = str(rec(obj.metadata).name);
  if (name !== '') errs.push(...check(name, 'metadata.name', isValidLabelValue));
  if (!isSet(spec.selector)) {
    errs.push(field.required('spec.selector', ''));
  } else {
    errs.push(...validateLabelSelector(spec.selector, 'spec.selector'));
    const labels = rec(rec(rec(spec.template).metadata).labels);
    if (!selectorMatches(spec.selector, labels)) {
      errs.push(
        field.invalid('spec.template.metadata.labels', labels, '`selector` does not match template `labels`'),
      );
    }
  }
  errs.push(...validateJobSpecCommon(spec, 'spec'));
  return errs;
}

export function validateJobUpdate(obj: Obj, old: Obj): FieldError[] {
  const spec = rec(obj.spec);
  const oldSpec = rec(old.spec);
  const errs: FieldError[] = [];
  // Completions may change only for an Indexed job scaled "elastically" (completions == parallelism).
  const elastic =
    spec.completionMode === 'Indexed' &&
    spec.completions === spec.parallelism &&
    oldSpec.completions === oldSpec.parallelism;
  if (!elastic) errs.push(...immutable(spec.completions, oldSpec.completions, 'spec.completions'));
  errs.push(...immutable(spec.selector, oldSpec.selector, 'spec.selector'));
  errs.push(...validateJobTemplateUpdate(spec, oldSpec));
  for (const f of [
    'completionMode',
    'podFailurePolicy',
    'backoffLimitPerIndex',
    'managedBy',
    'successPolicy',
  ]) {
    errs.push(...immutable(spec[f], oldSpec[f], `spec.${f}`));
  }
  return errs;
}

/**
 * A job's pod template is immutable, except that a suspended job that never started may have
 * its scheduling directives (node selector, affinity, tolerations, scheduling gates, labels,
 * annotations) changed.
 */
function validateJobTemplateUpdate(spec: Obj, oldSpec: Obj): FieldError[] {
  if (semanticEqual(spec.template, oldSpec.template)) return [];
  if (spec.suspend === true && oldSpec.suspend === true) {
    const strip = (t: unknown) => {
      const c = structuredClone(rec(t));
      const meta = { ...rec(c.metadata) };
      delete meta.labels;
      delete meta.annotations;
      c.metadata = meta;
      const s = { ...rec(c.spec) };
      for (const f of ['nodeSelector', 'affinity', 'tolerations', 'schedulingGates']) delete s[f];
      c.spec = s;
      return c;
    };
    if (semanticEqual(strip(spec.template), strip(oldSpec.template))) return [];
  }
  return immutable(spec.template, oldSpec.template, 'spec.template');
}

// ---- CronJob -------------------------------------------------------------------------------

const VALID_TZ_PART = /^[A-Za-z.\-_0-9+]{1,14}$/;

function validateTimeZone(tz: unknown, path: string): FieldError[] {
  if (!isSet(tz)) return [];
  const v = str(tz);
  if (v === '') return [field.invalid(path, v, 'timeZone must be nil or non-empty string')];
  for (const part of v.split('/')) {
    if (part === '.' || part === '..' || part.startsWith('-') || !VALID_TZ_PART.test(part)) {
      return [field.invalid(path, v, `unknown time zone ${v}`)];
    }
  }
  if (v.toLowerCase() === 'local') {
    return [
      field.invalid(
        path,
        v,
        'timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones',
      ),
    ];
  }
  if (!defaultTimeZoneCheck(v)) return [field.invalid(path, v, `unknown time zone ${v}`)];
  return [];
}

export function validateCronJob(obj: Obj, old?: Obj): FieldError[] {
  const spec = rec(obj.spec);
  const errs: FieldError[] = [];
  const name = str(rec(obj.metadata).name);
  // Job names get an 11-character suffix and must stay DNS-1035 labels (63).
  if (name.length > 52) errs.push(field.invalid('metadata.name', name, 'must be no more than 52 characters'));
  const schedule = str(spec.schedule);
  if (schedule === '') {
    errs.push(field.required('spec.schedule', ''));
  } else {
    const parsed = parseCron(schedule);
    if (!parsed.ok) errs.push(field.invalid('spec.schedule', schedule, parsed.error));
    const allowTZ = old !== undefined && str(rec(old.spec).schedule).includes('TZ');
    if (allowTZ && schedule.includes('TZ') && isSet(spec.timeZone)) {
      errs.push(
        field.invalid(
          'spec.schedule',
          schedule,
          'cannot use both timeZone field and TZ or CRON_TZ in schedule',
        ),
      );
    } else if (!allowTZ && schedule.includes('TZ')) {
      errs.push(
        field.invalid(
          'spec.schedule',
          schedule,
          'cannot use TZ or CRON_TZ in schedule, use timeZone field instead',
        ),
      );
    }
  }
  errs.push(...nonNegative(spec.startingDeadlineSeconds, 'spec.startingDeadlineSeconds'));
  errs.push(...validateTimeZone(spec.timeZone, 'spec.timeZone'));
  errs.push(...oneOf(spec.concurrencyPolicy, 'spec.concurrencyPolicy', ['Allow', 'Forbid', 'Replace']));
  const jt = rec(spec.jobTemplate);
  const jobSpec = rec(jt.spec);
  errs.push(...validateJobSpecCommon(jobSpec, 'spec.jobTemplate.spec'));
  if (isSet(jobSpec.selector)) {
    errs.push(
      field.invalid('spec.jobTemplate.spec.selector', jobSpec.selector, '`selector` will be auto-generated'),
    );
  }
  if (jobSpec.manualSelector === true) {
    errs.push(field.notSupported('spec.jobTemplate.spec.manualSelector', true, ['nil', 'false']));
  }
  errs.push(...nonNegative(spec.successfulJobsHistoryLimit, 'spec.successfulJobsHistoryLimit'));
  errs.push(...nonNegative(spec.failedJobsHistoryLimit, 'spec.failedJobsHistoryLimit'));
  return errs;
}
