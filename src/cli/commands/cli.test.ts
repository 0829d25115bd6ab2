/**
 * The user-facing verbs as a user runs them: `node dist/src/cli/main.js <verb> ...` as a child
 * process, against an in-process API server (plain HTTP, bearer token from a kubeconfig), with
 * assertions on what they print and their exit codes.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  CONFLICT_ANNOTATION,
  startTestServer,
  type TestServer,
} from '../../../test/support/api-test-server.js';
import { lookupResource } from '../../api/resources.js';
import { loadKubeconfig } from '../../client/kubeconfig.js';
import { Client } from '../../client/rest.js';

/** The CLI entry point (SHOAL_TEST_CLI may point at another build of it). */
const MAIN = process.env.SHOAL_TEST_CLI ?? fileURLToPath(new URL('../main.js', import.meta.url));

const NS = lookupResource('', 'v1', 'namespaces')!;
const CM = lookupResource('', 'v1', 'configmaps')!;
const DEPLOY = lookupResource('apps', 'v1', 'deployments')!;
const EVENTS = lookupResource('', 'v1', 'events')!;

let srv: TestServer;
let client: Client;
let kubeconfig: string;
let dir: string;

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function shoal(args: string[], input?: string): Promise<Result> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [MAIN, ...args],
      { env: { ...process.env, KUBECONFIG: kubeconfig }, timeout: 30_000 },
      (err, stdout, stderr) => {
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
    if (input !== undefined) child.stdin!.end(input);
  });
}

/** Every row has a cell starting where each header column starts, after a space. */
function assertAligned(lines: string[]): void {
  const header = lines[0]!;
  const starts = [...header.matchAll(/ {2,}(\S)/g)].map((m) => m.index! + m[0].length - 1);
  for (const line of lines.slice(1)) {
    for (const at of starts) {
      assert.ok(
        line[at - 1] === ' ' && line[at] !== ' ' && line[at] !== undefined,
        `misaligned at ${at}: ${line}`,
      );
    }
  }
}

function manifest(name: string, text: string): string {
  const file = path.join(dir, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  return file;
}

const app = (replicas: number, data = 'v1') => `
apiVersion: v1
kind: Namespace
metadata:
  name: shop
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: shop
data:
  mode: ${data}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  labels: {app: web}
spec:
  replicas: ${replicas}
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1.25
`;

before(async () => {
  srv = await startTestServer();
  kubeconfig = srv.kubeconfig();
  dir = path.join(srv.dir, 'manifests');
  client = Client.fromKubeconfig(loadKubeconfig({ path: kubeconfig }));
  await client.create(NS, undefined, { metadata: { name: 'default' } });
});

after(async () => {
  client.close();
  await srv.close();
});

describe('shoal apply', () => {
  it('creates, configures and leaves unchanged, as kubectl reports it', async () => {
    const file = manifest('app.yaml', app(2));
    const first = await shoal(['apply', '-f', file]);
    assert.equal(first.stderr, '');
    assert.equal(first.code, 0);
    assert.equal(
      first.stdout,
      'namespace/shop created\nconfigmap/settings created\ndeployment.apps/web created\n',
    );
    const dep = await client.get(DEPLOY, 'shop', 'web');
    assert.equal((dep.spec as { replicas: number }).replicas, 2);
    assert.ok(dep.metadata.uid);

    const again = await shoal(['apply', '-f', file]);
    assert.equal(
      again.stdout,
      'namespace/shop unchanged\nconfigmap/settings unchanged\ndeployment.apps/web unchanged\n',
    );

    manifest('app.yaml', app(3, 'v2'));
    const edited = await shoal(['apply', '-f', file]);
    assert.equal(
      edited.stdout,
      'namespace/shop unchanged\nconfigmap/settings configured\ndeployment.apps/web configured\n',
    );
    assert.equal(((await client.get(DEPLOY, 'shop', 'web')).spec as { replicas: number }).replicas, 3);
  });

  it('reads directories, JSON and stdin, and puts objects in -n or the context namespace', async () => {
    manifest('dir/a.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: from-dir-a}\n');
    manifest(
      'dir/b.json',
      JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'from-dir-b' } }),
    );
    manifest('dir/ignored.txt', 'not a manifest');
    const fromDir = await shoal(['apply', '-f', path.join(dir, 'dir')]);
    assert.equal(fromDir.stdout, 'configmap/from-dir-a created\nconfigmap/from-dir-b created\n');
    assert.equal((await client.get(CM, 'default', 'from-dir-a')).metadata.namespace, 'default');

    const stdin = await shoal(
      ['apply', '-n', 'shop', '-f', '-'],
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: piped}\ndata: {x: "1"}\n',
    );
    assert.equal(stdin.stdout, 'configmap/piped created\n');
    assert.ok(await client.get(CM, 'shop', 'piped'));

    const mismatch = await shoal(
      ['apply', '-n', 'default', '-f', '-'],
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: shop}\n',
    );
    assert.equal(mismatch.code, 1);
    assert.match(
      mismatch.stderr,
      /the namespace from the provided object "shop" does not match the namespace "default"/,
    );
  });

  it('shows conflicts clearly, and takes fields over with --force-conflicts', async () => {
    await client.patch(CM, 'shop', 'settings', 'merge', {
      metadata: { annotations: { [CONFLICT_ANNOTATION]: '.data.mode' } },
    });
    const file = manifest(
      'conflict.yaml',
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: shop}\ndata: {mode: v3}\n',
    );
    const refused = await shoal(['apply', '-f', file]);
    assert.equal(refused.code, 1);
    assert.equal(refused.stdout, '');
    assert.match(
      refused.stderr,
      /^error: Apply failed with 1 conflict: conflict with "kubectl-edit" using v1: \.data\.mode\n/,
    );
    assert.match(refused.stderr, /while applying configmap\/settings from ".*conflict\.yaml"/);
    assert.match(refused.stderr, /\.data\.mode: conflict with "kubectl-edit"/);
    assert.match(refused.stderr, /--force-conflicts/);
    const forced = await shoal(['apply', '--force-conflicts', '-f', file]);
    assert.equal(forced.code, 0, forced.stderr);
    assert.equal(forced.stdout, 'configmap/settings configured\n');
  });

  it('prints the server message and exits 1 on invalid objects, applying the others', async () => {
    const file = manifest(
      'bad.yaml',
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: Bad_Name}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: good-one}\n',
    );
    const res = await shoal(['apply', '-f', file]);
    assert.equal(res.code, 1);
    assert.equal(res.stdout, 'configmap/good-one created\n');
    assert.match(
      res.stderr,
      /^The ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123/,
    );

    const unknownKind = await shoal(
      ['apply', '-f', '-'],
      'apiVersion: v9\nkind: Widget\nmetadata: {name: w}\n',
    );
    assert.equal(unknownKind.code, 1);
    assert.match(unknownKind.stderr, /no matches for kind "Widget" in version "v9"/);
    const missing = await shoal(['apply', '-f', path.join(dir, 'nope.yaml')]);
    assert.match(missing.stderr, /^error: the path ".*nope.yaml" does not exist/);
  });
});

describe('shoal get', () => {
  it('prints aligned tables, wide, across namespaces, and by name', async () => {
    const table = await shoal(['get', 'configmaps', '-n', 'shop']);
    assert.equal(table.code, 0, table.stderr);
    const lines = table.stdout.trimEnd().split('\n');
    assert.deepEqual(lines.slice(0, 1), ['NAME       DATA   AGE']);
    assert.match(lines[1]!, /^piped {6}1 {6}\d+s$/);
    assert.match(lines[2]!, /^settings {3}1 {6}\d+s$/);

    const wide = await shoal(['get', 'cm', 'piped', '-n', 'shop', '-o', 'wide']);
    assert.match(wide.stdout, /^NAME {4}DATA {3}AGE {3}RESOURCE VERSION\npiped {3}1 {6}\d+s +\d+\n$/);

    const all = await shoal(['get', 'configmaps', '-A']);
    const allLines = all.stdout.trimEnd().split('\n');
    assert.match(allLines[0]!, /^NAMESPACE {3}NAME +DATA {3}AGE$/);
    assertAligned(allLines);
    assert.ok(
      allLines.some((l) => /^shop {8}settings +1 {6}\d+s$/.test(l)),
      all.stdout,
    );
    assert.ok(
      allLines.some((l) => /^default {5}from-dir-a +0 {6}\d+s$/.test(l)),
      all.stdout,
    );

    const byLabel = await shoal(['get', 'deploy', '-n', 'shop', '-l', 'app=web', '-o', 'name']);
    assert.equal(byLabel.stdout, 'deployment.apps/web\n');
    const slash = await shoal(['get', 'deployment.apps/web', '-n', 'shop', '-o', 'name']);
    assert.equal(slash.stdout, 'deployment.apps/web\n');

    const kinds = await shoal(['get', 'deploy,cm', '-n', 'shop']);
    assert.equal(kinds.code, 0, kinds.stderr);
    assert.match(
      kinds.stdout,
      /^NAME +DATA +AGE\ndeployment\.apps\/web +0 +\d+s\n\nNAME +DATA +AGE\nconfigmap\/piped +1/,
    );

    const everything = await shoal(['get', 'all', '-n', 'shop', '-o', 'name']);
    assert.equal(everything.stdout, 'deployment.apps/web\n', 'the "all" category: pods, services, workloads');

    const none = await shoal(['get', 'pods']);
    assert.equal(none.code, 0);
    assert.equal(none.stdout, '');
    assert.equal(none.stderr, 'No resources found in default namespace.\n');
  });

  it('prints YAML and JSON', async () => {
    const yaml = await shoal(['get', 'configmap', 'piped', '-n', 'shop', '-o', 'yaml']);
    assert.match(yaml.stdout, /^apiVersion: v1\nkind: ConfigMap\nmetadata:\n/);
    assert.match(yaml.stdout, /\n {2}name: piped\n/);
    const json = JSON.parse((await shoal(['get', 'configmaps', '-n', 'shop', '-o', 'json'])).stdout);
    assert.equal(json.kind, 'List');
    assert.deepEqual(
      json.items.map((i: { metadata: { name: string } }) => i.metadata.name),
      ['piped', 'settings'],
    );
    assert.equal(json.items[0].kind, 'ConfigMap');
  });

  it('fails clearly: unknown kinds, missing objects, bad credentials, no server', async () => {
    const kind = await shoal(['get', 'widgets']);
    assert.equal(kind.code, 1);
    assert.equal(kind.stderr, 'error: the server doesn\'t have a resource type "widgets"\n');
    const missing = await shoal(['get', 'cm', 'nope']);
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr, 'Error from server (NotFound): configmaps "nope" not found\n');

    const badToken = path.join(dir, 'bad-token.yaml');
    fs.writeFileSync(badToken, fs.readFileSync(kubeconfig, 'utf8').replace(/token: .*/, 'token: wrong'));
    const denied = await shoal(['get', 'cm', '--kubeconfig', badToken]);
    assert.equal(denied.code, 1);
    assert.equal(denied.stderr, 'Error from server (Unauthorized): Unauthorized\n');

    const nowhere = path.join(dir, 'nowhere.yaml');
    fs.writeFileSync(
      nowhere,
      fs.readFileSync(kubeconfig, 'utf8').replace(/server: .*/, 'server: http://127.0.0.1:1'),
    );
    const refused = await shoal(['get', 'cm', '--kubeconfig', nowhere]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^error: unable to connect to the server at http:\/\/127\.0\.0\.1:1/);

    const badConfig = await shoal(['get', 'cm', '--kubeconfig', path.join(dir, 'absent.yaml')]);
    assert.match(badConfig.stderr, /^error: kubeconfig .*absent\.yaml: no such file/);
  });

  it('-w prints changes as new rows', async () => {
    const child: ChildProcess = spawn(process.execPath, [MAIN, 'get', 'configmaps', '-n', 'shop', '-w'], {
      env: { ...process.env, KUBECONFIG: kubeconfig },
    });
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
    });
    const waitFor = async (re: RegExp) => {
      const deadline = Date.now() + 10_000;
      while (!re.test(out)) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${re} in:\n${out}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    try {
      await waitFor(/settings .*\n/);
      await client.create(CM, 'shop', { metadata: { name: 'watched' }, data: { a: '1', b: '2' } });
      await waitFor(/\nwatched {4}2 {6}\d+s\n/);
      await client.patch(CM, 'shop', 'watched', 'merge', { data: { c: '3' } });
      await waitFor(/\nwatched {4}3 {6}\d+s\n/);
      const lines = out.trimEnd().split('\n');
      assert.equal(lines[0], 'NAME       DATA   AGE');
      assert.equal(lines.length, 5, out);
      assertAligned(lines);
    } finally {
      child.kill('SIGINT');
    }
    const code = await new Promise((r) => child.on('exit', (c, s) => r(c ?? s)));
    assert.equal(code, 0);
  });
});

describe('shoal describe', () => {
  it('summarises an object with its events', async () => {
    const dep = await client.get(DEPLOY, 'shop', 'web');
    await client.create(EVENTS, 'shop', {
      metadata: { name: 'web.1' },
      involvedObject: { kind: 'Deployment', namespace: 'shop', name: 'web', uid: dep.metadata.uid },
      type: 'Normal',
      reason: 'ScalingReplicaSet',
      message: 'Scaled up replica set web-abc to 3',
      source: { component: 'deployment-controller' },
      count: 1,
      lastTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    });
    await client.create(EVENTS, 'shop', {
      metadata: { name: 'other.1' },
      involvedObject: { kind: 'Deployment', namespace: 'shop', name: 'other' },
      type: 'Warning',
      reason: 'Unrelated',
      message: 'not about web',
    });
    const res = await shoal(['describe', 'deployment', 'web', '-n', 'shop']);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /^Name: {15}web\nNamespace: {10}shop\nLabels: {13}app=web\n/);
    assert.match(
      res.stdout,
      /\nReplicas: {11}3 desired \| 0 updated \| 0 total \| 0 available \| 0 unavailable\n/,
    );
    assert.match(res.stdout, /\n {5}Image: {8}nginx:1.25\n/);
    assert.match(res.stdout, /\nEvents:\n {2}Type {4}Reason {13}Age {3}From {19}Message\n/);
    assert.match(
      res.stdout,
      /\n {2}Normal {2}ScalingReplicaSet {2}\d+s +deployment-controller {2}Scaled up replica set web-abc to 3\n/,
    );
    assert.doesNotMatch(res.stdout, /Unrelated/);

    const missing = await shoal(['describe', 'deploy', 'nope', '-n', 'shop']);
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr, 'Error from server (NotFound): deployments.apps "nope" not found\n');
  });
});

describe('shoal delete', () => {
  it('deletes by name and by file, and reports missing objects', async () => {
    const res = await shoal(['delete', 'configmap', 'piped', '-n', 'shop']);
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stdout, 'configmap "piped" deleted\n');
    await assert.rejects(client.get(CM, 'shop', 'piped'), { code: 404 });

    const again = await shoal(['delete', 'configmap', 'piped', '-n', 'shop']);
    assert.equal(again.code, 1);
    assert.equal(again.stderr, 'Error from server (NotFound): configmaps "piped" not found\n');
    const ignored = await shoal(['delete', 'configmap', 'piped', '-n', 'shop', '--ignore-not-found']);
    assert.equal(ignored.code, 0);

    const file = path.join(dir, 'app.yaml');
    const byFile = await shoal(['delete', '-f', file]);
    assert.equal(byFile.code, 0, byFile.stderr);
    assert.equal(
      byFile.stdout,
      'namespace "shop" deleted\nconfigmap "settings" deleted\ndeployment.apps "web" deleted\n',
    );
  });

  it('waits for finalizers with --wait, showing what it waits for', async () => {
    await client.create(CM, 'default', { metadata: { name: 'held', finalizers: ['example.com/hold'] } });
    const child = spawn(process.execPath, [MAIN, 'delete', 'cm', 'held', '--wait', '--timeout', '20'], {
      env: { ...process.env, KUBECONFIG: kubeconfig },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    const deadline = Date.now() + 10_000;
    while (!/waiting for configmap "held" to be gone \(finalizers: example.com\/hold\)/.test(err)) {
      if (Date.now() > deadline) throw new Error(`no progress line: ${err}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(out, 'configmap "held" deleted\n');
    await client.patch(CM, 'default', 'held', 'merge', { metadata: { finalizers: null } });
    const code = await new Promise((r) => child.on('exit', (c) => r(c)));
    assert.equal(code, 0, err);
    assert.match(err, /configmap "held" is gone\n$/);
  });
});
