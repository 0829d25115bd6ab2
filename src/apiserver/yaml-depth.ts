/**
 * How deeply a YAML text nests, measured without recursion. The `yaml` package composes
 * documents recursively, so a hostile body (10,000 nested levels) must be refused before it is
 * composed. Shared by every place that decodes YAML request bodies.
 */
import { type CST, Lexer, Parser } from 'yaml';

/** True when `text` nests collections more than `max` levels deep. */
export function yamlDepthExceeds(text: string, max: number): boolean {
  // A cheap upper bound first stops hostile input before the syntax tree is built.
  if (roughDepthAbove(text, 5 * max)) return true;
  return cstDepth(Array.from(new Parser().parse(text))) > max;
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
 * An upper bound on nesting from the lexer (flow brackets + indentation + block indicators on
 * the line), which stops as soon as it passes `limit`.
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
