/**
 * rbac.authorization.k8s.io/v1 (pkg/apis/rbac/validation): policy rules, role references and
 * subjects. Names are path segments; a binding's roleRef can never change.
 */
import { type FieldError, field } from '../errors.js';
import { validateLabelSelector } from './meta.js';
import { isDNS1123Subdomain, isValidPathSegmentName } from './names.js';
import { arr, check, child, index, isSet, type Obj, rec, semanticEqual, str } from './util.js';

export const RBAC_GROUP = 'rbac.authorization.k8s.io';

function validatePolicyRule(rule: Obj, namespaced: boolean, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (arr(rule.verbs).length === 0)
    errs.push(field.required(child(path, 'verbs'), 'verbs must contain at least one value'));
  const urls = arr(rule.nonResourceURLs);
  if (urls.length > 0) {
    if (namespaced) {
      errs.push(
        field.invalid(
          child(path, 'nonResourceURLs'),
          urls,
          'namespaced rules cannot apply to non-resource URLs',
        ),
      );
    }
    if (
      arr(rule.apiGroups).length > 0 ||
      arr(rule.resources).length > 0 ||
      arr(rule.resourceNames).length > 0
    ) {
      errs.push(
        field.invalid(
          child(path, 'nonResourceURLs'),
          urls,
          'rules cannot apply to both regular resources and non-resource URLs',
        ),
      );
    }
    return errs;
  }
  if (arr(rule.apiGroups).length === 0) {
    errs.push(field.required(child(path, 'apiGroups'), 'resource rules must supply at least one api group'));
  }
  if (arr(rule.resources).length === 0) {
    errs.push(field.required(child(path, 'resources'), 'resource rules must supply at least one resource'));
  }
  return errs;
}

function validateRules(obj: Obj, namespaced: boolean): FieldError[] {
  const errs: FieldError[] = [];
  arr(obj.rules).forEach((r, i) => {
    errs.push(...validatePolicyRule(rec(r), namespaced, index('rules', i)));
  });
  return errs;
}

export function validateRole(obj: Obj): FieldError[] {
  return validateRules(obj, true);
}

export function validateClusterRole(obj: Obj): FieldError[] {
  const errs = validateRules(obj, false);
  if (isSet(obj.aggregationRule)) {
    const selectors = arr(rec(obj.aggregationRule).clusterRoleSelectors);
    if (selectors.length === 0) {
      errs.push(
        field.required(
          'aggregationRule.clusterRoleSelectors',
          'at least one clusterRoleSelector required if aggregationRule is non-nil',
        ),
      );
    }
    selectors.forEach((s, i) => {
      errs.push(...validateLabelSelector(s, index('aggregationRule.clusterRoleSelectors', i)));
    });
  }
  return errs;
}

function validateSubject(s: Obj, namespaced: boolean, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const name = str(s.name);
  if (name === '') errs.push(field.required(child(path, 'name'), ''));
  switch (s.kind) {
    case 'ServiceAccount':
      if (name !== '') errs.push(...check(name, child(path, 'name'), isDNS1123Subdomain));
      if (str(s.apiGroup) !== '') errs.push(field.notSupported(child(path, 'apiGroup'), s.apiGroup, ['']));
      if (!namespaced && str(s.namespace) === '') errs.push(field.required(child(path, 'namespace'), ''));
      break;
    case 'User':
    case 'Group':
      // apiGroup defaults to rbac.authorization.k8s.io for users and groups
      if (str(s.apiGroup) !== '' && s.apiGroup !== RBAC_GROUP) {
        errs.push(field.notSupported(child(path, 'apiGroup'), s.apiGroup, [RBAC_GROUP]));
      }
      break;
    default:
      errs.push(field.notSupported(child(path, 'kind'), s.kind ?? '', ['ServiceAccount', 'User', 'Group']));
  }
  return errs;
}

function validateBinding(obj: Obj, namespaced: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const ref = rec(obj.roleRef);
  if (str(ref.apiGroup) !== '' && ref.apiGroup !== RBAC_GROUP) {
    errs.push(field.notSupported('roleRef.apiGroup', ref.apiGroup, [RBAC_GROUP]));
  }
  const kinds = namespaced ? ['Role', 'ClusterRole'] : ['ClusterRole'];
  if (!kinds.includes(str(ref.kind))) errs.push(field.notSupported('roleRef.kind', ref.kind ?? '', kinds));
  const name = str(ref.name);
  if (name === '') errs.push(field.required('roleRef.name', ''));
  else errs.push(...check(name, 'roleRef.name', isValidPathSegmentName));
  arr(obj.subjects).forEach((s, i) => {
    errs.push(...validateSubject(rec(s), namespaced, index('subjects', i)));
  });
  return errs;
}

export function validateRoleBinding(obj: Obj): FieldError[] {
  return validateBinding(obj, true);
}

export function validateClusterRoleBinding(obj: Obj): FieldError[] {
  return validateBinding(obj, false);
}

export function validateRoleRefUpdate(obj: Obj, old: Obj): FieldError[] {
  return semanticEqual(obj.roleRef, old.roleRef)
    ? []
    : [field.invalid('roleRef', obj.roleRef ?? null, 'cannot change roleRef')];
}
