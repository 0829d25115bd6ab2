/**
 * Validation of objects as Kubernetes does it, for every kind in RESOURCES: metadata (names by
 * each kind's rule, namespaces, labels, annotations, owners, finalizers), the kind's own rules,
 * and on update the immutable fields. One file per family; this index holds the dispatch table.
 *
 * The server calls `validateObject` after it has filled the name (generateName), the namespace
 * and the defaults (`applyDefaults`), on create and on update (with `old`), and turns a
 * non-empty result into `errors.invalid(...)` (422).
 */
import type { FieldError } from '../errors.js';
import type { KubeObject } from '../object.js';
import type { ResourceDef } from '../resources.js';
import { validateHorizontalPodAutoscaler } from './autoscaling.js';
import { validateCronJob, validateJob, validateJobUpdate } from './batch.js';
import {
  validateEvent,
  validateLease,
  validateNamespace,
  validateNode,
  validateNodeUpdate,
  validatePriorityClass,
  validatePriorityClassUpdate,
} from './cluster.js';
import {
  validateConfigMap,
  validateConfigMapUpdate,
  validateSecret,
  validateSecretUpdate,
  validateServiceAccount,
} from './config.js';
import { validateObjectMeta, validateObjectMetaUpdate } from './meta.js';
import {
  type NameFn,
  nameIsDNS1035Label,
  nameIsDNSLabel,
  nameIsDNSSubdomain,
  nameIsPathSegment,
} from './names.js';
import {
  validateIngress,
  validateIngressClass,
  validateIngressClassUpdate,
  validateNetworkPolicy,
} from './networking.js';
import { validatePod, validatePodUpdate } from './pod.js';
import {
  validateClusterRole,
  validateClusterRoleBinding,
  validateRole,
  validateRoleBinding,
  validateRoleRefUpdate,
} from './rbac.js';
import {
  validateEndpointSlice,
  validateEndpointSliceUpdate,
  validateEndpoints,
  validateService,
  validateServiceUpdate,
} from './service.js';
import type { Obj } from './util.js';
import {
  validateControllerRevision,
  validateControllerRevisionUpdate,
  validateDaemonSet,
  validateDeployment,
  validateReplicaSet,
  validateSelectorUpdate,
  validateStatefulSet,
  validateStatefulSetUpdate,
} from './workloads.js';

export interface KindRules {
  /** The kind's rule for metadata.name (and generateName). */
  name: NameFn;
  /** Rules for the whole object; run on create and update. `old` is set on update. */
  validate?: (obj: Obj, old?: Obj) => FieldError[];
  /** Extra rules on update only (immutable fields). */
  update?: (obj: Obj, old: Obj) => FieldError[];
}

/** The dispatch table, by kind. */
const KIND_RULES: Readonly<Record<string, KindRules>> = {
  Namespace: { name: nameIsDNSLabel, validate: validateNamespace },
  Node: { name: nameIsDNSSubdomain, validate: validateNode, update: validateNodeUpdate },
  Pod: { name: nameIsDNSSubdomain, validate: validatePod, update: validatePodUpdate },
  // Kubernetes (through 1.33) requires Service names to be DNS-1035 labels: lower case, starting with a letter.
  Service: { name: nameIsDNS1035Label, validate: validateService, update: validateServiceUpdate },
  Endpoints: { name: nameIsDNSSubdomain, validate: validateEndpoints },
  ConfigMap: { name: nameIsDNSSubdomain, validate: validateConfigMap, update: validateConfigMapUpdate },
  Secret: { name: nameIsDNSSubdomain, validate: validateSecret, update: validateSecretUpdate },
  // Core events only need names usable in a URL.
  Event: { name: nameIsPathSegment, validate: validateEvent },
  ServiceAccount: { name: nameIsDNSSubdomain, validate: validateServiceAccount },
  Deployment: { name: nameIsDNSSubdomain, validate: validateDeployment, update: validateSelectorUpdate },
  ReplicaSet: { name: nameIsDNSSubdomain, validate: validateReplicaSet, update: validateSelectorUpdate },
  DaemonSet: { name: nameIsDNSSubdomain, validate: validateDaemonSet, update: validateSelectorUpdate },
  // StatefulSet pods are named <set>-<ordinal>, which must be a DNS label.
  StatefulSet: { name: nameIsDNSLabel, validate: validateStatefulSet, update: validateStatefulSetUpdate },
  ControllerRevision: {
    name: nameIsDNSSubdomain,
    validate: validateControllerRevision,
    update: validateControllerRevisionUpdate,
  },
  Job: { name: nameIsDNSSubdomain, validate: validateJob, update: validateJobUpdate },
  CronJob: { name: nameIsDNSSubdomain, validate: validateCronJob },
  HorizontalPodAutoscaler: { name: nameIsDNSSubdomain, validate: validateHorizontalPodAutoscaler },
  Ingress: { name: nameIsDNSSubdomain, validate: validateIngress },
  IngressClass: {
    name: nameIsDNSSubdomain,
    validate: validateIngressClass,
    update: validateIngressClassUpdate,
  },
  NetworkPolicy: { name: nameIsDNSSubdomain, validate: validateNetworkPolicy },
  Lease: { name: nameIsDNSSubdomain, validate: validateLease },
  EndpointSlice: {
    name: nameIsDNSSubdomain,
    validate: validateEndpointSlice,
    update: validateEndpointSliceUpdate,
  },
  Role: { name: nameIsPathSegment, validate: validateRole },
  ClusterRole: { name: nameIsPathSegment, validate: validateClusterRole },
  RoleBinding: { name: nameIsPathSegment, validate: validateRoleBinding, update: validateRoleRefUpdate },
  ClusterRoleBinding: {
    name: nameIsPathSegment,
    validate: validateClusterRoleBinding,
    update: validateRoleRefUpdate,
  },
  PriorityClass: {
    name: nameIsDNSSubdomain,
    validate: validatePriorityClass,
    update: validatePriorityClassUpdate,
  },
};

const DEFAULT_RULES: KindRules = { name: nameIsDNSSubdomain };

/**
 * Everything wrong with `obj` as a `def.kind`, in Kubernetes' words and field paths; empty when it
 * is valid. With `old` (an update) metadata identity and the kind's immutable fields are checked
 * against it instead of re-validating the name.
 */
export function validateObject(def: ResourceDef, obj: KubeObject, old?: KubeObject): FieldError[] {
  const rules = KIND_RULES[def.kind] ?? DEFAULT_RULES;
  const errs: FieldError[] = old
    ? validateObjectMetaUpdate(obj.metadata, old.metadata)
    : validateObjectMeta(obj.metadata, def.namespaced, rules.name);
  if (rules.validate) errs.push(...rules.validate(obj, old));
  if (old && rules.update) errs.push(...rules.update(obj, old));
  return errs;
}

export { parseCron } from './cron.js';
export {
  formatLabelSelector,
  isEmptySelector,
  selectorMatches,
  selectorString,
  validateLabelSelector,
  validateLabels,
  validateObjectMeta,
  validateObjectMetaUpdate,
} from './meta.js';
export * as names from './names.js';
export { validatePodSpec, validatePodTemplateSpec, validateResources } from './pod.js';
