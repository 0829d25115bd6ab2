import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import protobuf from 'protobufjs/minimal.js';
import { ApiError } from '../../api/errors.js';
import { decodeBody } from '../body.js';
import { decodeProtobuf, goDuration } from './decode.js';

// Bodies are written here by hand with protobufjs's Writer, field numbers taken from the upstream
// generated.proto files (not from our table), so a wrong number in the table fails these tests.
// Like Kubernetes' Go marshaller, the helpers below write non-pointer fields even when zero.

type Part = (w: protobuf.Writer) => void;

function build(...parts: Part[]): Uint8Array {
  const w = protobuf.Writer.create();
  for (const p of parts) p(w);
  return w.finish();
}
const str =
  (no: number, v: string): Part =>
  (w) =>
    void w.uint32((no << 3) | 2).string(v);
const bytes =
  (no: number, v: Uint8Array): Part =>
  (w) =>
    void w.uint32((no << 3) | 2).bytes(v);
const int =
  (no: number, v: number): Part =>
  (w) =>
    void w.uint32(no << 3).int64(v);
const bool =
  (no: number, v: boolean): Part =>
  (w) =>
    void w.uint32(no << 3).bool(v);
const msg = (no: number, ...parts: Part[]): Part => bytes(no, build(...parts));
const entry = (no: number, key: string, value: string): Part => msg(no, str(1, key), str(2, value));
const intOrString = (no: number, v: number | string): Part =>
  typeof v === 'number'
    ? msg(no, int(1, 0), int(2, v), str(3, ''))
    : msg(no, int(1, 1), int(2, 0), str(3, v));
const quantity = (no: number, key: string, value: string): Part =>
  msg(no, str(1, key), msg(2, str(1, value)));

const MAGIC = Uint8Array.of(0x6b, 0x38, 0x73, 0x00);

function envelope(apiVersion: string, kind: string, raw: Uint8Array, ...extra: Part[]): Buffer {
  return Buffer.concat([MAGIC, build(msg(1, str(1, apiVersion), str(2, kind)), bytes(2, raw), ...extra)]);
}

/** ObjectMeta as Go writes it: every non-pointer field, zero or not; creationTimestamp as an empty Time. */
function objectMeta(no: number, name: string, ...more: Part[]): Part {
  return msg(
    no,
    str(1, name),
    str(2, ''),
    str(3, ''),
    str(4, ''),
    str(5, ''),
    str(6, ''),
    int(7, 0),
    msg(8),
    ...more,
  );
}

function decode(body: Uint8Array) {
  return decodeProtobuf(body);
}

function badRequest(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ApiError, `not an ApiError: ${err}`);
    assert.equal(err.status.code, 400);
    assert.match(err.message, pattern);
    return true;
  });
}

describe('protobuf bodies', () => {
  it('decodes a Namespace as kubectl create namespace sends it', () => {
    const raw = build(objectMeta(1, 'x'), msg(2), msg(3, str(1, '')));
    const { value, duplicates, unknownFields } = decode(envelope('v1', 'Namespace', raw));
    assert.deepEqual(value, {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'x', creationTimestamp: null },
      spec: {},
      status: {},
    });
    assert.deepEqual(duplicates, []);
    assert.deepEqual(unknownFields, []);
    // Key order as a JSON client writes it.
    assert.deepEqual(Object.keys(value), ['apiVersion', 'kind', 'metadata', 'spec', 'status']);
  });

  it('decodes a ConfigMap: data and binaryData maps, labels', () => {
    const raw = build(
      objectMeta(1, 'cm', entry(11, 'app', 'web'), entry(12, 'note', '')),
      entry(2, 'a', 'b'),
      entry(2, 'empty', ''),
      msg(3, str(1, 'bin'), bytes(2, Uint8Array.of(1, 2, 3))),
    );
    const { value } = decode(envelope('v1', 'ConfigMap', raw));
    assert.deepEqual(value, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'cm', creationTimestamp: null, labels: { app: 'web' }, annotations: { note: '' } },
      data: { a: 'b', empty: '' },
      binaryData: { bin: 'AQID' },
    });
  });

  it('decodes a Secret with binary data as base64', () => {
    const raw = build(
      objectMeta(1, 's'),
      msg(2, str(1, 'key'), bytes(2, Uint8Array.of(0x00, 0xff, 0x10, 0x80))),
      msg(2, str(1, 'text'), bytes(2, Buffer.from('hello'))),
      str(3, 'Opaque'),
    );
    const { value } = decode(envelope('v1', 'Secret', raw));
    assert.deepEqual(value.data, { key: 'AP8QgA==', text: 'aGVsbG8=' });
    assert.equal(value.type, 'Opaque');
    assert.equal('immutable' in value, false);
    assert.equal('stringData' in value, false);
  });

  it('keeps replicas: 0 and decodes IntOrString as a string or a number', () => {
    const container = msg(
      2,
      str(1, 'x'),
      str(2, 'nginx'),
      str(5, ''),
      msg(8),
      str(13, ''),
      str(14, ''),
      bool(16, false),
      bool(17, false),
      bool(18, false),
      str(20, ''),
    );
    const podSpec = msg(2, container, str(3, ''), str(6, ''), str(8, ''), str(9, ''), str(10, ''), msg(14));
    const raw = build(
      objectMeta(1, 'd', entry(11, 'app', 'd')),
      msg(
        2,
        int(1, 0), // replicas: *int32, present
        msg(2, entry(1, 'app', 'd')),
        msg(3, objectMeta(1, '', entry(11, 'app', 'd')), podSpec),
        msg(4, str(1, 'RollingUpdate'), msg(2, intOrString(1, 1), intOrString(2, '25%'))),
        int(5, 0), // minReadySeconds: int32 omitempty, dropped when zero
        bool(7, false), // paused: bool omitempty
      ),
      msg(3, int(1, 0), int(2, 0), int(3, 0), int(4, 0), int(5, 0)),
    );
    const { value } = decode(envelope('apps/v1', 'Deployment', raw));
    assert.deepEqual(value.spec, {
      replicas: 0,
      selector: { matchLabels: { app: 'd' } },
      template: {
        metadata: { creationTimestamp: null, labels: { app: 'd' } },
        spec: { containers: [{ name: 'x', image: 'nginx', resources: {} }], securityContext: {} },
      },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: '25%' } },
    });
    // DeploymentStatus fields are non-pointer int32s: omitempty ones go, replicas-style ones without it stay.
    assert.deepEqual(value.status, {});
  });

  it('decodes a Service with a named and a numbered targetPort; zero nodePort is left out', () => {
    const port = (name: string, p: number, target: number | string) =>
      msg(1, str(1, name), str(2, 'TCP'), int(3, p), intOrString(4, target), int(5, 0));
    const raw = build(
      objectMeta(1, 'svc'),
      msg(
        2,
        port('http', 80, 8080),
        port('metrics', 9090, 'metrics'),
        entry(2, 'app', 'web'),
        str(4, 'ClusterIP'),
      ),
      msg(3, msg(1)),
    );
    const { value } = decode(envelope('v1', 'Service', raw));
    assert.deepEqual(value.spec, {
      ports: [
        { name: 'http', protocol: 'TCP', port: 80, targetPort: 8080 },
        { name: 'metrics', protocol: 'TCP', port: 9090, targetPort: 'metrics' },
      ],
      selector: { app: 'web' },
      type: 'ClusterIP',
    });
    assert.deepEqual(value.status, { loadBalancer: {} });
  });

  it('decodes a Pod: resource quantities, inlined volume sources and probe handlers, times', () => {
    const raw = build(
      objectMeta(1, 'p', msg(9, int(1, 1700000000), int(2, 5))),
      msg(
        2,
        msg(1, str(1, 'cache'), msg(2, msg(2, str(1, 'Memory'), msg(2, str(1, '64Mi'))))),
        msg(
          2,
          str(1, 'c'),
          str(2, 'img'),
          msg(8, quantity(1, 'cpu', '500m'), quantity(1, 'memory', '128Mi'), quantity(2, 'cpu', '250m')),
          msg(10, msg(1, msg(2, str(1, '/healthz'), intOrString(2, 'http'))), int(2, 3), int(4, 0)),
        ),
      ),
      msg(3, msg(2, str(1, 'Ready'), str(2, 'True'), msg(3), msg(4, int(1, 1700000000))), msg(7, int(1, 0))),
    );
    const { value } = decode(envelope('v1', 'Pod', raw));
    assert.deepEqual(value.metadata, {
      name: 'p',
      creationTimestamp: null,
      deletionTimestamp: '2023-11-14T22:13:20Z', // Time keeps whole seconds: nanos are dropped
    });
    assert.deepEqual(value.spec, {
      volumes: [{ name: 'cache', emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } }],
      containers: [
        {
          name: 'c',
          image: 'img',
          resources: { limits: { cpu: '500m', memory: '128Mi' }, requests: { cpu: '250m' } },
          livenessProbe: { httpGet: { path: '/healthz', port: 'http' }, initialDelaySeconds: 3 },
        },
      ],
    });
    assert.deepEqual(value.status, {
      conditions: [
        { type: 'Ready', status: 'True', lastProbeTime: null, lastTransitionTime: '2023-11-14T22:13:20Z' },
      ],
      startTime: '1970-01-01T00:00:00Z',
    });
  });

  it('decodes MicroTime to the microsecond (Lease)', () => {
    const raw = build(
      objectMeta(1, 'l'),
      msg(2, str(1, 'me'), int(2, 15), msg(4, int(1, 1700000000), int(2, 123456789)), int(5, 0)),
    );
    const { value } = decode(envelope('coordination.k8s.io/v1', 'Lease', raw));
    assert.deepEqual(value.spec, {
      holderIdentity: 'me',
      leaseDurationSeconds: 15,
      renewTime: '2023-11-14T22:13:20.123456Z',
      leaseTransitions: 0,
    });
  });

  it('decodes DeleteOptions under any group version, zero grace period included', () => {
    const raw = build(int(1, 0), msg(2, str(1, 'uid-1')), str(4, 'Foreground'), str(5, 'All'));
    for (const apiVersion of ['v1', 'meta.k8s.io/v1', 'apps/v1']) {
      const { value } = decode(envelope(apiVersion, 'DeleteOptions', raw));
      assert.deepEqual(value, {
        apiVersion,
        kind: 'DeleteOptions',
        gracePeriodSeconds: 0,
        preconditions: { uid: 'uid-1' },
        propagationPolicy: 'Foreground',
        dryRun: ['All'],
      });
    }
  });

  it('decodes an Eviction with its DeleteOptions', () => {
    const raw = build(objectMeta(1, 'p', str(3, 'default')), msg(2, int(1, 30)));
    const { value } = decode(envelope('policy/v1', 'Eviction', raw));
    assert.deepEqual(value, {
      apiVersion: 'policy/v1',
      kind: 'Eviction',
      metadata: { name: 'p', namespace: 'default', creationTimestamp: null },
      deleteOptions: { gracePeriodSeconds: 30 },
    });
  });

  it('reads repeated scalars packed or not', () => {
    const requirement = (values: Part[]) =>
      msg(1, str(1, 'RestartOnExitCode'), msg(2, str(1, 'c'), str(2, 'In'), ...values));
    const packed: Part = (w) => {
      w.uint32((3 << 3) | 2).fork();
      for (const v of [1, 2, 300]) w.int32(v);
      w.ldelim();
    };
    const jobWith = (rule: Part) =>
      build(objectMeta(1, 'j'), msg(2, msg(11, rule), msg(6, objectMeta(1, ''), msg(2))));
    for (const values of [[packed], [int(3, 1), int(3, 2), int(3, 300)]]) {
      const { value } = decode(envelope('batch/v1', 'Job', jobWith(requirement(values))));
      const spec = value.spec as { podFailurePolicy: { rules: { onExitCodes: { values: number[] } }[] } };
      assert.deepEqual(spec.podFailurePolicy.rules[0]!.onExitCodes.values, [1, 2, 300]);
    }
  });

  it('skips fields it does not know and reports their paths', () => {
    const raw = build(
      objectMeta(1, 'p', str(99, 'future')),
      msg(2, msg(2, str(1, 'c'), bool(77, true)), msg(40, msg(1, quantity(1, 'cpu', '1')))),
    );
    const { value, unknownFields } = decode(envelope('v1', 'Pod', raw));
    assert.deepEqual(value.spec, { containers: [{ name: 'c' }] });
    // PodSpec.resources (field 40) is newer than the schemas Shoal serves: skipped by name.
    assert.deepEqual(unknownFields, ['metadata.#99', 'spec.containers[0].#77', 'spec.resources']);
  });

  it('keeps a map key named __proto__ as data', () => {
    const raw = build(objectMeta(1, 'cm'), entry(2, '__proto__', 'x'), entry(2, 'a', 'b'));
    const { value } = decode(envelope('v1', 'ConfigMap', raw));
    const data = value.data as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(data), Object.prototype);
    assert.deepEqual(Object.keys(data), ['__proto__', 'a']);
    assert.equal(JSON.stringify(data), '{"__proto__":"x","a":"b"}');
  });

  it('merges a message given twice and keeps the last scalar', () => {
    const raw = build(objectMeta(1, 'first'), msg(1, str(1, 'second'), entry(11, 'a', 'b')));
    const { value } = decode(envelope('v1', 'ConfigMap', raw));
    assert.deepEqual(value.metadata, { name: 'second', creationTimestamp: null, labels: { a: 'b' } });
  });

  it('is reached through decodeBody for the protobuf media type', () => {
    const body = envelope('v1', 'Namespace', build(objectMeta(1, 'x')));
    const decoded = decodeBody(body, 'application/vnd.kubernetes.protobuf');
    assert.deepEqual(decoded.value, {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'x', creationTimestamp: null },
    });
  });

  describe('rejects with 400', () => {
    const ns = build(objectMeta(1, 'x'));
    it('a body without the magic', () => {
      badRequest(() => decode(Buffer.from('{"kind":"Namespace"}')), /does not start with the bytes "k8s\\0"/);
    });
    it('the magic alone', () => {
      badRequest(() => decode(MAGIC), /empty/);
    });
    it('a truncated body, naming where', () => {
      const whole = envelope('v1', 'Namespace', build(objectMeta(1, 'x'), msg(2, str(1, 'kubernetes'))));
      badRequest(() => decode(whole.subarray(0, whole.length - 3)), /not valid protobuf.*index out of range/);
      // spec's finalizers[0] claims 10 bytes and has 2.
      const inner = build(bytes(2, build(str(1, 'kubernetes')).subarray(0, 4)));
      badRequest(
        () => decode(envelope('v1', 'Namespace', inner)),
        /not valid protobuf at spec\.finalizers: index out of range/,
      );
    });
    it('a field of the wrong wire type', () => {
      badRequest(
        () => decode(envelope('apps/v1', 'Deployment', build(msg(2, str(1, 'three'))))),
        /at spec\.replicas: wire type 2, expected 0/,
      );
    });
    it('a kind it does not know, or none', () => {
      badRequest(
        () => decode(envelope('v1', 'Widget', ns)),
        /no kind "Widget" is registered for version "v1"/,
      );
      badRequest(
        () => decode(envelope('v2', 'Namespace', ns)),
        /no kind "Namespace" is registered for version "v2"/,
      );
      badRequest(() => decode(envelope('v1', '', ns)), /Kind' is missing/);
    });
    it('a content encoding it cannot read', () => {
      badRequest(() => decode(envelope('v1', 'Namespace', ns, str(3, 'gzip'))), /content encoding "gzip"/);
    });
    it('field number zero, and groups', () => {
      badRequest(() => decode(envelope('v1', 'Namespace', Uint8Array.of(0x02, 0x00))), /field number 0/);
      const groups = new Uint8Array(100_000).fill((9 << 3) | 3);
      badRequest(() => decode(envelope('v1', 'Namespace', groups)), /unsupported wire type 3/);
    });
    it('messages nested deeper than the cap', () => {
      const deployment = build(msg(2, msg(3, msg(2, msg(2, str(1, 'c'))))));
      assert.doesNotThrow(() =>
        decodeProtobuf(envelope('apps/v1', 'Deployment', deployment), { maxDepth: 5 }),
      );
      badRequest(
        () => decodeProtobuf(envelope('apps/v1', 'Deployment', deployment), { maxDepth: 4 }),
        /nest deeper than 4 levels/,
      );
    });
    it('a time outside years 1 to 9999', () => {
      const raw = build(objectMeta(1, 'p', msg(9, int(1, 253402300800))));
      badRequest(() => decode(envelope('v1', 'Pod', raw)), /at metadata\.deletionTimestamp: .*outside years/);
    });
  });

  it('answers every truncation and byte flip of a body with a value or a 400, nothing else', () => {
    const raw = build(
      objectMeta(1, 'd', entry(11, 'app', 'd')),
      msg(
        2,
        int(1, 3),
        msg(3, objectMeta(1, ''), msg(2, msg(2, str(1, 'c'), msg(8, quantity(1, 'cpu', '1')), int(99, 7)))),
        msg(4, str(1, 'RollingUpdate'), msg(2, intOrString(1, 1), intOrString(2, '25%'))),
      ),
    );
    const body = envelope('apps/v1', 'Deployment', raw);
    const attempt = (b: Uint8Array) => {
      try {
        decodeProtobuf(b);
      } catch (err) {
        assert.ok(err instanceof ApiError && err.status.code === 400, `${err}`);
      }
    };
    for (let n = 0; n < body.length; n++) attempt(body.subarray(0, n));
    let seed = 42;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let i = 0; i < 3000; i++) {
      const copy = Buffer.from(body);
      for (let k = 0; k < 1 + Math.floor(random() * 3); k++) {
        copy[4 + Math.floor(random() * (copy.length - 4))] = Math.floor(random() * 256);
      }
      attempt(copy);
    }
  });

  it("formats durations as Go's time.Duration does", () => {
    assert.equal(goDuration(0), '0s');
    assert.equal(goDuration(1500), '1.5µs');
    assert.equal(goDuration(150_000_000), '150ms');
    assert.equal(goDuration(60e9), '1m0s');
    assert.equal(goDuration(3600e9), '1h0m0s');
    assert.equal(goDuration(3723.5e9), '1h2m3.5s');
    assert.equal(goDuration(-2e9), '-2s');
  });
});
