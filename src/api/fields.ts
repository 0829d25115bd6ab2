/**
 * Field selectors (`?fieldSelector=spec.nodeName=node-1,status.phase!=Running`): only the
 * fields Kubernetes indexes for each kind may be used; anything else is a 400 naming the field.
 */
import { errors } from './errors.js';
import type { KubeObject } from './object.js';

export interface FieldRequirement {
  field: string;
  value: string;
  negate: boolean;
}

const COMMON = ['metadata.name', 'metadata.namespace'];

const SUPPORTED: Record<string, string[]> = {
  Pod: [
    'spec.nodeName',
    'spec.restartPolicy',
    'spec.schedulerName',
    'spec.serviceAccountName',
    'spec.hostNetwork',
    'status.phase',
    'status.podIP',
    'status.nominatedNodeName',
  ],
  Event: [
    'involvedObject.kind',
    'involvedObject.namespace',
    'involvedObject.name',
    'involvedObject.uid',
    'involvedObject.apiVersion',
    'involvedObject.resourceVersion',
    'involvedObject.fieldPath',
    'reason',
    'reportingComponent',
    'source',
    'type',
  ],
  Secret: ['type'],
  Node: ['spec.unschedulable'],
  Namespace: ['status.phase'],
  ReplicaSet: ['status.replicas'],
  Job: ['status.successful'],
};

export function parseFieldSelector(kind: string, text: string): FieldRequirement[] {
  const out: FieldRequirement[] = [];
  if (text.trim() === '') return out;
  const allowed = new Set([...COMMON, ...(SUPPORTED[kind] ?? [])]);
  for (const part of text.split(',')) {
    const m = /^\s*([A-Za-z0-9_.]+)\s*(==|!=|=)\s*(.*?)\s*$/.exec(part);
    if (!m)
      throw errors.badRequest(
        `invalid field selector: "${part}": expected field=value, field==value or field!=value`,
      );
    const field = m[1]!;
    if (!allowed.has(field)) {
      throw errors.badRequest(`field label not supported: ${field}`);
    }
    out.push({ field, value: m[3]!, negate: m[2] === '!=' });
  }
  return out;
}

function fieldValue(obj: KubeObject, field: string): string {
  if (field === 'source') {
    const source = (obj as { source?: { component?: string } }).source;
    return source?.component ?? '';
  }
  let cur: unknown = obj;
  for (const part of field.split('.')) {
    if (cur === null || typeof cur !== 'object') return '';
    cur = (cur as Record<string, unknown>)[part];
  }
  if (cur === undefined || cur === null)
    return field === 'spec.unschedulable' || field === 'spec.hostNetwork' ? 'false' : '';
  return String(cur);
}

export function fieldsMatch(requirements: readonly FieldRequirement[], obj: KubeObject): boolean {
  for (const r of requirements) {
    const equal = fieldValue(obj, r.field) === r.value;
    if (equal === r.negate) return false;
  }
  return true;
}
