import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ApiError } from '../../api/errors.js';
import { applyStrategicMergePatch, strategicMerge } from './strategic.js';
import { deploymentSchema, podSpec, storedDeployment } from './test-schemas.js';

type Obj = Record<string, unknown>;

function containers(obj: Obj): Obj[] {
  return ((obj.spec as Obj).template as { spec: { containers: Obj[] } }).spec.containers;
}

function patchDeployment(patch: unknown, base: Obj = storedDeployment()): Obj {
  return applyStrategicMergePatch(base, JSON.stringify(patch), deploymentSchema);
}

function rejects(fn: () => unknown, code: number, message: RegExp | string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ApiError, `expected ApiError, got ${String(err)}`);
    assert.equal(err.code, code);
    if (typeof message === 'string') assert.equal(err.message, message);
    else assert.match(err.message, message);
    return true;
  });
}

describe('strategic merge patch: what kubectl sends', () => {
  test('kubectl apply: image and env changed, with $setElementOrder', () => {
    // CreateThreeWayMergePatch output for: image nginx:1.25 → 1.26, env B 2 → 3, env C added.
    const out = patchDeployment({
      metadata: { annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"x":1}\n' } },
      spec: {
        template: {
          spec: {
            '$setElementOrder/containers': [{ name: 'nginx' }],
            containers: [
              {
                '$setElementOrder/env': [{ name: 'A' }, { name: 'B' }, { name: 'C' }],
                env: [
                  { name: 'B', value: '3' },
                  { name: 'C', value: 'new' },
                ],
                image: 'nginx:1.26',
                name: 'nginx',
              },
            ],
          },
        },
      },
    });
    const [nginx] = containers(out);
    assert.equal(nginx?.image, 'nginx:1.26');
    assert.deepEqual(nginx?.env, [
      { name: 'A', value: '1' },
      { name: 'B', value: '3' },
      { name: 'C', value: 'new' },
    ]);
    assert.deepEqual(nginx?.ports, [{ containerPort: 80, protocol: 'TCP' }], 'untouched fields stay');
    assert.equal((out.metadata as Obj).name, 'web');
    assert.deepEqual((out.metadata as { annotations: Obj }).annotations, {
      'kubectl.kubernetes.io/last-applied-configuration': '{"x":1}\n',
    });
    assert.ok(!JSON.stringify(out).includes('$setElementOrder'), 'directives never reach the object');
  });

  test('kubectl apply: an env var removed from the manifest', () => {
    const out = patchDeployment({
      spec: {
        template: {
          spec: {
            '$setElementOrder/containers': [{ name: 'nginx' }],
            containers: [
              {
                '$setElementOrder/env': [{ name: 'A' }],
                env: [{ $patch: 'delete', name: 'B' }],
                name: 'nginx',
              },
            ],
          },
        },
      },
    });
    assert.deepEqual(containers(out)[0]?.env, [{ name: 'A', value: '1' }]);
  });

  test('kubectl apply: a label removed is sent as null', () => {
    const base = storedDeployment();
    (base.metadata as { labels: Obj }).labels = { app: 'web', tier: 'front' };
    const out = patchDeployment({ metadata: { labels: { tier: null } } }, base);
    assert.deepEqual((out.metadata as Obj).labels, { app: 'web' });
  });

  test('kubectl apply: strategy switched to Recreate uses $retainKeys', () => {
    const out = patchDeployment({
      spec: { strategy: { $retainKeys: ['type'], rollingUpdate: null, type: 'Recreate' } },
    });
    assert.deepEqual((out.spec as Obj).strategy, { type: 'Recreate' });
  });

  test('kubectl edit: a container image changed', () => {
    const out = patchDeployment({
      spec: {
        template: {
          spec: {
            '$setElementOrder/containers': [{ name: 'nginx' }],
            containers: [{ image: 'nginx:1.27', name: 'nginx' }],
          },
        },
      },
    });
    assert.equal(containers(out)[0]?.image, 'nginx:1.27');
    assert.equal(containers(out).length, 1);
  });

  test('kubectl patch: replicas, as in `kubectl patch deploy web -p {"spec":{"replicas":5}}`', () => {
    const base = storedDeployment();
    const out = patchDeployment({ spec: { replicas: 5 } }, base);
    assert.equal((out.spec as Obj).replicas, 5);
    assert.equal((base.spec as Obj).replicas, 2, 'the input is not modified');
  });

  test('a container added without an order goes first; with $setElementOrder where it says', () => {
    const sidecar = { name: 'sidecar', image: 'busybox' };
    const plain = patchDeployment({ spec: { template: { spec: { containers: [sidecar] } } } });
    assert.deepEqual(
      containers(plain).map((c) => c.name),
      ['sidecar', 'nginx'],
    );
    const ordered = patchDeployment({
      spec: {
        template: {
          spec: {
            '$setElementOrder/containers': [{ name: 'nginx' }, { name: 'sidecar' }],
            containers: [sidecar],
          },
        },
      },
    });
    assert.deepEqual(
      containers(ordered).map((c) => c.name),
      ['nginx', 'sidecar'],
    );
  });

  test('without $setElementOrder, server-only items keep their place before later patch items', () => {
    // The example of Kubernetes' "preserve order in strategic merge patch" design: live B C A,
    // patch A' B' D → C A' B' D.
    const base = storedDeployment();
    containers(base)[0]!.env = [{ name: 'B' }, { name: 'C' }, { name: 'A' }];
    const out = patchDeployment(
      {
        spec: {
          template: {
            spec: {
              containers: [
                {
                  name: 'nginx',
                  env: [
                    { name: 'A', value: "A'" },
                    { name: 'B', value: "B'" },
                    { name: 'D', value: 'D' },
                  ],
                },
              ],
            },
          },
        },
      },
      base,
    );
    assert.deepEqual(containers(out)[0]?.env, [
      { name: 'C' },
      { name: 'A', value: "A'" },
      { name: 'B', value: "B'" },
      { name: 'D', value: 'D' },
    ]);
  });

  test('$setElementOrder alone reorders a list', () => {
    const base = storedDeployment();
    const out = patchDeployment(
      {
        spec: {
          template: {
            spec: {
              containers: [{ name: 'nginx', '$setElementOrder/env': [{ name: 'B' }, { name: 'A' }] }],
            },
          },
        },
      },
      base,
    );
    assert.deepEqual(
      (containers(out)[0]!.env as Obj[]).map((e) => e.name),
      ['B', 'A'],
    );
  });
});

describe('strategic merge patch: directives and strategies', () => {
  const cases: { name: string; original: Obj; patch: Obj; expected: Obj }[] = [
    {
      name: 'maps merge key by key; null deletes',
      original: { metadata: { labels: { a: '1', b: '2' } } },
      patch: { metadata: { labels: { b: null, c: '3' } } },
      expected: { metadata: { labels: { a: '1', c: '3' } } },
    },
    {
      name: 'a null for an absent key is dropped',
      original: { metadata: { name: 'x' } },
      patch: { metadata: { labels: null, annotations: { a: null, b: 'B' } } },
      expected: { metadata: { name: 'x', annotations: { b: 'B' } } },
    },
    {
      name: '$patch: replace on a map replaces it',
      original: { metadata: { labels: { a: '1', b: '2' } } },
      patch: { metadata: { labels: { $patch: 'replace', c: '3' } } },
      expected: { metadata: { labels: { c: '3' } } },
    },
    {
      name: '$patch: delete on a map empties it',
      original: { spec: { template: { spec: { securityContext: { runAsUser: 1 } } } } },
      patch: { spec: { template: { spec: { securityContext: { $patch: 'delete' } } } } },
      expected: { spec: { template: { spec: { securityContext: {} } } } },
    },
    {
      name: '$patch: merge on a map is the default',
      original: { metadata: { labels: { a: '1' } } },
      patch: { metadata: { labels: { $patch: 'merge', b: '2' } } },
      expected: { metadata: { labels: { a: '1', b: '2' } } },
    },
    {
      name: 'lists without a merge strategy are replaced',
      original: { spec: { template: { spec: { tolerations: [{ key: 'a' }, { key: 'b' }] } } } },
      patch: { spec: { template: { spec: { tolerations: [{ key: 'c' }] } } } },
      expected: { spec: { template: { spec: { tolerations: [{ key: 'c' }] } } } },
    },
    {
      name: 'merge lists of scalars merge as sets (finalizers)',
      original: { metadata: { finalizers: ['a', 'b'] } },
      patch: { metadata: { finalizers: ['b', 'c'] } },
      expected: { metadata: { finalizers: ['a', 'b', 'c'] } },
    },
    {
      name: '$deleteFromPrimitiveList removes values',
      original: { metadata: { finalizers: ['a', 'b', 'c'] } },
      patch: {
        metadata: { '$deleteFromPrimitiveList/finalizers': ['b'], '$setElementOrder/finalizers': ['a', 'c'] },
      },
      expected: { metadata: { finalizers: ['a', 'c'] } },
    },
    {
      name: '$deleteFromPrimitiveList of an absent list does nothing',
      original: { metadata: { name: 'x' } },
      patch: { metadata: { '$deleteFromPrimitiveList/finalizers': ['b'] } },
      expected: { metadata: { name: 'x' } },
    },
    {
      name: '$patch: replace item replaces a merge list',
      original: { spec: { template: { spec: { containers: [{ name: 'a', image: 'x' }, { name: 'b' }] } } } },
      patch: {
        spec: { template: { spec: { containers: [{ $patch: 'replace' }, { name: 'c', image: 'y' }] } } },
      },
      expected: { spec: { template: { spec: { containers: [{ name: 'c', image: 'y' }] } } } },
    },
    {
      name: 'items merge by merge key (ports by containerPort)',
      original: {
        spec: {
          template: {
            spec: {
              containers: [{ name: 'a', ports: [{ containerPort: 80, name: 'http', protocol: 'TCP' }] }],
            },
          },
        },
      },
      patch: {
        spec: {
          template: { spec: { containers: [{ name: 'a', ports: [{ containerPort: 80, name: 'web' }] }] } },
        },
      },
      expected: {
        spec: {
          template: {
            spec: {
              containers: [{ name: 'a', ports: [{ containerPort: 80, name: 'web', protocol: 'TCP' }] }],
            },
          },
        },
      },
    },
    {
      name: 'a new subtree loses its directives and nulls',
      original: { spec: {} },
      patch: {
        spec: {
          template: {
            metadata: { labels: { a: null, b: 'B' } },
            spec: {
              '$setElementOrder/containers': [{ name: 'x' }, { name: 'y' }],
              containers: [{ name: 'x' }, { name: 'y' }, { name: 'z', $patch: 'delete' }],
            },
          },
        },
      },
      expected: {
        spec: {
          template: {
            metadata: { labels: { b: 'B' } },
            spec: { containers: [{ name: 'x' }, { name: 'y' }] },
          },
        },
      },
    },
    {
      name: 'a value of another type replaces',
      original: { spec: { replicas: 1, template: { spec: { nodeSelector: { a: 'b' } } } } },
      patch: { spec: { replicas: 'two', template: { spec: { nodeSelector: ['x'] } } } },
      expected: { spec: { replicas: 'two', template: { spec: { nodeSelector: ['x'] } } } },
    },
    {
      name: 'volumes merge by name; $retainKeys inside an item switches its source',
      original: {
        spec: {
          template: {
            spec: {
              volumes: [
                { name: 'v', emptyDir: {} },
                { name: 'w', emptyDir: {} },
              ],
            },
          },
        },
      },
      patch: {
        spec: {
          template: {
            spec: {
              volumes: [
                { $retainKeys: ['configMap', 'name'], name: 'v', configMap: { name: 'cm' }, emptyDir: null },
              ],
            },
          },
        },
      },
      expected: {
        spec: {
          template: {
            spec: {
              volumes: [
                { name: 'v', configMap: { name: 'cm' } },
                { name: 'w', emptyDir: {} },
              ],
            },
          },
        },
      },
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      assert.deepEqual(strategicMerge(c.original, c.patch, deploymentSchema), c.expected);
    });
  }

  test('undeclared fields merge as plain maps and replace lists', () => {
    const out = strategicMerge(
      { spec: { extra: { a: 1, list: [1, 2] } } },
      { spec: { extra: { b: 2, list: [3] } } },
      deploymentSchema,
    );
    assert.deepEqual(out, { spec: { extra: { a: 1, b: 2, list: [3] } } });
  });

  test('merges against any node of a schema, not only whole objects', () => {
    assert.deepEqual(
      strategicMerge({ containers: [{ name: 'a' }] }, { containers: [{ name: 'b' }] }, podSpec),
      {
        containers: [{ name: 'b' }, { name: 'a' }],
      },
    );
  });
});

describe('strategic merge patch: malformed patches', () => {
  const bad: { name: string; patch: unknown; code: number; message: RegExp | string }[] = [
    {
      name: 'not JSON',
      patch: '{"spec":',
      code: 400,
      message: /^error decoding patch: /,
    },
    {
      name: 'not an object',
      patch: [1],
      code: 400,
      message:
        'error decoding patch: json: cannot unmarshal array into Go value of type map[string]interface {}',
    },
    {
      name: 'a merge list item without its merge key',
      patch: { spec: { template: { spec: { containers: [{ image: 'x' }] } } } },
      code: 400,
      message: 'map: map[image:x] does not contain declared merge key: name',
    },
    {
      name: 'an unknown $patch',
      patch: { metadata: { labels: { $patch: 'frobnicate' } } },
      code: 400,
      message: 'unknown patch type: frobnicate in map: map[$patch:frobnicate]',
    },
    {
      name: '$patch: merge inside a list',
      patch: { spec: { template: { spec: { containers: [{ name: 'nginx', $patch: 'merge' }] } } } },
      code: 400,
      message: 'merging lists cannot yet be specified in the patch',
    },
    {
      name: '$retainKeys that is not a list',
      patch: { spec: { strategy: { $retainKeys: 'type' } } },
      code: 400,
      message: 'invalid patch format of retainKeys',
    },
    {
      name: 'a key outside $retainKeys',
      patch: {
        spec: { strategy: { $retainKeys: ['type'], type: 'Recreate', rollingUpdate: { maxSurge: 1 } } },
      },
      code: 400,
      message: 'invalid patch format of retainKeys',
    },
    {
      name: '$setElementOrder that is not a list',
      patch: { spec: { template: { spec: { '$setElementOrder/containers': 'nginx' } } } },
      code: 400,
      message: 'invalid patch format of setElementOrder list',
    },
    {
      name: 'patch items out of $setElementOrder order',
      patch: {
        spec: {
          template: {
            spec: {
              '$setElementOrder/containers': [{ name: 'nginx' }],
              containers: [{ name: 'other' }],
            },
          },
        },
      },
      code: 400,
      message: /^The order in patch list:/,
    },
    {
      name: 'lists of lists in a merge list',
      patch: { metadata: { finalizers: [['a']] } },
      code: 422,
      message: 'the server rejected our request due to an error in our request',
    },
    {
      name: 'mixed element types in a merge list',
      patch: { metadata: { finalizers: [1] } },
      code: 400,
      message: /^list element types are not identical/,
    },
  ];
  for (const c of bad) {
    test(c.name, () => {
      const body = typeof c.patch === 'string' ? c.patch : JSON.stringify(c.patch);
      const base = storedDeployment();
      (base.metadata as Obj).finalizers = ['a'];
      rejects(() => applyStrategicMergePatch(base, body, deploymentSchema), c.code, c.message);
    });
  }
});
