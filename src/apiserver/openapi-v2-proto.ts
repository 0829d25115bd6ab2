/**
 * The Swagger 2.0 document in the protobuf form Kubernetes serves at /openapi/v2 for
 * `Accept: application/com.github.proto-openapi.spec.v2[@.]v1.0+protobuf`: the `openapi.v2.Document`
 * message of gnostic (github.com/google/gnostic-models, openapiv2/OpenAPIv2.proto), which the
 * API server produces by parsing its JSON document with gnostic and marshalling the result.
 * client-go's OpenAPISchema() asks for this form only and decodes the body as protobuf, and
 * kubectl uses it for client-side validation, which it always does for `kind: List` (the v3
 * "server validates fields" check never covers List), so a JSON body there fails every
 * `kubectl apply -f` of a List with "proto: cannot parse invalid wire-format data".
 *
 * The message tables below list gnostic's field numbers by JSON property. Every `x-` property
 * goes to the message's vendor_extension list, and any value gnostic keeps as its `Any` message
 * (default, example, enum, vendor extensions) is carried as YAML text; JSON is YAML, and that is
 * how kube-openapi reads it back. A property the tables do not know is an error naming where it
 * is, so a document that outgrows the encoder fails loudly instead of losing data.
 */
import protobuf from 'protobufjs/minimal.js';

type Writer = protobuf.Writer;

/** Scalar and `Any` field types; `msg:X` is one message X, `list:X` a repeated X from a JSON array. */
type FieldType =
  | 'string'
  | 'bool'
  | 'int64'
  | 'double'
  | 'strings'
  | 'any'
  | 'anys'
  | `msg:${string}`
  | `list:${string}`;

interface MessageSpec {
  fields: Record<string, readonly [number, FieldType]>;
  /** Field number of `repeated NamedAny vendor_extension`, where the message has one. */
  ext?: number;
}

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_BYTES = 2;

/**
 * The validation properties that gnostic's parameter, header and items messages share, in their
 * field order; each message numbers them from its own starting point.
 */
const PRIMITIVE_KEYS: readonly (readonly [string, FieldType])[] = [
  ['type', 'string'],
  ['format', 'string'],
  ['items', 'msg:PrimitivesItems'],
  ['collectionFormat', 'string'],
  ['default', 'any'],
  ['maximum', 'double'],
  ['exclusiveMaximum', 'bool'],
  ['minimum', 'double'],
  ['exclusiveMinimum', 'bool'],
  ['maxLength', 'int64'],
  ['minLength', 'int64'],
  ['pattern', 'string'],
  ['maxItems', 'int64'],
  ['minItems', 'int64'],
  ['uniqueItems', 'bool'],
  ['enum', 'anys'],
  ['multipleOf', 'double'],
];

function primitives(from: number): Record<string, readonly [number, FieldType]> {
  return Object.fromEntries(PRIMITIVE_KEYS.map(([key, type], i) => [key, [from + i, type] as const]));
}

/** The query and formData parameter sub-schemas, which alone have allowEmptyValue. */
const WITH_EMPTY_VALUE: MessageSpec = {
  fields: {
    required: [1, 'bool'],
    in: [2, 'string'],
    description: [3, 'string'],
    name: [4, 'string'],
    allowEmptyValue: [5, 'bool'],
    ...primitives(6),
  },
  ext: 23,
};

const WITHOUT_EMPTY_VALUE: MessageSpec = {
  fields: {
    required: [1, 'bool'],
    in: [2, 'string'],
    description: [3, 'string'],
    name: [4, 'string'],
    ...primitives(5),
  },
  ext: 22,
};

const MESSAGES: Record<string, MessageSpec> = {
  Document: {
    fields: {
      swagger: [1, 'string'],
      info: [2, 'msg:Info'],
      host: [3, 'string'],
      basePath: [4, 'string'],
      schemes: [5, 'strings'],
      consumes: [6, 'strings'],
      produces: [7, 'strings'],
      paths: [8, 'msg:Paths'],
      definitions: [9, 'msg:Definitions'],
      parameters: [10, 'msg:ParameterDefinitions'],
      responses: [11, 'msg:ResponseDefinitions'],
      security: [12, 'list:SecurityRequirement'],
      securityDefinitions: [13, 'msg:SecurityDefinitions'],
      tags: [14, 'list:Tag'],
      externalDocs: [15, 'msg:ExternalDocs'],
    },
    ext: 16,
  },
  Info: {
    fields: {
      title: [1, 'string'],
      version: [2, 'string'],
      description: [3, 'string'],
      termsOfService: [4, 'string'],
      contact: [5, 'msg:Contact'],
      license: [6, 'msg:License'],
    },
    ext: 7,
  },
  Contact: { fields: { name: [1, 'string'], url: [2, 'string'], email: [3, 'string'] }, ext: 4 },
  License: { fields: { name: [1, 'string'], url: [2, 'string'] }, ext: 3 },
  ExternalDocs: { fields: { description: [1, 'string'], url: [2, 'string'] }, ext: 3 },
  Tag: {
    fields: { name: [1, 'string'], description: [2, 'string'], externalDocs: [3, 'msg:ExternalDocs'] },
    ext: 4,
  },
  Xml: {
    fields: {
      name: [1, 'string'],
      namespace: [2, 'string'],
      prefix: [3, 'string'],
      attribute: [4, 'bool'],
      wrapped: [5, 'bool'],
    },
    ext: 6,
  },
  PathItem: {
    fields: {
      $ref: [1, 'string'],
      get: [2, 'msg:Operation'],
      put: [3, 'msg:Operation'],
      post: [4, 'msg:Operation'],
      delete: [5, 'msg:Operation'],
      options: [6, 'msg:Operation'],
      head: [7, 'msg:Operation'],
      patch: [8, 'msg:Operation'],
      parameters: [9, 'list:ParametersItem'],
    },
    ext: 10,
  },
  Operation: {
    fields: {
      tags: [1, 'strings'],
      summary: [2, 'string'],
      description: [3, 'string'],
      externalDocs: [4, 'msg:ExternalDocs'],
      operationId: [5, 'string'],
      produces: [6, 'strings'],
      consumes: [7, 'strings'],
      parameters: [8, 'list:ParametersItem'],
      responses: [9, 'msg:Responses'],
      schemes: [10, 'strings'],
      deprecated: [11, 'bool'],
      security: [12, 'list:SecurityRequirement'],
    },
    ext: 13,
  },
  BodyParameter: {
    fields: {
      description: [1, 'string'],
      name: [2, 'string'],
      in: [3, 'string'],
      required: [4, 'bool'],
      schema: [5, 'msg:Schema'],
    },
    ext: 6,
  },
  JsonReference: { fields: { $ref: [1, 'string'], description: [2, 'string'] } },
  QueryParameterSubSchema: WITH_EMPTY_VALUE,
  FormDataParameterSubSchema: WITH_EMPTY_VALUE,
  HeaderParameterSubSchema: WITHOUT_EMPTY_VALUE,
  PathParameterSubSchema: WITHOUT_EMPTY_VALUE,
  PrimitivesItems: { fields: primitives(1), ext: 18 },
  Header: { fields: { ...primitives(1), description: [18, 'string'] }, ext: 19 },
  Response: {
    fields: {
      description: [1, 'string'],
      schema: [2, 'msg:SchemaItem'],
      headers: [3, 'msg:Headers'],
      examples: [4, 'msg:Examples'],
    },
    ext: 5,
  },
  FileSchema: {
    fields: {
      format: [1, 'string'],
      title: [2, 'string'],
      description: [3, 'string'],
      default: [4, 'any'],
      required: [5, 'strings'],
      type: [6, 'string'],
      readOnly: [7, 'bool'],
      externalDocs: [8, 'msg:ExternalDocs'],
      example: [9, 'any'],
    },
    ext: 10,
  },
  Schema: {
    fields: {
      $ref: [1, 'string'],
      format: [2, 'string'],
      title: [3, 'string'],
      description: [4, 'string'],
      default: [5, 'any'],
      multipleOf: [6, 'double'],
      maximum: [7, 'double'],
      exclusiveMaximum: [8, 'bool'],
      minimum: [9, 'double'],
      exclusiveMinimum: [10, 'bool'],
      maxLength: [11, 'int64'],
      minLength: [12, 'int64'],
      pattern: [13, 'string'],
      maxItems: [14, 'int64'],
      minItems: [15, 'int64'],
      uniqueItems: [16, 'bool'],
      maxProperties: [17, 'int64'],
      minProperties: [18, 'int64'],
      required: [19, 'strings'],
      enum: [20, 'anys'],
      additionalProperties: [21, 'msg:AdditionalPropertiesItem'],
      type: [22, 'msg:TypeItem'],
      items: [23, 'msg:ItemsItem'],
      allOf: [24, 'list:Schema'],
      properties: [25, 'msg:Properties'],
      discriminator: [26, 'string'],
      readOnly: [27, 'bool'],
      xml: [28, 'msg:Xml'],
      externalDocs: [29, 'msg:ExternalDocs'],
      example: [30, 'any'],
    },
    ext: 31,
  },
  ApiKeySecurity: {
    fields: { type: [1, 'string'], name: [2, 'string'], in: [3, 'string'], description: [4, 'string'] },
    ext: 5,
  },
  BasicAuthenticationSecurity: { fields: { type: [1, 'string'], description: [2, 'string'] }, ext: 3 },
  Oauth2ImplicitSecurity: {
    fields: {
      type: [1, 'string'],
      flow: [2, 'string'],
      scopes: [3, 'msg:Oauth2Scopes'],
      authorizationUrl: [4, 'string'],
      description: [5, 'string'],
    },
    ext: 6,
  },
  Oauth2PasswordSecurity: {
    fields: {
      type: [1, 'string'],
      flow: [2, 'string'],
      scopes: [3, 'msg:Oauth2Scopes'],
      tokenUrl: [4, 'string'],
      description: [5, 'string'],
    },
    ext: 6,
  },
  Oauth2AccessCodeSecurity: {
    fields: {
      type: [1, 'string'],
      flow: [2, 'string'],
      scopes: [3, 'msg:Oauth2Scopes'],
      authorizationUrl: [4, 'string'],
      tokenUrl: [5, 'string'],
      description: [6, 'string'],
    },
    ext: 7,
  },
};
// The application flow has the password flow's fields and numbers.
MESSAGES.Oauth2ApplicationSecurity = MESSAGES.Oauth2PasswordSecurity!;

type Encoder = (w: Writer, value: unknown, where: string) => void;

/**
 * Messages that are not a fixed set of properties: JSON objects kept as ordered (name, value)
 * lists, and gnostic's `oneof` wrappers, which pick their variant from the JSON value.
 */
const SPECIAL: Record<string, Encoder> = {
  Definitions: namedList(1, 'msg:Schema'),
  Properties: namedList(1, 'msg:Schema'),
  ParameterDefinitions: namedList(1, 'msg:Parameter'),
  ResponseDefinitions: namedList(1, 'msg:Response'),
  SecurityDefinitions: namedList(1, 'msg:SecurityDefinitionsItem'),
  SecurityRequirement: namedList(1, 'msg:StringArray'),
  Headers: namedList(1, 'msg:Header'),
  Examples: namedList(1, 'any'),
  Oauth2Scopes: namedList(1, 'string'),
  Paths: (w, value, where) => namedWithExtensions(w, value, where, 2, 'msg:PathItem', 1),
  Responses: (w, value, where) => namedWithExtensions(w, value, where, 1, 'msg:ResponseValue', 2),
  StringArray: (w, value, where) => writeField(w, 1, 'strings', value, where),
  TypeItem: (w, value, where) =>
    writeField(w, 1, 'strings', typeof value === 'string' ? [value] : value, where),
  ItemsItem: (w, value, where) =>
    writeField(w, 1, 'list:Schema', Array.isArray(value) ? value : [value], where),
  AdditionalPropertiesItem: (w, value, where) =>
    typeof value === 'boolean'
      ? writeField(w, 2, 'bool', value, where, true)
      : writeField(w, 1, 'msg:Schema', value, where),
  ParametersItem: (w, value, where) =>
    hasRef(value)
      ? writeField(w, 2, 'msg:JsonReference', value, where)
      : writeField(w, 1, 'msg:Parameter', value, where),
  ResponseValue: (w, value, where) =>
    hasRef(value)
      ? writeField(w, 2, 'msg:JsonReference', value, where)
      : writeField(w, 1, 'msg:Response', value, where),
  SchemaItem: (w, value, where) =>
    objectOf(value, where).type === 'file'
      ? writeField(w, 2, 'msg:FileSchema', value, where)
      : writeField(w, 1, 'msg:Schema', value, where),
  Parameter: (w, value, where) =>
    objectOf(value, where).in === 'body'
      ? writeField(w, 1, 'msg:BodyParameter', value, where)
      : writeField(w, 2, 'msg:NonBodyParameter', value, where),
  NonBodyParameter: (w, value, where) => {
    const variants: Record<string, readonly [number, string]> = {
      header: [1, 'HeaderParameterSubSchema'],
      formData: [2, 'FormDataParameterSubSchema'],
      query: [3, 'QueryParameterSubSchema'],
      path: [4, 'PathParameterSubSchema'],
    };
    const variant = variants[String(objectOf(value, where).in)];
    if (!variant)
      throw new Error(
        `${where}.in: "${objectOf(value, where).in}" is not body, header, formData, query or path`,
      );
    writeField(w, variant[0], `msg:${variant[1]}`, value, where);
  },
  SecurityDefinitionsItem: (w, value, where) => {
    const scheme = objectOf(value, where);
    const variants: Record<string, readonly [number, string]> = {
      basic: [1, 'BasicAuthenticationSecurity'],
      apiKey: [2, 'ApiKeySecurity'],
      'oauth2:implicit': [3, 'Oauth2ImplicitSecurity'],
      'oauth2:password': [4, 'Oauth2PasswordSecurity'],
      'oauth2:application': [5, 'Oauth2ApplicationSecurity'],
      'oauth2:accessCode': [6, 'Oauth2AccessCodeSecurity'],
    };
    const key = scheme.type === 'oauth2' ? `oauth2:${scheme.flow}` : String(scheme.type);
    const variant = variants[key];
    if (!variant) throw new Error(`${where}: unknown security scheme type ${JSON.stringify(scheme.type)}`);
    writeField(w, variant[0], `msg:${variant[1]}`, value, where);
  },
};

function hasRef(value: unknown): boolean {
  return typeof value === 'object' && value !== null && '$ref' in value;
}

function objectOf(value: unknown, where: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`${where}: expected an object, got ${JSON.stringify(value)}`);
  }
  return value as Record<string, unknown>;
}

/** A JSON object as `repeated Named<X> { string name = 1; X value = 2; }` in field `field`. */
function namedList(field: number, valueType: FieldType): Encoder {
  return (w, value, where) => {
    for (const [name, v] of Object.entries(objectOf(value, where)))
      writeNamed(w, field, name, valueType, v, `${where}.${name}`);
  };
}

/** Paths and Responses: named entries, except that `x-` keys are vendor extensions. */
function namedWithExtensions(
  w: Writer,
  value: unknown,
  where: string,
  field: number,
  valueType: FieldType,
  ext: number,
): void {
  for (const [name, v] of Object.entries(objectOf(value, where))) {
    if (name.startsWith('x-')) writeNamed(w, ext, name, 'any', v, `${where}.${name}`);
    else writeNamed(w, field, name, valueType, v, `${where}.${name}`);
  }
}

function writeNamed(
  w: Writer,
  field: number,
  name: string,
  valueType: FieldType,
  value: unknown,
  where: string,
): void {
  w.uint32((field << 3) | WIRE_BYTES).fork();
  writeField(w, 1, 'string', name, where);
  writeField(w, 2, valueType, value, where, true);
  w.ldelim();
}

function encodeMessage(w: Writer, name: string, value: unknown, where: string): void {
  const special = SPECIAL[name];
  if (special) {
    special(w, value, where);
    return;
  }
  const spec = MESSAGES[name];
  if (!spec) throw new Error(`${where}: no protobuf message ${name}`);
  for (const [key, v] of Object.entries(objectOf(value, where))) {
    const at = `${where}.${key}`;
    if (key.startsWith('x-') && spec.ext !== undefined) {
      writeNamed(w, spec.ext, key, 'any', v, at);
      continue;
    }
    const field = spec.fields[key];
    if (!field) throw new Error(`${at}: property "${key}" has no field in the protobuf message ${name}`);
    writeField(w, field[0], field[1], v, at);
  }
}

/** Writes one field; zero scalars are left out as proto3 does, unless `keepZero` (oneof members, map values). */
function writeField(
  w: Writer,
  field: number,
  type: FieldType,
  value: unknown,
  where: string,
  keepZero = false,
): void {
  switch (type) {
    case 'string':
      if (typeof value !== 'string')
        throw new Error(`${where}: expected a string, got ${JSON.stringify(value)}`);
      if (value !== '' || keepZero) w.uint32((field << 3) | WIRE_BYTES).string(value);
      return;
    case 'bool':
      if (typeof value !== 'boolean')
        throw new Error(`${where}: expected a boolean, got ${JSON.stringify(value)}`);
      if (value || keepZero) w.uint32((field << 3) | WIRE_VARINT).bool(value);
      return;
    case 'int64':
      if (!Number.isSafeInteger(value))
        throw new Error(`${where}: expected an integer, got ${JSON.stringify(value)}`);
      if (value !== 0 || keepZero) w.uint32((field << 3) | WIRE_VARINT).int64(value as number);
      return;
    case 'double':
      if (typeof value !== 'number')
        throw new Error(`${where}: expected a number, got ${JSON.stringify(value)}`);
      if (value !== 0 || keepZero) w.uint32((field << 3) | WIRE_FIXED64).double(value);
      return;
    case 'strings':
      if (!Array.isArray(value))
        throw new Error(`${where}: expected an array of strings, got ${JSON.stringify(value)}`);
      for (const [i, s] of value.entries()) writeField(w, field, 'string', s, `${where}[${i}]`, true);
      return;
    case 'any':
      // gnostic's Any { google.protobuf.Any value = 1; string yaml = 2; }, with the value as YAML text.
      w.uint32((field << 3) | WIRE_BYTES)
        .fork()
        .uint32((2 << 3) | WIRE_BYTES)
        .string(JSON.stringify(value))
        .ldelim();
      return;
    case 'anys':
      if (!Array.isArray(value)) throw new Error(`${where}: expected an array, got ${JSON.stringify(value)}`);
      for (const v of value) writeField(w, field, 'any', v, where);
      return;
  }
  if (type.startsWith('list:')) {
    if (!Array.isArray(value)) throw new Error(`${where}: expected an array, got ${JSON.stringify(value)}`);
    for (const [i, v] of value.entries()) writeField(w, field, `msg:${type.slice(5)}`, v, `${where}[${i}]`);
    return;
  }
  w.uint32((field << 3) | WIRE_BYTES).fork();
  encodeMessage(w, type.slice(4), value, where);
  w.ldelim();
}

/**
 * Encodes a Swagger 2.0 document (parsed JSON) as gnostic's openapi.v2.Document. Throws, naming
 * the JSON path, on a property or value the message set has no place for.
 */
export function encodeOpenAPIV2Protobuf(document: unknown): Buffer {
  const w = protobuf.Writer.create();
  encodeMessage(w, 'Document', document, '$');
  const bytes = w.finish();
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
