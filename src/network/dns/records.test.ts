import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KubeObject } from '../../api/object.js';
import { MapCache } from '../object-cache.js';
import { ClusterRecords, type Lookup } from './records.js';

const service = (name: string, spec: Record<string, unknown>, namespace = 'default'): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace },
  spec,
});

interface Ep {
  ip: string;
  ready?: boolean;
  hostname?: string;
}
const slice = (
  name: string,
  serviceName: string,
  endpoints: Ep[],
  ports: { name?: string; port: number; protocol?: string }[] = [],
  namespace = 'default',
): KubeObject => ({
  apiVersion: 'discovery.k8s.io/v1',
  kind: 'EndpointSlice',
  metadata: { name, namespace, labels: { 'kubernetes.io/service-name': serviceName } },
  addressType: 'IPv4',
  endpoints: endpoints.map((e) => ({
    addresses: [e.ip],
    ...(e.hostname ? { hostname: e.hostname } : {}),
    ...(e.ready === undefined ? {} : { conditions: { ready: e.ready } }),
  })),
  ports,
});

function fixture() {
  const services = new MapCache([
    service('web', {
      type: 'ClusterIP',
      clusterIP: '10.43.0.10',
      clusterIPs: ['10.43.0.10'],
      ports: [
        { name: 'http', port: 80, protocol: 'TCP' },
        { port: 81, protocol: 'TCP' },
        { name: 'dns', port: 53, protocol: 'UDP' },
      ],
    }),
    service('db', { clusterIP: 'None', ports: [{ name: 'pg', port: 5432 }] }),
    service('empty', { clusterIP: 'None' }),
    service('ext', { type: 'ExternalName', externalName: 'example.com.' }),
    service('pending', { type: 'ClusterIP' }, 'other'),
  ]);
  const slices = new MapCache([
    slice(
      'db-a',
      'db',
      [{ ip: '10.42.0.5', hostname: 'db-0' }, { ip: '10.42.0.6' }, { ip: '10.42.0.7', ready: false }],
      [{ name: 'pg', port: 15432, protocol: 'TCP' }],
    ),
    slice(
      'db-b',
      'db',
      [{ ip: '10.42.1.5', ready: true }, { ip: '10.42.0.6' }],
      [{ name: 'pg', port: 15432 }],
    ),
    slice('empty-a', 'empty', [{ ip: '10.42.0.9', ready: false }]),
  ]);
  const records = new ClusterRecords({ services, endpointSlices: slices });
  return { services, slices, records };
}

/** A lookup as one comparable line per record: "NOERROR|A web.default.svc.cluster.local 10.43.0.10". */
function show(lookup: Lookup): string[] {
  if (lookup.kind === 'forward') return ['forward'];
  const line = (section: string, r: { type: string; name: string; data?: unknown }) => {
    const d = r.data as Record<string, unknown> | string;
    const data =
      r.type === 'SRV' && typeof d === 'object'
        ? `${d.port} ${d.target}`
        : r.type === 'SOA' && typeof d === 'object'
          ? String(d.mname)
          : String(d);
    return `${section} ${r.type} ${r.name} ${data}`;
  };
  return [
    lookup.rcode,
    ...lookup.answers.map((r) => line('an', r)),
    ...lookup.authorities.map((r) => line('ns', r)),
    ...lookup.additionals.map((r) => line('ar', r)),
  ].sort();
}

const SOA = 'ns SOA cluster.local ns.dns.cluster.local';

test('ClusterRecords answers the Kubernetes DNS schema', () => {
  const { records } = fixture();
  const cases: { q: string; type: string; want: string[] }[] = [
    // ClusterIP Service: A, case-insensitive, answered with the question's spelling.
    {
      q: 'web.default.svc.cluster.local',
      type: 'A',
      want: ['NOERROR', 'an A web.default.svc.cluster.local 10.43.0.10'],
    },
    {
      q: 'WEB.Default.svc.cluster.local.',
      type: 'A',
      want: ['NOERROR', 'an A WEB.Default.svc.cluster.local 10.43.0.10'],
    },
    // Exists, but no AAAA: NODATA with the SOA.
    { q: 'web.default.svc.cluster.local', type: 'AAAA', want: ['NOERROR', SOA] },
    // SRV for named ports only, protocol lower-cased, target the Service name, its A in additionals.
    {
      q: '_http._tcp.web.default.svc.cluster.local',
      type: 'SRV',
      want: [
        'NOERROR',
        'an SRV _http._tcp.web.default.svc.cluster.local 80 web.default.svc.cluster.local',
        'ar A web.default.svc.cluster.local 10.43.0.10',
      ],
    },
    {
      q: '_dns._udp.web.default.svc.cluster.local',
      type: 'SRV',
      want: [
        'NOERROR',
        'an SRV _dns._udp.web.default.svc.cluster.local 53 web.default.svc.cluster.local',
        'ar A web.default.svc.cluster.local 10.43.0.10',
      ],
    },
    { q: '_dns._tcp.web.default.svc.cluster.local', type: 'SRV', want: ['NXDOMAIN', SOA] },
    // Names above existing ones exist (empty non-terminals): NODATA, not NXDOMAIN.
    { q: '_tcp.web.default.svc.cluster.local', type: 'SRV', want: ['NOERROR', SOA] },
    { q: 'default.svc.cluster.local', type: 'A', want: ['NOERROR', SOA] },
    { q: 'svc.cluster.local', type: 'A', want: ['NOERROR', SOA] },
    { q: 'nosuchns.svc.cluster.local', type: 'A', want: ['NXDOMAIN', SOA] },
    { q: 'nosuch.default.svc.cluster.local', type: 'A', want: ['NXDOMAIN', SOA] },
    // A search-path expansion of a full name does not exist.
    { q: 'web.default.svc.cluster.local.default.svc.cluster.local', type: 'A', want: ['NXDOMAIN', SOA] },
    // Headless: ready endpoints of all slices, de-duplicated; not-ready ones left out.
    {
      q: 'db.default.svc.cluster.local',
      type: 'A',
      want: [
        'NOERROR',
        'an A db.default.svc.cluster.local 10.42.0.5',
        'an A db.default.svc.cluster.local 10.42.0.6',
        'an A db.default.svc.cluster.local 10.42.1.5',
      ],
    },
    {
      q: 'db-0.db.default.svc.cluster.local',
      type: 'A',
      want: ['NOERROR', 'an A db-0.db.default.svc.cluster.local 10.42.0.5'],
    },
    {
      q: '10-42-0-6.db.default.svc.cluster.local',
      type: 'A',
      want: ['NOERROR', 'an A 10-42-0-6.db.default.svc.cluster.local 10.42.0.6'],
    },
    { q: '10-42-0-7.db.default.svc.cluster.local', type: 'A', want: ['NXDOMAIN', SOA] },
    {
      q: '_pg._tcp.db.default.svc.cluster.local',
      type: 'SRV',
      want: [
        'NOERROR',
        'an SRV _pg._tcp.db.default.svc.cluster.local 15432 db-0.db.default.svc.cluster.local',
        'an SRV _pg._tcp.db.default.svc.cluster.local 15432 10-42-0-6.db.default.svc.cluster.local',
        'an SRV _pg._tcp.db.default.svc.cluster.local 15432 10-42-1-5.db.default.svc.cluster.local',
        'ar A db-0.db.default.svc.cluster.local 10.42.0.5',
        'ar A 10-42-0-6.db.default.svc.cluster.local 10.42.0.6',
        'ar A 10-42-1-5.db.default.svc.cluster.local 10.42.1.5',
      ],
    },
    // A headless Service without ready endpoints is NXDOMAIN (DNS specification 2.4.1).
    { q: 'empty.default.svc.cluster.local', type: 'A', want: ['NXDOMAIN', SOA] },
    // ExternalName: a CNAME whatever the type asked.
    {
      q: 'ext.default.svc.cluster.local',
      type: 'A',
      want: ['NOERROR', 'an CNAME ext.default.svc.cluster.local example.com'],
    },
    {
      q: 'ext.default.svc.cluster.local',
      type: 'CNAME',
      want: ['NOERROR', 'an CNAME ext.default.svc.cluster.local example.com'],
    },
    // A ClusterIP Service whose IP is not allocated yet exists without records.
    { q: 'pending.other.svc.cluster.local', type: 'A', want: ['NOERROR', SOA] },
    // PTR for cluster IPs and endpoint addresses; unknown addresses in cluster ranges NXDOMAIN, others forwarded.
    {
      q: '10.0.43.10.in-addr.arpa',
      type: 'PTR',
      want: ['NOERROR', 'an PTR 10.0.43.10.in-addr.arpa web.default.svc.cluster.local'],
    },
    {
      q: '5.0.42.10.in-addr.arpa',
      type: 'PTR',
      want: ['NOERROR', 'an PTR 5.0.42.10.in-addr.arpa db-0.db.default.svc.cluster.local'],
    },
    {
      q: '99.0.43.10.in-addr.arpa',
      type: 'PTR',
      want: ['NXDOMAIN', 'ns SOA in-addr.arpa ns.dns.cluster.local'],
    },
    { q: '1.1.168.192.in-addr.arpa', type: 'PTR', want: ['forward'] },
    // Pod records echo the dashed address; the namespace level exists; other pod names do not.
    {
      q: '10-42-3-4.anyns.pod.cluster.local',
      type: 'A',
      want: ['NOERROR', 'an A 10-42-3-4.anyns.pod.cluster.local 10.42.3.4'],
    },
    { q: '10-42-3-4.anyns.pod.cluster.local', type: 'AAAA', want: ['NOERROR', SOA] },
    { q: 'anyns.pod.cluster.local', type: 'A', want: ['NOERROR', SOA] },
    { q: 'not-an-ip.anyns.pod.cluster.local', type: 'A', want: ['NXDOMAIN', SOA] },
    { q: '10-42-3-999.anyns.pod.cluster.local', type: 'A', want: ['NXDOMAIN', SOA] },
    // The zone apex and the schema version.
    { q: 'cluster.local', type: 'SOA', want: ['NOERROR', 'an SOA cluster.local ns.dns.cluster.local'] },
    { q: 'cluster.local', type: 'A', want: ['NOERROR', SOA] },
    {
      q: 'dns-version.cluster.local',
      type: 'TXT',
      want: ['NOERROR', 'an TXT dns-version.cluster.local 1.1.0'],
    },
    // Everything else belongs to the upstream resolvers.
    { q: 'example.com', type: 'A', want: ['forward'] },
    { q: 'local', type: 'A', want: ['forward'] },
    { q: 'web.default', type: 'A', want: ['forward'] },
  ];
  for (const c of cases) {
    assert.deepEqual(
      show(records.lookup({ name: c.q, type: c.type })),
      [...c.want].sort(),
      `${c.type} ${c.q}`,
    );
  }
});

test('records follow Service and EndpointSlice events', () => {
  const { services, slices, records } = fixture();
  const a = (name: string) => show(records.lookup({ name, type: 'A' }));

  // A readiness change in one slice shows at once.
  slices.upsert(slice('db-b', 'db', [{ ip: '10.42.1.5', ready: false }], [{ name: 'pg', port: 15432 }]));
  assert.deepEqual(a('db.default.svc.cluster.local'), [
    'NOERROR',
    'an A db.default.svc.cluster.local 10.42.0.5',
    'an A db.default.svc.cluster.local 10.42.0.6',
  ]);
  assert.deepEqual(a('10-42-1-5.db.default.svc.cluster.local'), ['NXDOMAIN', SOA]);

  // The empty headless Service gets a ready endpoint.
  slices.upsert(slice('empty-a', 'empty', [{ ip: '10.42.0.9' }]));
  assert.deepEqual(a('empty.default.svc.cluster.local'), [
    'NOERROR',
    'an A empty.default.svc.cluster.local 10.42.0.9',
  ]);

  // A slice relabelled to another Service moves its records with it.
  slices.upsert(slice('empty-a', 'db', [{ ip: '10.42.0.9' }]));
  assert.deepEqual(a('empty.default.svc.cluster.local'), ['NXDOMAIN', SOA]);
  assert.ok(a('db.default.svc.cluster.local').includes('an A db.default.svc.cluster.local 10.42.0.9'));

  // A Service changing its cluster IP moves the A and PTR.
  services.upsert(service('web', { clusterIP: '10.43.0.11', ports: [] }));
  assert.deepEqual(a('web.default.svc.cluster.local'), [
    'NOERROR',
    'an A web.default.svc.cluster.local 10.43.0.11',
  ]);
  assert.deepEqual(show(records.lookup({ name: '10.0.43.10.in-addr.arpa', type: 'PTR' })), [
    'NXDOMAIN',
    'ns SOA in-addr.arpa ns.dns.cluster.local',
  ]);
  assert.deepEqual(show(records.lookup({ name: '_http._tcp.web.default.svc.cluster.local', type: 'SRV' })), [
    'NXDOMAIN',
    SOA,
  ]);

  // Deleting the last Service of a namespace removes the namespace's name too.
  services.remove('pending', 'other');
  assert.deepEqual(a('other.svc.cluster.local'), ['NXDOMAIN', SOA]);
  services.remove('db', 'default');
  assert.deepEqual(a('db.default.svc.cluster.local'), ['NXDOMAIN', SOA]);
  assert.deepEqual(a('db-0.db.default.svc.cluster.local'), ['NXDOMAIN', SOA]);

  // Slices may arrive before their Service.
  slices.upsert(slice('late-a', 'late', [{ ip: '10.42.2.2' }]));
  services.upsert(service('late', { clusterIP: 'None' }));
  assert.deepEqual(a('late.default.svc.cluster.local'), [
    'NOERROR',
    'an A late.default.svc.cluster.local 10.42.2.2',
  ]);
  slices.remove('late-a', 'default');
  assert.deepEqual(a('late.default.svc.cluster.local'), ['NXDOMAIN', SOA]);

  // After close() the index no longer follows the caches.
  records.close();
  services.upsert(service('after', { clusterIP: '10.43.0.99' }));
  assert.deepEqual(a('after.default.svc.cluster.local'), ['NXDOMAIN', SOA]);
});

test('a custom cluster domain, TTL and reverse ranges', () => {
  const records = new ClusterRecords({
    services: new MapCache([service('web', { clusterIP: '172.20.0.1' })]),
    endpointSlices: new MapCache(),
    clusterDomain: 'Corp.Internal.',
    ttl: 30,
    reverseCidrs: ['172.20.0.0/16'],
  });
  const found = records.lookup({ name: 'web.default.svc.corp.internal', type: 'A' });
  assert.equal(found.kind === 'answer' && found.answers[0]?.type === 'A' && found.answers[0].ttl, 30);
  assert.deepEqual(show(records.lookup({ name: 'web.default.svc.cluster.local', type: 'A' })), ['forward']);
  assert.equal(show(records.lookup({ name: '2.0.20.172.in-addr.arpa', type: 'PTR' }))[0], 'NXDOMAIN');
  assert.deepEqual(show(records.lookup({ name: '2.0.43.10.in-addr.arpa', type: 'PTR' })), ['forward']);
  assert.throws(
    () =>
      new ClusterRecords({
        services: new MapCache(),
        endpointSlices: new MapCache(),
        reverseCidrs: ['10.0.0.0/33'],
      }),
    { message: 'ClusterRecords: reverseCidrs must be an IPv4 CIDR like 10.42.0.0/16, got "10.0.0.0/33"' },
  );
});

test('answering stays a map lookup with thousands of Services', () => {
  const services = new MapCache<KubeObject>();
  const slices = new MapCache<KubeObject>();
  const records = new ClusterRecords({ services, endpointSlices: slices });
  const started = performance.now();
  for (let i = 0; i < 5000; i++) {
    services.upsert(
      service(
        `svc-${i}`,
        { clusterIP: `10.43.${i >> 8}.${i & 255}`, ports: [{ name: 'http', port: 80 }] },
        `ns-${i % 50}`,
      ),
    );
  }
  for (let i = 0; i < 5000; i++) {
    const found = records.lookup({ name: `svc-${i}.ns-${i % 50}.svc.cluster.local`, type: 'A' });
    assert.deepEqual(show(found), [
      'NOERROR',
      `an A svc-${i}.ns-${i % 50}.svc.cluster.local 10.43.${i >> 8}.${i & 255}`,
    ]);
  }
  // Generous for a shared 2-core machine; a scan per event or per question would take seconds.
  assert.ok(performance.now() - started < 2000, `took ${performance.now() - started} ms`);
});
