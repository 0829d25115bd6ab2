/**
 * The scheduler inside a real `shoal server`, with two real agents on the simulated runtime: it
 * spreads pods over both nodes (LeastAllocated), keeps pods off a tainted node unless they
 * tolerate it, spreads pods with required anti-affinity one per node, preempts a lower-priority
 * pod for a higher-priority one, explains a pod that fits nowhere in `kubectl describe`
 * (FailedScheduling event, PodScheduled=False), and places that pod once a node with room joins.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import YAML from 'yaml';
import { eventually } from '../support/eventually.js';
import { type ShoalAgent, shoalAgent } from '../support/shoal-agent.js';
import { type ShoalServer, startShoalServer } from '../support/shoal-server.js';

const A = `e2e-sched-${process.pid}-a`;
const B = `e2e-sched-${process.pid}-b`;
const BIG = `e2e-sched-${process.pid}-big`;

const pod = (name: string, cpu: string, app = 'sched-e2e', spec: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, labels: { app } },
  spec: {
    terminationGracePeriodSeconds: 0,
    containers: [
      { name: 'app', image: 'registry.local/app:1', resources: { requests: { cpu, memory: '64Mi' } } },
    ],
    ...spec,
  },
});

interface PodView {
  metadata: { name: string };
  spec: { nodeName?: string };
  status: {
    phase?: string;
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
  };
}

describe('scheduler', () => {
  let server: ShoalServer;
  let agents: ShoalAgent[] = [];

  const json = async <T>(args: string[]): Promise<T> => {
    const r = await server.kubectl([...args, '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as T;
  };
  const apply = async (objects: unknown[]) => {
    const input = objects.map((o) => YAML.stringify(o)).join('---\n');
    const r = await server.kubectl(['apply', '-f', '-'], { input });
    assert.equal(r.code, 0, r.stderr);
  };

  before(async () => {
    server = await startShoalServer();
    agents = [
      shoalAgent(server, A, ['--runtime', 'simulated']),
      shoalAgent(server, B, ['--runtime', 'simulated']),
    ];
    await Promise.all(agents.map((a) => a.start()));
    await eventually('both nodes registered', async () => {
      const nodes = await json<{ items: { metadata: { name: string } }[] }>(['get', 'nodes']);
      const names = nodes.items.map((n) => n.metadata.name);
      return names.includes(A) && names.includes(B) ? true : undefined;
    });
  });

  after(async () => {
    await Promise.all(agents.map((a) => a.stop()));
    await server?.stop();
  });

  it('spreads pods over the two nodes and the agents run them', async () => {
    await apply([pod('web-1', '1'), pod('web-2', '1'), pod('web-3', '1'), pod('web-4', '1')]);
    const placed = await eventually(
      'four pods running',
      async () => {
        const list = await json<{ items: { spec: { nodeName?: string }; status: { phase?: string } }[] }>([
          'get',
          'pods',
          '-l',
          'app=sched-e2e',
        ]);
        if (list.items.length !== 4 || list.items.some((p) => p.status.phase !== 'Running')) return undefined;
        return list.items.map((p) => p.spec.nodeName);
      },
      { context: () => server.output() },
    );
    assert.equal(placed.filter((n) => n === A).length, 2, `placement: ${placed.join(', ')}`);
    assert.equal(placed.filter((n) => n === B).length, 2, `placement: ${placed.join(', ')}`);
    const events = await server.kubectl([
      'get',
      'events',
      '--field-selector',
      'reason=Scheduled',
      '-o',
      'name',
    ]);
    assert.equal(events.stdout.trim().split('\n').length, 4, events.stdout);
  });

  /** Where the pods labelled app=`app` run, by name, once all `count` are Running. */
  const running = (app: string, count: number) =>
    eventually(
      `${count} pods app=${app} running`,
      async () => {
        const list = await json<{ items: PodView[] }>(['get', 'pods', '-l', `app=${app}`]);
        if (list.items.length !== count || list.items.some((p) => p.status.phase !== 'Running'))
          return undefined;
        return Object.fromEntries(list.items.map((p) => [p.metadata.name, p.spec.nodeName]));
      },
      { context: () => server.output() },
    );
  const unschedulable = (name: string) =>
    eventually(
      `${name} PodScheduled=False`,
      async () => {
        const p = await json<PodView>(['get', 'pod', name]);
        return p.status.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False')?.message;
      },
      { context: () => server.output() },
    );
  const deleteApp = async (app: string) => {
    const r = await server.kubectl(['delete', 'pods', '-l', `app=${app}`, '--wait=true']);
    assert.equal(r.code, 0, r.stderr);
  };

  it('keeps pods off a tainted node unless they tolerate the taint, and says so', async () => {
    const taint = await server.kubectl(['taint', 'nodes', A, 'dedicated=gpu:NoSchedule']);
    assert.equal(taint.code, 0, taint.stderr);
    const onA = { nodeSelector: { 'kubernetes.io/hostname': A } };
    const tolerates = {
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }],
    };
    await apply([
      pod('plain-1', '1', 'taints'),
      pod('plain-2', '1', 'taints'),
      pod('gpu', '1', 'taints', { ...onA, ...tolerates }),
    ]);
    const placed = await running('taints', 3);
    assert.deepEqual(placed, { 'plain-1': B, 'plain-2': B, gpu: A });

    await apply([pod('wants-a', '1', 'taints-blocked', onA)]);
    assert.equal(
      await unschedulable('wants-a'),
      "0/2 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 1 node(s) had untolerated taint {dedicated: gpu}. " +
        'preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.',
    );
    // Removing the taint is a cluster event the parked pod waits for.
    const untaint = await server.kubectl(['taint', 'nodes', A, 'dedicated-']);
    assert.equal(untaint.code, 0, untaint.stderr);
    assert.deepEqual(await running('taints-blocked', 1), { 'wants-a': A });
    await deleteApp('taints');
    await deleteApp('taints-blocked');
  });

  it('places pods with required anti-affinity one per node, and explains the one left over', async () => {
    const apart = {
      affinity: {
        podAntiAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: [
            { labelSelector: { matchLabels: { app: 'apart' } }, topologyKey: 'kubernetes.io/hostname' },
          ],
        },
      },
    };
    await apply([pod('apart-1', '1', 'apart', apart), pod('apart-2', '1', 'apart', apart)]);
    const placed = await running('apart', 2);
    assert.deepEqual(new Set(Object.values(placed)), new Set([A, B]));
    await apply([pod('apart-3', '1', 'apart', apart)]);
    assert.match(
      await unschedulable('apart-3'),
      /^0\/2 nodes are available: 2 node\(s\) didn't match pod anti-affinity rules\./,
    );
    await deleteApp('apart');
  });

  it('preempts a lower-priority pod to make room for a higher-priority one', async () => {
    await apply([
      { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'e2e-low' }, value: 10 },
      {
        apiVersion: 'scheduling.k8s.io/v1',
        kind: 'PriorityClass',
        metadata: { name: 'e2e-high' },
        value: 1000,
      },
    ]);
    // Each node has 32 CPUs, 2 taken by the first test's pods: a 30-CPU filler fills each.
    const low = { priorityClassName: 'e2e-low' };
    await apply([pod('filler-a', '30', 'filler', low), pod('filler-b', '30', 'filler', low)]);
    await running('filler', 2);
    await apply([pod('important', '20', 'important', { priorityClassName: 'e2e-high' })]);
    const placed = await running('important', 1);
    const node = placed.important;
    assert.ok(node === A || node === B, `placed on ${node}`);
    // The filler on that node was the victim: gone, with a Preempted event; the other one stays.
    const survivors = await eventually('one filler left', async () => {
      const list = await json<{ items: PodView[] }>(['get', 'pods', '-l', 'app=filler']);
      return list.items.length === 1 ? list.items : undefined;
    });
    assert.notEqual(survivors[0]!.spec.nodeName, node);
    const preempted = await server.kubectl([
      'get',
      'events',
      '--field-selector',
      'reason=Preempted',
      '-o',
      'jsonpath={.items[*].message}',
    ]);
    assert.match(preempted.stdout, new RegExp(`Preempted by pod \\S+ on node ${node}`));
    await deleteApp('filler');
    await deleteApp('important');
  });

  it('explains a pod that fits nowhere, and places it once a node with room joins', async () => {
    await apply([pod('huge', '100')]);
    // 100 CPUs exceed what either node has at all, so preemption cannot help either (Kubernetes'
    // wording for both parts).
    const message =
      '0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.';
    const described = await eventually('FailedScheduling in kubectl describe', async () => {
      const r = await server.kubectl(['describe', 'pod', 'huge']);
      return r.stdout.includes(message) ? r.stdout : undefined;
    });
    assert.match(
      described,
      /Warning\s+FailedScheduling\s+\S+\s+default-scheduler\s+0\/2 nodes are available: 2 Insufficient cpu\. preemption:/,
    );
    const condition = await eventually('PodScheduled=False', async () => {
      const p = await json<{
        status: { conditions?: { type: string; status: string; reason?: string; message?: string }[] };
      }>(['get', 'pod', 'huge']);
      return p.status.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False');
    });
    assert.equal(condition.reason, 'Unschedulable');
    assert.equal(condition.message, message);

    // A node with 128 CPUs joins (a Node object: no agent needs to run the pod to see it placed).
    const capacity = { cpu: '128', memory: '256Gi', pods: '110' };
    await apply([
      {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: { name: BIG, labels: { 'kubernetes.io/hostname': BIG } },
        status: { capacity, allocatable: capacity },
      },
    ]);
    const nodeName = await eventually(
      'huge placed',
      async () => {
        const p = await json<{ spec: { nodeName?: string } }>(['get', 'pod', 'huge']);
        return p.spec.nodeName;
      },
      { context: () => server.output() },
    );
    assert.equal(nodeName, BIG);
    const scheduled = await server.kubectl(['describe', 'pod', 'huge']);
    assert.match(
      scheduled.stdout,
      new RegExp(
        `Normal\\s+Scheduled\\s+\\S+\\s+default-scheduler\\s+Successfully assigned default/huge to ${BIG}`,
      ),
    );
    assert.match(scheduled.stdout, /PodScheduled\s+True/);
  });
});
