import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../api/object.js';
import { lookupResource } from '../../api/resources.js';
import { humanDuration } from '../../api/tables/duration.js';
import type { Table } from '../../client/rest.js';
import { sameContent } from './apply.js';
import { describeObject } from './describe.js';
import { parseManifests } from './manifests.js';
import { alignRows, cellText, formatObjects, formatTable, nameOf, StreamingTable } from './printers.js';

const table: Table = {
  kind: 'Table',
  apiVersion: 'meta.k8s.io/v1',
  columnDefinitions: [
    { name: 'Name', type: 'string' },
    { name: 'Ready', type: 'string' },
    { name: 'Up-to-date', type: 'integer' },
    { name: 'Age', type: 'string' },
    { name: 'Containers', type: 'string', priority: 1 },
  ],
  rows: [
    { cells: ['web', '3/3', 3, '5m', 'nginx'], object: { metadata: { name: 'web', namespace: 'default' } } },
    {
      cells: ['api-server-long-name', '0/1', 0, '10s', 'api'],
      object: { metadata: { name: 'api-server-long-name', namespace: 'kube-system' } },
    },
  ],
};

describe('table printing', () => {
  it('aligns columns as kubectl does: uppercase headers, 3 spaces apart, last column unpadded', () => {
    assert.deepEqual(formatTable(table), [
      'NAME                   READY   UP-TO-DATE   AGE',
      'web                    3/3     3            5m',
      'api-server-long-name   0/1     0            10s',
    ]);
  });

  it('adds priority columns with wide and NAMESPACE with -A', () => {
    assert.deepEqual(formatTable(table, { wide: true, withNamespace: true }), [
      'NAMESPACE     NAME                   READY   UP-TO-DATE   AGE   CONTAINERS',
      'default       web                    3/3     3            5m    nginx',
      'kube-system   api-server-long-name   0/1     0            10s   api',
    ]);
    assert.deepEqual(formatTable(table, { noHeaders: true }).length, 2);
  });

  it('keeps columns at least 6 wide and shows missing cells as <none>', () => {
    assert.deepEqual(
      alignRows([
        ['A', 'B', 'C'],
        ['x', 'yy', 'z'],
      ]).lines,
      ['A     B     C', 'x     yy    z'],
    );
    assert.equal(cellText(null), '<none>');
    assert.equal(cellText('multi\nline'), 'multi line');
    assert.equal(cellText(3), '3');
  });

  it('lines up later rows with the first table, widening when needed', () => {
    const lines: string[] = [];
    const t = new StreamingTable({}, (l) => lines.push(l));
    t.start({ ...table, rows: [table.rows[0]!] });
    t.rows({ ...table, rows: [{ cells: ['db', '1/1', 1, '1s', 'pg'] }] });
    t.rows({ ...table, rows: [{ cells: ['a-much-longer-name', '1/1', 1, '2s', 'pg'] }] });
    assert.deepEqual(lines, [
      'NAME   READY   UP-TO-DATE   AGE',
      'web    3/3     3            5m',
      'db     1/1     1            1s',
      'a-much-longer-name   1/1     1            2s',
    ]);
  });

  it('names objects and prints lists as kubectl does', () => {
    const dep = lookupResource('apps', 'v1', 'deployments')!;
    const obj = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' } };
    assert.equal(nameOf(dep, obj), 'deployment.apps/web');
    assert.equal(nameOf(lookupResource('', 'v1', 'pods')!, { ...obj, metadata: { name: 'p' } }), 'pod/p');
    assert.match(formatObjects([obj], 'yaml', true), /^apiVersion: v1\nitems:\n {2}- apiVersion: apps\/v1\n/);
    assert.equal(JSON.parse(formatObjects([obj], 'json', false)).metadata.name, 'web');
  });

  it('prints durations as kubectl does', () => {
    assert.deepEqual(
      [
        59_000,
        119_000,
        200_000,
        3_600_000,
        4 * 3_600_000 + 60_000,
        30 * 3_600_000,
        3 * 86_400_000,
        100 * 86_400_000,
      ].map(humanDuration),
      ['59s', '119s', '3m20s', '60m', '4h1m', '30h', '3d', '100d'],
    );
  });
});

describe('manifests', () => {
  it('reads multi-document YAML, JSON and Lists', () => {
    const objs = parseManifests(
      [
        'apiVersion: v1',
        'kind: ConfigMap',
        'metadata: {name: a}',
        '---',
        '# only a comment',
        '---',
        '{"apiVersion": "v1", "kind": "List", "items": [{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "b"}}]}',
      ].join('\n'),
      'f.yaml',
    );
    assert.deepEqual(
      objs.map((o) => `${o.kind}/${o.metadata.name}`),
      ['ConfigMap/a', 'Secret/b'],
    );
    assert.throws(
      () => parseManifests('kind: ConfigMap\n', 'x.yaml'),
      /error validating "x.yaml": .*apiVersion not set/,
    );
    assert.throws(() => parseManifests('a: [1\n', 'y.yaml'), /error parsing y.yaml/);
  });
});

describe('apply outcome', () => {
  it('treats objects that differ only in version, managedFields or key order as unchanged', () => {
    const a: KubeObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'x', uid: 'u', resourceVersion: '1', managedFields: [] },
      data: { a: '1', b: '2' },
    };
    const reordered: KubeObject = {
      kind: 'ConfigMap',
      apiVersion: 'v1',
      metadata: { uid: 'u', name: 'x', resourceVersion: '2', managedFields: [{ manager: 'shoal' }] },
      data: { b: '2', a: '1' },
    };
    assert.ok(sameContent(a, reordered));
    assert.ok(!sameContent(a, { ...reordered, data: { a: '1', b: '3' } }));
    assert.ok(!sameContent(a, { ...reordered, metadata: { ...reordered.metadata, labels: { x: 'y' } } }));
  });
});

describe('describe', () => {
  it('summarises a deployment with labels, conditions and events', () => {
    const dep = lookupResource('apps', 'v1', 'deployments')!;
    const obj: KubeObject = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {
        name: 'web',
        namespace: 'default',
        labels: { app: 'web', tier: 'front' },
        creationTimestamp: '2024-10-01T10:00:00Z',
      },
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { containers: [{ name: 'nginx', image: 'nginx:1.25', ports: [{ containerPort: 80 }] }] },
        },
      },
      status: {
        replicas: 3,
        updatedReplicas: 3,
        availableReplicas: 2,
        unavailableReplicas: 1,
        conditions: [{ type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable' }],
      },
    };
    const events: KubeObject[] = [
      {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: 'e1' },
        type: 'Normal',
        reason: 'ScalingReplicaSet',
        message: 'Scaled up replica set web-1 to 3',
        source: { component: 'deployment-controller' },
        count: 2,
        firstTimestamp: '2024-10-01T10:00:00Z',
        lastTimestamp: '2024-10-01T10:04:00Z',
      },
    ];
    const text = describeObject(dep, obj, events, new Date('2024-10-01T10:05:00Z'));
    assert.equal(
      text,
      [
        'Name:               web',
        'Namespace:          default',
        'Labels:             app=web',
        '                    tier=front',
        'Annotations:        <none>',
        'CreationTimestamp:  Tue, 01 Oct 2024 10:00:00 +0000',
        'Selector:           app=web',
        'Replicas:           3 desired | 3 updated | 3 total | 2 available | 1 unavailable',
        'StrategyType:       RollingUpdate',
        'Pod Template:',
        '  Labels:  app=web',
        '  Containers:',
        '   nginx:',
        '     Image:        nginx:1.25',
        '     Port:         80/TCP',
        '     Environment:  <none>',
        'Conditions:',
        '  Type       Status  Reason                      Message',
        '  ----       ------  ------                      -------',
        '  Available  False   MinimumReplicasUnavailable',
        'Events:',
        '  Type    Reason             Age               From                   Message',
        '  ----    ------             ----              ----                   -------',
        '  Normal  ScalingReplicaSet  60s (x2 over 5m)  deployment-controller  Scaled up replica set web-1 to 3',
        '',
      ].join('\n'),
    );
  });

  it('shows secrets by size only', () => {
    const secret = lookupResource('', 'v1', 'secrets')!;
    const text = describeObject(
      secret,
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 's', namespace: 'default' },
        data: { password: 'c2VjcmV0' },
      },
      [],
      new Date(),
    );
    assert.match(text, /password: {2}6 bytes/);
    assert.doesNotMatch(text, /secret|c2VjcmV0/);
    assert.match(text, /Events: {2}<none>/);
  });
});
