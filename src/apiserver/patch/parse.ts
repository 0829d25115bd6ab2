/**
 * Decoding patch bodies safely. JSON patch types are JSON only (as in Kubernetes); apply bodies
 * are YAML (JSON is YAML too), decoded with unique keys, few aliases (no "billion laughs"), one
 * document, scalar keys and plain JSON values. Every failure is a 400 naming the problem.
 */
import YAML, { Composer, type CST, isScalar, Lexer, Parser } from 'yaml';
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

/**
 * Deepest nesting an apply body may have. The YAML composer recurses per level, so depth is
 * measured first on the parser's concrete syntax tree, which is built without recursion.
 */
export const MAX_YAML_DEPTH = 200;

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
    if (roughDepthAbove(body, 5 * MAX_YAML_DEPTH))
      throw new Error(`the document is nested more than ${MAX_YAML_DEPTH} levels deep`);
    const tokens = Array.from(new Parser().parse(body));
    if (cstDepth(tokens) > MAX_YAML_DEPTH)
      throw new Error(`the document is nested more than ${MAX_YAML_DEPTH} levels deep`);
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

/** Nesting depth of YAML collections in a concrete syntax tree, walked without recursion. */
function cstDepth(tokens: CST.Token[]): number {
  let max = 0;
  const stack: [unknown, number][] = tokens.map((t) => [t, 0]);
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (!node || typeof node !== 'object') continue;
    max = Math.max(max, depth);
    const n = node as { type?: string; value?: unknown; items?: { key?: unknown; value?: unknown }[] };
    if (n.type === 'document') stack.push([n.value, depth]);
    else if (Array.isArray(n.items)) {
      for (const item of n.items) {
        if (item.key) stack.push([item.key, depth + 1]);
        if (item.value) stack.push([item.value, depth + 1]);
      }
    }
  }
  return max;
}

/**
 * A quick upper bound on nesting from the lexer (flow brackets + indentation + block indicators
 * on the line), which stops as soon as it passes `limit`: hostile bodies are refused before the
 * full syntax tree is built.
 */
function roughDepthAbove(body: string, limit: number): boolean {
  let flow = 0;
  let indent = 0;
  let indicators = 0;
  let lineStart = true;
  for (const token of new Lexer().lex(body)) {
    if (token === '{' || token === '[') flow++;
    else if (token === '}' || token === ']') flow = Math.max(0, flow - 1);
    else if (token === '-' || token === '?' || token === ':') indicators++;
    else if (token.startsWith('\n') || token.startsWith('\r')) {
      lineStart = true;
      indent = 0;
      indicators = 0;
      continue;
    } else if (lineStart && /^ +$/.test(token)) indent = token.length;
    lineStart = false;
    if (flow + indent + indicators > limit) return true;
  }
  return false;
}
