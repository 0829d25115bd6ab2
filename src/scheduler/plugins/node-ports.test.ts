import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ContainerPort, Pod } from 'kubernetes-types/core/v1.js';
import { makeNode, makePod, nodeInfo, testSnapshot } from '../framework/testing.js';
import { ERR_REASON_PORTS, NodePorts } from './node-ports.js';
import { runFilter } from './test-snapshot.js';

function withPorts(name: string, ...ports: ContainerPort[]): Pod {
  return makePod(name, { spec: { containers: [{ name: 'c', image: 'busybox', ports }] } });
}

describe('NodePorts', () => {
  const rows: { name: string; pod: Pod; existing: Pod[]; want: 'skip' | 'fits' | 'conflict' }[] = [
    {
      name: 'no ports asked',
      pod: makePod('p'),
      existing: [withPorts('e', { containerPort: 80, hostPort: 80 })],
      want: 'skip',
    },
    {
      name: 'container port without host port is free',
      pod: withPorts('p', { containerPort: 80 }),
      existing: [withPorts('e', { containerPort: 80 })],
      want: 'skip',
    },
    {
      name: 'same port and protocol on all addresses',
      pod: withPorts('p', { containerPort: 8080, hostPort: 80 }),
      existing: [withPorts('e', { containerPort: 80, hostPort: 80 })],
      want: 'conflict',
    },
    {
      name: 'same port, other protocol',
      pod: withPorts('p', { containerPort: 53, hostPort: 53, protocol: 'UDP' }),
      existing: [withPorts('e', { containerPort: 53, hostPort: 53 })],
      want: 'fits',
    },
    {
      name: 'same port on two specific addresses',
      pod: withPorts('p', { containerPort: 80, hostPort: 80, hostIP: '10.0.0.1' }),
      existing: [withPorts('e', { containerPort: 80, hostPort: 80, hostIP: '10.0.0.2' })],
      want: 'fits',
    },
    {
      name: 'a specific address against 0.0.0.0',
      pod: withPorts('p', { containerPort: 80, hostPort: 80, hostIP: '10.0.0.1' }),
      existing: [withPorts('e', { containerPort: 80, hostPort: 80 })],
      want: 'conflict',
    },
    {
      name: 'second of several ports collides',
      pod: withPorts('p', { containerPort: 1, hostPort: 1 }, { containerPort: 2, hostPort: 2 }),
      existing: [withPorts('e', { containerPort: 2, hostPort: 2 })],
      want: 'conflict',
    },
  ];
  for (const row of rows) {
    it(row.name, () => {
      const snapshot = testSnapshot([nodeInfo(makeNode('n1'), ...row.existing)]);
      const out = runFilter(NodePorts, row.pod, snapshot);
      if (row.want === 'skip') return assert.equal(out.preFilter?.code, 'Skip');
      const expected =
        row.want === 'fits' ? undefined : { code: 'Unschedulable', reasons: [ERR_REASON_PORTS] };
      assert.deepEqual(out.byNode.get('n1'), expected);
    });
  }
});
