/**
 * Decodes a Kubernetes protobuf request body (`application/vnd.kubernetes.protobuf`) into the plain
 * JSON object a JSON client would have sent for the same Go object, so that defaults, validation
 * and storage see no difference.
 *
 * The body is the magic "k8s\0" and a runtime.Unknown message: typeMeta {apiVersion, kind}, raw
 * (the object's own message), contentEncoding, contentType. The object's message is read with the
 * generated field table (messages.ts); protobufjs's Reader does the wire format.
 *
 * JSON view rules, those of Go's encoding/json over the typed struct the bytes decode into:
 * - A field absent from the wire is absent from the JSON (proto2: pointers, slices and maps that
 *   were nil). A present one appears, zero or not (`replicas: 0`), except a non-pointer scalar
 *   tagged omitempty (flag o): Kubernetes' Go marshaller writes those even when "" or 0, and JSON
 *   would have left them out (`imagePullPolicy: ""` would otherwise block defaulting).
 * - A present message appears, `{}` when empty; a zero Time is `null`, as Go writes it.
 * - Inlined Go structs (Volume's VolumeSource, Probe's ProbeHandler) merge into their parent.
 * - bytes are base64; int64 become numbers; Time is RFC 3339 to the second, MicroTime to the
 *   microsecond; IntOrString is a number or a string; Quantity a string.
 * - A field number the table does not know, or one newer than our schemas (flag x), is skipped,
 *   and its path recorded in `unknownFields` (e.g. "spec.#42", "spec.resources").
 * Malformed input is a 400 naming the problem and where it is.
 */
import protobuf from 'protobufjs/minimal.js';
import { ApiError, errors } from '../../api/errors.js';
import { isPlainObject, put } from '../../api/json-value.js';
import { MESSAGES, ROOTS } from './messages.js';
import { type Field, fieldOf } from './table.js';

const { Reader } = protobuf;
type Reader = InstanceType<typeof Reader>;

export const PROTOBUF_MEDIA_TYPE = 'application/vnd.kubernetes.protobuf';

/** "k8s\0": every Kubernetes protobuf document starts with it. */
const MAGIC = Uint8Array.of(0x6b, 0x38, 0x73, 0x00);

/** Deepest nesting of messages accepted. Real objects stay below 20 (CronJob → … → matchExpressions). */
const MAX_MESSAGE_DEPTH = 100;

/** Deepest nesting accepted in the JSON a RawExtension or FieldsV1 carries. */
const MAX_JSON_DEPTH = 256;

/** Wire types. */
const VARINT = 0;
const FIXED64 = 1;
const LEN = 2;
const FIXED32 = 5;

export interface ProtobufDecoded {
  value: Record<string, unknown>;
  /** Protobuf has no duplicate keys: a repeated singular field is a merge, as protobuf defines it. */
  duplicates: string[];
  /** Paths of fields skipped because Shoal does not know them ("spec.#42", "spec.resources"). */
  unknownFields: string[];
}

export function isProtobuf(mediaType: string): boolean {
  return mediaType === PROTOBUF_MEDIA_TYPE;
}

class DecodeError extends Error {}

interface Context {
  unknown: string[];
  maxDepth: number;
  /** The path being read, for error messages. */
  at: string;
}

/** Decode a whole request body: magic, runtime.Unknown envelope, then the object. */
export function decodeProtobuf(body: Uint8Array, options: { maxDepth?: number } = {}): ProtobufDecoded {
  if (body.length < MAGIC.length || MAGIC.some((b, i) => body[i] !== b)) {
    throw errors.badRequest(
      `the request body is not a Kubernetes protobuf message: it does not start with the bytes "k8s\\0"`,
    );
  }
  if (body.length === MAGIC.length) throw errors.badRequest('the request body is empty');
  const ctx: Context = { unknown: [], maxDepth: options.maxDepth ?? MAX_MESSAGE_DEPTH, at: '' };
  try {
    const value = readEnvelope(body.subarray(MAGIC.length), '', 0, ctx);
    return { value, duplicates: [], unknownFields: ctx.unknown };
  } catch (err) {
    if (err instanceof ApiError) throw err;
    const where = ctx.at ? ` at ${ctx.at}` : '';
    throw errors.badRequest(`the request body is not valid protobuf${where}: ${(err as Error).message}`);
  }
}

/** runtime.Unknown: typeMeta = 1 {apiVersion = 1, kind = 2}, raw = 2, contentEncoding = 3, contentType = 4. */
function readEnvelope(bytes: Uint8Array, path: string, depth: number, ctx: Context): Record<string, unknown> {
  let apiVersion = '';
  let kind = '';
  let raw: Uint8Array = new Uint8Array(0);
  let contentEncoding = '';
  let contentType = '';
  const r = Reader.create(bytes);
  while (r.pos < r.len) {
    const [no, wire] = tag(r);
    if (no === 1) {
      const meta = Reader.create(bytesField(r, wire));
      while (meta.pos < meta.len) {
        const [n, w] = tag(meta);
        if (n === 1) apiVersion = stringField(meta, w);
        else if (n === 2) kind = stringField(meta, w);
        else meta.skipType(w);
      }
    } else if (no === 2) raw = bytesField(r, wire);
    else if (no === 3) contentEncoding = stringField(r, wire);
    else if (no === 4) contentType = stringField(r, wire);
    else r.skipType(wire);
  }
  if (contentEncoding) throw errors.badRequest(`unsupported protobuf content encoding "${contentEncoding}"`);
  if (contentType && contentType !== PROTOBUF_MEDIA_TYPE) {
    throw errors.badRequest(`unsupported content type "${contentType}" inside the protobuf envelope`);
  }
  if (!kind) throw errors.badRequest("Object 'Kind' is missing in the protobuf envelope");
  // DeleteOptions is registered in every group version, so clients send it under any of them.
  const message = kind === 'DeleteOptions' ? 'meta.v1.DeleteOptions' : ROOTS[`${apiVersion} ${kind}`];
  if (!message) {
    throw errors.badRequest(`no kind "${kind}" is registered for version "${apiVersion}" in protobuf`);
  }
  return { apiVersion, kind, ...readMessage(raw, message, path, depth + 1, ctx) };
}

function tag(r: Reader): [number, number] {
  const t = r.uint32();
  const no = t >>> 3;
  if (no === 0) throw new DecodeError(`field number 0 at offset ${r.pos}`);
  const wire = t & 7;
  // Groups (3, 4) are deprecated and never used by Kubernetes; skipping them would recurse per level.
  if (wire !== VARINT && wire !== FIXED64 && wire !== LEN && wire !== FIXED32) {
    throw new DecodeError(`unsupported wire type ${wire} at offset ${r.pos}`);
  }
  return [no, wire];
}

function expectWire(wire: number, expected: number): void {
  if (wire !== expected) throw new DecodeError(`wire type ${wire}, expected ${expected}`);
}

function bytesField(r: Reader, wire: number): Uint8Array {
  expectWire(wire, LEN);
  return r.bytes();
}

function stringField(r: Reader, wire: number): string {
  expectWire(wire, LEN);
  return readString(r);
}

/** BufferReader.string() quietly cuts a string that runs past the end; bytes() checks. */
function readString(r: Reader): string {
  const b = r.bytes();
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8');
}

const fieldCache = new Map<string, Map<number, Field>>();

function fieldsOf(message: string): Map<number, Field> {
  let fields = fieldCache.get(message);
  if (!fields) {
    const entries = MESSAGES[message];
    if (!entries) throw new Error(`protobuf table has no message ${message}`);
    fields = new Map(Object.entries(entries).map(([no, entry]) => [Number(no), fieldOf(entry)]));
    fieldCache.set(message, fields);
  }
  return fields;
}

function join(path: string, name: string): string {
  return path ? `${path}.${name}` : name;
}

function readMessage(
  bytes: Uint8Array,
  message: string,
  path: string,
  depth: number,
  ctx: Context,
): Record<string, unknown> {
  if (depth > ctx.maxDepth) {
    ctx.at = path;
    throw new DecodeError(`messages nest deeper than ${ctx.maxDepth} levels`);
  }
  const fields = fieldsOf(message);
  const out: Record<string, unknown> = {};
  const r = Reader.create(bytes);
  while (r.pos < r.len) {
    ctx.at = path;
    const [no, wire] = tag(r);
    const f = fields.get(no);
    if (!f || f.notServed) {
      ctx.unknown.push(join(path, f ? f.name : `#${no}`));
      r.skipType(wire);
      continue;
    }
    const fieldPath = f.inline ? path : join(path, f.name);
    ctx.at = fieldPath;
    if (f.map) {
      const map = (out[f.name] ?? {}) as Record<string, unknown>;
      out[f.name] = map;
      const [key, value] = readMapEntry(bytesField(r, wire), f.type, fieldPath, depth, ctx);
      put(map, key, value);
    } else if (f.repeated) {
      const list = (out[f.name] ?? []) as unknown[];
      out[f.name] = list;
      if (wire === LEN && isPackable(f.type)) {
        // Packed: one length-delimited run of scalars (proto2 allows both forms on the wire).
        const packed = Reader.create(r.bytes());
        while (packed.pos < packed.len) list.push(readScalar(packed, f.type));
      } else {
        list.push(readValue(r, wire, f.type, `${fieldPath}[${list.length}]`, depth, ctx));
      }
    } else if (f.inline) {
      expectWire(wire, LEN);
      merge(out, readMessage(r.bytes(), f.type, path, depth + 1, ctx));
    } else {
      const value = readValue(r, wire, f.type, fieldPath, depth, ctx);
      const previous = out[f.name];
      // A singular message given twice is merged, as protobuf decoders do; a scalar's last value wins.
      out[f.name] = isPlainObject(previous) && isPlainObject(value) ? merge(previous, value) : value;
    }
  }
  for (const f of fields.values()) {
    if (f.omitZero && Object.hasOwn(out, f.name) && isZero(out[f.name])) delete out[f.name];
  }
  return out;
}

function readMapEntry(
  bytes: Uint8Array,
  type: string,
  path: string,
  depth: number,
  ctx: Context,
): [string, unknown] {
  const r = Reader.create(bytes);
  let key = '';
  let value: unknown;
  let present = false;
  while (r.pos < r.len) {
    const [no, wire] = tag(r);
    if (no === 1) key = stringField(r, wire);
    else if (no === 2) {
      value = readValue(r, wire, type, join(path, key), depth, ctx);
      present = true;
    } else r.skipType(wire);
  }
  ctx.at = join(path, key);
  if (!present) value = zeroOf(type, path, depth, ctx);
  return [key, value];
}

function wireOf(type: string): number {
  switch (type) {
    case 'int32':
    case 'int64':
    case 'uint32':
    case 'uint64':
    case 'bool':
      return VARINT;
    case 'double':
      return FIXED64;
    case 'float':
      return FIXED32;
    default:
      return LEN;
  }
}

function isPackable(type: string): boolean {
  return wireOf(type) !== LEN;
}

function readValue(
  r: Reader,
  wire: number,
  type: string,
  path: string,
  depth: number,
  ctx: Context,
): unknown {
  const expected = wireOf(type);
  expectWire(wire, expected);
  if (expected !== LEN || type === 'string' || type === 'bytes') return readScalar(r, type);
  return readEmbedded(r.bytes(), type, path, depth + 1, ctx);
}

function readScalar(r: Reader, type: string): unknown {
  switch (type) {
    case 'string':
      return readString(r);
    case 'bytes':
      return base64(r.bytes());
    case 'bool':
      return r.bool();
    case 'int32':
      return r.int32();
    case 'uint32':
      return r.uint32();
    case 'int64':
      return toNumber(r.int64());
    case 'uint64':
      return toNumber(r.uint64(), true);
    case 'double':
      return r.double();
    case 'float':
      return r.float();
    default:
      throw new Error(`not a scalar type: ${type}`);
  }
}

/** A message-typed value: one of the converted meta types, or a message of the table. */
function readEmbedded(bytes: Uint8Array, type: string, path: string, depth: number, ctx: Context): unknown {
  switch (type) {
    case 'time':
      return readTime(bytes, false);
    case 'microtime':
      return readTime(bytes, true);
    case 'duration':
      return goDuration(readVarintField(bytes, 1) ?? 0);
    case 'intstr':
      return readIntOrString(bytes);
    case 'quantity':
      return readStringField(bytes, 1) ?? '0';
    case 'fieldsv1':
    case 'raw':
      return readRaw(bytes, type === 'raw', path, depth, ctx);
    default:
      return readMessage(bytes, type, path, depth, ctx);
  }
}

function zeroOf(type: string, path: string, depth: number, ctx: Context): unknown {
  switch (type) {
    case 'string':
    case 'bytes':
      return '';
    case 'bool':
      return false;
    default:
      return isPackable(type) ? 0 : readEmbedded(new Uint8Array(0), type, path, depth + 1, ctx);
  }
}

/** Time and MicroTime: seconds = 1, nanos = 2. Empty (Go's zero time) is null. */
function readTime(bytes: Uint8Array, micro: boolean): string | null {
  let seconds = 0;
  let nanos = 0;
  const r = Reader.create(bytes);
  while (r.pos < r.len) {
    const [no, wire] = tag(r);
    if (no === 1) {
      expectWire(wire, VARINT);
      seconds = toNumber(r.int64());
    } else if (no === 2) {
      expectWire(wire, VARINT);
      nanos = r.int32();
    } else r.skipType(wire);
  }
  if (bytes.length === 0) return null;
  if (!micro) nanos = 0; // metav1.Time keeps whole seconds, protobuf or JSON.
  if (nanos < 0 || nanos > 999_999_999) throw new DecodeError(`nanos ${nanos} out of range`);
  if (seconds === ZERO_TIME_SECONDS && nanos === 0) return null;
  if (seconds < ZERO_TIME_SECONDS || seconds > MAX_TIME_SECONDS) {
    throw new DecodeError(`time ${seconds}s is outside years 1 to 9999`);
  }
  const iso = new Date(seconds * 1000).toISOString().slice(0, 19);
  return micro ? `${iso}.${String(Math.floor(nanos / 1000)).padStart(6, '0')}Z` : `${iso}Z`;
}

/** 0001-01-01T00:00:00Z, Go's zero time, and 9999-12-31T23:59:59Z, the last RFC 3339 can write. */
const ZERO_TIME_SECONDS = -62135596800;
const MAX_TIME_SECONDS = 253402300799;

/** IntOrString: type = 1 (0 int, 1 string), intVal = 2, strVal = 3. */
function readIntOrString(bytes: Uint8Array): number | string {
  let type = 0;
  let intVal = 0;
  let strVal = '';
  const r = Reader.create(bytes);
  while (r.pos < r.len) {
    const [no, wire] = tag(r);
    if (no === 1) {
      expectWire(wire, VARINT);
      type = toNumber(r.int64());
    } else if (no === 2) {
      expectWire(wire, VARINT);
      intVal = r.int32();
    } else if (no === 3) strVal = stringField(r, wire);
    else r.skipType(wire);
  }
  if (type !== 0 && type !== 1)
    throw new DecodeError(`IntOrString type ${type} is neither 0 (int) nor 1 (string)`);
  return type === 1 ? strVal : intVal;
}

function readVarintField(bytes: Uint8Array, field: number): number | undefined {
  let value: number | undefined;
  const r = Reader.create(bytes);
  while (r.pos < r.len) {
    const [no, wire] = tag(r);
    if (no === field) {
      expectWire(wire, VARINT);
      value = toNumber(r.int64());
    } else r.skipType(wire);
  }
  return value;
}

function readStringField(bytes: Uint8Array, field: number): string | undefined {
  let value: string | undefined;
  const r = Reader.create(bytes);
  while (r.pos < r.len) {
    const [no, wire] = tag(r);
    if (no === field) value = stringField(r, wire);
    else r.skipType(wire);
  }
  return value;
}

/**
 * RawExtension and FieldsV1: raw = 1 holds JSON (or, for a RawExtension, possibly a nested protobuf
 * document). Absent is null, as Go writes a nil Raw.
 */
function readRaw(
  bytes: Uint8Array,
  allowProtobuf: boolean,
  path: string,
  depth: number,
  ctx: Context,
): unknown {
  let raw: Uint8Array | undefined;
  const r = Reader.create(bytes);
  while (r.pos < r.len) {
    const [no, wire] = tag(r);
    if (no === 1) raw = bytesField(r, wire);
    else r.skipType(wire);
  }
  if (raw === undefined) return null;
  if (allowProtobuf && raw.length >= MAGIC.length && MAGIC.every((b, i) => raw[i] === b)) {
    return readEnvelope(raw.subarray(MAGIC.length), path, depth, ctx);
  }
  const text = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('utf8');
  if (jsonDepth(text) > MAX_JSON_DEPTH)
    throw new DecodeError(`embedded JSON nests deeper than ${MAX_JSON_DEPTH}`);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new DecodeError(`embedded JSON is not valid: ${(err as Error).message}`);
  }
}

/** The deepest nesting of brackets outside strings: checked before JSON.parse sees the text. */
function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i += 1;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      depth += 1;
      if (depth > max) max = depth;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) depth -= 1;
  }
  return max;
}

/** Go's time.Duration.String: "1h2m3.5s", "1m0s", "150ms", "0s". */
export function goDuration(nanoseconds: number): string {
  if (nanoseconds === 0) return '0s';
  let u = Math.abs(nanoseconds);
  let text: string;
  if (u < 1e3) text = `${u}ns`;
  else if (u < 1e6) text = `${fraction(u, 1e3, 3)}µs`;
  else if (u < 1e9) text = `${fraction(u, 1e6, 6)}ms`;
  else {
    const hours = Math.floor(u / 3.6e12);
    u -= hours * 3.6e12;
    const minutes = Math.floor(u / 6e10);
    u -= minutes * 6e10;
    const seconds = `${fraction(u, 1e9, 9)}s`;
    text = hours > 0 ? `${hours}h${minutes}m${seconds}` : minutes > 0 ? `${minutes}m${seconds}` : seconds;
  }
  return nanoseconds < 0 ? `-${text}` : text;
}

function fraction(value: number, unit: number, digits: number): string {
  const whole = Math.floor(value / unit);
  const rest = value - whole * unit;
  if (rest === 0) return String(whole);
  return `${whole}.${String(rest).padStart(digits, '0').replace(/0+$/, '')}`;
}

/** int64 arrives as a Long when the long package is present, as a number otherwise. */
function toNumber(v: number | protobuf.Long, unsigned = false): number {
  return typeof v === 'number' ? v : protobuf.util.LongBits.from(v).toNumber(unsigned);
}

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** Sets an own property, even one named "__proto__" (a map key), as JSON.parse would. */
function isZero(v: unknown): boolean {
  return v === '' || v === 0 || v === false;
}

/** Protobuf's merge, on the JSON view: messages merge field by field, lists append, scalars replace. */
function merge(target: Record<string, unknown>, source: Record<string, unknown>): Record<string, unknown> {
  for (const [key, value] of Object.entries(source)) {
    const current = target[key];
    if (isPlainObject(current) && isPlainObject(value)) merge(current, value);
    else if (Array.isArray(current) && Array.isArray(value)) current.push(...value);
    else put(target, key, value);
  }
  return target;
}
