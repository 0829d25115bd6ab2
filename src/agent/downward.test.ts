import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import { formatMap, metadataFieldValue, podFieldValue, resourceFieldValue } from './downward.js';

const pod: Pod = {
  metadata: {
    name: 'web-0',
    namespace: 'shop',
    uid: 'uid-123',
    labels: { app: 'web', 'example.com/tier': 'front' },
    annotations: { note: 'say "hi"\n', 'Example.com/Owner': 'ops' },
  },
  spec: {
    nodeName: 'node-a',
    serviceAccountName: 'builder',
    containers: [
      {
        name: 'app',
        resources: { limits: { cpu: '250m', memory: '100M' }, requests: { cpu: '100m', memory: '64Mi' } },
      },
      { name: 'sidecar' },
    ],
    initContainers: [{ name: 'init', resources: { requests: { 'ephemeral-storage': '1Gi' } } }],
  },
};
const app = pod.spec!.containers[0]!;
const addrs = {
  nodeName: 'node-a',
  podIP: '10.1.0.5',
  podIPs: ['10.1.0.5', 'fd00::5'],
  hostIP: '192.168.1.10',
};

describe('podFieldValue (env fieldRef)', () => {
  const cases: Array<[string, string]> = [
    ['metadata.name', 'web-0'],
    ['metadata.namespace', 'shop'],
    ['metadata.uid', 'uid-123'],
    ["metadata.labels['app']", 'web'],
    ["metadata.labels['example.com/tier']", 'front'],
    ["metadata.labels['missing']", ''],
    ["metadata.annotations['Example.com/Owner']", 'ops'],
    ['spec.nodeName', 'node-a'],
    ['spec.host', 'node-a'],
    ['spec.serviceAccountName', 'builder'],
    ['status.podIP', '10.1.0.5'],
    ['status.podIPs', '10.1.0.5,fd00::5'],
    ['status.hostIP', '192.168.1.10'],
    ['status.hostIPs', '192.168.1.10'],
  ];
  for (const [fieldPath, want] of cases) {
    it(`${fieldPath} → ${JSON.stringify(want)}`, () => {
      assert.equal(podFieldValue(pod, { fieldPath }, addrs), want);
    });
  }

  it('podIP is the first of podIPs; hostIPs lists every node address', () => {
    const ctx = { nodeName: 'n', podIPs: ['fd00::5', '10.1.0.5'], hostIPs: ['192.168.1.10', 'fd01::10'] };
    assert.equal(podFieldValue(pod, { fieldPath: 'status.podIP' }, ctx), 'fd00::5');
    assert.equal(podFieldValue(pod, { fieldPath: 'status.hostIP' }, ctx), '192.168.1.10');
    assert.equal(podFieldValue(pod, { fieldPath: 'status.hostIPs' }, ctx), '192.168.1.10,fd01::10');
  });

  it("a host-network pod's IP is the node's", () => {
    const hostNet: Pod = { ...pod, spec: { ...pod.spec!, hostNetwork: true } };
    assert.equal(
      podFieldValue(hostNet, { fieldPath: 'status.podIP' }, { nodeName: 'n', hostIP: '192.168.1.10' }),
      '192.168.1.10',
    );
  });

  it('spec.nodeName falls back to this node when the pod does not name one', () => {
    assert.equal(
      podFieldValue({ metadata: {}, spec: { containers: [] } }, { fieldPath: 'spec.nodeName' }, addrs),
      'node-a',
    );
  });

  const errors: Array<[{ fieldPath: string; apiVersion?: string }, string | RegExp]> = [
    [{ fieldPath: 'metadata.name', apiVersion: 'v2' }, 'unsupported pod version: v2'],
    [{ fieldPath: 'spec.bogus' }, 'field label not supported: spec.bogus'],
    [{ fieldPath: "spec.nodeName['x']" }, "field label does not support subscript: spec.nodeName['x']"],
    [{ fieldPath: 'status.phase' }, 'unsupported fieldPath: status.phase'],
    [
      { fieldPath: "metadata.labels['bad key!']" },
      /^invalid key subscript in metadata\.labels\['bad key!'\]: /,
    ],
  ];
  for (const [selector, message] of errors) {
    it(`${selector.fieldPath}${selector.apiVersion ? ` (${selector.apiVersion})` : ''} is refused`, () => {
      assert.throws(() => podFieldValue(pod, selector, addrs), { message });
    });
  }

  it('status.hostIP without any node address is an error, not an empty value', () => {
    assert.throws(() => podFieldValue(pod, { fieldPath: 'status.hostIP' }, { nodeName: 'n' }), {
      message: "cannot resolve status.hostIP: the node's address is not known",
    });
  });
});

describe('metadataFieldValue (downwardAPI volume items)', () => {
  it('whole label and annotation maps are sorted key="value" lines, quoted as Go quotes', () => {
    assert.equal(metadataFieldValue(pod, 'metadata.labels'), 'app="web"\nexample.com/tier="front"\n');
    assert.equal(
      metadataFieldValue(pod, 'metadata.annotations'),
      'Example.com/Owner="ops"\nnote="say \\"hi\\"\\n"\n',
    );
  });

  it('pod addresses are not available in volumes', () => {
    assert.throws(() => metadataFieldValue(pod, 'status.podIP'), {
      message: 'unsupported fieldPath: status.podIP',
    });
  });

  it('formatMap escapes control characters as Go does', () => {
    assert.equal(formatMap({ k: 'a\tb\x01\\' }), 'k="a\\tb\\x01\\\\"\n');
    assert.equal(formatMap(undefined), '');
  });
});

describe('resourceFieldValue', () => {
  const alloc = { cpu: '4', memory: '8Gi', 'ephemeral-storage': '100Gi' };
  const cases: Array<[string, string | undefined, string, Container | undefined, string?]> = [
    // [resource, divisor, want, container, containerName]
    ['limits.cpu', undefined, '1', app], // 250m rounds up to one core
    ['limits.cpu', '1m', '250', app],
    ['limits.cpu', '100m', '3', app], // 2.5 → 3
    ['requests.cpu', '1m', '100', app],
    ['requests.cpu', undefined, '1', app],
    ['limits.memory', undefined, '100000000', app],
    ['limits.memory', '1Mi', '96', app], // 95.37 → 96
    ['limits.memory', '1M', '100', app],
    ['requests.memory', '1Mi', '64', app],
    ['requests.memory', '1Gi', '1', app],
    ['limits.ephemeral-storage', '1Gi', '100', app], // unset → node allocatable
    ['requests.ephemeral-storage', undefined, '0', app], // unset request stays 0
    ['limits.cpu', undefined, '4', { name: 'sidecar' }], // unset → allocatable
    ['limits.memory', '1Gi', '8', { name: 'sidecar' }],
    ['limits.cpu', '0', '1', app], // a zero divisor means 1
    ['requests.ephemeral-storage', '1Mi', '1024', undefined, 'init'],
    ['limits.cpu', '1m', '250', undefined, 'app'],
  ];
  for (const [resource, divisor, want, container, containerName] of cases) {
    it(`${resource}${divisor ? ` / ${divisor}` : ''} of ${containerName ?? container?.name} → ${want}`, () => {
      const selector = {
        resource,
        ...(divisor ? { divisor } : {}),
        ...(containerName ? { containerName } : {}),
      };
      assert.equal(resourceFieldValue(selector, pod, container, alloc), want);
    });
  }

  it('an unset limit without allocatable is 0', () => {
    assert.equal(resourceFieldValue({ resource: 'limits.cpu' }, pod, { name: 'sidecar' }, {}), '0');
  });

  it('a zero limit also falls back to allocatable', () => {
    const c: Container = { name: 'z', resources: { limits: { memory: '0' } } };
    assert.equal(resourceFieldValue({ resource: 'limits.memory', divisor: '1Gi' }, pod, c, alloc), '8');
  });

  it('refuses unknown resources, unknown containers and bad divisors', () => {
    assert.throws(() => resourceFieldValue({ resource: 'limits.gpu' }, pod, app, alloc), {
      message: 'unsupported container resource : limits.gpu',
    });
    assert.throws(() => resourceFieldValue({ resource: 'cpu' }, pod, app, alloc), {
      message: 'unsupported container resource : cpu',
    });
    assert.throws(
      () => resourceFieldValue({ resource: 'limits.cpu', containerName: 'nope' }, pod, app, alloc),
      {
        message: 'container nope not found',
      },
    );
    assert.throws(() => resourceFieldValue({ resource: 'limits.cpu', divisor: 'lots' }, pod, app, alloc), {
      message: /^invalid divisor "lots" for limits\.cpu: quantities must match/,
    });
  });
});
