/**
 * An in-process API server over plain HTTP for the client's and the CLI's tests: a real SQLite
 * store and the real request pipeline, with fake per-kind knowledge (merge-patch semantics for
 * every patch type, name-only validation) and a small table printer. Requests need
 * `Authorization: Bearer <token>`.
 *
 * The fake server-side apply reports a field-manager conflict when the stored object carries the
 * annotation `test.shoal.dev/conflict: <field>` and the apply is not forced, so conflict handling
 * can be tested before the real apply engine exists.
 */
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { type FieldError, statusError } from '../../src/api/errors.js';
import type { KubeObject } from '../../src/api/object.js';
import { buildHttpsServerOptions, createRequestAuthenticator } from '../../src/apiserver/authn/index.js';
import type { Machinery } from '../../src/apiserver/registry/machinery.js';
import { ApiServer } from '../../src/apiserver/server.js';
import {
  buildKubeconfig,
  createCertificateAuthority,
  issueClientCertificate,
  issueServingCertificate,
} from '../../src/pki/index.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/store/store.js';

export const TEST_TOKEN = 'test-token';
export const CONFLICT_ANNOTATION = 'test.shoal.dev/conflict';

function mergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> =
    typeof target === 'object' && target !== null && !Array.isArray(target) ? { ...(target as object) } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

export const fakeMachinery: Machinery = {
  applyDefaults() {},
  validate(_def, obj): FieldError[] {
    const name = obj.metadata.name ?? '';
    return /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name)
      ? []
      : [
          {
            type: 'Invalid',
            field: 'metadata.name',
            value: name,
            detail:
              "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.'",
          },
        ];
  },
  pruneUnknownFields(_def, obj) {
    if (!('bogus' in obj)) return [];
    delete (obj as { bogus?: unknown }).bogus;
    return ['bogus'];
  },
  patch(def, current, patch) {
    const body = JSON.parse(patch.body);
    const conflict = current?.metadata.annotations?.[CONFLICT_ANNOTATION];
    if (patch.type === 'apply' && conflict && !patch.force) {
      throw statusError(
        409,
        'Conflict',
        `Apply failed with 1 conflict: conflict with "kubectl-edit" using ${body.apiVersion}: ${conflict}`,
        {
          name: current?.metadata.name ?? '',
          ...(def.group ? { group: def.group } : {}),
          kind: def.resource,
          causes: [
            { reason: 'FieldManagerConflict', message: 'conflict with "kubectl-edit"', field: conflict },
          ],
        },
      );
    }
    if (patch.type === 'json') {
      throw statusError(415, 'UnsupportedMediaType', 'json patches are not supported by the fake');
    }
    return mergePatch(current ?? {}, body) as KubeObject;
  },
  trackUpdate: (_def, _old, updated) => updated,
};

function age(obj: KubeObject, now: Date): string {
  const created = Date.parse(obj.metadata.creationTimestamp ?? '');
  if (Number.isNaN(created)) return '<unknown>';
  const s = Math.max(0, Math.floor((now.getTime() - created) / 1000));
  return s < 120 ? `${s}s` : `${Math.floor(s / 60)}m`;
}

export interface TestServer {
  url: string;
  store: Store;
  server: http.Server;
  dir: string;
  /** Write a kubeconfig for this server (token auth) and return its path. */
  kubeconfig(namespace?: string): string;
  /** With `tls`: the cluster CA, and a kubeconfig with an admin client certificate as `shoal server` writes it. */
  tls?: { caPem: string; adminKubeconfig: string };
  close(): Promise<void>;
}

export interface TestServerOptions {
  /** Serve HTTPS with a fresh CA, and accept client certificates as well as the token. */
  tls?: boolean;
}

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shoal-client-'));
  const store = await openSqliteStore({ dataDir: dir });
  const api = new ApiServer({
    store,
    machinery: fakeMachinery,
    printTable: (_def, objects, { now, includeObject }) => ({
      kind: 'Table',
      apiVersion: 'meta.k8s.io/v1',
      metadata: {},
      columnDefinitions: [
        { name: 'Name', type: 'string', format: 'name', description: 'Name', priority: 0 },
        { name: 'Data', type: 'integer', description: 'Keys in data', priority: 0 },
        { name: 'Age', type: 'string', description: 'Age', priority: 0 },
        { name: 'Resource Version', type: 'string', description: 'Version', priority: 1 },
      ],
      rows: objects.map((o) => ({
        cells: [
          o.metadata.name,
          Object.keys((o.data as object | undefined) ?? {}).length,
          age(o, now),
          o.metadata.resourceVersion,
        ],
        ...(includeObject === 'None'
          ? {}
          : {
              object: {
                kind: 'PartialObjectMetadata',
                apiVersion: 'meta.k8s.io/v1',
                metadata: {
                  name: o.metadata.name,
                  namespace: o.metadata.namespace,
                  resourceVersion: o.metadata.resourceVersion,
                },
              },
            }),
      })),
    }),
    authenticate: async (req) =>
      req.headers.authorization === `Bearer ${TEST_TOKEN}`
        ? { username: 'test', groups: [] }
        : await certificates.authenticate(req),
    watch: { bookmarkIntervalMs: 200, defaultTimeoutSeconds: 60 },
  });
  const certificates = createRequestAuthenticator();
  let tls: { caPem: string; adminKubeconfig: string } | undefined;
  let server: http.Server;
  if (options.tls) {
    const ca = await createCertificateAuthority();
    const serving = await issueServingCertificate(ca, {
      sans: { ips: ['127.0.0.1'], dnsNames: ['localhost'] },
    });
    server = https.createServer(
      buildHttpsServerOptions({ keyPem: serving.keyPem, certPem: serving.certPem, caPem: ca.certPem }),
      api.handle,
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const admin = await issueClientCertificate(ca, {
      commonName: 'shoal-admin',
      organizations: ['system:masters'],
    });
    const adminKubeconfig = path.join(dir, 'admin.kubeconfig');
    fs.writeFileSync(
      adminKubeconfig,
      buildKubeconfig({
        server: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
        caPem: ca.certPem,
        clientCertPem: admin.certPem,
        clientKeyPem: admin.keyPem,
      }),
      { mode: 0o600 },
    );
    tls = { caPem: ca.certPem, adminKubeconfig };
  } else {
    server = http.createServer(api.handle);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  }
  const url = `${options.tls ? 'https' : 'http'}://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    store,
    server,
    dir,
    ...(tls ? { tls } : {}),
    kubeconfig(namespace = 'default') {
      const file = path.join(dir, `kubeconfig-${namespace}.yaml`);
      fs.writeFileSync(
        file,
        [
          'apiVersion: v1',
          'kind: Config',
          'clusters:',
          '- name: test',
          '  cluster:',
          `    server: ${url}`,
          'users:',
          '- name: tester',
          '  user:',
          `    token: ${TEST_TOKEN}`,
          'contexts:',
          '- name: test',
          '  context:',
          '    cluster: test',
          '    user: tester',
          `    namespace: ${namespace}`,
          'current-context: test',
          '',
        ].join('\n'),
      );
      return file;
    },
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
