import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { apiVersionOf, RESOURCES } from '../../api/resources.js';
import { definitionName, definitions, type JsonSchema, refName } from '../../api/schema/index.js';
import { MESSAGES, ROOTS } from './messages.js';
import { CONVERTED_TYPES, definitionOf, type Field, fieldOf, SCALAR_TYPES } from './table.js';

/** The definitions a converted type's schema refers to. */
const CONVERTED_DEFINITIONS: Record<string, string> = {
  time: 'io.k8s.apimachinery.pkg.apis.meta.v1.Time',
  microtime: 'io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime',
  fieldsv1: 'io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1',
  intstr: 'io.k8s.apimachinery.pkg.util.intstr.IntOrString',
  quantity: 'io.k8s.apimachinery.pkg.api.resource.Quantity',
  raw: 'io.k8s.apimachinery.pkg.runtime.RawExtension',
};

const SCALAR_SCHEMA_TYPES: Record<string, string> = {
  string: 'string',
  bytes: 'string',
  bool: 'boolean',
  int32: 'integer',
  int64: 'integer',
  uint32: 'integer',
  uint64: 'integer',
  double: 'number',
  float: 'number',
};

function fields(message: string): [number, Field][] {
  return Object.entries(MESSAGES[message]!).map(([no, entry]) => [Number(no), fieldOf(entry)]);
}

/**
 * The schema properties a message's fields must be found in: its own definition's, or for a
 * message that only exists inlined into others (VolumeSource, ProbeHandler), each parent's.
 */
function propertySets(message: string, seen = new Set<string>()): Record<string, JsonSchema>[] {
  const own = definitions()[definitionOf(message)];
  if (own) return [(own.properties ?? {}) as Record<string, JsonSchema>];
  if (seen.has(message)) return [];
  seen.add(message);
  const sets: Record<string, JsonSchema>[] = [];
  for (const parent of Object.keys(MESSAGES)) {
    for (const [, f] of fields(parent))
      if (f.inline && f.type === message) sets.push(...propertySets(parent, seen));
  }
  return sets;
}

/** Why a schema position does not take values of a table type, or undefined when it does. */
function mismatch(type: string, schema: JsonSchema | undefined): string | undefined {
  if (!schema) return 'no schema';
  const ref = typeof schema.$ref === 'string' ? refName(schema.$ref) : undefined;
  if (SCALAR_TYPES.has(type)) {
    const resolved = ref ? definitions()[ref] : schema;
    return resolved?.type === SCALAR_SCHEMA_TYPES[type] ? undefined : `schema type ${resolved?.type ?? ref}`;
  }
  if (type === 'duration') return schema.type === 'string' ? undefined : `schema type ${schema.type}`;
  const expected = CONVERTED_TYPES.has(type) ? CONVERTED_DEFINITIONS[type] : definitionOf(type);
  return ref === expected ? undefined : `schema refers to ${ref ?? schema.type}, not ${expected}`;
}

describe('protobuf field table', () => {
  it('has a root message for every served kind, named as its schema', () => {
    for (const def of RESOURCES) {
      const message = ROOTS[`${apiVersionOf(def)} ${def.kind}`];
      assert.ok(message, `no protobuf root for ${apiVersionOf(def)} ${def.kind}`);
      assert.equal(definitionOf(message), definitionName(def));
      assert.ok(MESSAGES[message], `no message ${message}`);
    }
    for (const body of [
      'core.v1.Binding',
      'autoscaling.v1.Scale',
      'policy.v1.Eviction',
      'meta.v1.DeleteOptions',
    ]) {
      assert.ok(Object.values(ROOTS).includes(body), `${body} is not a root`);
    }
  });

  it('refers only to scalars, converted meta types and messages it has', () => {
    for (const message of Object.keys(MESSAGES)) {
      for (const [no, f] of fields(message)) {
        const known = SCALAR_TYPES.has(f.type) || CONVERTED_TYPES.has(f.type) || f.type in MESSAGES;
        assert.ok(known || f.notServed, `${message} field ${no} (${f.name}) has unknown type ${f.type}`);
        assert.ok(!(f.map && f.repeated), `${message}.${f.name} is both a map and repeated`);
        assert.ok(!f.inline || f.type in MESSAGES, `${message}.${f.name} inlines a non-message`);
      }
    }
  });

  it('names only fields our JSON schemas have, with the same shape', () => {
    const problems: string[] = [];
    let checked = 0;
    for (const message of Object.keys(MESSAGES)) {
      const sets = propertySets(message);
      if (sets.length === 0) problems.push(`${message}: neither a schema definition nor inlined anywhere`);
      for (const [no, f] of fields(message)) {
        if (f.notServed || f.inline) continue;
        for (const properties of sets) {
          const prop = Object.hasOwn(properties, f.name) ? properties[f.name] : undefined;
          let why: string | undefined;
          if (!prop) why = 'not in the schema';
          else if (f.repeated)
            why =
              prop.type === 'array' ? mismatch(f.type, prop.items as JsonSchema) : 'schema is not an array';
          else if (f.map)
            why =
              prop.type === 'object' || prop.additionalProperties
                ? mismatch(f.type, prop.additionalProperties as JsonSchema)
                : 'schema is not a map';
          else why = mismatch(f.type, prop);
          if (why) problems.push(`${message} field ${no} ${f.name} (${f.type}): ${why}`);
          checked += 1;
        }
      }
    }
    assert.deepEqual(problems, []);
    assert.ok(checked > 1000, `only ${checked} fields checked`);
  });

  it('marks omit-when-zero only on singular scalars', () => {
    for (const message of Object.keys(MESSAGES)) {
      for (const [, f] of fields(message)) {
        if (f.omitZero) assert.ok(SCALAR_TYPES.has(f.type) && !f.repeated && !f.map, `${message}.${f.name}`);
      }
    }
  });
});
