/**
 * Reading and decoding request bodies as if every request came from the internet: a size cap
 * enforced before and while reading, a nesting-depth cap, YAML alias-expansion limits (the
 * "billion laughs", CVE-2019-11253), and duplicate-field detection for strict validation.
 */
import type { IncomingMessage } from 'node:http';
import { parseDocument } from 'yaml';
import { errors } from '../api/errors.js';
import { decodeProtobuf, isProtobuf } from './protobuf/index.js';
import { yamlDepthExceeds } from './yaml-depth.js';

/** Largest request body accepted, as Kubernetes' apiserver (3 MiB). */
export const MAX_BODY_BYTES = 3 * 1024 * 1024;
/** Deepest nesting of objects and arrays accepted. Real manifests stay far below. */
export const MAX_DEPTH = 256;

export function readBody(req: IncomingMessage, maxBytes = MAX_BODY_BYTES): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    req.resume();
    return Promise.reject(
      errors.tooLarge(`the request is too large: ${declared} bytes, the limit is ${maxBytes}`),
    );
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > maxBytes) {
        done = true;
        chunks.length = 0;
        // Stop buffering; the response closes the connection.
        req.pause();
        reject(errors.tooLarge(`the request is too large: more than ${maxBytes} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!done) {
        done = true;
        resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
      }
    });
    req.on('error', (err) => {
      if (!done) {
        done = true;
        reject(errors.badRequest(`error reading the request body: ${err.message}`));
      }
    });
  });
}

export interface Decoded {
  value: unknown;
  /** Paths of fields given twice in one object (for fieldValidation=Strict). */
  duplicates: string[];
  /** Protobuf bodies only: paths of fields skipped as unknown (not yet reported by strict validation). */
  unknownFields?: string[];
}

function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

export function isYaml(contentType: string | undefined): boolean {
  const t = mediaType(contentType);
  return (
    t === 'application/yaml' ||
    t === 'application/x-yaml' ||
    t === 'text/yaml' ||
    t === 'application/apply-patch+yaml'
  );
}

/** Decode a JSON, YAML or Kubernetes protobuf body into a plain value. */
export function decodeBody(body: Buffer, contentType: string | undefined): Decoded {
  if (body.length === 0) throw errors.badRequest('the request body is empty');
  if (isProtobuf(mediaType(contentType))) return decodeProtobuf(body);
  const text = body.toString('utf8');
  if (isYaml(contentType) && !looksLikeJson(text)) return decodeYaml(text);
  const t = mediaType(contentType);
  if (t !== '' && !t.endsWith('json') && !isYaml(contentType)) throw errors.unsupportedMediaType(t);
  return decodeJson(text);
}

function looksLikeJson(text: string): boolean {
  const first = text.trimStart()[0];
  return first === '{' || first === '[';
}

export function decodeJson(text: string): Decoded {
  const duplicates = scanJson(text);
  try {
    return { value: JSON.parse(text), duplicates };
  } catch (err) {
    throw errors.badRequest(`the request body is not valid JSON: ${(err as Error).message}`);
  }
}

export function decodeYaml(text: string): Decoded {
  checkYamlDepth(text);
  let doc: ReturnType<typeof parseDocument>;
  try {
    doc = parseDocument(text, { uniqueKeys: false, prettyErrors: false });
  } catch (err) {
    throw errors.badRequest(`the request body is not valid YAML: ${(err as Error).message}`);
  }
  if (doc.errors.length > 0) {
    throw errors.badRequest(`the request body is not valid YAML: ${doc.errors[0]!.message}`);
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    throw errors.badRequest(`the request body is not acceptable YAML: ${(err as Error).message}`);
  }
  const duplicates: string[] = [];
  for (const w of doc.warnings) if (/duplicate/i.test(w.message)) duplicates.push(w.message);
  findYamlDuplicates(doc.contents, '', duplicates);
  return { value, duplicates };
}

/**
 * One pass over JSON text before parsing: rejects nesting deeper than MAX_DEPTH and collects the
 * paths of keys that appear twice in the same object.
 */
function scanJson(text: string): string[] {
  const duplicates: string[] = [];
  // One frame per open container: its keys so far (objects only), the last key, and its path.
  const stack: { keys: Set<string> | undefined; path: string; index: number }[] = [];
  let expectKey = false;
  let lastKey = '';
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      const start = i + 1;
      let escaped = false;
      i += 1;
      for (; i < n; i++) {
        const d = text.charCodeAt(i);
        if (d === 0x5c /* \ */) {
          escaped = true;
          i += 1;
        } else if (d === 0x22) break;
      }
      if (expectKey) {
        const frame = stack[stack.length - 1]!;
        let key = text.slice(start, i);
        if (escaped) {
          try {
            key = JSON.parse(`"${key}"`) as string;
          } catch {
            // malformed: JSON.parse of the whole body reports it
          }
        }
        if (frame.keys!.has(key)) duplicates.push(frame.path ? `${frame.path}.${key}` : key);
        else frame.keys!.add(key);
        lastKey = key;
        expectKey = false;
      }
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (stack.length >= MAX_DEPTH) {
        throw errors.badRequest(`the request body nests deeper than ${MAX_DEPTH} levels`);
      }
      const parent = stack[stack.length - 1];
      let path = '';
      if (parent)
        path = parent.keys
          ? parent.path
            ? `${parent.path}.${lastKey}`
            : lastKey
          : `${parent.path}[${parent.index}]`;
      stack.push({ keys: c === 0x7b ? new Set() : undefined, path, index: 0 });
      expectKey = c === 0x7b;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop();
      expectKey = false;
    } else if (c === 0x2c /* , */) {
      const frame = stack[stack.length - 1];
      if (frame) {
        if (frame.keys) expectKey = true;
        else frame.index += 1;
      }
    }
  }
  return duplicates;
}

function checkYamlDepth(text: string): void {
  if (yamlDepthExceeds(text, MAX_DEPTH)) {
    throw errors.badRequest(`the request body nests deeper than ${MAX_DEPTH} levels`);
  }
}

interface YamlNodeLike {
  items?: { key?: { value?: unknown } | null; value?: unknown }[];
}

function findYamlDuplicates(node: unknown, path: string, out: string[]): void {
  const n = node as YamlNodeLike | null;
  if (!n || !Array.isArray(n.items)) return;
  const seen = new Set<string>();
  n.items.forEach((item, index) => {
    if (item && typeof item === 'object' && 'key' in item) {
      const key = String((item.key as { value?: unknown } | null)?.value ?? item.key);
      const p = path ? `${path}.${key}` : key;
      if (seen.has(key)) out.push(p);
      seen.add(key);
      findYamlDuplicates(item.value, p, out);
    } else {
      findYamlDuplicates(item, `${path}[${index}]`, out);
    }
  });
}
