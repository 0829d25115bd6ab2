/**
 * Sets of field paths, as server-side apply tracks ownership, stored as a trie keyed by
 * structured-merge-diff's path elements, which are also the keys of the FieldsV1 format found in
 * `metadata.managedFields[].fieldsV1`:
 *
 * - `f:<name>`            a struct field or a map key:            `f:replicas`
 * - `k:<json object>`     a list item by its list-map keys:       `k:{"name":"nginx"}`
 * - `v:<json value>`      an item of a set-like list:             `v:"example.com/finalizer"`
 * - `i:<index>`           a list item by position (rare)
 *
 * A node is a *member* when its own path is in the set. In FieldsV1 a member without children is
 * `{}` and a member with children carries `".": {}`.
 */
import { canonicalJson, isPlainObject, put } from '../../api/json-value.js';

export type PathElement = string;
export type Path = readonly PathElement[];

export const fieldElement = (name: string): PathElement => `f:${name}`;
export const keyElement = (keys: Record<string, unknown>): PathElement => `k:${canonicalJson(keys)}`;
export const valueElement = (value: unknown): PathElement => `v:${canonicalJson(value)}`;

const RANK: Record<string, number> = { f: 0, k: 1, v: 2, i: 3 };

function compareElements(a: PathElement, b: PathElement): number {
  const ra = RANK[a[0] ?? ''] ?? 9;
  const rb = RANK[b[0] ?? ''] ?? 9;
  if (ra !== rb) return ra - rb;
  if (a.startsWith('i:') && b.startsWith('i:')) return Number(a.slice(2)) - Number(b.slice(2));
  return a < b ? -1 : a > b ? 1 : 0;
}

export class FieldSet {
  member = false;
  readonly children = new Map<PathElement, FieldSet>();

  static of(...paths: Path[]): FieldSet {
    const set = new FieldSet();
    for (const p of paths) set.insert(p);
    return set;
  }

  insert(path: Path): void {
    let node: FieldSet = this;
    for (const pe of path) {
      let next = node.children.get(pe);
      if (!next) {
        next = new FieldSet();
        node.children.set(pe, next);
      }
      node = next;
    }
    node.member = true;
  }

  has(path: Path): boolean {
    const node = this.at(path);
    return node?.member ?? false;
  }

  /** The subtree under `path`, if any. */
  at(path: Path): FieldSet | undefined {
    let node: FieldSet | undefined = this;
    for (const pe of path) {
      node = node.children.get(pe);
      if (!node) return undefined;
    }
    return node;
  }

  child(pe: PathElement): FieldSet | undefined {
    return this.children.get(pe);
  }

  isEmpty(): boolean {
    return !this.member && this.children.size === 0;
  }

  clone(): FieldSet {
    const out = new FieldSet();
    out.member = this.member;
    for (const [pe, c] of this.children) out.children.set(pe, c.clone());
    return out;
  }

  equals(other: FieldSet): boolean {
    if (this.member !== other.member || this.children.size !== other.children.size) return false;
    for (const [pe, c] of this.children) {
      const o = other.children.get(pe);
      if (!o || !c.equals(o)) return false;
    }
    return true;
  }

  union(other: FieldSet): FieldSet {
    const out = this.clone();
    out.addAll(other);
    return out;
  }

  private addAll(other: FieldSet): void {
    this.member ||= other.member;
    for (const [pe, c] of other.children) {
      const mine = this.children.get(pe);
      if (mine) mine.addAll(c);
      else this.children.set(pe, c.clone());
    }
  }

  /** Members of this set that are not members of `other` (subtrees are compared member by member). */
  difference(other: FieldSet | undefined): FieldSet {
    if (!other) return this.clone();
    const out = new FieldSet();
    out.member = this.member && !other.member;
    for (const [pe, c] of this.children) {
      const d = c.difference(other.children.get(pe));
      if (!d.isEmpty()) out.children.set(pe, d);
    }
    return out;
  }

  /** Members of this set that are members of `other`. */
  intersection(other: FieldSet | undefined): FieldSet {
    const out = new FieldSet();
    if (!other) return out;
    out.member = this.member && other.member;
    for (const [pe, c] of this.children) {
      const o = other.children.get(pe);
      if (!o) continue;
      const i = c.intersection(o);
      if (!i.isEmpty()) out.children.set(pe, i);
    }
    return out;
  }

  /** Whether some member of this set is a member of `other` (intersection, without building it). */
  intersects(other: FieldSet | undefined): boolean {
    if (!other) return false;
    if (this.member && other.member) return true;
    const [few, many] = this.children.size <= other.children.size ? [this, other] : [other, this];
    for (const [pe, c] of few.children) {
      const o = many.children.get(pe);
      if (o && c.intersects(o)) return true;
    }
    return false;
  }

  /** This set without `path` and everything below it. */
  withoutSubtree(path: Path): FieldSet {
    const out = this.clone();
    const last = path[path.length - 1];
    if (last === undefined) return new FieldSet();
    out.at(path.slice(0, -1))?.children.delete(last);
    out.prune();
    return out;
  }

  /** Remove empty non-member nodes. */
  prune(): void {
    for (const [pe, c] of this.children) {
      c.prune();
      if (c.isEmpty()) this.children.delete(pe);
    }
  }

  /** Every member path, depth first, in FieldsV1 order. */
  *paths(prefix: PathElement[] = []): Generator<PathElement[]> {
    if (this.member && prefix.length > 0) yield [...prefix];
    for (const pe of [...this.children.keys()].sort(compareElements)) {
      yield* this.children.get(pe)!.paths([...prefix, pe]);
    }
  }

  /** The FieldsV1 JSON of this set. */
  toFieldsV1(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    if (this.member && this.children.size > 0) out['.'] = {};
    for (const pe of [...this.children.keys()].sort(compareElements)) {
      put(out, pe, this.children.get(pe)!.toFieldsV1());
    }
    return out;
  }

  /** Decode FieldsV1 JSON; throws an Error describing the first malformed entry. */
  static fromFieldsV1(json: unknown): FieldSet {
    const root = new FieldSet();
    const decode = (node: FieldSet, value: unknown, at: string) => {
      if (!isPlainObject(value)) throw new Error(`${at || 'fieldsV1'}: expected an object`);
      for (const [key, child] of Object.entries(value)) {
        if (key === '.') {
          node.member = true;
          continue;
        }
        const pe = canonicalElement(key);
        const next = new FieldSet();
        decode(next, child, `${at}${at ? '.' : ''}${key}`);
        if (next.children.size === 0) next.member = true;
        node.children.set(pe, next);
      }
    };
    decode(root, json, '');
    root.member = false;
    return root;
  }
}

/** Validate a FieldsV1 key and bring k:/v: elements to canonical JSON. */
function canonicalElement(key: string): PathElement {
  const kind = key.slice(0, 2);
  const rest = key.slice(2);
  switch (kind) {
    case 'f:':
      return key;
    case 'i:':
      if (!/^\d+$/.test(rest)) throw new Error(`invalid path element ${JSON.stringify(key)}`);
      return key;
    case 'k:': {
      let parsed: unknown;
      try {
        parsed = JSON.parse(rest);
      } catch {
        throw new Error(`invalid path element ${JSON.stringify(key)}`);
      }
      if (!isPlainObject(parsed) || Object.keys(parsed).length === 0) {
        throw new Error(`invalid path element ${JSON.stringify(key)}`);
      }
      return keyElement(parsed);
    }
    case 'v:':
      try {
        return valueElement(JSON.parse(rest));
      } catch {
        throw new Error(`invalid path element ${JSON.stringify(key)}`);
      }
    default:
      throw new Error(`invalid path element ${JSON.stringify(key)}`);
  }
}

/** A path as structured-merge-diff prints it: `.spec.template.spec.containers[name="nginx"].image`. */
export function pathString(path: Path): string {
  return path
    .map((pe) => {
      const rest = pe.slice(2);
      switch (pe.slice(0, 2)) {
        case 'f:':
          return `.${rest}`;
        case 'k:': {
          const keys = JSON.parse(rest) as Record<string, unknown>;
          return `[${Object.keys(keys)
            .sort()
            .map((k) => `${k}=${JSON.stringify(keys[k])}`)
            .join(',')}]`;
        }
        case 'v:':
          return `[=${rest}]`;
        default:
          return `[${rest}]`;
      }
    })
    .join('');
}
