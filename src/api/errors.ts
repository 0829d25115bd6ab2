/**
 * The error catalog: every failure the API returns is built here, as a Kubernetes `Status`
 * object with a stable reason and HTTP code, worded as Kubernetes words it so that kubectl and
 * client libraries show users the messages they know.
 */
import { isStoreError, type StoreError } from '../store/store.js';
import { errorMessage } from '../util/error-message.js';

export type StatusReason =
  | 'BadRequest'
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Gone'
  | 'Expired'
  | 'Invalid'
  | 'RequestEntityTooLarge'
  | 'UnsupportedMediaType'
  | 'NotAcceptable'
  | 'MethodNotAllowed'
  | 'TooManyRequests'
  | 'Timeout'
  | 'ServiceUnavailable'
  | 'NotImplemented'
  | 'InternalError';

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure' | 'Success';
  message: string;
  reason: StatusReason | '';
  details?: {
    name?: string;
    group?: string;
    kind?: string;
    uid?: string;
    causes?: StatusCause[];
    /** How long to wait before retrying (429, some 503s). */
    retryAfterSeconds?: number;
  };
  code: number;
}

export class ApiError extends Error {
  constructor(readonly status: Status) {
    super(status.message);
    this.name = 'ApiError';
  }

  get code(): number {
    return this.status.code;
  }

  get reason(): string {
    return this.status.reason;
  }
}

/** Whether `err` is an ApiError answered with one of these HTTP codes (404, 409, ...). */
export function hasCode(err: unknown, ...codes: number[]): err is ApiError {
  return err instanceof ApiError && codes.includes(err.code);
}

/** Whether `err` is an ApiError with one of these reasons (NotFound, AlreadyExists, ...). */
export function hasReason(err: unknown, ...reasons: StatusReason[]): err is ApiError {
  return err instanceof ApiError && (reasons as string[]).includes(err.reason);
}

/** Which object an error is about: `resource` is the plural ("pods"), `kind` the kind ("Pod"). */
export interface Target {
  group?: string;
  resource: string;
  kind?: string;
  name?: string;
}

function qualified(t: Target): string {
  return t.group ? `${t.resource}.${t.group}` : t.resource;
}

function details(t: Target, extra: Partial<NonNullable<Status['details']>> = {}): Status['details'] {
  const d: NonNullable<Status['details']> = {};
  if (t.name) d.name = t.name;
  if (t.group) d.group = t.group;
  d.kind = t.resource;
  return { ...d, ...extra };
}

export function statusError(
  code: number,
  reason: StatusReason,
  message: string,
  statusDetails?: Status['details'],
): ApiError {
  const status: Status = {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    code,
  };
  if (statusDetails) status.details = statusDetails;
  return new ApiError(status);
}

export const errors = {
  badRequest: (message: string) => statusError(400, 'BadRequest', message),
  unauthorized: (message = 'Unauthorized') => statusError(401, 'Unauthorized', message),
  forbidden: (t: Target, message: string) =>
    statusError(
      403,
      'Forbidden',
      `${qualified(t)}${t.name ? ` "${t.name}"` : ''} is forbidden: ${message}`,
      details(t),
    ),
  notFound: (t: Target) =>
    statusError(404, 'NotFound', `${qualified(t)}${t.name ? ` "${t.name}"` : ''} not found`, details(t)),
  /** A path that names no resource at all. */
  pathNotFound: (path: string) =>
    statusError(404, 'NotFound', `the server could not find the requested resource (${path})`),
  alreadyExists: (t: Target) =>
    statusError(409, 'AlreadyExists', `${qualified(t)} "${t.name}" already exists`, details(t)),
  conflict: (
    t: Target,
    why = 'the object has been modified; please apply your changes to the latest version and try again',
  ) =>
    statusError(
      409,
      'Conflict',
      `Operation cannot be fulfilled on ${qualified(t)} "${t.name}": ${why}`,
      details(t),
    ),
  /** A watch or list from a compacted resourceVersion: the client must relist. */
  expired: (message: string) => statusError(410, 'Expired', message),
  gone: (message: string) => statusError(410, 'Gone', message),
  tooLarge: (message = 'the request is too large') => statusError(413, 'RequestEntityTooLarge', message),
  unsupportedMediaType: (type: string) =>
    statusError(
      415,
      'UnsupportedMediaType',
      `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/apply-patch+yaml, application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json (got ${type || 'none'})`,
    ),
  notAcceptable: (accept: string) =>
    statusError(
      406,
      'NotAcceptable',
      `only the following media types are accepted: application/json, application/yaml (got ${accept})`,
    ),
  methodNotAllowed: (method: string, what: string) =>
    statusError(
      405,
      'MethodNotAllowed',
      `the server does not allow this method on the requested resource (${method} ${what})`,
    ),
  /** Refused for load; the client may retry after `retryAfterSeconds` (sent as Retry-After too). */
  tooManyRequests: (message: string, retryAfterSeconds?: number) =>
    statusError(
      429,
      'TooManyRequests',
      message,
      retryAfterSeconds !== undefined ? { retryAfterSeconds } : undefined,
    ),
  timeout: (message: string) => statusError(504, 'Timeout', message),
  unavailable: (message: string) => statusError(503, 'ServiceUnavailable', message),
  /** A subresource Shoal does not serve yet. */
  notImplemented: (what: string) =>
    statusError(501, 'NotImplemented', `${what} is not implemented by this server yet`),
  internal: (message: string) => statusError(500, 'InternalError', `Internal error occurred: ${message}`),
  invalid: (t: Target & { kind: string }, fieldErrors: FieldError[]) => {
    const list = fieldErrors.map(formatFieldError);
    const summary = list.length === 1 ? list[0] : `[${list.join(', ')}]`;
    return statusError(
      422,
      'Invalid',
      `${t.kind}${t.group ? `.${t.group}` : ''} "${t.name ?? ''}" is invalid: ${summary}`,
      {
        ...(t.name ? { name: t.name } : {}),
        ...(t.group ? { group: t.group } : {}),
        kind: t.kind,
        causes: fieldErrors.map((e) => ({
          reason: `FieldValue${e.type}`,
          message: formatFieldError(e).slice(e.field.length + 2),
          field: e.field,
        })),
      },
    );
  },
};

// ---- field errors (validation) ---------------------------------------------------------------

export type FieldErrorType =
  | 'Required'
  | 'Invalid'
  | 'NotSupported'
  | 'Forbidden'
  | 'Duplicate'
  | 'TooLong'
  | 'TooMany'
  | 'NotFound'
  | 'TypeInvalid';

export interface FieldError {
  type: FieldErrorType;
  /** Path as Kubernetes prints it: `spec.containers[0].ports[1].containerPort`. */
  field: string;
  value?: unknown;
  detail?: string;
  /** For NotSupported: the values that are. */
  supported?: string[];
}

function quoteValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

export function formatFieldError(e: FieldError): string {
  const at = `${e.field}: `;
  switch (e.type) {
    case 'Required':
      return `${at}Required value${e.detail ? `: ${e.detail}` : ''}`;
    case 'Invalid':
    case 'TypeInvalid':
      return `${at}Invalid value: ${quoteValue(e.value)}${e.detail ? `: ${e.detail}` : ''}`;
    case 'NotSupported':
      return `${at}Unsupported value: ${quoteValue(e.value)}${
        e.supported ? `: supported values: ${e.supported.map((s) => JSON.stringify(s)).join(', ')}` : ''
      }`;
    case 'Forbidden':
      return `${at}Forbidden${e.detail ? `: ${e.detail}` : ''}`;
    case 'Duplicate':
      return `${at}Duplicate value: ${quoteValue(e.value)}`;
    case 'TooLong':
      return `${at}Too long: ${e.detail ?? 'value is too long'}`;
    case 'TooMany':
      return `${at}Too many: ${e.detail ?? 'too many items'}`;
    case 'NotFound':
      return `${at}Not found: ${quoteValue(e.value)}`;
  }
}

/** Helpers that read like Kubernetes' field.Required(...), field.Invalid(...). */
export const field = {
  required: (path: string, detail?: string): FieldError => ({
    type: 'Required',
    field: path,
    ...(detail ? { detail } : {}),
  }),
  invalid: (path: string, value: unknown, detail?: string): FieldError => ({
    type: 'Invalid',
    field: path,
    value,
    ...(detail ? { detail } : {}),
  }),
  notSupported: (path: string, value: unknown, supported: string[]): FieldError => ({
    type: 'NotSupported',
    field: path,
    value,
    supported,
  }),
  forbidden: (path: string, detail: string): FieldError => ({ type: 'Forbidden', field: path, detail }),
  duplicate: (path: string, value: unknown): FieldError => ({ type: 'Duplicate', field: path, value }),
  tooLong: (path: string, max: number): FieldError => ({
    type: 'TooLong',
    field: path,
    detail: `may not be more than ${max} bytes`,
  }),
  tooMany: (path: string, actual: number, max: number): FieldError => ({
    type: 'TooMany',
    field: path,
    detail: `has ${actual}, must have at most ${max} items`,
  }),
  notFound: (path: string, value: unknown): FieldError => ({ type: 'NotFound', field: path, value }),
};

/** Translate a store failure about `t` into the API error a client expects. */
export function fromStoreError(err: unknown, t: Target): ApiError {
  if (err instanceof ApiError) return err;
  if (!isStoreError(err)) return errors.internal(errorMessage(err));
  const e = err as StoreError;
  switch (e.code) {
    case 'NotFound':
      return errors.notFound(t);
    case 'AlreadyExists':
      return errors.alreadyExists(t);
    case 'Conflict':
      return errors.conflict(t);
    case 'Expired':
      return errors.expired(`too old resource version: ${e.message}`);
    case 'TooLarge':
      return errors.tooLarge(`${qualified(t)} "${t.name ?? ''}" is too large: ${e.message}`);
    case 'InvalidArgument':
      return errors.badRequest(e.message);
    case 'WatcherTooSlow':
    case 'Unavailable':
    case 'Closed':
      return errors.unavailable(e.message);
  }
}
