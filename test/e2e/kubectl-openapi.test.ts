/**
 * The real kubectl against Shoal's discovery and OpenAPI documents, served by a throwaway HTTP
 * server in this process (no Shoal server, no Docker): kubectl's own client-side use of them
 * (api-resources, explain, apply's strategic merge patch, List validation, version skew).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { RESOURCES } from '../../src/api/resources.js';
import { discoveryResponse } from '../../src/apiserver/discovery.js';
import type { ApiRequest } from '../../src/apiserver/http-types.js';
import { openapiResponse } from '../../src/apiserver/openapi.js';
import { KUBECTL } from '../support/shoal-server.js';

describe('kubectl against discovery and openapi', () => {
  let server: Server;
  let dir: string;
  const patches: { url: string; type: string | undefined; body: string }[] = [];
  const applied = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p1', namespace: 'default' },
    spec: {
      containers: [
        { name: 'a', image: 'nginx:1', ports: [{ containerPort: 80 }] },
        { name: 'b', image: 'busybox' },
      ],
    },
  };
  const livePod = {
    ...applied,
    metadata: {
      ...applied.metadata,
      uid: 'u1',
      resourceVersion: '5',
      annotations: { 'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify(applied) },
    },
  };
  const run = promisify(execFile);
  const kubectl = async (...args: string[]) =>
    (
      await run(KUBECTL, [...args, `--cache-dir=${join(dir, 'cache')}`], {
        env: { ...process.env, KUBECONFIG: join(dir, 'kubeconfig') },
        timeout: 30_000,
      })
    ).stdout;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'shoal-kubectl-'));
    server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const apiReq: ApiRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        user: { username: 'test', groups: [] },
      };
      const answer = discoveryResponse(apiReq) ?? openapiResponse(apiReq);
      if (!answer && url.pathname === '/api/v1/namespaces/default/pods/p1') {
        // A canned pod, so that kubectl apply computes a strategic merge patch from our schemas.
        let body = '';
        req.on('data', (chunk) => {
          body += chunk;
        });
        req.on('end', () => {
          if (req.method === 'PATCH')
            patches.push({ url: req.url ?? '', type: req.headers['content-type'], body });
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify(livePod));
        });
        return;
      }
      if (!answer) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            kind: 'Status',
            apiVersion: 'v1',
            status: 'Failure',
            reason: 'NotFound',
            code: 404,
          }),
        );
        return;
      }
      res.writeHead(answer.status, answer.headers);
      res.end(
        typeof answer.body === 'string' || Buffer.isBuffer(answer.body)
          ? answer.body
          : JSON.stringify(answer.body),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    writeFileSync(
      join(dir, 'kubeconfig'),
      [
        'apiVersion: v1',
        'kind: Config',
        `clusters: [{name: shoal, cluster: {server: "http://127.0.0.1:${port}"}}]`,
        'users: [{name: test, user: {token: test}}]',
        'contexts: [{name: shoal, context: {cluster: shoal, user: test}}]',
        'current-context: shoal',
        '',
      ].join('\n'),
    );
  });

  after(() => {
    server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('kubectl api-resources lists every kind', async () => {
    const out = await kubectl('api-resources');
    const lines = out.trim().split('\n');
    assert.match(lines[0]!, /^NAME\s+SHORTNAMES\s+APIVERSION\s+NAMESPACED\s+KIND$/);
    assert.equal(lines.length - 1, RESOURCES.length);
    assert.match(out, /^pods\s+po\s+v1\s+true\s+Pod$/m);
    assert.match(out, /^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m);
    assert.match(out, /^ingressclasses\s+networking\.k8s\.io\/v1\s+false\s+IngressClass$/m);
  });

  it('kubectl explain pods.spec.containers', async () => {
    const out = await kubectl('explain', 'pods.spec.containers');
    assert.match(out, /^KIND:\s+Pod$/m);
    assert.match(out, /^FIELD: containers <\[\]Container>$/m);
    assert.match(out, /List of containers belonging to the pod/);
    assert.match(out, /^ {2}image\t<string>$/m);
    assert.match(out, /^ {2}name\t<string> -required-$/m);
    assert.match(out, /^ {2}ports\t<\[\]ContainerPort>$/m);
  });

  it('kubectl explain deployment.spec.strategy', async () => {
    const out = await kubectl('explain', 'deployment.spec.strategy');
    assert.match(out, /^GROUP:\s+apps$/m);
    assert.match(out, /^KIND:\s+Deployment$/m);
    assert.match(out, /^FIELD: strategy <DeploymentStrategy>$/m);
    assert.match(out, /The deployment strategy to use to replace existing pods with new ones\./);
    assert.match(out, /^ {2}rollingUpdate\t<RollingUpdateDeployment>$/m);
    assert.match(out, /^ {2}type\t<string>$/m);
    const surge = await kubectl('explain', 'deployment.spec.strategy.rollingUpdate.maxSurge');
    assert.match(surge, /^FIELD: maxSurge <IntOrString>$/m);
  });

  it('kubectl apply sends fieldValidation=Strict and a patch built with our merge keys', async () => {
    const manifest = join(dir, 'pod.yaml');
    writeFileSync(
      manifest,
      JSON.stringify({
        ...applied,
        spec: {
          containers: [
            { name: 'a', image: 'nginx:2', ports: [{ containerPort: 80 }, { containerPort: 443 }] },
            { name: 'b', image: 'busybox' },
          ],
        },
      }),
    );
    // -v=1 makes kubectl say when it could not use the OpenAPI v3 schema and fell back.
    const out = await run(KUBECTL, ['apply', '-f', manifest, '-v=1', `--cache-dir=${join(dir, 'cache')}`], {
      env: { ...process.env, KUBECONFIG: join(dir, 'kubeconfig') },
    });
    assert.match(out.stdout, /pod\/p1 configured/);
    assert.doesNotMatch(out.stderr, /openapi v3/i);
    assert.equal(patches.length, 1);
    const [patch] = patches;
    assert.match(patch!.url, /fieldValidation=Strict/);
    assert.equal(patch!.type, 'application/strategic-merge-patch+json');
    const spec = JSON.parse(patch!.body).spec;
    assert.deepEqual(spec['$setElementOrder/containers'], [{ name: 'a' }, { name: 'b' }]);
    assert.equal(spec.containers.length, 1, 'only the changed container, by name');
    assert.deepEqual([spec.containers[0].name, spec.containers[0].image], ['a', 'nginx:2']);
    assert.deepEqual(spec.containers[0].ports, [{ containerPort: 443 }]);
    assert.deepEqual(spec.containers[0]['$setElementOrder/ports'], [
      { containerPort: 80 },
      { containerPort: 443 },
    ]);
  });

  it('kubectl validates a kind: List against the protobuf OpenAPI v2 document', async () => {
    // kubectl checks every item of a List itself, whatever the server validates.
    const list = (items: unknown[]) => JSON.stringify({ apiVersion: 'v1', kind: 'List', items });
    const good = join(dir, 'list.json');
    writeFileSync(
      good,
      list([{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' }, data: { x: '1' } }]),
    );
    assert.equal(
      (await kubectl('create', '--dry-run=client', '-o', 'name', '-f', good)).trim(),
      'configmap/a',
    );
    const bad = join(dir, 'bad-list.json');
    writeFileSync(
      bad,
      list([
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' }, bogus: 1 },
        { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' }, spec: { replicas: 'three' } },
      ]),
    );
    const failed = await kubectl('create', '--dry-run=client', '-o', 'name', '-f', bad).then(
      () => assert.fail('kubectl accepted an invalid List'),
      (err: { stderr: string }) => err.stderr,
    );
    assert.match(failed, /unknown field "bogus" in io\.k8s\.api\.core\.v1\.ConfigMap/);
    assert.match(
      failed,
      /invalid type for io\.k8s\.api\.apps\.v1\.DeploymentSpec\.replicas: got "string", expected "integer"/,
    );
  });

  it('kubectl version sees Kubernetes 1.32 without a skew warning', async () => {
    const out = await run(KUBECTL, ['version', `--cache-dir=${join(dir, 'cache')}`], {
      env: { ...process.env, KUBECONFIG: join(dir, 'kubeconfig') },
    });
    assert.match(out.stdout, /^Server Version: v1\.32\.0\+shoal$/m);
    assert.doesNotMatch(out.stderr, /WARNING/);
  });
});
