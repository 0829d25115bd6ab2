import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Event, Pod } from 'kubernetes-types/core/v1.js';
import { startTestServer, TEST_TOKEN, type TestServer } from '../../test/support/api-test-server.js';
import { eventually } from '../../test/support/eventually.js';
import type { KubeObject } from '../api/object.js';
import { lookupResource } from '../api/resources.js';
import { Client } from '../client/rest.js';
import { makeNode, makePod } from './framework/testing.js';
import type { PostFilter } from './framework/types.js';
import { Scheduler } from './scheduler.js';

const PODS = lookupResource('', 'v1', 'pods')!;
const NODES = lookupResource('', 'v1', 'nodes')!;
const EVENTS = lookupResource('', 'v1', 'events')!;

describe('Scheduler (against an in-process API server)', () => {
  let server: TestServer;
  let client: Client;
  const stop = new AbortController();
  let running: Promise<void>;
  let preemptFor = '';

  // Preemption stand-in: for the pod named `preemptFor`, evict the pods on n1.
  const postFilter: PostFilter = (_state, pod, snapshot) => {
    if (pod.name !== preemptFor) return { message: '' };
    return {
      message: 'preemption: evicting.',
      preemption: { nodeName: 'n1', victims: [...snapshot.get('n1')!.pods] },
    };
  };

  const create = (obj: unknown) =>
    client.create(
      (obj as KubeObject).kind === 'Node' ? NODES : PODS,
      (obj as KubeObject).kind === 'Node' ? undefined : 'default',
      obj as KubeObject,
    );
  const getPod = (name: string) => client.get<Pod & KubeObject>(PODS, 'default', name);
  const events = async (name: string) =>
    (
      await client.list<Event & KubeObject>(EVENTS, 'default', {
        fieldSelector: `involvedObject.name=${name}`,
      })
    ).items;

  before(async () => {
    server = await startTestServer();
    client = new Client({ server: server.url, token: TEST_TOKEN });
    await client.create(lookupResource('', 'v1', 'namespaces')!, undefined, {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'default' },
    });
    await create(makeNode('n1', { cpu: '2' }));
    await create(makeNode('n2', { cpu: '2' }));
    running = new Scheduler(client, { postFilter }).run(stop.signal);
  });

  after(async () => {
    stop.abort();
    await running;
    client.close();
    await server.close();
  });

  it('binds pods, spreading them, with a Scheduled event', async () => {
    // No kubelet here: a grace period of 0 lets deletions (preemption's, below) finish at once.
    const quick = { terminationGracePeriodSeconds: 0 };
    await create(makePod('a', { requests: { cpu: '1' }, spec: quick }));
    await create(makePod('b', { requests: { cpu: '1' }, spec: quick }));
    const nodes = await eventually('both bound', async () => {
      const [a, b] = await Promise.all([getPod('a'), getPod('b')]);
      return a.spec?.nodeName && b.spec?.nodeName ? [a.spec.nodeName, b.spec.nodeName].sort() : undefined;
    });
    assert.deepEqual(nodes, ['n1', 'n2']);
    const scheduled = await eventually('Scheduled event', async () =>
      (await events('a')).find((e) => e.reason === 'Scheduled'),
    );
    assert.match(scheduled.message ?? '', /^Successfully assigned default\/a to n[12]$/);
    assert.equal(scheduled.source?.component, 'default-scheduler');
  });

  it('writes PodScheduled=False and a FailedScheduling event', async () => {
    await create(makePod('wide', { requests: { cpu: '2' } }));
    const condition = await eventually('PodScheduled=False', async () =>
      (await getPod('wide')).status?.conditions?.find((c) => c.type === 'PodScheduled'),
    );
    assert.equal(condition.status, 'False');
    assert.equal(condition.reason, 'Unschedulable');
    assert.equal(condition.message, '0/2 nodes are available: 2 Insufficient cpu.');
    const failed = await eventually('FailedScheduling event', async () =>
      (await events('wide')).find((e) => e.reason === 'FailedScheduling'),
    );
    assert.equal(failed.type, 'Warning');
    assert.equal(failed.message, '0/2 nodes are available: 2 Insufficient cpu.');
  });

  it('on preemption: nominates the pod, marks and deletes the victims with a Preempted event', async () => {
    preemptFor = 'vip';
    const victim = (await client.list<Pod & KubeObject>(PODS, 'default')).items.find(
      (p) => p.spec?.nodeName === 'n1',
    );
    await client.create(lookupResource('scheduling.k8s.io', 'v1', 'priorityclasses')!, undefined, {
      apiVersion: 'scheduling.k8s.io/v1',
      kind: 'PriorityClass',
      metadata: { name: 'high' },
      value: 100,
    });
    const vip = await create(makePod('vip', { requests: { cpu: '2' }, spec: { priorityClassName: 'high' } }));
    assert.equal((vip.spec as Pod['spec'])?.priority, 100, 'admission resolved the class');
    const nominated = await eventually(
      'nominatedNodeName',
      async () => (await getPod('vip')).status?.nominatedNodeName,
    );
    assert.equal(nominated, 'n1');
    assert.ok(victim);
    await eventually('victim deleted', async () =>
      (await getPod(victim.metadata.name!).catch(() => undefined)) ? undefined : true,
    );
    const preempted = await eventually('Preempted event', async () =>
      (await events(victim.metadata.name!)).find((e) => e.reason === 'Preempted'),
    );
    assert.equal(preempted.message, `Preempted by pod ${vip.metadata.uid} on node n1`);
    const bound = await eventually('vip bound on n1', async () => (await getPod('vip')).spec?.nodeName);
    assert.equal(bound, 'n1');
  });
});
