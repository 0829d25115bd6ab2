import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PodInfo } from '../framework/node-info.js';
import { makeNode, makePod, nodeInfo } from '../framework/testing.js';
import { CycleState } from '../framework/types.js';
import { nodeName } from './node-name.js';

describe('NodeName', () => {
  const cases: { name: string; podNode?: string; fits: boolean }[] = [
    { name: 'pod names no node', fits: true },
    { name: 'pod names this node', podNode: 'n1', fits: true },
    { name: 'pod names another node', podNode: 'n2', fits: false },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const pod = new PodInfo(makePod('p', c.podNode ? { nodeName: c.podNode } : {}));
      const status = nodeName.filter(new CycleState(), pod, nodeInfo(makeNode('n1')));
      if (c.fits) assert.equal(status, undefined);
      else {
        assert.equal(status?.code, 'UnschedulableAndUnresolvable');
        assert.deepEqual(status?.reasons, ["node(s) didn't match the requested node name"]);
      }
    });
  }
});
