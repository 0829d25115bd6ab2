/**
 * The request/response shapes handlers work with, independent of node:http, so handlers are
 * plain functions that unit tests call directly.
 */
import type { IncomingHttpHeaders } from 'node:http';

/** Who is calling, as authentication established it (Kubernetes' user.Info). */
export interface UserInfo {
  username: string;
  uid?: string;
  groups: string[];
}

export interface ApiRequest {
  method: string;
  /** Path without the query string, e.g. /api/v1/namespaces/default/pods. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  user: UserInfo;
  /** Reads the request body (size-capped); for path handlers that accept one. */
  readBody?: () => Promise<Buffer>;
}

export interface ApiResponse {
  status: number;
  headers?: Record<string, string>;
  /** An object is sent as JSON; a string or Buffer as is (set content-type in headers). */
  body: unknown;
}
