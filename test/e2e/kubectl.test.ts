/**
 * The real kubectl (v1.32, default flags) against a real `shoal server` over HTTPS with the
 * admin kubeconfig it wrote: what a user of Kubernetes would type, and what they should see.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { eventually } from '../support/eventually.js';
import { type ShoalServer, startShoalServer } from '../support/shoal-server.js';

const MANIFEST = `apiVersion: v1
kind: Namespace
metadata:
  name: shop
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: web-config
  namespace: shop
data:
  greeting: hello
---
apiVersion: v1
kind: Secret
metadata:
  name: web-secret
  namespace: shop
type: Opaque
data:
  password: czNjcmV0
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  labels: {app: web}
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: registry.local/web:1.0
        ports:
        - containerPort: 8080
        env:
        - name: MODE
          value: blue
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
spec:
  selector: {app: web}
  ports:
  - port: 80
    targetPort: 8080
`;

let shoal: ShoalServer;
let dir: string;
let manifest: string;

async function ok(args: string[], options?: Parameters<ShoalServer['kubectl']>[1]): Promise<string> {
  const r = await shoal.kubectl(args, options);
  assert.equal(r.code, 0, `kubectl ${args.join(' ')} failed (${r.code}):\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

function header(table: string): string[] {
  return table
    .split('\n')[0]!
    .trim()
    .split(/\s{2,}/);
}

before(async () => {
  shoal = await startShoalServer();
  dir = fs.mkdtempSync(path.join(shoal.dataDir, 'manifests-'));
  manifest = path.join(dir, 'app.yaml');
  fs.writeFileSync(manifest, MANIFEST);
});

after(async () => {
  await shoal?.stop();
});

describe('kubectl against shoal server', { timeout: 240_000 }, () => {
  it('applies a multi-document manifest with default flags', async () => {
    const out = await ok(['apply', '-f', manifest]);
    assert.deepEqual(out.trim().split('\n'), [
      'namespace/shop created',
      'configmap/web-config created',
      'secret/web-secret created',
      'deployment.apps/web created',
      'service/web created',
    ]);
  });

  it('re-applies after an edit, changing only what changed', async () => {
    fs.writeFileSync(manifest, MANIFEST.replace('web:1.0', 'web:1.1').replace('value: blue', 'value: green'));
    const out = await ok(['apply', '-f', manifest]);
    assert.deepEqual(out.trim().split('\n'), [
      'namespace/shop unchanged',
      'configmap/web-config unchanged',
      'secret/web-secret unchanged',
      'deployment.apps/web configured',
      'service/web unchanged',
    ]);
    const dep = JSON.parse(await ok(['get', 'deployment', 'web', '-n', 'shop', '-o', 'json']));
    assert.equal(dep.spec.template.spec.containers[0].image, 'registry.local/web:1.1');
    assert.deepEqual(dep.spec.template.spec.containers[0].env, [{ name: 'MODE', value: 'green' }]);
    assert.equal(dep.metadata.generation, 2);
  });

  it('applies server-side', async () => {
    const out = await ok(['apply', '--server-side', '-f', manifest]);
    assert.match(out, /deployment\.apps\/web serverside-applied/);
    const dep = JSON.parse(
      await ok(['get', 'deployment', 'web', '-n', 'shop', '-o', 'json', '--show-managed-fields']),
    );
    const managers = dep.metadata.managedFields.map(
      (m: { manager: string; operation: string }) => `${m.manager}/${m.operation}`,
    );
    assert.ok(managers.includes('kubectl/Apply'), `managers: ${managers}`);
    // Another manager claiming the same field with a different value conflicts.
    const conflict = await shoal.kubectl(['apply', '--server-side', '--field-manager=other', '-f', '-'], {
      input: fs.readFileSync(manifest, 'utf8').split('---\n')[3]!.replace('replicas: 2', 'replicas: 5'),
    });
    assert.notEqual(conflict.code, 0);
    assert.match(
      conflict.stderr,
      /Apply failed with 2 conflicts: conflicts with "kubectl":\n- \.spec\.replicas\n/,
    );
    assert.match(conflict.stderr, /\.spec\.replicas/);
  });

  it('prints the tables kubectl users know', async () => {
    // This cluster has no nodes: no pod ever becomes available. The edit above started a rollout
    // that surges one new pod (maxSurge 25% of 2, rounded up) and, with maxUnavailable 0, can
    // never scale the old ReplicaSet down: one up-to-date replica, as Kubernetes shows it.
    const deploys = await eventually('the Deployment counted its up-to-date replica', async () => {
      const out = await ok(['get', 'deployments', '-n', 'shop']);
      return /^web\s+0\/2\s+1\s+0\s+\d+s$/.test(out.split('\n')[1]!) ? out : undefined;
    });
    assert.deepEqual(header(deploys), ['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE']);
    const services = await ok(['get', 'svc', '-n', 'shop']);
    assert.deepEqual(header(services), ['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE']);
    assert.match(
      services.split('\n')[1]!,
      /^web\s+ClusterIP\s+\d+\.\d+\.\d+\.\d+\s+<none>\s+80\/TCP\s+\d+s$/,
    );
    await ok(['run', 'solo', '--image=registry.local/solo:1', '-n', 'shop', '--restart=Never']);
    const pods = await ok(['get', 'pods', '-n', 'shop']);
    assert.deepEqual(header(pods), ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']);
    assert.match(pods, /^solo\s+0\/1\s+Pending\s+0\s+\d+s$/m);
    const all = await ok(['get', 'configmaps', '-A']);
    assert.deepEqual(header(all), ['NAMESPACE', 'NAME', 'DATA', 'AGE']);
  });

  it('prints objects as YAML', async () => {
    const yaml = await ok(['get', 'configmap', 'web-config', '-n', 'shop', '-o', 'yaml']);
    assert.match(yaml, /^apiVersion: v1\n/);
    assert.match(yaml, /\n {2}greeting: hello\n/);
    assert.match(yaml, /\n {2}resourceVersion: "\d+"\n/);
    assert.match(yaml, /\n {2}uid: [0-9a-f-]{36}\n/);
  });

  it('sees a change with get -w', async () => {
    const watching = shoal.kubectl(['get', 'configmaps', '-n', 'shop', '-w', '--request-timeout=8s'], {
      timeoutMs: 15_000,
    });
    await new Promise((r) => setTimeout(r, 1500));
    await ok([
      'create',
      'configmap',
      'watched',
      '-n',
      'shop',
      '--from-literal=a=b',
      '-o',
      'name',
      '--dry-run=client',
    ]);
    await ok(['apply', '-f', '-'], {
      input: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: watched, namespace: shop}\ndata: {a: b}\n',
    });
    const r = await watching;
    assert.match(r.stdout, /^NAME\s+DATA\s+AGE$/m);
    assert.match(r.stdout, /^web-config\s+1\s+\d+s$/m);
    assert.match(r.stdout, /^watched\s+1\s+\d+s$/m);
  });

  it('patches with strategic merge, merge and JSON patches', async () => {
    await ok([
      'patch',
      'deployment',
      'web',
      '-n',
      'shop',
      '-p',
      '{"spec":{"template":{"spec":{"containers":[{"name":"web","env":[{"name":"EXTRA","value":"1"}]}]}}}}',
    ]);
    let dep = JSON.parse(await ok(['get', 'deployment', 'web', '-n', 'shop', '-o', 'json']));
    assert.deepEqual(
      dep.spec.template.spec.containers[0].env.map((e: { name: string }) => e.name).sort(),
      ['EXTRA', 'MODE'],
      'strategic merge keeps list items by name',
    );
    await ok([
      'patch',
      'deployment',
      'web',
      '-n',
      'shop',
      '--type=merge',
      '-p',
      '{"metadata":{"annotations":{"team":"shop"}}}',
    ]);
    await ok([
      'patch',
      'deployment',
      'web',
      '-n',
      'shop',
      '--type=json',
      '-p',
      '[{"op":"replace","path":"/spec/replicas","value":3}]',
    ]);
    dep = JSON.parse(await ok(['get', 'deployment', 'web', '-n', 'shop', '-o', 'json']));
    assert.equal(dep.metadata.annotations.team, 'shop');
    assert.equal(dep.spec.replicas, 3);
    const failed = await shoal.kubectl([
      'patch',
      'deployment',
      'web',
      '-n',
      'shop',
      '--type=json',
      '-p',
      '[{"op":"test","path":"/spec/replicas","value":9}]',
    ]);
    assert.notEqual(failed.code, 0);
  });

  it('labels, annotates and scales', async () => {
    assert.match(
      await ok(['label', 'deployment', 'web', '-n', 'shop', 'tier=front']),
      /deployment\.apps\/web labeled/,
    );
    assert.match(
      await ok(['annotate', 'deployment', 'web', '-n', 'shop', 'owner=alice']),
      /deployment\.apps\/web annotated/,
    );
    assert.match(
      await ok(['scale', 'deployment', 'web', '-n', 'shop', '--replicas=4']),
      /deployment\.apps\/web scaled/,
    );
    const dep = JSON.parse(await ok(['get', 'deployment', 'web', '-n', 'shop', '-o', 'json']));
    assert.equal(dep.metadata.labels.tier, 'front');
    assert.equal(dep.metadata.annotations.owner, 'alice');
    assert.equal(dep.spec.replicas, 4);
    const selected = await ok(['get', 'deployments', '-n', 'shop', '-l', 'tier=front', '-o', 'name']);
    assert.equal(selected.trim(), 'deployment.apps/web');
  });

  it('edits with a scripted editor', async () => {
    const editor = path.join(dir, 'editor.sh');
    fs.writeFileSync(editor, '#!/bin/sh\nsed -i "s/greeting: hello/greeting: edited/" "$1"\n', {
      mode: 0o755,
    });
    const out = await ok(['edit', 'configmap', 'web-config', '-n', 'shop'], {
      env: { EDITOR: editor, KUBE_EDITOR: editor },
    });
    assert.match(out, /configmap\/web-config edited/);
    assert.match(
      await ok(['get', 'configmap', 'web-config', '-n', 'shop', '-o', 'jsonpath={.data.greeting}']),
      /^edited$/,
    );
  });

  it('diffs a manifest against the live objects', async () => {
    fs.writeFileSync(manifest, MANIFEST.replace('web:1.0', 'web:2.0'));
    const r = await shoal.kubectl(['diff', '-f', manifest]);
    assert.equal(r.code, 1, `kubectl diff exits 1 when something differs:\n${r.stderr}`);
    assert.match(r.stdout, /^-\s+image: registry\.local\/web:1\.1$/m);
    assert.match(r.stdout, /^\+\s+image: registry\.local\/web:2\.0$/m);
    const live = JSON.parse(await ok(['get', 'deployment', 'web', '-n', 'shop', '-o', 'json']));
    assert.equal(
      live.spec.template.spec.containers[0].image,
      'registry.local/web:1.1',
      'diff writes nothing',
    );
  });

  it('explains fields and lists API resources', async () => {
    const explain = await ok(['explain', 'deployment.spec.strategy']);
    assert.match(explain, /KIND:\s+Deployment/);
    assert.match(explain, /FIELD:\s+strategy <DeploymentStrategy>/);
    assert.match(explain, /rollingUpdate/);
    const resources = await ok(['api-resources']);
    for (const line of [
      /^pods\s+po\s+v1\s+true\s+Pod$/m,
      /^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m,
      /^namespaces\s+ns\s+v1\s+false\s+Namespace$/m,
    ]) {
      assert.match(resources, line);
    }
  });

  it('reports an invalid name and a stale update as Kubernetes does', async () => {
    const bad = await shoal.kubectl(['apply', '-f', '-'], {
      input: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: Bad_Name, namespace: shop}\n',
    });
    assert.notEqual(bad.code, 0);
    assert.match(
      bad.stderr,
      /The ConfigMap "Bad_Name" is invalid: metadata\.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '\.', and must start and end with an alphanumeric character/,
    );
    const stale = await ok(['get', 'configmap', 'web-config', '-n', 'shop', '-o', 'json']);
    await ok(['label', 'configmap', 'web-config', '-n', 'shop', 'touched=yes']);
    const replaced = await shoal.kubectl(['replace', '-f', '-'], { input: stale });
    assert.notEqual(replaced.code, 0);
    assert.match(
      replaced.stderr,
      /Error from server \(Conflict\): .*Operation cannot be fulfilled on configmaps "web-config": the object has been modified; please apply your changes to the latest version and try again/,
    );
  });

  it('applies a kind: List, as JSON and as YAML, validating every item', async () => {
    // kubectl validates a List itself, against /openapi/v2 fetched as protobuf.
    const json = path.join(dir, 'list.json');
    fs.writeFileSync(
      json,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'List',
        items: [
          {
            apiVersion: 'v1',
            kind: 'ConfigMap',
            metadata: { name: 'list-a', namespace: 'shop' },
            data: { x: '1' },
          },
        ],
      }),
    );
    assert.equal((await ok(['apply', '-f', json])).trim(), 'configmap/list-a created');
    const yaml = `apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: list-b, namespace: shop}
  data: {y: "2"}
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: list-a, namespace: shop}
  data: {x: "changed"}
`;
    assert.deepEqual((await ok(['apply', '-f', '-'], { input: yaml })).trim().split('\n'), [
      'configmap/list-b created',
      'configmap/list-a configured',
    ]);
    const a = JSON.parse(await ok(['get', 'configmap', 'list-a', '-n', 'shop', '-o', 'json']));
    assert.deepEqual(a.data, { x: 'changed' });

    const invalid = await shoal.kubectl(['apply', '-f', '-'], {
      input: `apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: list-c, namespace: shop}
  bogus: 1
`,
    });
    assert.notEqual(invalid.code, 0);
    assert.match(
      invalid.stderr,
      /error validating data: ValidationError\(ConfigMap\): unknown field "bogus" in io\.k8s\.api\.core\.v1\.ConfigMap/,
    );
    const c = await shoal.kubectl(['get', 'configmap', 'list-c', '-n', 'shop']);
    assert.match(c.stderr, /configmaps "list-c" not found/, 'nothing of an invalid List is applied');
  });

  it('deletes everything in the manifest, namespace included', async () => {
    const out = await ok(['delete', '-f', manifest], { timeoutMs: 60_000 });
    assert.match(out, /namespace "shop" deleted/);
    assert.match(out, /deployment\.apps "web" deleted/);
    const ns = await shoal.kubectl(['get', 'namespace', 'shop']);
    assert.notEqual(ns.code, 0);
    assert.match(ns.stderr, /namespaces "shop" not found/);
  });
});
