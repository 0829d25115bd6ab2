/**
 * The DaemonSet controller in a real `shoal server` with real agents on Docker: one pod per node
 * (placed by the scheduler through metadata.name affinity), a node that joins later gets its pod,
 * a nodeSelector follows node labels both ways, and `kubectl rollout status ds/...` completes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../../src/api/object.js';
import { lookupKind } from '../../src/api/resources.js';
import { startCluster, type TestCluster } from '../support/cluster.js';
import { uniqueNodeName } from '../support/docker.js';
import { type ShoalAgent, shoalAgent } from '../support/shoal-agent.js';

const PODS = lookupKind('v1', 'Pod')!;
const LABEL = 'e2e.shoal.dev/daemon';

describe('DaemonSet follows nodes', { timeout: 110_000 }, () => {
  let cluster: TestCluster;
  let third: ShoalAgent | undefined;

  const daemonSet = (name: string, nodeSelector?: Record<string, string>) => ({
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name, namespace: 'default' },
    spec: {
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          terminationGracePeriodSeconds: 1,
          ...(nodeSelector ? { nodeSelector } : {}),
          containers: [
            { name: 'c', image: cluster.image, imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'] },
          ],
        },
      },
    },
  });

  /** Nodes with a Running pod of `app` (terminating pods excluded). */
  const runningOn = async (app: string): Promise<string[]> => {
    const list = await cluster.client.list<KubeObject>(PODS, 'default', { labelSelector: `app=${app}` });
    return (list.items as unknown as Pod[])
      .filter((p) => p.status?.phase === 'Running' && !p.metadata?.deletionTimestamp)
      .map((p) => p.spec!.nodeName!)
      .sort();
  };
  const podsOf = async (app: string) =>
    (await cluster.client.list<KubeObject>(PODS, 'default', { labelSelector: `app=${app}` })).items.length;

  before(async () => {
    cluster = await startCluster({ agents: 2, nodePrefix: 'e2e-ds' });
  });

  after(async () => {
    await third?.stop();
    await cluster?.stop();
  });

  it('runs one pod per node, on every node that joins later too', async () => {
    await cluster.apply(daemonSet('every'));
    const two = cluster.agents.map((a) => a.name).sort();
    await cluster.eventually('a Running pod on each of the 2 nodes', async () => {
      const nodes = await runningOn('every');
      return JSON.stringify(nodes) === JSON.stringify(two) ? true : undefined;
    });
    const status = await cluster.kubectl(['rollout', 'status', 'ds/every', '--timeout=30s']);
    assert.match(status, /daemon set "every" successfully rolled out/);

    third = shoalAgent(cluster.server, uniqueNodeName('e2e-ds-late'));
    await third.start();
    const three = [...two, third.name].sort();
    await cluster.eventually('a Running pod on the node that joined', async () => {
      const nodes = await runningOn('every');
      return JSON.stringify(nodes) === JSON.stringify(three) ? true : undefined;
    });
    const ds = JSON.parse(await cluster.kubectl(['get', 'ds', 'every', '-o', 'json']));
    await cluster.eventually('status counts 3 nodes', async () => {
      const s = JSON.parse(await cluster.kubectl(['get', 'ds', 'every', '-o', 'json'])).status;
      return s.desiredNumberScheduled === 3 && s.numberReady === 3 && s.updatedNumberScheduled === 3
        ? s
        : undefined;
    });
    assert.ok(ds.metadata.generation >= 1);
    const revisions = await cluster.kubectl(['get', 'controllerrevisions', '-o', 'name']);
    assert.match(revisions, /controllerrevision.apps\/every-/);
  });

  it('adds and removes the pod as a node starts and stops matching its nodeSelector', async () => {
    await cluster.apply(daemonSet('picky', { [LABEL]: 'yes' }));
    const target = cluster.agents[0]!.name;
    // Nothing matches yet: give the controller a moment to (wrongly) create something.
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(await podsOf('picky'), 0);

    await cluster.kubectl(['label', 'node', target, `${LABEL}=yes`]);
    await cluster.eventually('a Running pod on the labelled node', async () => {
      const nodes = await runningOn('picky');
      return nodes.length === 1 && nodes[0] === target ? true : undefined;
    });

    await cluster.kubectl(['label', 'node', target, `${LABEL}-`]);
    await cluster.eventually('the pod removed once the label is gone', async () =>
      (await podsOf('picky')) === 0 ? true : undefined,
    );
    await cluster.kubectl(['delete', 'ds', 'picky', 'every', '--wait=false']);
  });
});
