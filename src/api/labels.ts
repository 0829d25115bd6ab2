/**
 * Label selectors, as Kubernetes defines them: the string form used in `?labelSelector=` and
 * `kubectl -l` ("app=web,tier!=db,env in (a,b),!canary"), and the structured form in specs
 * (`matchLabels` + `matchExpressions`). Both compile to one list of requirements.
 */
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';

export type Operator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Gt' | 'Lt';

export interface Requirement {
  key: string;
  operator: Operator;
  values: string[];
}

export type Labels = Record<string, string> | undefined;

export class SelectorError extends Error {}

export function matches(requirements: readonly Requirement[], labels: Labels): boolean {
  for (const r of requirements) if (!matchesOne(r, labels)) return false;
  return true;
}

function matchesOne(r: Requirement, labels: Labels): boolean {
  const has = labels !== undefined && Object.hasOwn(labels, r.key);
  const value = has ? labels![r.key]! : undefined;
  switch (r.operator) {
    case 'In':
      return has && r.values.includes(value!);
    case 'NotIn':
      return !has || !r.values.includes(value!);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    case 'Gt':
    case 'Lt': {
      if (!has) return false;
      const n = Number(value);
      const bound = Number(r.values[0]);
      if (!Number.isInteger(n) || !Number.isInteger(bound)) return false;
      return r.operator === 'Gt' ? n > bound : n < bound;
    }
  }
}

/** Parse the string form. An empty string selects everything. */
export function parseSelector(text: string): Requirement[] {
  const parser = new SelectorParser(text);
  return parser.parse();
}

/**
 * Compile a spec's LabelSelector. `undefined` selects nothing (as Kubernetes treats a nil
 * selector for workloads); `{}` selects everything.
 */
export function fromLabelSelector(selector: LabelSelector | undefined | null): Requirement[] | undefined {
  if (!selector) return undefined;
  const out: Requirement[] = [];
  for (const [key, value] of Object.entries(selector.matchLabels ?? {}))
    out.push({ key, operator: 'In', values: [value] });
  for (const e of selector.matchExpressions ?? []) {
    const op = e.operator as Operator;
    if (!['In', 'NotIn', 'Exists', 'DoesNotExist'].includes(op)) {
      throw new SelectorError(`"${e.operator}" is not a valid label selector operator`);
    }
    out.push({ key: e.key, operator: op, values: [...(e.values ?? [])] });
  }
  return out;
}

/** Whether a spec's LabelSelector selects `labels`. */
export function selectorMatches(selector: LabelSelector | undefined | null, labels: Labels): boolean {
  const reqs = fromLabelSelector(selector);
  return reqs !== undefined && matches(reqs, labels);
}

export function formatSelector(requirements: readonly Requirement[]): string {
  return requirements.map(formatRequirement).join(',');
}

function formatRequirement(r: Requirement): string {
  switch (r.operator) {
    case 'In':
      return r.values.length === 1 ? `${r.key}=${r.values[0]}` : `${r.key} in (${r.values.join(',')})`;
    case 'NotIn':
      return r.values.length === 1 ? `${r.key}!=${r.values[0]}` : `${r.key} notin (${r.values.join(',')})`;
    case 'Exists':
      return r.key;
    case 'DoesNotExist':
      return `!${r.key}`;
    case 'Gt':
      return `${r.key}>${r.values[0]}`;
    case 'Lt':
      return `${r.key}<${r.values[0]}`;
  }
}

class SelectorParser {
  private pos = 0;
  constructor(private readonly text: string) {}

  parse(): Requirement[] {
    const out: Requirement[] = [];
    this.skipSpace();
    if (this.pos >= this.text.length) return out;
    for (;;) {
      out.push(this.requirement());
      this.skipSpace();
      if (this.pos >= this.text.length) return out;
      this.expect(',');
    }
  }

  private requirement(): Requirement {
    this.skipSpace();
    if (this.peek() === '!') {
      this.pos += 1;
      return { key: this.key(), operator: 'DoesNotExist', values: [] };
    }
    const key = this.key();
    this.skipSpace();
    const rest = this.text.slice(this.pos);
    if (rest.startsWith('==')) {
      this.pos += 2;
      return { key, operator: 'In', values: [this.value()] };
    }
    if (rest.startsWith('!=')) {
      this.pos += 2;
      return { key, operator: 'NotIn', values: [this.value()] };
    }
    if (rest.startsWith('=')) {
      this.pos += 1;
      return { key, operator: 'In', values: [this.value()] };
    }
    if (rest.startsWith('>') || rest.startsWith('<')) {
      this.pos += 1;
      const v = this.value();
      if (!/^-?\d+$/.test(v))
        throw new SelectorError(`for '${rest[0]}' operator, the value must be an integer, got "${v}"`);
      return { key, operator: rest[0] === '>' ? 'Gt' : 'Lt', values: [v] };
    }
    const word = /^(notin|in)\s*\(/i.exec(rest);
    if (word) {
      this.pos += word[1]!.length;
      this.skipSpace();
      this.expect('(');
      const values: string[] = [];
      for (;;) {
        this.skipSpace();
        if (this.peek() === ')') break;
        values.push(this.value());
        this.skipSpace();
        if (this.peek() === ',') this.pos += 1;
        else break;
      }
      this.skipSpace();
      this.expect(')');
      return { key, operator: word[1]!.toLowerCase() === 'in' ? 'In' : 'NotIn', values };
    }
    if (rest === '' || rest.startsWith(',')) return { key, operator: 'Exists', values: [] };
    throw new SelectorError(
      `unable to parse requirement: found '${rest}', expected: in, notin, =, ==, !=, gt, lt`,
    );
  }

  private key(): string {
    this.skipSpace();
    const m = /^[A-Za-z0-9._/-]+/.exec(this.text.slice(this.pos));
    if (!m)
      throw new SelectorError(
        `unable to parse requirement: expected a label key at position ${this.pos} in "${this.text}"`,
      );
    this.pos += m[0].length;
    return m[0];
  }

  private value(): string {
    this.skipSpace();
    const m = /^[A-Za-z0-9._-]*/.exec(this.text.slice(this.pos));
    this.pos += m![0].length;
    return m![0];
  }

  private expect(ch: string): void {
    if (this.peek() !== ch) {
      throw new SelectorError(`unable to parse "${this.text}": expected '${ch}' at position ${this.pos}`);
    }
    this.pos += 1;
  }

  private peek(): string | undefined {
    return this.text[this.pos];
  }

  private skipSpace(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos]!)) this.pos += 1;
  }
}
