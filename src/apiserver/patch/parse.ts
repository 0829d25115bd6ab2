/**
 * Decoding patch bodies safely. JSON patch types are JSON only (as in Kubernetes); apply bodies
 * are YAML (JSON is YAML too), decoded with unique keys, few aliases (no "billion laughs"), one
 * document, scalar keys and plain JSON values. Every failure is a 400 naming the problem.
 */
import YAML, { isScalar } from 'yaml';
import { errors } from '../../api/errors.js';
import { jsonProblem, jsonTypeName } from './json-value.js';

/** Aliases a YAML apply body may use; real manifests use none. */
export const MAX_YAML_ALIASES = 20;

/** Parse a JSON body; `what` prefixes the error message. */
export function parseJson(body: string, what: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (err) {
    throw errors.badRequest(`${what}: ${(err as Error).message}`);
  }
  const problem = jsonProblem(value);
  if (problem) throw errors.badRequest(`${what}: ${problem}`);
  return value;
}

/** Parse a JSON body that must be an object, worded like Go's decoder when it is not. */
export function parseJsonObject(body: string, what: string): Record<string, unknown> {
  const value = parseJson(body, what);
  if (jsonTypeName(value) !== 'object') {
    throw errors.badRequest(
      `${what}: json: cannot unmarshal ${jsonTypeName(value)} into Go value of type map[string]interface {}`,
    );
  }
  return value as Record<string, unknown>;
}

/** Parse a server-side apply body (YAML or JSON) into an object. */
export function parseApplyBody(body: string): Record<string, unknown> {
  const fail = (message: string) => errors.badRequest(`error decoding YAML: ${message}`);
  const options = {
    uniqueKeys: true,
    maxAliasCount: MAX_YAML_ALIASES,
    prettyErrors: false,
    merge: false,
    logLevel: 'silent' as const,
  };
  let value: unknown;
  try {
    const doc = YAML.parseDocument(body, options);
    const first = doc.errors[0];
    if (first) throw first;
    YAML.visit(doc, {
      Pair(_, pair) {
        if (pair.key !== null && !isScalar(pair.key))
          throw new Error('map keys must be strings, not collections');
      },
    });
    value = doc.toJS(options);
  } catch (err) {
    const message = err instanceof RangeError ? 'the document is nested too deeply' : (err as Error).message;
    throw fail(message.split('\n')[0] ?? message);
  }
  const problem = jsonProblem(value);
  if (problem) throw fail(problem);
  if (jsonTypeName(value) !== 'object') {
    throw fail(`json: cannot unmarshal ${jsonTypeName(value)} into Go value of type map[string]interface {}`);
  }
  return value as Record<string, unknown>;
}
