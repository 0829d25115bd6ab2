/**
 * JSON patch (RFC 6902, `application/json-patch+json`), applied with `fast-json-patch` and
 * reported the way Kubernetes reports it: a body that is not a list of operations is a 400; more
 * than 10,000 operations is a 413; an operation that does not apply (including a failed `test`) is
 * a 422 "the server rejected our request due to an error in our request" whose cause carries the
 * json-patch library's message, as evanphx/json-patch words it.
 */

import type { Operation } from 'fast-json-patch';
import jsonpatch from 'fast-json-patch';
import { errors, statusError } from '../../api/errors.js';
import { deepClone, jsonTypeName } from '../../api/json-value.js';
import { parseJson } from './parse.js';

/** Kubernetes' maxJSONPatchOperations. */
export const MAX_JSON_PATCH_OPERATIONS = 10000;

/** Total bytes `copy` operations may add, so that a short patch cannot build a huge object. */
export const MAX_COPY_BYTES = 3 * 1024 * 1024;

const OPS = new Set(['add', 'remove', 'replace', 'move', 'copy', 'test']);

/** The 422 Kubernetes returns when a JSON patch does not apply (NewGenericServerResponse). */
export function patchRejected(detail: string) {
  return statusError(422, 'Invalid', 'the server rejected our request due to an error in our request', {
    causes: [{ reason: 'UnexpectedServerResponse', message: detail }],
  });
}

/** Decode a JSON patch body into its operations (400 when it is not a list of operations). */
function decodeJsonPatch(body: string): Operation[] {
  const value = parseJson(body, 'error decoding patch');
  if (!Array.isArray(value)) {
    throw errors.badRequest(
      `json: cannot unmarshal ${jsonTypeName(value)} into Go value of type jsonpatch.Patch`,
    );
  }
  for (const op of value) {
    if (jsonTypeName(op) !== 'object') {
      throw errors.badRequest(
        `json: cannot unmarshal ${jsonTypeName(op)} into Go value of type jsonpatch.Operation`,
      );
    }
  }
  if (value.length > MAX_JSON_PATCH_OPERATIONS) {
    throw errors.tooLarge(
      `The allowed maximum operations in a JSON patch is ${MAX_JSON_PATCH_OPERATIONS}, got ${value.length}`,
    );
  }
  return value as Operation[];
}

/** Apply a JSON patch to `doc` (not mutated); the result must still be an object. */
export function applyJsonPatch(doc: Record<string, unknown>, body: string): Record<string, unknown> {
  const ops = decodeJsonPatch(body);
  let current: unknown = deepClone(doc);
  let copied = 0;
  for (const [index, op] of ops.entries()) {
    checkShape(op);
    if (op.op === 'copy') {
      const source = lookup(current, op.from);
      copied += source === undefined ? 0 : JSON.stringify(source).length;
      if (copied > MAX_COPY_BYTES) {
        throw patchRejected(
          `Unable to complete copy, would accumulate size ${copied} bytes, limit ${MAX_COPY_BYTES} bytes`,
        );
      }
    }
    try {
      current = jsonpatch.applyOperation(current, op, true, true, true, index).newDocument;
    } catch (err) {
      throw patchRejected(describe(err, op, current));
    }
  }
  if (jsonTypeName(current) !== 'object') {
    throw patchRejected(`the patched document is a JSON ${jsonTypeName(current)}, not an object`);
  }
  return current as Record<string, unknown>;
}

/** Reject what evanphx/json-patch rejects before fast-json-patch sees it (root targets, bad ops). */
function checkShape(op: Operation): void {
  const raw = op as unknown as Record<string, unknown>;
  if (typeof raw.op !== 'string' || !OPS.has(raw.op)) {
    throw patchRejected(`Unexpected kind: ${typeof raw.op === 'string' ? raw.op : 'unknown'}`);
  }
  if (typeof raw.path !== 'string')
    throw patchRejected(`${raw.op} operation failed to decode path: missing value`);
  if (raw.path === '' || !raw.path.startsWith('/')) {
    throw patchRejected(
      `${raw.op} operation does not apply: doc is missing path: "${raw.path}": missing value`,
    );
  }
  if (
    (raw.op === 'move' || raw.op === 'copy') &&
    (typeof raw.from !== 'string' || !raw.from.startsWith('/'))
  ) {
    throw patchRejected(
      `${raw.op} operation does not apply: doc is missing from path: ${String(raw.from ?? '')}: missing value`,
    );
  }
  if ((raw.op === 'add' || raw.op === 'replace' || raw.op === 'test') && !Object.hasOwn(raw, 'value')) {
    throw patchRejected(`${raw.op} operation missing value field: missing value`);
  }
}

function lookup(doc: unknown, pointer: string): unknown {
  try {
    return jsonpatch.getValueByPointer(doc, pointer);
  } catch {
    return undefined;
  }
}

function parentOf(pointer: string): string {
  return pointer.slice(0, pointer.lastIndexOf('/'));
}

function lastToken(pointer: string): string {
  return pointer
    .slice(pointer.lastIndexOf('/') + 1)
    .replace(/~1/g, '/')
    .replace(/~0/g, '~');
}

/** Word a fast-json-patch failure the way evanphx/json-patch (Kubernetes' library) words it. */
function describe(err: unknown, op: Operation, doc: unknown): string {
  const name = (err as { name?: string }).name ?? '';
  const path = op.path;
  const parentMissing = parentOf(path) !== '' && lookup(doc, parentOf(path)) === undefined;
  switch (name) {
    case 'TEST_OPERATION_FAILED':
      return `testing value ${path} failed: test failed`;
    case 'OPERATION_PATH_CANNOT_ADD':
      return `add operation does not apply: doc is missing path: "${path}": missing value`;
    case 'OPERATION_VALUE_OUT_OF_BOUNDS':
    case 'OPERATION_PATH_ILLEGAL_ARRAY_INDEX':
      return `error in ${op.op} for path: '${path}': Unable to access invalid index: ${lastToken(path)}: invalid index referenced`;
    case 'OPERATION_FROM_UNRESOLVABLE': {
      const from = (op as { from?: string }).from ?? '';
      return `${op.op} operation does not apply: doc is missing from path: ${from}: missing value`;
    }
    case 'OPERATION_PATH_UNRESOLVABLE':
      if (op.op === 'replace')
        return `replace operation does not apply: doc is missing key: ${path}: missing value`;
      if (op.op === 'remove' && !parentMissing) {
        return `error in remove for path: '${path}': Unable to remove nonexistent key: ${lastToken(path)}: missing value`;
      }
      return `${op.op} operation does not apply: doc is missing path: "${path}": missing value`;
    case 'OPERATION_VALUE_REQUIRED':
    case 'OPERATION_VALUE_CANNOT_CONTAIN_UNDEFINED':
      return `${op.op} operation missing value field: missing value`;
    default:
      return (err as Error).message?.split('\n')[0] ?? String(err);
  }
}
