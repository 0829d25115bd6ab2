/**
 * The query parameters of `pods/log` (PodLogOptions) and `pods/exec` / `pods/attach`
 * (PodExecOptions, PodAttachOptions), parsed and validated once for the API server and the node
 * agent: the API server checks them before it reaches a node, the agent again because an admin may
 * call it directly. Range errors read as Kubernetes' ValidatePodLogOptions words them (422
 * `PodLogOptions "p" is invalid: tailLines: ...`); exec/attach errors as the kubelet's (400).
 */
import { errors, type FieldError, field } from './errors.js';

export interface LogQuery {
  follow: boolean;
  previous: boolean;
  timestamps: boolean;
  tailLines?: number;
  sinceSeconds?: number;
  sinceTime?: Date;
  limitBytes?: number;
}

export interface StreamQuery {
  /** Empty for attach. */
  command: string[];
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

/** RFC 3339 with optional fractional seconds, as metav1.Time accepts it. */
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;

/** Kubernetes' query booleans: `true`/`1` (any case) are true; absent or empty is false. */
export function queryBool(query: URLSearchParams, name: string): boolean {
  const v = query.get(name);
  if (v === null || v === '') return false;
  const lower = v.toLowerCase();
  if (lower === 'true' || lower === '1') return true;
  if (lower === 'false' || lower === '0') return false;
  throw errors.badRequest(`invalid value for query parameter ${name}: ${JSON.stringify(v)} is not a boolean`);
}

function integer(
  query: URLSearchParams,
  name: string,
  min: number,
  problems: FieldError[],
  detail: string,
): number | undefined {
  const raw = query.get(name);
  if (raw === null || raw === '') return undefined;
  if (!/^-?\d+$/.test(raw)) {
    problems.push(field.invalid(name, raw, 'must be an integer'));
    return undefined;
  }
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < min) {
    problems.push(field.invalid(name, n, detail));
    return undefined;
  }
  return n;
}

/** PodLogOptions from a query; `pod` names the pod in the error. */
export function parseLogQuery(query: URLSearchParams, pod: string): LogQuery {
  const problems: FieldError[] = [];
  const tailLines = integer(query, 'tailLines', 0, problems, 'must be greater than or equal to 0');
  const sinceSeconds = integer(query, 'sinceSeconds', 1, problems, 'must be greater than 0');
  const limitBytes = integer(query, 'limitBytes', 1, problems, 'must be greater than 0');
  let sinceTime: Date | undefined;
  const rawTime = query.get('sinceTime');
  if (rawTime) {
    const t = RFC3339.test(rawTime) ? new Date(rawTime) : undefined;
    if (!t || Number.isNaN(t.getTime())) {
      problems.push(
        field.invalid('sinceTime', rawTime, 'must be an RFC 3339 time, e.g. 2024-05-01T10:00:00Z'),
      );
    } else {
      sinceTime = t;
    }
  }
  if (query.get('sinceSeconds') && rawTime) {
    problems.push(field.forbidden('', 'at most one of `sinceTime` or `sinceSeconds` may be specified'));
  }
  if (problems.length > 0)
    throw errors.invalid({ resource: 'pods', kind: 'PodLogOptions', name: pod }, problems);
  return {
    follow: queryBool(query, 'follow'),
    previous: queryBool(query, 'previous'),
    timestamps: queryBool(query, 'timestamps'),
    ...(tailLines !== undefined ? { tailLines } : {}),
    ...(sinceSeconds !== undefined ? { sinceSeconds } : {}),
    ...(sinceTime ? { sinceTime } : {}),
    ...(limitBytes !== undefined ? { limitBytes } : {}),
  };
}

/** PodExecOptions (`withCommand`) or PodAttachOptions from a query. */
export function parseStreamQuery(query: URLSearchParams, withCommand: boolean): StreamQuery {
  const command = withCommand ? query.getAll('command') : [];
  if (withCommand && command.length === 0) {
    throw errors.badRequest('you must specify at least one command for the container');
  }
  const tty = queryBool(query, 'tty');
  const stdin = queryBool(query, 'stdin');
  const stdout = queryBool(query, 'stdout');
  // A terminal merges stderr into stdout; the kubelet drops the request for stderr likewise.
  const stderr = queryBool(query, 'stderr') && !tty;
  if (!stdin && !stdout && !stderr) {
    throw errors.badRequest('you must specify at least 1 of stdin, stdout, stderr');
  }
  return { command, stdin, stdout, stderr, tty };
}
