import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeOpenAPIV2Protobuf } from './openapi-v2-proto.js';

/** One decoded field: varints as bigint, 64-bit fields as their double, length-delimited as bytes. */
type Value = bigint | number | Buffer;

/** The fields of one message by number, in wire order; a test-side reader independent of the encoder. */
function fields(bytes: Buffer): Map<number, Value[]> {
  const out = new Map<number, Value[]>();
  let p = 0;
  const varint = (): bigint => {
    let result = 0n;
    for (let shift = 0n; ; shift += 7n) {
      const b = bytes[p++];
      assert.ok(b !== undefined, 'truncated varint');
      result |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return result;
    }
  };
  while (p < bytes.length) {
    const tag = Number(varint());
    const [field, wire] = [tag >> 3, tag & 7];
    let value: Value;
    if (wire === 0) value = varint();
    else if (wire === 1) {
      value = bytes.readDoubleLE(p);
      p += 8;
    } else if (wire === 2) {
      const len = Number(varint());
      assert.ok(p + len <= bytes.length, `field ${field} overruns its message`);
      value = bytes.subarray(p, p + len);
      p += len;
    } else assert.fail(`unexpected wire type ${wire} for field ${field}`);
    out.set(field, [...(out.get(field) ?? []), value]);
  }
  return out;
}

function bytesOf(msg: Map<number, Value[]>, field: number, i = 0): Buffer {
  const v = msg.get(field)?.[i];
  assert.ok(Buffer.isBuffer(v), `field ${field}[${i}] is not length-delimited: ${v}`);
  return v;
}

function str(msg: Map<number, Value[]>, field: number, i = 0): string {
  return bytesOf(msg, field, i).toString('utf8');
}

/** A `repeated Named<X>` field as name → value bytes. */
function named(msg: Map<number, Value[]>, field: number): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const entry of msg.get(field) ?? []) {
    const f = fields(entry as Buffer);
    out.set(str(f, 1), bytesOf(f, 2));
  }
  return out;
}

/** gnostic's Any: the YAML text in field 2, parsed (the encoder writes JSON, which is YAML). */
function anyValue(bytes: Buffer): unknown {
  return JSON.parse(str(fields(bytes), 2));
}

const doc = {
  swagger: '2.0',
  info: { title: 'Kubernetes', version: 'v1.32.0' },
  paths: {
    '/api/v1/namespaces/{namespace}/configmaps': {
      post: {
        operationId: 'createCoreV1NamespacedConfigMap',
        consumes: ['*/*'],
        parameters: [
          { name: 'body', in: 'body', required: true, schema: { $ref: '#/definitions/cm' } },
          { name: 'dryRun', in: 'query', type: 'string', uniqueItems: true },
        ],
        responses: { '201': { description: 'Created', schema: { $ref: '#/definitions/cm' } } },
        'x-kubernetes-action': 'post',
      },
      parameters: [{ name: 'namespace', in: 'path', required: true, type: 'string' }],
    },
  },
  definitions: {
    cm: {
      type: 'object',
      required: ['metadata'],
      properties: {
        data: { type: 'object', additionalProperties: { type: 'string' } },
        immutable: { type: 'boolean', default: false },
        replicas: { type: 'integer', format: 'int32', minimum: 0, maxLength: 3 },
      },
      'x-kubernetes-group-version-kind': [{ group: '', kind: 'ConfigMap', version: 'v1' }],
    },
    any: { additionalProperties: true, items: [{ type: 'string' }] },
  },
  securityDefinitions: { BearerToken: { type: 'apiKey', name: 'authorization', in: 'header' } },
  security: [{ BearerToken: [] }],
};

describe('encodeOpenAPIV2Protobuf', () => {
  const top = fields(encodeOpenAPIV2Protobuf(doc));

  it('writes the Document fields with gnostic numbers', () => {
    assert.equal(str(top, 1), '2.0');
    const info = fields(bytesOf(top, 2));
    assert.deepEqual([str(info, 1), str(info, 2)], ['Kubernetes', 'v1.32.0']);
    assert.deepEqual([...named(fields(bytesOf(top, 9)), 1).keys()], ['cm', 'any']);
  });

  it('encodes schemas: type lists, properties, additionalProperties, Any values, vendor extensions', () => {
    const cm = fields(named(fields(bytesOf(top, 9)), 1).get('cm')!);
    assert.equal(str(fields(bytesOf(cm, 22)), 1), 'object', 'type is a TypeItem list');
    assert.equal(str(cm, 19), 'metadata');
    const props = named(fields(bytesOf(cm, 25)), 1);
    assert.deepEqual([...props.keys()], ['data', 'immutable', 'replicas']);
    const data = fields(props.get('data')!);
    const additional = fields(bytesOf(data, 21));
    assert.equal(str(fields(bytesOf(fields(bytesOf(additional, 1)), 22)), 1), 'string');
    assert.equal(
      anyValue(bytesOf(fields(props.get('immutable')!), 5)),
      false,
      'default false is kept, as YAML',
    );
    const replicas = fields(props.get('replicas')!);
    assert.equal(str(replicas, 2), 'int32');
    assert.equal(replicas.get(9), undefined, 'minimum 0 is left out, as proto3 does');
    assert.deepEqual(replicas.get(11), [3n]);
    const ext = named(cm, 31);
    assert.deepEqual(anyValue(ext.get('x-kubernetes-group-version-kind')!), [
      { group: '', kind: 'ConfigMap', version: 'v1' },
    ]);
    const any = fields(named(fields(bytesOf(top, 9)), 1).get('any')!);
    assert.deepEqual(
      fields(bytesOf(any, 21)).get(2),
      [1n],
      'additionalProperties: true is the boolean variant',
    );
    assert.equal(fields(bytesOf(any, 23)).get(1)?.length, 1, 'items is an ItemsItem list of schemas');
  });

  it('encodes paths: operations, body and non-body parameters, responses, extensions', () => {
    const paths = named(fields(bytesOf(top, 8)), 2);
    const item = fields(paths.get('/api/v1/namespaces/{namespace}/configmaps')!);
    const pathParam = fields(bytesOf(fields(bytesOf(item, 9)), 1));
    const pathSub = fields(bytesOf(fields(bytesOf(pathParam, 2)), 4));
    assert.deepEqual([str(pathSub, 4), pathSub.get(1)], ['namespace', [1n]]);
    const post = fields(bytesOf(item, 4));
    assert.equal(str(post, 5), 'createCoreV1NamespacedConfigMap');
    const [body, dryRun] = (post.get(8) ?? []).map((p) => fields(bytesOf(fields(p as Buffer), 1)));
    const bodyParam = fields(bytesOf(body!, 1));
    assert.equal(str(fields(bytesOf(bodyParam, 5)), 1), '#/definitions/cm');
    const query = fields(bytesOf(fields(bytesOf(dryRun!, 2)), 3));
    assert.deepEqual([str(query, 4), str(query, 6), query.get(20)], ['dryRun', 'string', [1n]]);
    const created = fields(named(fields(bytesOf(post, 9)), 1).get('201')!);
    const response = fields(bytesOf(created, 1));
    assert.equal(str(response, 1), 'Created');
    assert.equal(anyValue(named(post, 13).get('x-kubernetes-action')!), 'post');
  });

  it('encodes security definitions and requirements', () => {
    const bearer = fields(named(fields(bytesOf(top, 13)), 1).get('BearerToken')!);
    const apiKey = fields(bytesOf(bearer, 2));
    assert.deepEqual([str(apiKey, 1), str(apiKey, 2), str(apiKey, 3)], ['apiKey', 'authorization', 'header']);
    assert.deepEqual([...named(fields(bytesOf(top, 12)), 1).keys()], ['BearerToken']);
  });

  it('refuses what gnostic has no field for, naming where it is', () => {
    assert.throws(
      () => encodeOpenAPIV2Protobuf({ ...doc, definitions: { cm: { properties: { a: { oneOf: [] } } } } }),
      /\$\.definitions\.cm\.properties\.a\.oneOf: property "oneOf" has no field in the protobuf message Schema/,
    );
    assert.throws(
      () => encodeOpenAPIV2Protobuf({ ...doc, definitions: { cm: { maxLength: 1.5 } } }),
      /\$\.definitions\.cm\.maxLength: expected an integer, got 1\.5/,
    );
    assert.throws(
      () =>
        encodeOpenAPIV2Protobuf({
          swagger: '2.0',
          paths: { '/x': { get: { parameters: [{ in: 'cookie' }] } } },
        }),
      /\$\.paths\.\/x\.get\.parameters\[0\]\.in: "cookie" is not body, header, formData, query or path/,
    );
  });
});
