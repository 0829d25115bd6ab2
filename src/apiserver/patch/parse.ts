/**
 * Decoding patch bodies safely. JSON patch types are JSON only (as in Kubernetes); apply bodies
 * are YAML (JSON is YAML too), decoded with unique keys, few aliases (no "billion laughs"), one
 * document, scalar keys and plain JSON values. Every failure is a 400 naming the problem.
 */
import YAML, { Composer, isScalar, Parser } from 'yaml';
import { errors } from '../../api/errors.js';
import { jsonProblem, jsonTypeName } from '../../api/json-value.js';
import { yamlDepthExceeds } from '../yaml-depth.js';

/** Aliases a YAML apply body may use; real manifests use none. */
const MAX_YAML_ALIASES = 20;

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

/**
 * Deepest nesting an apply body may have; measured before composing (see ../yaml-depth.ts).
 */
const MAX_YAML_DEPTH = 200;

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
    if (yamlDepthExceeds(body, MAX_YAML_DEPTH))
      throw new Error(`the document is nested more than ${MAX_YAML_DEPTH} levels deep`);
    const tokens = Array.from(new Parser().parse(body));
    const docs = Array.from(new Composer(options).compose(tokens));
    if (docs.length > 1) throw new Error('Source contains multiple documents; send one object per request');
    const doc = docs[0];
    const first = doc?.errors[0];
    if (first) throw first;
    if (doc) {
      YAML.visit(doc, {
        Pair(_, pair) {
          if (pair.key !== null && !isScalar(pair.key))
            throw new Error('map keys must be strings, not collections');
        },
      });
    }
    value = doc ? doc.toJS(options) : null;
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
