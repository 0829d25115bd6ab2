import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { startRealApiServer } from '../../../test/support/real-api-server.js';
import type { KubeObject } from '../../api/object.js';
import { lookupResource } from '../../api/resources.js';
import { Client } from '../../client/rest.js';
import { type PartSpec, runPartInWorker } from './server-parts.js';

const NODES = lookupResource('', 'v1', 'nodes')!;
const PODS = lookupResource('', 'v1', 'pods')!;
const LEASES = lookupResource('coordination.k8s.io', 'v1', 'leases')!;

describe('control-plane parts in worker threads', () => {
  it('runs the scheduler in its own thread under its Lease, and stops it on abort', async () => {
    const server = await startRealApiServer('parts');
    const client = new Client({ ...server.loopback });
    const stop = new AbortController();
    const lines: string[] = [];
    try {
      await client.create(NODES, undefined, {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: { name: 'n1' },
        status: { allocatable: { cpu: '4', memory: '8Gi', pods: '10' } },
      });
      await client.create(PODS, 'default', {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'p' },
        spec: { containers: [{ name: 'c', image: 'busybox' }] },
      });
      const running = runPartInWorker(
        { part: 'shoal-scheduler', loopback: server.loopback, identity: 'test-server', host: 'test' },
        stop.signal,
        (line) => lines.push(line),
      );
      let pod: (Pod & KubeObject) | undefined;
      for (let i = 0; i < 200 && !pod?.spec?.nodeName; i++) {
        await new Promise((r) => setTimeout(r, 50));
        pod = await client.get<Pod & KubeObject>(PODS, 'default', 'p');
      }
      assert.equal(pod?.spec?.nodeName, 'n1');
      const lease = await client.get(LEASES, 'kube-system', 'shoal-scheduler');
      assert.equal((lease.spec as { holderIdentity?: string }).holderIdentity, 'test-server');
      // The worker's log lines come back to this thread.
      assert.ok(
        lines.some((l) => l.includes('scheduler: 1 nodes')),
        lines.join('\n'),
      );
      stop.abort();
      await running;
    } finally {
      stop.abort();
      client.close();
      await server.close();
    }
  });

  it('rejects when the part fails, naming it and why', async () => {
    const stop = new AbortController();
    const lines: string[] = [];
    const spec = {
      part: 'shoal-autoscaler',
      loopback: { server: 'http://localhost', socketPath: '\0shoal-test-nobody-listens', token: 't' },
      identity: 'x',
      host: 'test',
    } as unknown as PartSpec;
    await assert.rejects(
      runPartInWorker(spec, stop.signal, (l) => lines.push(l)),
      /shoal-autoscaler exited with code 1/,
    );
    assert.deepEqual(lines, ['shoal-autoscaler: unknown control-plane part "shoal-autoscaler"']);
  });
});
