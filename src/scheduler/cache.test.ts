import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { SchedulerCache } from './cache.js';
import { PodInfo } from './framework/node-info.js';
import { makeNode, makePod } from './framework/testing.js';

const antiAffinity = {
  podAntiAffinity: {
    requiredDuringSchedulingIgnoredDuringExecution: [
      { labelSelector: { matchLabels: { app: 'web' } }, topologyKey: 'kubernetes.io/hostname' },
    ],
  },
};

describe('SchedulerCache', () => {
  it('counts the nodes holding each image, by normalized name, as nodes change and go', () => {
    const cache = new SchedulerCache();
    const img = (names: string[]) => ({ names, sizeBytes: 1000 });
    cache.setNode(makeNode('n1', { images: [img(['busybox', 'docker.io/library/busybox:latest'])] }));
    cache.setNode(makeNode('n2', { images: [img(['busybox:latest'])] }));
    assert.equal(cache.imageNodeCount('docker.io/library/busybox:latest'), 2);
    cache.setNode(makeNode('n2', { images: [img(['nginx:1'])] }));
    assert.equal(cache.imageNodeCount('docker.io/library/busybox:latest'), 1);
    assert.equal(cache.imageNodeCount('docker.io/library/nginx:1'), 1);
    cache.removeNode('n1');
    assert.equal(cache.imageNodeCount('docker.io/library/busybox:latest'), 0);
  });

  it("keeps a node's image map through a heartbeat with the same images, and recounts on a change", () => {
    const cache = new SchedulerCache();
    const img = (names: string[], sizeBytes = 1000) => ({ names, sizeBytes });
    cache.setNode(makeNode('n1', { images: [img(['busybox'])] }));
    const before = cache.get('n1')!.imageSizes;
    cache.setNode(makeNode('n1', { cpu: '8', images: [img(['busybox'])] }));
    assert.equal(cache.get('n1')!.imageSizes, before);
    assert.equal(cache.imageNodeCount('docker.io/library/busybox:latest'), 1);
    cache.setNode(makeNode('n1', { images: [img(['busybox'], 2000)] }));
    assert.notEqual(cache.get('n1')!.imageSizes, before);
    assert.equal(cache.get('n1')!.imageSizes.get('busybox'), 2000);
    assert.equal(cache.imageNodeCount('docker.io/library/busybox:latest'), 1);
    cache.setNode(makeNode('n1', { images: [img(['nginx'])] }));
    assert.equal(cache.imageNodeCount('docker.io/library/busybox:latest'), 0);
    assert.equal(cache.imageNodeCount('docker.io/library/nginx:latest'), 1);
  });

  it('counts assigned pods on their node and frees them on delete', () => {
    const cache = new SchedulerCache();
    cache.setNode(makeNode('n1'));
    cache.setNode(makeNode('n2'));
    cache.setPod(makePod('a', { uid: 'a', nodeName: 'n1', requests: { cpu: '1' } }));
    assert.deepEqual(
      cache.nodes.map((n) => n.name),
      ['n1', 'n2'],
    );
    assert.equal(cache.get('n1')?.requested.milliCpu, 1000);
    cache.removePod('a');
    assert.equal(cache.get('n1')?.requested.milliCpu, 0);
    assert.equal(cache.get('n1')?.pods.length, 0);
  });

  it('updates a pod in place and frees a pod that finished', () => {
    const cache = new SchedulerCache();
    cache.setNode(makeNode('n1'));
    cache.setPod(makePod('a', { uid: 'a', nodeName: 'n1', requests: { cpu: '1' } }));
    cache.setPod(makePod('a', { uid: 'a', nodeName: 'n1', requests: { cpu: '2' } }));
    assert.equal(cache.get('n1')?.requested.milliCpu, 2000);
    assert.equal(cache.get('n1')?.pods.length, 1);
    const done: Pod = { ...makePod('a', { uid: 'a', nodeName: 'n1' }), status: { phase: 'Succeeded' } };
    cache.setPod(done);
    assert.equal(cache.get('n1')?.pods.length, 0);
    assert.equal(cache.podCount, 0);
  });

  it('assumes a pod at once, confirms it when the informer shows it bound, forgets it on failure', () => {
    const cache = new SchedulerCache();
    cache.setNode(makeNode('n1'));
    const pod = makePod('a', { uid: 'a', requests: { cpu: '1' } });
    cache.assume(new PodInfo(pod), 'n1');
    assert.equal(cache.isAssumed('a'), true);
    assert.equal(cache.get('n1')?.requested.milliCpu, 1000);
    cache.setPod({ ...pod, spec: { ...pod.spec!, nodeName: 'n1' } });
    assert.equal(cache.isAssumed('a'), false);
    assert.equal(cache.get('n1')?.requested.milliCpu, 1000, 'confirmed, not counted twice');
    assert.equal(cache.forget('a'), false, 'a confirmed pod is not forgotten');

    const b = makePod('b', { uid: 'b', requests: { cpu: '1' } });
    cache.assume(new PodInfo(b), 'n1');
    assert.equal(cache.forget('b'), true);
    assert.equal(cache.get('n1')?.requested.milliCpu, 1000);
    assert.equal(cache.nodeOf('b'), undefined);
  });

  it('keeps pods that arrive before their node, and after it is deleted', () => {
    const cache = new SchedulerCache();
    cache.setPod(makePod('a', { uid: 'a', nodeName: 'late', requests: { cpu: '1' } }));
    assert.equal(cache.get('late'), undefined, 'no Node object yet');
    assert.equal(cache.nodes.length, 0);
    cache.setNode(makeNode('late'));
    assert.equal(cache.get('late')?.requested.milliCpu, 1000);
    cache.removeNode('late');
    assert.equal(cache.get('late'), undefined);
    assert.equal(cache.nodes.length, 0);
    cache.setNode(makeNode('late'));
    assert.equal(cache.get('late')?.requested.milliCpu, 1000, 'the pod still counts when it comes back');
  });

  it('tracks the nodes with affinity pods incrementally', () => {
    const cache = new SchedulerCache();
    cache.setNode(makeNode('n1'));
    cache.setNode(makeNode('n2'));
    assert.equal(cache.nodesWithAffinityPods.length, 0);
    cache.setPod(makePod('a', { uid: 'a', nodeName: 'n2', spec: { affinity: antiAffinity } }));
    assert.deepEqual(
      cache.nodesWithAffinityPods.map((n) => n.name),
      ['n2'],
    );
    assert.deepEqual(
      cache.nodesWithRequiredAntiAffinityPods.map((n) => n.name),
      ['n2'],
    );
    cache.removeNode('n2');
    assert.equal(cache.nodesWithAffinityPods.length, 0, 'a deleted node is not offered');
    cache.setNode(makeNode('n2'));
    assert.equal(cache.nodesWithAffinityPods.length, 1);
    cache.removePod('a');
    assert.equal(cache.nodesWithAffinityPods.length, 0);
    assert.equal(cache.nodesWithRequiredAntiAffinityPods.length, 0);
  });

  it('updates node allocatable and labels, and keeps namespace labels', () => {
    const cache = new SchedulerCache();
    cache.setNode(makeNode('n1', { cpu: '2' }));
    cache.setNode(makeNode('n1', { cpu: '8', labels: { zone: 'a' } }));
    assert.equal(cache.nodes.length, 1);
    assert.equal(cache.get('n1')?.allocatable.milliCpu, 8000);
    assert.equal(cache.get('n1')?.labels.zone, 'a');
    cache.setNamespace('team', { env: 'prod' });
    assert.deepEqual(cache.namespaceLabels('team'), { env: 'prod' });
    cache.removeNamespace('team');
    assert.equal(cache.namespaceLabels('team'), undefined);
  });
});
