/**
 * The node IPAM controller on an in-process API server: a range a Node already holds is never
 * handed out again (the restart case: occupancy comes from the Nodes), an exhausted cluster CIDR
 * gives the Kubernetes event, and a deleted Node's range goes to the Node that was waiting.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Event, Node } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../../api/object.js';
import { lookupResource } from '../../api/resources.js';
import type { Client } from '../../client/rest.js';
import { startApi, type TestApi, until } from '../framework/testing.js';
import { NodeIpamController } from './controller.js';

const NODES = lookupResource('', 'v1', 'nodes')!;
const EVENTS = lookupResource('', 'v1', 'events')!;
type NodeObject = Node & KubeObject;

describe('node IPAM controller (in-process API server)', () => {
  let api: TestApi;
  let client: Client;
  const createNode = (name: string, spec: Node['spec'] = {}) =>
    client.create<NodeObject>(NODES, undefined, { apiVersion: 'v1', kind: 'Node', metadata: { name }, spec });
  const podCIDR = async (name: string) =>
    (await client.get<NodeObject>(NODES, undefined, name)).spec?.podCIDR;

  before(async () => {
    api = await startApi('nodeipam');
    client = api.client;
    // Held before the controller starts, as after a server restart: the first range is taken.
    await createNode('n1', { podCIDR: '10.42.0.0/24', podCIDRs: ['10.42.0.0/24'] });
    await createNode('n2');
    api.runControllers([(ctx) => new NodeIpamController(ctx)], {
      settings: { clusterCIDR: '10.42.0.0/23', nodeCIDRMaskSize: 24 },
    });
  });

  after(() => api.close());

  it('a new node gets a range no other node holds, in podCIDR and podCIDRs', async () => {
    assert.equal(await until('n2 has a pod CIDR', () => podCIDR('n2')), '10.42.1.0/24');
    const n2 = await client.get<NodeObject>(NODES, undefined, 'n2');
    assert.deepEqual(n2.spec?.podCIDRs, ['10.42.1.0/24']);
    assert.equal(await podCIDR('n1'), '10.42.0.0/24');
  });

  it('the API server refuses to change a set range', async () => {
    const n2 = await client.get<NodeObject>(NODES, undefined, 'n2');
    await assert.rejects(
      client.update(NODES, undefined, {
        ...n2,
        spec: { ...n2.spec, podCIDR: '10.42.5.0/24', podCIDRs: ['10.42.5.0/24'] },
      }),
      /spec.podCIDRs: Forbidden: node updates may not change podCIDR except from "" to valid/,
    );
  });

  it('none left: CIDRNotAvailable on the node, which waits', async () => {
    await createNode('n3');
    const event = await until('the CIDRNotAvailable event', async () => {
      const list = await client.list<Event & KubeObject>(EVENTS, 'default');
      return list.items.find((e) => e.reason === 'CIDRNotAvailable' && e.involvedObject.name === 'n3');
    });
    assert.equal(event.message, 'Node n3 status is now: CIDRNotAvailable');
    assert.equal(event.source?.component, 'node-controller');
    assert.equal(await podCIDR('n3'), undefined);
  });

  it("a deleted node's range goes to the waiting node", async () => {
    await client.delete(NODES, undefined, 'n1');
    assert.equal(await until('n3 has a pod CIDR', () => podCIDR('n3')), '10.42.0.0/24');
  });
});
