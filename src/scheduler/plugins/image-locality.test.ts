import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { normalizeImageName } from '../framework/images.js';
import type { NodeInfo } from '../framework/node-info.js';
import { makeNode, makePod, nodeInfo, testSnapshot } from '../framework/testing.js';
import { ImageLocality } from './image-locality.js';
import { runScore } from './test-snapshot.js';

const MB = 1024 * 1024;

describe('normalizeImageName', () => {
  const rows: [string, string][] = [
    ['busybox', 'docker.io/library/busybox:latest'],
    ['busybox:1.36', 'docker.io/library/busybox:1.36'],
    ['library/busybox', 'docker.io/library/busybox:latest'],
    ['docker.io/library/busybox:latest', 'docker.io/library/busybox:latest'],
    ['index.docker.io/library/busybox', 'docker.io/library/busybox:latest'],
    ['bitnami/redis', 'docker.io/bitnami/redis:latest'],
    ['registry.k8s.io/pause:3.9', 'registry.k8s.io/pause:3.9'],
    ['localhost:5000/app', 'localhost:5000/app:latest'],
    ['localhost/app', 'localhost/app:latest'],
    ['busybox@sha256:abc', 'docker.io/library/busybox@sha256:abc'],
    ['quay.io/org/app:v1@sha256:abc', 'quay.io/org/app:v1@sha256:abc'],
  ];
  for (const [input, want] of rows)
    it(`${input} → ${want}`, () => assert.equal(normalizeImageName(input), want));
});

describe('ImageLocality score', () => {
  const node = (name: string, ...images: [string, number][]): NodeInfo =>
    nodeInfo(makeNode(name, { images: images.map(([n, mb]) => ({ names: [n], sizeBytes: mb * MB })) }));
  const twoContainers = (a: string, b: string): Pod =>
    makePod('p', {
      spec: {
        containers: [
          { name: 'a', image: a },
          { name: 'b', image: b },
        ],
      },
    });

  const rows: { name: string; pod: Pod; nodes: NodeInfo[]; want: number[] | 'skip' }[] = [
    {
      name: 'no node holds the image',
      pod: makePod('p', { image: 'nginx' }),
      nodes: [node('n1'), node('n2')],
      want: 'skip',
    },
    {
      // 500 MB × 1/2 spread = 250 MB → 100 × (250 − 23) / (1000 − 23) = 23
      name: 'a large image on one of two nodes, found by its normalized name',
      pod: makePod('p', { image: 'busybox' }),
      nodes: [node('n1', ['docker.io/library/busybox:latest', 500]), node('n2')],
      want: [23, 0],
    },
    {
      name: 'a small image (under 23 MB) scores nothing',
      pod: makePod('p', { image: 'busybox' }),
      nodes: [node('n1', ['busybox:latest', 40]), node('n2')],
      want: [0, 0],
    },
    {
      // 2000 MB × 1/1 clamps to the 1000 MB per-container ceiling
      name: 'a huge image on the only node clamps to 100',
      pod: makePod('p', { image: 'big:v1' }),
      nodes: [node('n1', ['docker.io/library/big:v1', 2000])],
      want: [100],
    },
    {
      // app:1 is on all 3 nodes (800 MB × 3/3), side:2 on one (600 MB × 1/3); ceiling 2 × 1000 MB
      // n1, n3: 100 × (800 − 23) / (2000 − 23) = 39; n2: 100 × (1000 − 23) / 1977 = 49
      name: 'two containers: sizes scaled by spread add up',
      pod: twoContainers('app:1', 'quay.io/side:2'),
      nodes: [
        node('n1', ['app:1', 800]),
        node('n2', ['docker.io/library/app:1', 800], ['quay.io/side:2', 600]),
        node('n3', ['app:1', 800]),
      ],
      want: [39, 49, 39],
    },
    {
      // 900 MB × 1/2 = 450 MB → 100 × (450 − 23) / 977 = 43
      name: 'another tag is another image',
      pod: makePod('p', { image: 'busybox:1.36' }),
      nodes: [node('n1', ['busybox:1.35', 900], ['nginx', 900]), node('n2', ['busybox:1.36', 900])],
      want: [0, 43],
    },
  ];
  for (const row of rows) {
    it(row.name, () => assert.deepEqual(runScore(ImageLocality, row.pod, testSnapshot(row.nodes)), row.want));
  }

  it('uses the snapshot image count when the cache keeps one', () => {
    const nodes = [node('n1', ['busybox', 500])];
    // Only n1 lists the image, but the cache's count (2 of 2 nodes) wins: spread 1.
    const snapshot = { ...testSnapshot([...nodes, node('n2')]), imageNodeCount: () => 2 };
    // 500 MB × 2/2 = 500 MB → 100 × (500 − 23) / 977 = 48
    assert.deepEqual(runScore(ImageLocality, makePod('p', { image: 'busybox' }), snapshot, nodes), [48]);
  });
});
