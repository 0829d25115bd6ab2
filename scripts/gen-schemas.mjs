#!/usr/bin/env node
// Derives the JSON schemas of every kind Shoal serves from the `kubernetes-types` package (its
// TypeScript definitions carry the upstream field descriptions) with ts-json-schema-generator,
// then reshapes them into what Kubernetes' own OpenAPI documents use, and writes
// src/api/schema/generated/definitions.json (committed; `npm run gen:schemas` rewrites it).
//
//   node scripts/gen-schemas.mjs           regenerate
//   node scripts/gen-schemas.mjs --check   exit 1 when the committed file is not what we would generate
//
// What the reshaping does, and why:
// - Definition names are Kubernetes' ("io.k8s.api.core.v1.Pod"), not the bare TypeScript names,
//   which clash across modules (core/v1 EndpointPort vs discovery/v1 EndpointPort).
// - kubernetes-types writes every integer as `number`. Kubernetes' API conventions keep floating
//   point out of the built-in APIs (none of the served groups has a float field), so `number`
//   becomes `integer`.
// - `number | string` is Kubernetes' IntOrString: a $ref to io.k8s.apimachinery.pkg.util.intstr.IntOrString,
//   `type: string, format: int-or-string` as in Kubernetes' OpenAPI v2.
// - Time and MicroTime are `date-time` strings; Quantity stays a string (its OpenAPI v2 form).
// - The generator's `additionalProperties: false` and `const` go: Kubernetes uses neither, and
//   kubectl reads a schema without them.
// - Kinds (a definition whose apiVersion and kind are literals) get x-kubernetes-group-version-kind.
// Patch strategies and list types are not in kubernetes-types; src/api/schema/patch-metadata.ts
// adds them when the definitions are loaded.
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { formatLikeBiome, packageVersion, root, servedResources, writeOrCheck } from './generated-file.mjs';

const require = createRequire(import.meta.url);
const tsj = require('ts-json-schema-generator');
const ts = require('typescript');

const typesDir = dirname(require.resolve('kubernetes-types/package.json'));
const outFile = join(root, 'src/api/schema/generated/definitions.json');

/** Modules needed beyond the kinds' own: object metadata, and the kinds subresources answer with. */
const EXTRA_MODULES = ['meta/v1', 'autoscaling/v1', 'policy/v1'];

const INT_OR_STRING = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';
const DATE_TIME = new Set([
  'io.k8s.apimachinery.pkg.apis.meta.v1.Time',
  'io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime',
]);

/** Kubernetes' OpenAPI name prefix for a kubernetes-types module ("core/v1" → "io.k8s.api.core.v1"). */
function packagePrefix(module) {
  if (module === 'meta/v1') return 'io.k8s.apimachinery.pkg.apis.meta.v1';
  if (module === 'api/resource') return 'io.k8s.apimachinery.pkg.api.resource';
  if (module === 'runtime') return 'io.k8s.apimachinery.pkg.runtime';
  if (module === 'version') return 'io.k8s.apimachinery.pkg.version';
  if (module.startsWith('apiextensions/'))
    return `io.k8s.apiextensions-apiserver.pkg.apis.${module.replace('/', '.')}`;
  return `io.k8s.api.${module.replace('/', '.')}`;
}

/** The kubernetes-types modules of the served kinds. */
async function servedModules() {
  return [...new Set((await servedResources()).map((r) => r.typeSource.module))];
}

function generate(modules) {
  // Name every definition after its Kubernetes package, from the file that declares it.
  tsj.ExposeNodeParser.prototype.getDefinitionName = (node) => {
    const file = node.getSourceFile().fileName;
    const module = relative(typesDir, file).replace(/\.d\.ts$/, '');
    const name = tsj.symbolAtNode(node).getName();
    return `${packagePrefix(module)}.${name}`;
  };
  const files = modules.map((m) => join(typesDir, `${m}.d.ts`));
  const program = ts.createProgram(files, { noEmit: true, skipLibCheck: true, strict: true });
  const config = {
    tsProgram: program,
    type: '*',
    expose: 'all',
    topRef: true,
    jsDoc: 'extended',
    skipTypeCheck: true,
    encodeRefs: false,
    sortProps: true,
    additionalProperties: false,
  };
  const generator = new tsj.SchemaGenerator(
    program,
    tsj.createParser(program, config),
    tsj.createFormatter(config),
    config,
  );
  return generator.createSchema('*').definitions;
}

/** Rewrites one schema node (and everything below it) into Kubernetes' shapes. */
function reshape(node) {
  if (Array.isArray(node)) return node.map(reshape);
  if (node === null || typeof node !== 'object') return node;
  const out = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === 'additionalProperties' && value === false) continue;
    if (key === 'const' || key === 'readOnly') continue;
    out[key] = key === 'properties' ? mapValues(value, reshape) : reshape(value);
  }
  if (Array.isArray(out.type)) {
    const types = [...out.type].sort();
    if (types.length === 2 && types[0] === 'number' && types[1] === 'string') {
      delete out.type;
      out.$ref = `#/definitions/${INT_OR_STRING}`;
    }
  }
  if (out.type === 'number') out.type = 'integer';
  return out;
}

function mapValues(obj, fn) {
  return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, fn(v)]));
}

function groupVersionKind(def) {
  const apiVersion = def.properties?.apiVersion?.const;
  const kind = def.properties?.kind?.const;
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') return undefined;
  const slash = apiVersion.indexOf('/');
  return slash < 0
    ? { group: '', kind, version: apiVersion }
    : { group: apiVersion.slice(0, slash), kind, version: apiVersion.slice(slash + 1) };
}

function sortKeys(value) {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((k) => [k, sortKeys(value[k])]),
  );
}

async function build() {
  const modules = [...new Set([...(await servedModules()), ...EXTRA_MODULES])].sort();
  const raw = generate(modules);
  const definitions = {};
  for (const [name, def] of Object.entries(raw)) {
    const reshaped = reshape(def);
    const gvk = groupVersionKind(def);
    if (gvk) reshaped['x-kubernetes-group-version-kind'] = [gvk];
    if (DATE_TIME.has(name)) reshaped.format = 'date-time';
    definitions[name] = reshaped;
  }
  definitions[INT_OR_STRING] = {
    description:
      'IntOrString holds either an int32 or a string. In JSON and YAML it is written as the value it holds, so one field can take a number or a name.',
    format: 'int-or-string',
    type: 'string',
  };
  const document = {
    $comment: 'Generated by scripts/gen-schemas.mjs from the kubernetes-types package. Do not edit.',
    source: {
      'kubernetes-types': packageVersion('kubernetes-types'),
      'ts-json-schema-generator': packageVersion('ts-json-schema-generator'),
      modules,
    },
    definitions: sortKeys(definitions),
  };
  // One definition per line, then laid out by the project's formatter so that `biome check` passes.
  const lines = Object.entries(document.definitions).map(
    ([name, def]) => `    ${JSON.stringify(name)}: ${JSON.stringify(def)}`,
  );
  const text = [
    '{',
    `  "$comment": ${JSON.stringify(document.$comment)},`,
    `  "source": ${JSON.stringify(document.source)},`,
    '  "definitions": {',
    lines.join(',\n'),
    '  }',
    '}',
    '',
  ].join('\n');
  return formatLikeBiome(text, outFile);
}

const started = Date.now();
const text = await build();
if (writeOrCheck(outFile, text, 'run npm run gen:schemas')) {
  const count = (text.match(/\n {4}"io\.k8s/g) ?? []).length;
  console.error(
    `wrote ${relative(root, outFile)}: ${count} definitions, ${text.length} bytes in ${Date.now() - started} ms`,
  );
} else {
  console.error(`${relative(root, outFile)} is up to date (${Date.now() - started} ms)`);
}
