/**
 * NodeAffinity. Filter: the node must carry every `spec.nodeSelector` label and match at least one
 * of the required `nodeSelectorTerms` (terms are ORed, a term's requirements ANDed; an empty term
 * matches nothing). Score: the sum of the weights of the preferred terms the node matches,
 * normalized so the best node gets 100.
 *
 * Selectors are compiled once per PodInfo (memoized) into flat requirement lists, so filter and
 * score only compare strings. As in Kubernetes, a required term that does not parse (unknown
 * operator, Gt without an integer, ...) matches no node rather than failing the pod; a preferred
 * term that does not parse fails preScore with an error naming the field.
 */
import type { NodeSelectorRequirement, NodeSelectorTerm } from 'kubernetes-types/core/v1.js';
import { labelValue } from '../framework/labels.js';
import type { NodeInfo, PodInfo } from '../framework/node-info.js';
import {
  type FilterPlugin,
  failure,
  type PreFilterPlugin,
  type Result,
  type ScorePlugin,
  skip,
  unresolvable,
} from '../framework/types.js';
import { defaultNormalizeScore, memoize } from './helpers.js';

/** Kubernetes' default weight for this score plugin. */
export const NODE_AFFINITY_WEIGHT = 2;

export const ERR_REASON_POD = "node(s) didn't match Pod's node affinity/selector";

type LabelRequirement =
  | { key: string; op: 'In' | 'NotIn'; values: readonly string[] }
  | { key: string; op: 'Exists' | 'DoesNotExist' }
  | { key: string; op: 'Gt' | 'Lt'; bound: bigint };

/** `matchFields`: only `metadata.name` exists on a node; other keys read as "". */
interface FieldRequirement {
  key: string;
  equal: boolean;
  value: string;
}

interface CompiledTerm {
  /** Undefined when the term has no matchExpressions (then labels are not checked). */
  labels?: LabelRequirement[];
  fields?: FieldRequirement[];
}

/** A pod's `nodeSelector` and required node affinity, compiled. */
export interface RequiredNodeAffinity {
  /** `spec.nodeSelector` as key/value pairs; undefined when empty. */
  selector?: readonly { key: string; value: string }[];
  /** The valid, non-empty required terms; undefined when the pod has no required node affinity. */
  terms?: readonly CompiledTerm[];
}

interface Compiled {
  required: RequiredNodeAffinity;
  preferred: readonly { weight: number; term: CompiledTerm }[];
  /** Why a preferred term did not parse. */
  preferredError?: string;
}

const compiledOf = memoize(compile);

/** The pod's nodeSelector and required node affinity (compiled once per PodInfo). */
export function requiredNodeAffinity(pod: PodInfo): RequiredNodeAffinity {
  return compiledOf(pod).required;
}

/** Whether `node` satisfies the pod's nodeSelector and required node affinity. */
export function matchesRequiredNodeAffinity(r: RequiredNodeAffinity, node: NodeInfo): boolean {
  if (r.selector) for (const s of r.selector) if (labelValue(node.labels, s.key) !== s.value) return false;
  if (r.terms) {
    for (const t of r.terms) if (termMatches(t, node)) return true;
    return false;
  }
  return true;
}

export const NodeAffinity: PreFilterPlugin & FilterPlugin & ScorePlugin = {
  name: 'NodeAffinity',

  /** Pods with neither a nodeSelector nor required node affinity fit every node: skip the filter. */
  preFilter(_state, pod: PodInfo): Result {
    const r = requiredNodeAffinity(pod);
    return r.selector || r.terms ? undefined : skip;
  },

  filter(_state, pod: PodInfo, node: NodeInfo): Result {
    return matchesRequiredNodeAffinity(requiredNodeAffinity(pod), node)
      ? undefined
      : unresolvable(ERR_REASON_POD);
  },

  preScore(_state, pod: PodInfo): Result {
    const c = compiledOf(pod);
    if (c.preferredError) return failure(c.preferredError);
    return c.preferred.length === 0 ? skip : undefined;
  },

  score(_state, pod: PodInfo, node: NodeInfo): number {
    let sum = 0;
    for (const p of compiledOf(pod).preferred) if (termMatches(p.term, node)) sum += p.weight;
    return sum;
  },

  normalize(_state, _pod, scores: number[]): void {
    defaultNormalizeScore(scores, false);
  },
};

function termMatches(t: CompiledTerm, node: NodeInfo): boolean {
  if (t.labels) for (const r of t.labels) if (!labelMatches(r, labelValue(node.labels, r.key))) return false;
  if (t.fields)
    for (const f of t.fields) {
      const actual = f.key === 'metadata.name' ? node.name : '';
      if ((actual === f.value) !== f.equal) return false;
    }
  return true;
}

function labelMatches(r: LabelRequirement, value: string | undefined): boolean {
  switch (r.op) {
    case 'In':
      return value !== undefined && r.values.includes(value);
    case 'NotIn':
      return value === undefined || !r.values.includes(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
    case 'Gt':
    case 'Lt': {
      const n = value === undefined ? undefined : parseInt64(value);
      if (n === undefined) return false;
      return r.op === 'Gt' ? n > r.bound : n < r.bound;
    }
  }
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** Go's strconv.ParseInt(s, 10, 64): an optional sign and decimal digits, within int64. */
function parseInt64(s: string): bigint | undefined {
  if (!/^[+-]?\d+$/.test(s)) return undefined;
  const n = BigInt(s);
  return n < INT64_MIN || n > INT64_MAX ? undefined : n;
}

function compile(pod: PodInfo): Compiled {
  const spec = pod.pod.spec;
  const required: RequiredNodeAffinity = {};
  const sel = Object.entries(spec?.nodeSelector ?? {}).map(([key, value]) => ({ key, value }));
  if (sel.length > 0) required.selector = sel;
  const nodeAffinity = spec?.affinity?.nodeAffinity;
  const req = nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (req) {
    const terms: CompiledTerm[] = [];
    (req.nodeSelectorTerms ?? []).forEach((t, i) => {
      if (isEmpty(t)) return;
      const path = `spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[${i}]`;
      const c = compileTerm(t, path);
      if (typeof c !== 'string') terms.push(c);
    });
    required.terms = terms;
  }
  const preferred: { weight: number; term: CompiledTerm }[] = [];
  let preferredError: string | undefined;
  (nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []).forEach((p, i) => {
    if (!p.weight || isEmpty(p.preference)) return;
    const path = `spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[${i}].preference`;
    const c = compileTerm(p.preference, path);
    if (typeof c === 'string') preferredError ??= c;
    else preferred.push({ weight: p.weight, term: c });
  });
  return { required, preferred, ...(preferredError ? { preferredError } : {}) };
}

const isEmpty = (t: NodeSelectorTerm | undefined): boolean =>
  !t || ((t.matchExpressions ?? []).length === 0 && (t.matchFields ?? []).length === 0);

/** A compiled term, or the first reason it does not parse. */
function compileTerm(t: NodeSelectorTerm, path: string): CompiledTerm | string {
  const out: CompiledTerm = {};
  const exprs = t.matchExpressions ?? [];
  if (exprs.length > 0) {
    const labels: LabelRequirement[] = [];
    for (let i = 0; i < exprs.length; i++) {
      const r = compileLabelRequirement(exprs[i]!, `${path}.matchExpressions[${i}]`);
      if (typeof r === 'string') return r;
      labels.push(r);
    }
    out.labels = labels;
  }
  const fieldExprs = t.matchFields ?? [];
  if (fieldExprs.length > 0) {
    const fields: FieldRequirement[] = [];
    for (let i = 0; i < fieldExprs.length; i++) {
      const e = fieldExprs[i]!;
      const where = `${path}.matchFields[${i}]`;
      if (e.operator !== 'In' && e.operator !== 'NotIn')
        return `${where}.operator: Unsupported value: "${e.operator}": supported values: "In", "NotIn"`;
      if (e.values?.length !== 1) return `${where}.values: Invalid value: must have one element`;
      fields.push({ key: e.key, equal: e.operator === 'In', value: e.values[0]! });
    }
    out.fields = fields;
  }
  return out;
}

function compileLabelRequirement(e: NodeSelectorRequirement, where: string): LabelRequirement | string {
  const values = e.values ?? [];
  switch (e.operator) {
    case 'In':
    case 'NotIn':
      if (values.length === 0)
        return `${where}.values: Required value: must be specified when \`operator\` is 'In' or 'NotIn'`;
      return { key: e.key, op: e.operator, values };
    case 'Exists':
    case 'DoesNotExist':
      if (values.length > 0)
        return `${where}.values: Forbidden: may not be specified when \`operator\` is 'Exists' or 'DoesNotExist'`;
      return { key: e.key, op: e.operator };
    case 'Gt':
    case 'Lt': {
      if (values.length !== 1)
        return `${where}.values: Required value: must be specified single value when \`operator\` is 'Lt' or 'Gt'`;
      const bound = parseInt64(values[0]!);
      if (bound === undefined) return `${where}.values[0]: Invalid value: "${values[0]}": must be an integer`;
      return { key: e.key, op: e.operator, bound };
    }
    default:
      return `${where}.operator: Unsupported value: "${e.operator}": supported values: "In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"`;
  }
}
