#!/usr/bin/env node
// Writes src/apiserver/protobuf/messages.ts, the field table the protobuf body decoder reads:
// for every message reachable from the kinds Shoal serves (and the bodies of their subresources),
// field number → JSON name, type and flags. Run it by hand when the served kinds or the upstream
// version change; the output is committed, the upstream files are not.
//
//   node scripts/gen-messages.mjs --api DIR --apimachinery DIR [--ref v0.32.4] [--check]
//
// DIR is a git directory (bare or not) of github.com/kubernetes/api and kubernetes/apimachinery;
// files are read at --ref with `git show`, nothing is checked out or copied.
//
// Two upstream sources are joined per (message, field number):
// - generated.proto (parsed with protobufjs): the wire types, message references, repeated and map.
// - the Go structs (types.go and friends), their `json:` and `protobuf:` tags: the JSON name, whether
//   the field is inlined into its parent in JSON (`json:",inline"`), and whether Go's encoding/json
//   drops it when zero (`omitempty` on a non-pointer scalar). That last one matters because
//   Kubernetes' Go marshaller writes every non-pointer field, zero or not: "" and 0 on the wire
//   for fields a JSON client would have left out.
// Each field is then checked against our generated JSON schemas (src/api/schema/generated): a field
// the schemas do not have (newer than the kubernetes-types we serve) is kept with flag "x", so the
// decoder skips it by name and reports it as unknown.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { formatLikeBiome, packageVersion, root, servedResources, writeOrCheck } from './generated-file.mjs';

const require = createRequire(import.meta.url);
const protobuf = require('protobufjs');

const outFile = join(root, 'src/apiserver/protobuf/messages.ts');
const definitionsFile = join(root, 'src/api/schema/generated/definitions.json');

function arg(name, fallback) {
  const i = process.argv.indexOf(name);
  if (i >= 0 && process.argv[i + 1]) return process.argv[i + 1];
  if (fallback !== undefined) return fallback;
  console.error(`missing ${name}`);
  process.exit(2);
}

const REF = arg('--ref', 'v0.32.4');
const REPOS = { api: arg('--api'), apimachinery: arg('--apimachinery') };

/** Upstream package directories, by proto package. */
const PACKAGES = {
  'k8s.io.api.core.v1': ['api', 'core/v1'],
  'k8s.io.api.apps.v1': ['api', 'apps/v1'],
  'k8s.io.api.batch.v1': ['api', 'batch/v1'],
  'k8s.io.api.autoscaling.v1': ['api', 'autoscaling/v1'],
  'k8s.io.api.autoscaling.v2': ['api', 'autoscaling/v2'],
  'k8s.io.api.networking.v1': ['api', 'networking/v1'],
  'k8s.io.api.coordination.v1': ['api', 'coordination/v1'],
  'k8s.io.api.discovery.v1': ['api', 'discovery/v1'],
  'k8s.io.api.rbac.v1': ['api', 'rbac/v1'],
  'k8s.io.api.scheduling.v1': ['api', 'scheduling/v1'],
  'k8s.io.api.policy.v1': ['api', 'policy/v1'],
  'k8s.io.apimachinery.pkg.apis.meta.v1': ['apimachinery', 'pkg/apis/meta/v1'],
  'k8s.io.apimachinery.pkg.runtime': ['apimachinery', 'pkg/runtime'],
  'k8s.io.apimachinery.pkg.runtime.schema': ['apimachinery', 'pkg/runtime/schema'],
  'k8s.io.apimachinery.pkg.util.intstr': ['apimachinery', 'pkg/util/intstr'],
  'k8s.io.apimachinery.pkg.api.resource': ['apimachinery', 'pkg/api/resource'],
};

/** Messages whose JSON form is not an object of their fields: the decoder converts them itself. */
const SPECIAL = {
  'k8s.io.apimachinery.pkg.apis.meta.v1.Time': 'time',
  'k8s.io.apimachinery.pkg.apis.meta.v1.MicroTime': 'microtime',
  'k8s.io.apimachinery.pkg.apis.meta.v1.Duration': 'duration',
  'k8s.io.apimachinery.pkg.apis.meta.v1.FieldsV1': 'fieldsv1',
  'k8s.io.apimachinery.pkg.util.intstr.IntOrString': 'intstr',
  'k8s.io.apimachinery.pkg.api.resource.Quantity': 'quantity',
  'k8s.io.apimachinery.pkg.runtime.RawExtension': 'raw',
};

const SCALARS = new Set(['string', 'bytes', 'bool', 'int32', 'int64', 'uint32', 'uint64', 'double', 'float']);

/** Bodies beyond the served kinds: subresources and DELETE options. */
const EXTRA_ROOTS = [
  ['v1', 'Binding', 'k8s.io.api.core.v1.Binding'],
  ['autoscaling/v1', 'Scale', 'k8s.io.api.autoscaling.v1.Scale'],
  ['policy/v1', 'Eviction', 'k8s.io.api.policy.v1.Eviction'],
  ['meta.k8s.io/v1', 'DeleteOptions', 'k8s.io.apimachinery.pkg.apis.meta.v1.DeleteOptions'],
];

function git(repo, ...args) {
  const r = spawnSync('git', ['--git-dir', gitDir(repo), ...args], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')} in ${repo}: ${r.stderr}`);
  return r.stdout;
}

function gitDir(repo) {
  const dir = REPOS[repo];
  return existsSync(join(dir, '.git')) ? join(dir, '.git') : dir;
}

/** The table's short name of a proto message: "k8s.io.api.core.v1.Pod" → "core.v1.Pod". */
function shortName(full) {
  return full.replace(/^k8s\.io\.api\./, '').replace(/^k8s\.io\.apimachinery\.pkg\.apis\./, '');
}

/** The JSON schema definition name of a proto message ("io.k8s.api.core.v1.Pod"). */
function definitionName(full) {
  return full.replace(/^k8s\.io\./, 'io.k8s.');
}

/** The served kinds as [apiVersion, kind, proto message]. */
async function servedRoots() {
  return (await servedResources()).map((r) => [
    r.group ? `${r.group}/${r.version}` : r.version,
    r.kind,
    `k8s.io.api.${r.typeSource.module.replace('/', '.')}.${r.kind}`,
  ]);
}

/** Every proto file, parsed into one protobufjs root. */
function loadProtos() {
  const pbRoot = new protobuf.Root();
  for (const [repo, dir] of Object.values(PACKAGES)) {
    protobuf.parse(git(repo, 'show', `${REF}:${dir}/generated.proto`), pbRoot, { keepCase: true });
  }
  pbRoot.resolveAll();
  return pbRoot;
}

/**
 * The Go structs of every package: struct name → field number → what the tags say. Generated
 * Go files hold no API structs and are skipped.
 */
function loadGoStructs() {
  const byPackage = new Map();
  for (const [pkg, [repo, dir]] of Object.entries(PACKAGES)) {
    const structs = new Map();
    const files = git(repo, 'ls-tree', '--name-only', `${REF}:${dir}`)
      .split('\n')
      .filter((f) => f.endsWith('.go') && !f.endsWith('_test.go'))
      .filter((f) => !/^(zz_generated|generated\.pb|.*_swagger_doc_generated)/.test(f));
    for (const file of files) {
      const text = git(repo, 'show', `${REF}:${dir}/${file}`);
      for (const m of text.matchAll(/^type (\w+) struct \{\n([\s\S]*?)^\}/gm)) {
        const fields = new Map();
        for (const line of m[2].split('\n')) {
          const f = /^\s*(?:(\w+)\s+)?([^\s`]+)\s+`([^`]*)`/.exec(line);
          if (!f || line.trimStart().startsWith('//')) continue;
          const tags = f[3];
          const pb = /protobuf:"([^"]*)"/.exec(tags);
          if (!pb) continue;
          const number = Number(pb[1].split(',')[1]);
          const json = /json:"([^"]*)"/.exec(tags)?.[1] ?? '';
          const [jsonName, ...options] = json.split(',');
          fields.set(number, {
            goName: f[1] ?? f[2],
            goType: f[2],
            json: jsonName,
            omitempty: options.includes('omitempty'),
            inline: options.includes('inline'),
          });
        }
        structs.set(m[1], fields);
      }
    }
    byPackage.set(pkg, structs);
  }
  return byPackage;
}

const definitions = JSON.parse(readFileSync(definitionsFile, 'utf8')).definitions;

function packageOf(full) {
  return full.slice(0, full.lastIndexOf('.'));
}

function isMessage(type) {
  return !SCALARS.has(type) && !Object.values(SPECIAL).includes(type);
}

/** The schema definitions (of those named) that lack a property. */
function missingIn(schemas, property) {
  return [...schemas].filter((s) => !Object.hasOwn(definitions[s]?.properties ?? {}, property));
}

function typeOf(field) {
  if (SCALARS.has(field.type)) return field.type;
  const full = field.resolvedType.fullName.replace(/^\./, '');
  return SPECIAL[full] ?? full;
}

async function build() {
  const pbRoot = loadProtos();
  const goStructs = loadGoStructs();
  const roots = [...(await servedRoots()), ...EXTRA_ROOTS];
  const problems = [];
  const notServed = [];

  // Pass 1: the messages reachable from the roots, and for each the schema definitions its fields
  // are checked against: its own, or for a message only ever inlined (VolumeSource, ProbeHandler),
  // those of every parent that inlines it.
  const contexts = new Map();
  const queue = roots.map(([, , full]) => ({ full, schemaOf: [definitionName(full)] }));
  while (queue.length > 0) {
    const { full, schemaOf } = queue.shift();
    const own = definitions[definitionName(full)] ? [definitionName(full)] : schemaOf;
    const known = contexts.get(full) ?? new Set();
    const before = known.size;
    for (const s of own) known.add(s);
    contexts.set(full, known);
    if (before > 0 && known.size === before) continue;
    const type = pbRoot.lookupType(full);
    const goFields = goStructs.get(packageOf(full))?.get(type.name);
    for (const field of type.fieldsArray) {
      const fieldType = typeOf(field);
      const go = goFields?.get(field.id);
      if (!go || !isMessage(fieldType)) continue;
      if (!go.inline && missingIn(known, go.json).length > 0) continue;
      queue.push({ full: fieldType, schemaOf: go.inline ? [...known] : [definitionName(fieldType)] });
    }
  }

  // Pass 2: the entries.
  const table = new Map();
  for (const [full, schemas] of contexts) {
    const type = pbRoot.lookupType(full);
    const goFields = goStructs.get(packageOf(full))?.get(type.name);
    if (!goFields) problems.push(`${full}: no Go struct ${type.name} in ${packageOf(full)}`);
    const entries = new Map();
    for (const field of type.fieldsArray) {
      const go = goFields?.get(field.id);
      if (!go) {
        problems.push(`${full}.${field.name} (${field.id}): no Go field with that protobuf number`);
        continue;
      }
      const fieldType = typeOf(field);
      let flags = '';
      if (field.map) {
        if (field.keyType !== 'string') problems.push(`${full}.${field.name}: map key ${field.keyType}`);
        flags += 'm';
      } else if (field.repeated) flags += 'r';
      if (go.inline) {
        if (!isMessage(fieldType) || flags)
          problems.push(`${full}.${field.name}: inline field is not a message`);
        flags += 'i';
      } else if (go.json === '' || go.json === '-') {
        problems.push(`${full}.${field.name}: no JSON name`);
        continue;
      } else if (go.json !== field.name) {
        // IngressClassParametersReference's apiGroup is "aPIGroup" in the proto; JSON wins.
        console.error(
          `note: ${shortName(full)} field ${field.id} is ${field.name} in the proto, ${go.json} in JSON`,
        );
      }
      const pointer = go.goType.startsWith('*');
      if (!pointer && go.omitempty && !flags && SCALARS.has(fieldType)) flags += 'o';
      const jsonName = go.inline ? field.name : go.json;
      if (!go.inline && missingIn(schemas, jsonName).length > 0) {
        flags += 'x';
        notServed.push(`${shortName(full)}.${jsonName}`);
      }
      entries.set(field.id, [jsonName, isMessage(fieldType) ? shortName(fieldType) : fieldType, flags]);
    }
    table.set(full, entries);
  }
  if (problems.length > 0) {
    console.error(`upstream and Go tags disagree:\n  ${problems.join('\n  ')}`);
    process.exit(1);
  }

  const names = [...table.keys()].sort((a, b) => shortName(a).localeCompare(shortName(b)));
  const lines = [
    '/**',
    ` * Generated by scripts/gen-messages.mjs from k8s.io/api and k8s.io/apimachinery ${REF}`,
    ' * (generated.proto and the Go struct tags), checked against src/api/schema/generated/definitions.json',
    ` * (kubernetes-types ${packageVersion('kubernetes-types')}). Do not edit; regenerate.`,
    ' *',
    ' * Per message, field number → [JSON name, type, flags]. Types: a scalar (string, bytes, bool, int32,',
    ' * int64, uint32, uint64, double, float), a converted meta type (time, microtime, duration, fieldsv1,',
    ' * intstr, quantity, raw) or another message of this table. Flags: r repeated, m map<string, type>,',
    " * i inlined into the parent's JSON, o omitted from JSON when zero (Go omitempty on a non-pointer),",
    ' * x not in the schemas Shoal serves (skipped and reported as unknown).',
    ' */',
    "import type { MessageTable } from './table.js';",
    '',
    `export const UPSTREAM_VERSION = '${REF}';`,
    '',
    '/** apiVersion and kind of a top-level body → its message. */',
    'export const ROOTS: Readonly<Record<string, string>> = {',
    ...roots.map(([apiVersion, kind, full]) => `  '${apiVersion} ${kind}': '${shortName(full)}',`),
    '};',
    '',
    'export const MESSAGES: MessageTable = {',
  ];
  for (const full of names) {
    lines.push(`  '${shortName(full)}': {`);
    for (const [id, [json, type, flags]] of [...table.get(full)].sort((a, b) => a[0] - b[0])) {
      lines.push(`    ${id}: ['${json}', '${type}'${flags ? `, '${flags}'` : ''}],`);
    }
    lines.push('  },');
  }
  lines.push('};', '');
  const fieldCount = [...table.values()].reduce((n, e) => n + e.size, 0);
  return {
    text: formatLikeBiome(lines.join('\n'), outFile),
    messages: table.size,
    fields: fieldCount,
    notServed,
  };
}

const { text, messages, fields, notServed } = await build();
if (writeOrCheck(outFile, text, 'regenerate it')) {
  console.error(
    `wrote ${relative(root, outFile)}: ${messages} messages, ${fields} fields, ${text.length} bytes`,
  );
  if (notServed.length > 0)
    console.error(`upstream fields not in the served schemas (flag x): ${notServed.join(', ')}`);
} else {
  console.error(`${relative(root, outFile)} is up to date`);
}
