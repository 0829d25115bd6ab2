/**
 * The shape of the generated field table (messages.ts) and how to read it. Message names are short
 * ("core.v1.Pod", "meta.v1.ObjectMeta"); `definitionOf` gives the JSON schema definition of one.
 */

/** Scalars as protobuf names them. */
export type ScalarType =
  | 'string'
  | 'bytes'
  | 'bool'
  | 'int32'
  | 'int64'
  | 'uint32'
  | 'uint64'
  | 'double'
  | 'float';

/**
 * Kubernetes' meta types whose JSON is not an object of their protobuf fields:
 * Time and MicroTime (seconds, nanos → RFC 3339 string), Duration (nanoseconds → Go duration
 * string), FieldsV1 and RawExtension (raw JSON bytes), IntOrString (number or string),
 * Quantity (string).
 */
export type ConvertedType = 'time' | 'microtime' | 'duration' | 'fieldsv1' | 'intstr' | 'quantity' | 'raw';

/**
 * One field: JSON name, type (a scalar, a converted type, or a message of the table) and flags:
 * r repeated, m map<string, type>, i inlined into the parent's JSON, o omitted when zero,
 * x not served (skipped, reported as unknown).
 */
export type FieldEntry = readonly [json: string, type: string, flags?: string];

export type MessageTable = Readonly<Record<string, Readonly<Record<number, FieldEntry>>>>;

export const SCALAR_TYPES: ReadonlySet<string> = new Set<ScalarType>([
  'string',
  'bytes',
  'bool',
  'int32',
  'int64',
  'uint32',
  'uint64',
  'double',
  'float',
]);

export const CONVERTED_TYPES: ReadonlySet<string> = new Set<ConvertedType>([
  'time',
  'microtime',
  'duration',
  'fieldsv1',
  'intstr',
  'quantity',
  'raw',
]);

/** How a field is laid out, decoded once from its flags. */
export interface Field {
  name: string;
  type: string;
  repeated: boolean;
  map: boolean;
  inline: boolean;
  omitZero: boolean;
  notServed: boolean;
}

export function fieldOf(entry: FieldEntry): Field {
  const flags = entry[2] ?? '';
  return {
    name: entry[0],
    type: entry[1],
    repeated: flags.includes('r'),
    map: flags.includes('m'),
    inline: flags.includes('i'),
    omitZero: flags.includes('o'),
    notServed: flags.includes('x'),
  };
}

/** The JSON schema definition name of a table message ("core.v1.Pod" → "io.k8s.api.core.v1.Pod"). */
export function definitionOf(message: string): string {
  return message.startsWith('meta.') ? `io.k8s.apimachinery.pkg.apis.${message}` : `io.k8s.api.${message}`;
}
