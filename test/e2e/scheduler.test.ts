/**
 * The scheduler inside a real `shoal server`, with two real agents on the simulated runtime: it
 * spreads pods over both nodes (LeastAllocated), explains a pod that fits nowhere in
 * `kubectl describe` (FailedScheduling event, PodScheduled=False), and places that pod once a
 * node with room joins.
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

const pod = (name: string, cpu: string) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, labels: { app: 'sched-e2e' } },
  spec: {
    terminationGracePeriodSeconds: 0,
    containers: [
      { name: 'app', image: 'registry.local/app:1', resources: { requests: { cpu, memory: '64Mi' } } },
    ],
  },
});

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
