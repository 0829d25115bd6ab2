/**
 * Kubeconfig loading as kubectl does it: `--kubeconfig` wins, else the `KUBECONFIG` list (files
 * merged, the first to define a name or the current context wins, missing files skipped), else
 * `~/.kube/config`. The chosen context yields one `ClusterConnection`: server URL, TLS material,
 * credentials and default namespace, with file paths resolved against the file that named them.
 *
 * Every problem is a `KubeconfigError` naming the file and the field, so users can fix it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';

export class KubeconfigError extends Error {
  constructor(
    readonly file: string,
    readonly field: string,
    problem: string,
  ) {
    super(`kubeconfig ${file}: ${field ? `${field}: ` : ''}${problem}`);
    this.name = 'KubeconfigError';
  }
}

/** Everything a client needs to reach and authenticate to one cluster. */
export interface ClusterConnection {
  /** The files read, in precedence order. */
  files: string[];
  context: string;
  cluster: string;
  user: string;
  /** `https://host:port` (or `http://` for local test servers). */
  server: string;
  /** The context's namespace, or "default". */
  namespace: string;
  /** PEM bundle of the certificate authorities to trust; undefined uses the system's. */
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  token?: string;
  /** Read by the client at request time, so rotated tokens are picked up. */
  tokenFile?: string;
  username?: string;
  password?: string;
  insecureSkipTlsVerify: boolean;
  tlsServerName?: string;
}

export interface KubeconfigSource {
  /** `--kubeconfig`: exactly this file, which must exist. */
  path?: string;
  /** `--context`: instead of current-context. */
  context?: string;
  /** Defaults to process.env (KUBECONFIG, HOME). */
  env?: NodeJS.ProcessEnv;
  homeDir?: string;
}

interface Named<T> {
  value: T;
  /** The file that defined it, for relative paths and error messages. */
  file: string;
  /** How to point at it in an error: `users[name="admin"]`. */
  where: string;
}

interface Merged {
  files: string[];
  clusters: Map<string, Named<Record<string, unknown>>>;
  users: Map<string, Named<Record<string, unknown>>>;
  contexts: Map<string, Named<Record<string, unknown>>>;
  currentContext?: { name: string; file: string };
}

/** Which files to read, in precedence order, and whether they were named explicitly. */
export function kubeconfigPaths(source: KubeconfigSource = {}): { paths: string[]; explicit: boolean } {
  if (source.path) return { paths: [path.resolve(source.path)], explicit: true };
  const env = source.env ?? process.env;
  const list = (env.KUBECONFIG ?? '').split(path.delimiter).filter((p) => p !== '');
  if (list.length > 0) return { paths: list.map((p) => path.resolve(p)), explicit: false };
  const home = source.homeDir ?? env.HOME ?? os.homedir();
  return { paths: [path.join(home, '.kube', 'config')], explicit: false };
}

/** Load and resolve the kubeconfig for the chosen (or current) context. */
export function loadKubeconfig(source: KubeconfigSource = {}): ClusterConnection {
  const { paths, explicit } = kubeconfigPaths(source);
  const merged: Merged = { files: [], clusters: new Map(), users: new Map(), contexts: new Map() };
  for (const file of paths) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' && !explicit) continue;
      throw new KubeconfigError(file, '', code === 'ENOENT' ? 'no such file' : (err as Error).message);
    }
    mergeInto(merged, parseKubeconfig(text, file), file);
  }
  if (merged.files.length === 0) {
    throw new KubeconfigError(
      paths.join(path.delimiter),
      '',
      'no kubeconfig found; pass --kubeconfig, set KUBECONFIG, or create ~/.kube/config',
    );
  }
  return resolveContext(merged, source.context);
}

/** Parse one file's text into its raw object, checking the top-level shape. */
function parseKubeconfig(text: string, file: string): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = parseYaml(text, { maxAliasCount: 100 });
  } catch (err) {
    throw new KubeconfigError(file, '', `not valid YAML: ${(err as Error).message}`);
  }
  if (doc === null || doc === undefined) return {};
  if (!isRecord(doc)) throw new KubeconfigError(file, '', 'expected a mapping at the top level');
  if (doc.kind !== undefined && doc.kind !== 'Config') {
    throw new KubeconfigError(file, 'kind', `expected "Config", got ${JSON.stringify(doc.kind)}`);
  }
  return doc;
}

function mergeInto(merged: Merged, doc: Record<string, unknown>, file: string): void {
  merged.files.push(file);
  const sections = [
    ['clusters', 'cluster', merged.clusters],
    ['users', 'user', merged.users],
    ['contexts', 'context', merged.contexts],
  ] as const;
  for (const [list, inner, into] of sections) {
    const entries = doc[list];
    if (entries === undefined || entries === null) continue;
    if (!Array.isArray(entries)) throw new KubeconfigError(file, list, 'expected a list');
    entries.forEach((entry, i) => {
      if (!isRecord(entry) || typeof entry.name !== 'string' || entry.name === '') {
        throw new KubeconfigError(file, `${list}[${i}].name`, 'required: each entry needs a name');
      }
      const body = entry[inner] ?? {};
      const where = `${list}[name=${JSON.stringify(entry.name)}].${inner}`;
      if (!isRecord(body)) throw new KubeconfigError(file, where, 'expected a mapping');
      if (!into.has(entry.name)) into.set(entry.name, { value: body, file, where });
    });
  }
  const current = doc['current-context'];
  if (current !== undefined && current !== null && typeof current !== 'string') {
    throw new KubeconfigError(file, 'current-context', 'expected a string');
  }
  if (current && !merged.currentContext) merged.currentContext = { name: current, file };
}

function resolveContext(merged: Merged, chosen: string | undefined): ClusterConnection {
  const files = merged.files;
  const anyFile = files.join(path.delimiter);
  const contextName = chosen || merged.currentContext?.name;
  if (!contextName) {
    throw new KubeconfigError(anyFile, 'current-context', 'not set; pass --context or set current-context');
  }
  const context = merged.contexts.get(contextName);
  if (!context) {
    const known = [...merged.contexts.keys()];
    throw new KubeconfigError(
      chosen ? anyFile : merged.currentContext!.file,
      chosen ? 'contexts' : 'current-context',
      `context "${contextName}" not found${known.length ? ` (known: ${known.join(', ')})` : ''}`,
    );
  }
  const ctx = context.value;
  const clusterName = str(ctx, 'cluster', context);
  if (!clusterName) throw new KubeconfigError(context.file, `${context.where}.cluster`, 'required');
  const cluster = merged.clusters.get(clusterName);
  if (!cluster) {
    throw new KubeconfigError(context.file, `${context.where}.cluster`, `cluster "${clusterName}" not found`);
  }
  const userName = str(ctx, 'user', context) ?? '';
  const user = userName ? merged.users.get(userName) : undefined;
  if (userName && !user) {
    throw new KubeconfigError(context.file, `${context.where}.user`, `user "${userName}" not found`);
  }

  const c = cluster.value;
  const server = str(c, 'server', cluster);
  if (!server) throw new KubeconfigError(cluster.file, `${cluster.where}.server`, 'required');
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new KubeconfigError(
      cluster.file,
      `${cluster.where}.server`,
      `not a URL: ${JSON.stringify(server)}`,
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new KubeconfigError(
      cluster.file,
      `${cluster.where}.server`,
      `must start with https:// (or http://), got ${JSON.stringify(server)}`,
    );
  }

  const out: ClusterConnection = {
    files,
    context: contextName,
    cluster: clusterName,
    user: userName,
    server: server.replace(/\/+$/, ''),
    namespace: str(ctx, 'namespace', context) || 'default',
    insecureSkipTlsVerify: bool(c, 'insecure-skip-tls-verify', cluster),
  };
  const ca = material(cluster, 'certificate-authority');
  if (ca) out.ca = ca;
  const serverName = str(c, 'tls-server-name', cluster);
  if (serverName) out.tlsServerName = serverName;

  if (user) {
    const u = user.value;
    for (const unsupported of ['exec', 'auth-provider']) {
      if (u[unsupported] !== undefined && u[unsupported] !== null) {
        throw new KubeconfigError(
          user.file,
          `${user.where}.${unsupported}`,
          'credential plugins are not supported by shoal; use a client certificate or a token',
        );
      }
    }
    const cert = material(user, 'client-certificate');
    const key = material(user, 'client-key');
    if (cert && !key)
      throw new KubeconfigError(user.file, `${user.where}.client-key`, 'required with client-certificate');
    if (key && !cert)
      throw new KubeconfigError(user.file, `${user.where}.client-certificate`, 'required with client-key');
    if (cert && key) {
      out.cert = cert;
      out.key = key;
    }
    const token = str(u, 'token', user);
    const tokenFile = str(u, 'tokenFile', user);
    if (token) out.token = token;
    else if (tokenFile) {
      const resolved = path.resolve(path.dirname(user.file), tokenFile);
      try {
        fs.accessSync(resolved, fs.constants.R_OK);
      } catch (err) {
        throw new KubeconfigError(
          user.file,
          `${user.where}.tokenFile`,
          `cannot read ${resolved}: ${(err as Error).message}`,
        );
      }
      out.tokenFile = resolved;
    }
    const username = str(u, 'username', user);
    const password = str(u, 'password', user);
    if (username) {
      out.username = username;
      out.password = password ?? '';
    }
  }
  return out;
}

/** `NAME-data` (base64, embedded) or `NAME` (a path relative to the file), as bytes. */
function material(entry: Named<Record<string, unknown>>, name: string): Buffer | undefined {
  const data = str(entry.value, `${name}-data`, entry);
  if (data) {
    const compact = data.replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 === 1) {
      throw new KubeconfigError(entry.file, `${entry.where}.${name}-data`, 'not valid base64');
    }
    return Buffer.from(compact, 'base64');
  }
  const file = str(entry.value, name, entry);
  if (!file) return undefined;
  const resolved = path.resolve(path.dirname(entry.file), file);
  try {
    return fs.readFileSync(resolved);
  } catch (err) {
    throw new KubeconfigError(
      entry.file,
      `${entry.where}.${name}`,
      `cannot read ${resolved}: ${(err as Error).message}`,
    );
  }
}

function str(obj: Record<string, unknown>, key: string, at: Named<unknown>): string | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new KubeconfigError(at.file, `${at.where}.${key}`, 'expected a string');
  return v;
}

function bool(obj: Record<string, unknown>, key: string, at: Named<unknown>): boolean {
  const v = obj[key];
  if (v === undefined || v === null) return false;
  if (typeof v !== 'boolean')
    throw new KubeconfigError(at.file, `${at.where}.${key}`, 'expected true or false');
  return v;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
