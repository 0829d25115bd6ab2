/**
 * Reading manifests for `apply -f` and `delete -f`: files, directories (their .yaml, .yml and
 * .json files, in name order; subdirectories with --recursive) and `-` for stdin. Each file may
 * hold several YAML documents (`---`) or JSON; `kind: List` documents are expanded to their items.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { isPlainObject, type KubeObject } from '../../api/object.js';
import { lookupKind, type ResourceDef } from '../../api/resources.js';
import { CliError } from './common.js';

export interface Manifest {
  obj: KubeObject;
  def: ResourceDef;
  /** The file it came from ("STDIN" for -). */
  source: string;
}

const EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

/** The files `-f` names, in order. */
function expandPaths(paths: string[], recursive: boolean): string[] {
  const out: string[] = [];
  for (const p of paths) {
    if (p === '-') {
      out.push('-');
      continue;
    }
    let stat: fs.Stats;
    try {
      stat = fs.statSync(p);
    } catch {
      throw new CliError(`the path "${p}" does not exist`);
    }
    if (!stat.isDirectory()) {
      out.push(p);
      continue;
    }
    const walk = (dir: string) => {
      for (const entry of fs
        .readdirSync(dir, { withFileTypes: true })
        .sort((a, b) => a.name.localeCompare(b.name))) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) {
          if (recursive) walk(full);
        } else if (EXTENSIONS.has(path.extname(entry.name).toLowerCase())) {
          out.push(full);
        }
      }
    };
    walk(p);
  }
  return out;
}

/** Every object in the files, in order, with its kind resolved. Throws on the first bad document. */
export async function readManifests(
  paths: string[],
  options: { recursive?: boolean } = {},
): Promise<Manifest[]> {
  const out: Manifest[] = [];
  for (const file of expandPaths(paths, options.recursive ?? false)) {
    const source = file === '-' ? 'STDIN' : file;
    const text = file === '-' ? await readStdin() : fs.readFileSync(file, 'utf8');
    for (const obj of parseManifests(text, source)) {
      const def = lookupKind(String(obj.apiVersion), String(obj.kind));
      if (!def) {
        throw new CliError(
          `resource mapping not found for name: "${obj.metadata?.name ?? ''}" namespace: "${obj.metadata?.namespace ?? ''}" from "${source}": no matches for kind "${obj.kind}" in version "${obj.apiVersion}"`,
        );
      }
      out.push({ obj, def, source });
    }
  }
  if (out.length === 0) throw new CliError('no objects passed to apply');
  return out;
}

/** Parse one file's text into objects (YAML documents or JSON; Lists expanded). */
export function parseManifests(text: string, source: string): KubeObject[] {
  const docs = parseAllDocuments(text);
  const list = Array.isArray(docs) ? docs : [docs];
  const out: KubeObject[] = [];
  list.forEach((doc, i) => {
    const where = list.length > 1 ? `${source} (document ${i + 1})` : source;
    if (doc.errors.length > 0) {
      throw new CliError(`error parsing ${where}: ${doc.errors[0]!.message}`);
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 100 });
    } catch (err) {
      throw new CliError(`error parsing ${where}: ${(err as Error).message}`);
    }
    if (value === null || value === undefined) return;
    collect(value, where, out);
  });
  return out;
}

function collect(value: unknown, where: string, out: KubeObject[]): void {
  if (!isPlainObject(value))
    throw new CliError(`error validating "${where}": expected an object, got ${typeof value}`);
  const missing = ['apiVersion', 'kind'].filter((k) => typeof value[k] !== 'string' || value[k] === '');
  if (missing.length > 0) {
    throw new CliError(
      `error validating "${where}": error validating data: [${missing.map((m) => `${m} not set`).join(', ')}]`,
    );
  }
  if (typeof value.kind === 'string' && value.kind.endsWith('List') && Array.isArray(value.items)) {
    for (const item of value.items) collect(item, where, out);
    return;
  }
  if (value.metadata !== undefined && !isPlainObject(value.metadata)) {
    throw new CliError(`error validating "${where}": metadata must be an object`);
  }
  const obj = value as KubeObject;
  obj.metadata ??= {};
  out.push(obj);
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * The namespace an object goes to: its own, else -n / the context's. An object naming another
 * namespace than an explicit -n is refused, as kubectl does.
 */
export function namespaceFor(
  m: Manifest,
  connection: { namespace: string; namespaceFromFlag: boolean },
): string | undefined {
  if (!m.def.namespaced) return undefined;
  const own = m.obj.metadata.namespace;
  if (own && connection.namespaceFromFlag && own !== connection.namespace) {
    throw new CliError(
      `the namespace from the provided object "${own}" does not match the namespace "${connection.namespace}". You must pass '--namespace=${own}' to perform this operation.`,
    );
  }
  return own || connection.namespace;
}
