/**
 * Defaults for apps/v1 and batch/v1 workloads (pkg/apis/apps/v1/defaults.go,
 * pkg/apis/batch/v1/defaults.go). Pod templates get the pod-spec defaults, never the Pod-only ones.
 */
import { defaultPodTemplate } from './pod.js';
import { canonicalizeQuantities, items, maybe, type Obj, obj, setDefault, unset } from './util.js';

export function defaultDeployment(d: Obj): void {
  const spec = obj(d, 'spec');
  setDefault(spec, 'replicas', 1);
  const strategy = obj(spec, 'strategy');
  setDefault(strategy, 'type', 'RollingUpdate');
  if (strategy.type === 'RollingUpdate') {
    const ru = obj(strategy, 'rollingUpdate');
    setDefault(ru, 'maxUnavailable', '25%');
    setDefault(ru, 'maxSurge', '25%');
  }
  setDefault(spec, 'revisionHistoryLimit', 10);
  setDefault(spec, 'progressDeadlineSeconds', 600);
  defaultPodTemplate(spec.template);
}

export function defaultReplicaSet(rs: Obj): void {
  const spec = obj(rs, 'spec');
  setDefault(spec, 'replicas', 1);
  defaultPodTemplate(spec.template);
}

export function defaultDaemonSet(ds: Obj): void {
  const spec = obj(ds, 'spec');
  const strategy = obj(spec, 'updateStrategy');
  setDefault(strategy, 'type', 'RollingUpdate');
  if (strategy.type === 'RollingUpdate') {
    const ru = obj(strategy, 'rollingUpdate');
    setDefault(ru, 'maxUnavailable', 1);
    setDefault(ru, 'maxSurge', 0);
  }
  setDefault(spec, 'revisionHistoryLimit', 10);
  defaultPodTemplate(spec.template);
}

export function defaultStatefulSet(sts: Obj): void {
  const spec = obj(sts, 'spec');
  setDefault(spec, 'podManagementPolicy', 'OrderedReady');
  const strategy = obj(spec, 'updateStrategy');
  if (unset(strategy.type)) {
    strategy.type = 'RollingUpdate';
    obj(strategy, 'rollingUpdate');
  }
  const ru = maybe(strategy, 'rollingUpdate');
  if (strategy.type === 'RollingUpdate' && ru) setDefault(ru, 'partition', 0);
  const retention = obj(spec, 'persistentVolumeClaimRetentionPolicy');
  setDefault(retention, 'whenDeleted', 'Retain');
  setDefault(retention, 'whenScaled', 'Retain');
  setDefault(spec, 'replicas', 1);
  setDefault(spec, 'revisionHistoryLimit', 10);
  defaultPodTemplate(spec.template);
  for (const claim of items(spec, 'volumeClaimTemplates')) {
    const claimSpec = obj(claim, 'spec');
    setDefault(claimSpec, 'volumeMode', 'Filesystem');
    const resources = maybe(claimSpec, 'resources');
    if (resources) {
      canonicalizeQuantities(resources.requests);
      canonicalizeQuantities(resources.limits);
    }
    setDefault(obj(claim, 'status'), 'phase', 'Pending');
  }
}

/**
 * SetDefaults_Job. The generated selector and the controller-uid/job-name labels are the
 * server's to add; the job's own labels are copied from its template when it has none.
 */
export function defaultJob(job: Obj): void {
  const spec = obj(job, 'spec');
  if (unset(spec.completions) && unset(spec.parallelism)) {
    spec.completions = 1;
    spec.parallelism = 1;
  }
  setDefault(spec, 'parallelism', 1);
  if (unset(spec.backoffLimit)) spec.backoffLimit = unset(spec.backoffLimitPerIndex) ? 6 : 2147483647;
  const templateLabels = maybe(maybe(maybe(spec, 'template') ?? {}, 'metadata') ?? {}, 'labels');
  const meta = obj(job, 'metadata');
  const labels = maybe(meta, 'labels');
  if (templateLabels && (!labels || Object.keys(labels).length === 0)) meta.labels = { ...templateLabels };
  setDefault(spec, 'completionMode', 'NonIndexed');
  if (spec.suspend === undefined || spec.suspend === null) spec.suspend = false;
  if (spec.manualSelector === undefined || spec.manualSelector === null) spec.manualSelector = false;
  const pfp = maybe(spec, 'podFailurePolicy');
  for (const rule of items(pfp ?? {}, 'rules')) {
    for (const pattern of items(rule, 'onPodConditions')) setDefault(pattern, 'status', 'True');
  }
  setDefault(spec, 'podReplacementPolicy', pfp ? 'Failed' : 'TerminatingOrFailed');
  defaultPodTemplate(spec.template);
}

export function defaultCronJob(cj: Obj): void {
  const spec = obj(cj, 'spec');
  setDefault(spec, 'concurrencyPolicy', 'Allow');
  if (spec.suspend === undefined || spec.suspend === null) spec.suspend = false;
  setDefault(spec, 'successfulJobsHistoryLimit', 3);
  setDefault(spec, 'failedJobsHistoryLimit', 1);
  const jobSpec = maybe(maybe(spec, 'jobTemplate') ?? {}, 'spec');
  if (jobSpec) defaultPodTemplate(jobSpec.template);
}
