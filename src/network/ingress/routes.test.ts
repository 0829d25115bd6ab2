import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../api/object.js';
import { backend, ingress, type PathSpec, service, shoalClass, slice } from './fixtures.js';
import {
  CANARY_WEIGHT_ANNOTATION,
  canaryWeight,
  chooseBackend,
  compileRoutes,
  isShoalIngress,
  LEGACY_CLASS_ANNOTATION,
  normalizeHost,
  type Route,
  type RoutesInput,
} from './routes.js';

/** Services a..e on port 80, each with one ready endpoint 10.0.0.<n>:8080. */
const SERVICES = ['a', 'b', 'c', 'd', 'e'];
function world(ingresses: KubeObject[], extra: Partial<RoutesInput> = {}): RoutesInput {
  return {
    ingresses,
    ingressClasses: [shoalClass()],
    services: SERVICES.map((s) => service(s)),
    endpointSlices: SERVICES.map((s, i) => slice(`${s}-1`, s, [`10.0.0.${i + 1}`])),
    ...extra,
  };
}

/** The service a request goes to, '' when nothing matches. */
function serviceFor(route: Route | undefined): string {
  return route ? route.backend.key.replace(/^default\//, '').replace(/:80$/, '') : '';
}

describe('host and path matching', () => {
  const cases: {
    name: string;
    paths: PathSpec[];
    defaultBackend?: string;
    requests: [host: string | undefined, url: string, service: string][];
  }[] = [
    {
      name: 'Prefix matches element-wise',
      paths: [{ path: '/foo', service: 'a' }],
      requests: [
        ['x', '/foo', 'a'],
        ['x', '/foo/', 'a'],
        ['x', '/foo/bar', 'a'],
        ['x', '/foobar', ''],
        ['x', '/fo', ''],
        ['x', '/', ''],
        ['x', '/foo?q=1', 'a'],
        ['x', '/FOO', ''],
      ],
    },
    {
      name: 'a trailing slash on a Prefix path changes nothing',
      paths: [{ path: '/aaa/bbb/', service: 'a' }],
      requests: [
        ['x', '/aaa/bbb', 'a'],
        ['x', '/aaa/bbb/ccc', 'a'],
        ['x', '/aaa/bbbxyz', ''],
      ],
    },
    {
      name: 'Exact matches only the path itself',
      paths: [{ path: '/foo', pathType: 'Exact', service: 'a' }],
      requests: [
        ['x', '/foo', 'a'],
        ['x', '/foo/', ''],
        ['x', '/foo?x', 'a'],
        ['x', '/foo/bar', ''],
      ],
    },
    {
      name: 'the longest prefix wins, Exact over Prefix of the same path',
      paths: [
        { path: '/', service: 'a' },
        { path: '/foo', service: 'b' },
        { path: '/foo/bar', service: 'c' },
        { path: '/foo', pathType: 'Exact', service: 'd' },
      ],
      requests: [
        ['x', '/', 'a'],
        ['x', '/other', 'a'],
        ['x', '/foo', 'd'],
        ['x', '/foo/', 'b'],
        ['x', '/foo/baz', 'b'],
        ['x', '/foo/bar', 'c'],
        ['x', '/foo/bar/x', 'c'],
      ],
    },
    {
      name: 'ImplementationSpecific is Prefix',
      paths: [{ path: '/api', pathType: 'ImplementationSpecific', service: 'a' }],
      requests: [
        ['x', '/api/v1', 'a'],
        ['x', '/apiv1', ''],
      ],
    },
    {
      name: 'hosts: exact, wildcard of one label, host-less for every host',
      paths: [
        { host: 'foo.example.com', service: 'a' },
        { host: '*.example.com', service: 'b' },
        { path: '/any', service: 'c' },
      ],
      requests: [
        ['foo.example.com', '/', 'a'],
        ['FOO.Example.COM:8443', '/', 'a'],
        ['foo.example.com.', '/', 'a'],
        ['bar.example.com', '/x', 'b'],
        ['baz.bar.example.com', '/', ''],
        ['example.com', '/', ''],
        ['example.com', '/any/thing', 'c'],
        ['other.org', '/any', 'c'],
        [undefined, '/any', 'c'],
        [undefined, '/', ''],
      ],
    },
    {
      name: 'a host whose own paths do not match falls through to wildcard, then host-less rules',
      paths: [
        { host: 'foo.example.com', path: '/app', service: 'a' },
        { host: '*.example.com', path: '/wild', service: 'b' },
        { path: '/', service: 'c' },
      ],
      requests: [
        ['foo.example.com', '/app/1', 'a'],
        ['foo.example.com', '/wild', 'b'],
        ['foo.example.com', '/else', 'c'],
      ],
    },
    {
      name: 'the default backend takes what no rule matches',
      paths: [{ host: 'foo.example.com', path: '/app', service: 'a' }],
      defaultBackend: 'e',
      requests: [
        ['foo.example.com', '/app', 'a'],
        ['foo.example.com', '/', 'e'],
        ['bar.example.com', '/app', 'e'],
      ],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const ing = ingress('web', c.paths, {
        ...(c.defaultBackend ? { defaultBackend: backend(c.defaultBackend, 80) } : {}),
      });
      const { table, warnings } = compileRoutes(world([ing]));
      assert.deepEqual(warnings, []);
      for (const [host, url, want] of c.requests) {
        assert.equal(serviceFor(table.match(host, url)), want, `${host ?? '(no host)'} ${url}`);
      }
    });
  }

  it('merges the rules of several Ingresses; the older keeps a contested path', () => {
    const first = ingress('first', [{ host: 'h', path: '/x', service: 'a' }]);
    const second = ingress('second', [
      { host: 'h', path: '/x', service: 'b' },
      { host: 'h', path: '/y', service: 'c' },
    ]);
    const { table, warnings } = compileRoutes(world([second, first]));
    assert.equal(serviceFor(table.match('h', '/x')), 'a');
    assert.equal(serviceFor(table.match('h', '/y')), 'c');
    assert.deepEqual(warnings, [
      'ingress default/second: host h Prefix path /x is already routed by ingress default/first',
    ]);
  });

  it('normalizes Host headers', () => {
    assert.equal(normalizeHost('Example.COM:80'), 'example.com');
    assert.equal(normalizeHost('[::1]:8080'), '[::1]');
    assert.equal(normalizeHost('a.b.'), 'a.b');
  });
});

describe('ingress class', () => {
  const cases: {
    name: string;
    className: string | null;
    annotations?: Record<string, string>;
    classes: KubeObject[];
    ours: boolean;
  }[] = [
    { name: 'class shoal', className: 'shoal', classes: [], ours: true },
    { name: 'another class', className: 'nginx', classes: [shoalClass()], ours: false },
    { name: 'no class, shoal is the default', className: null, classes: [shoalClass(true)], ours: true },
    {
      name: 'no class, shoal is not the default',
      className: null,
      classes: [shoalClass(false)],
      ours: false,
    },
    { name: 'no class, no IngressClass', className: null, classes: [], ours: false },
    {
      name: 'another class name whose controller is shoal',
      className: 'edge',
      classes: [
        {
          apiVersion: 'networking.k8s.io/v1',
          kind: 'IngressClass',
          metadata: { name: 'edge' },
          spec: { controller: 'shoal.dev/ingress' },
        },
      ],
      ours: true,
    },
    {
      name: 'the legacy annotation',
      className: null,
      annotations: { [LEGACY_CLASS_ANNOTATION]: 'shoal' },
      classes: [],
      ours: true,
    },
    {
      name: 'the legacy annotation naming another class',
      className: null,
      annotations: { [LEGACY_CLASS_ANNOTATION]: 'nginx' },
      classes: [shoalClass(true)],
      ours: false,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const ing = ingress('x', [{ service: 'a' }], {
        className: c.className,
        ...(c.annotations ? { annotations: c.annotations } : {}),
      });
      assert.equal(isShoalIngress(ing, c.classes), c.ours);
      const { table } = compileRoutes(world([ing], { ingressClasses: c.classes }));
      assert.equal(serviceFor(table.match('h', '/')), c.ours ? 'a' : '');
    });
  }
});

describe('backend resolution', () => {
  const cases: {
    name: string;
    port: number | string;
    services: KubeObject[];
    slices: KubeObject[];
    endpoints: string[];
    unavailable?: RegExp;
  }[] = [
    {
      name: 'ready endpoints of the slice port named as the Service port',
      port: 'http',
      services: [
        service('web', [
          { name: 'http', port: 80, targetPort: 'web' },
          { name: 'admin', port: 9000 },
        ]),
      ],
      slices: [
        slice(
          'web-1',
          'web',
          ['10.0.0.2', { ip: '10.0.0.1', ready: true }, { ip: '10.0.0.3', ready: false }],
          [
            { name: 'http', port: 8080 },
            { name: 'admin', port: 9090 },
          ],
        ),
        slice('web-2', 'web', ['10.0.1.1'], [{ name: 'http', port: 8081 }]),
      ],
      endpoints: ['10.0.0.1:8080', '10.0.0.2:8080', '10.0.1.1:8081'],
    },
    {
      name: 'by port number, an unnamed port',
      port: 80,
      services: [service('web', [{ port: 80, targetPort: 8080 }])],
      slices: [slice('web-1', 'web', ['10.0.0.1'], [{ port: 8080 }])],
      endpoints: ['10.0.0.1:8080'],
    },
    {
      name: 'a slice without ports uses the numeric targetPort',
      port: 80,
      services: [service('web', [{ port: 80, targetPort: 8888 }])],
      slices: [slice('web-1', 'web', ['10.0.0.1'], [])],
      endpoints: ['10.0.0.1:8888'],
    },
    {
      name: 'terminating but serving endpoints only when none is ready',
      port: 80,
      services: [service('web')],
      slices: [
        slice('web-1', 'web', [
          { ip: '10.0.0.1', ready: false, serving: true, terminating: true },
          { ip: '10.0.0.2', ready: false, serving: false, terminating: true },
        ]),
      ],
      endpoints: ['10.0.0.1:8080'],
    },
    {
      name: 'slices of another namespace or service are not used',
      port: 80,
      services: [service('web'), service('web', [{ port: 80 }], { namespace: 'other' })],
      slices: [
        slice('web-1', 'web', ['10.0.0.1'], [{ port: 8080 }], 'other'),
        slice('x-1', 'x', ['10.0.0.9']),
      ],
      endpoints: [],
      unavailable: /^service default\/web has no ready endpoints$/,
    },
    {
      name: 'a missing Service',
      port: 80,
      services: [],
      slices: [slice('web-1', 'web', ['10.0.0.1'])],
      endpoints: [],
      unavailable: /^service default\/web not found$/,
    },
    {
      name: 'a Service without the port',
      port: 81,
      services: [service('web')],
      slices: [slice('web-1', 'web', ['10.0.0.1'])],
      endpoints: [],
      unavailable: /has no port 81/,
    },
    {
      name: 'an ExternalName Service',
      port: 80,
      services: [service('web', [{ port: 80 }], { type: 'ExternalName' })],
      slices: [],
      endpoints: [],
      unavailable: /ExternalName/,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const ing = ingress('web', [{ service: 'web', port: c.port }]);
      const { table } = compileRoutes({
        ingresses: [ing],
        ingressClasses: [],
        services: c.services,
        endpointSlices: c.slices,
      });
      const b = table.match('h', '/')!.backend;
      assert.deepEqual(
        b.endpoints.map((e) => e.key),
        c.endpoints,
      );
      if (c.unavailable) assert.match(b.unavailable, c.unavailable);
      assert.equal(table.backend(b.key), b);
    });
  }

  it('routes naming the same Service port share one Backend', () => {
    const ing = ingress('web', [
      { path: '/a', service: 'a' },
      { path: '/b', service: 'a' },
    ]);
    const { table } = compileRoutes(world([ing]));
    assert.equal(table.match('h', '/a')!.backend, table.match('h', '/b')!.backend);
  });

  it('knows which Services its routes send to, found or not', () => {
    const ing = ingress('web', [
      { path: '/a', service: 'a' },
      { path: '/z', service: 'missing' },
    ]);
    const { table } = compileRoutes(world([ing]));
    assert.equal(table.routesTo('default/a'), true);
    assert.equal(table.routesTo('default/missing'), true);
    assert.equal(table.routesTo('default/b'), false);
    assert.equal(table.routesTo('other/a'), false);
  });

  it('skips resource backends with a warning', () => {
    const ing = ingress('web', [{ service: 'a' }]);
    (ing.spec as { defaultBackend?: unknown }).defaultBackend = {
      resource: { apiGroup: 'x.io', kind: 'Bucket', name: 'b' },
    };
    const { table, warnings } = compileRoutes(world([ing]));
    assert.equal(table.defaultRoute, undefined);
    assert.match(warnings.join('\n'), /resource backend/);
  });
});

describe('canary', () => {
  const weight = (w: string) => ({ annotations: { [CANARY_WEIGHT_ANNOTATION]: w } });

  it('parses weights', () => {
    const cases: [string | undefined, number | undefined][] = [
      [undefined, undefined],
      ['0', 0],
      ['20', 20],
      [' 100 ', 100],
      ['101', Number.NaN],
      ['-1', Number.NaN],
      ['2.5', Number.NaN],
      ['abc', Number.NaN],
      ['', Number.NaN],
    ];
    for (const [raw, want] of cases) {
      const ing = ingress('c', [{ service: 'a' }], raw === undefined ? {} : weight(raw));
      assert.deepEqual(canaryWeight(ing), want, String(raw));
    }
  });

  it('joins the main routes it shares, not others', () => {
    const main = ingress('main', [
      { host: 'h', path: '/', service: 'a' },
      { host: 'h', path: '/x', service: 'a' },
    ]);
    const canary = ingress(
      'canary',
      [
        { host: 'h', path: '/', service: 'b' },
        { host: 'h', path: '/only-canary', service: 'b' },
      ],
      weight('20'),
    );
    const { table, warnings } = compileRoutes(world([canary, main]));
    const root = table.match('h', '/')!;
    assert.equal(root.backend.key, 'default/a:80');
    assert.equal(root.canary?.backend.key, 'default/b:80');
    assert.equal(root.canary?.weight, 20);
    assert.equal(table.match('h', '/x')!.canary, undefined);
    // The canary's own path is not routed at all: it only ever splits a main route.
    assert.equal(serviceFor(table.match('h', '/only-canary')), 'a');
    assert.deepEqual(warnings, [
      'canary ingress default/canary: no main Ingress routes host h Prefix path /only-canary; ignored',
    ]);
  });

  it('ignores a canary with an invalid weight, with a warning', () => {
    const main = ingress('main', [{ host: 'h', service: 'a' }]);
    const canary = ingress('canary', [{ host: 'h', service: 'b' }], weight('150'));
    const { table, warnings } = compileRoutes(world([main, canary]));
    assert.equal(table.match('h', '/')!.canary, undefined);
    assert.deepEqual(warnings, [
      'ingress default/canary: annotation shoal.dev/canary-weight="150" is not an integer from 0 to 100; the canary Ingress is ignored',
    ]);
  });

  it('keeps the older of two canaries for a route', () => {
    const main = ingress('main', [{ host: 'h', service: 'a' }]);
    const c1 = ingress('c1', [{ host: 'h', service: 'b' }], weight('10'));
    const c2 = ingress('c2', [{ host: 'h', service: 'c' }], weight('30'));
    const { table, warnings } = compileRoutes(world([c2, main, c1]));
    assert.equal(table.match('h', '/')!.canary?.ingress, 'default/c1');
    assert.match(warnings.join('\n'), /c2: host h Prefix path \/ already has canary ingress default\/c1/);
  });

  it('chooses per roll, falling back to the other side when the chosen one is empty', () => {
    const main = ingress('main', [{ host: 'h', service: 'a' }]);
    const cases: { w: string; slices: KubeObject[]; roll: number; want: string }[] = [
      { w: '20', slices: [], roll: 0.1, want: 'b' },
      { w: '20', slices: [], roll: 0.2, want: 'a' },
      { w: '0', slices: [], roll: 0, want: 'a' },
      { w: '100', slices: [], roll: 0.999, want: 'b' },
      { w: '20', slices: [slice('a-1', 'a', ['10.0.0.1'])], roll: 0.1, want: 'a' },
      { w: '20', slices: [slice('b-1', 'b', ['10.0.0.2'])], roll: 0.9, want: 'b' },
      { w: '100', slices: [slice('a-1', 'a', ['10.0.0.1'])], roll: 0.5, want: 'b' },
    ];
    for (const c of cases) {
      const canary = ingress('canary', [{ host: 'h', service: 'b' }], weight(c.w));
      const base = world([main, canary]);
      const input = c.slices.length > 0 ? { ...base, endpointSlices: c.slices } : base;
      const route = compileRoutes(input).table.match('h', '/')!;
      assert.equal(chooseBackend(route, c.roll).key, `default/${c.want}:80`, `weight ${c.w} roll ${c.roll}`);
    }
  });
});

describe('TLS certificates', () => {
  it('selects by server name: exact, wildcard, then the host-less entry', () => {
    const ing = ingress('web', [{ host: 'a.example.com', service: 'a' }], {
      tls: [
        { hosts: ['a.example.com'], secretName: 'a-cert' },
        { hosts: ['*.example.com'], secretName: 'wild-cert' },
        { secretName: 'fallback-cert' },
      ],
    });
    const other = ingress('other', [{ host: 'b.example.com', service: 'b' }], {
      namespace: 'ns2',
      tls: [{ hosts: ['a.example.com', 'b.example.com'], secretName: 'b-cert' }],
    });
    const { table } = compileRoutes(world([ing, other]));
    const cases: [string | undefined, string | undefined][] = [
      ['a.example.com', 'default/a-cert'],
      ['A.Example.com', 'default/a-cert'],
      ['b.example.com', 'ns2/b-cert'],
      ['c.example.com', 'default/wild-cert'],
      ['x.c.example.com', 'default/fallback-cert'],
      ['other.org', 'default/fallback-cert'],
      [undefined, 'default/fallback-cert'],
    ];
    for (const [name, want] of cases) {
      const ref = table.certificateFor(name);
      assert.equal(ref && `${ref.namespace}/${ref.name}`, want, String(name));
    }
  });

  it('has no certificate without TLS entries', () => {
    const { table } = compileRoutes(world([ingress('web', [{ service: 'a' }])]));
    assert.equal(table.certificateFor('a.example.com'), undefined);
  });
});
