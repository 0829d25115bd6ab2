import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Pod, PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../../api/object.js';
import type { Client } from '../../client/rest.js';
import { PODS, PodControl, podFromTemplate, refOf, slowStart } from './pod-control.js';
import { type RecordedEvent, recordingTo, startFakeApi, type TestApi } from './testing.js';

const owner: KubeObject = {
  apiVersion: 'apps/v1',
  kind: 'ReplicaSet',
  metadata: { name: 'web', namespace: 'default', uid: 'rs-uid', resourceVersion: '7' },
};

describe('podFromTemplate', () => {
  const template: PodTemplateSpec = {
    metadata: {
      name: 'ignored',
      labels: { app: 'web' },
      annotations: { note: 'x' },
      finalizers: ['example.com/f'],
    },
    spec: { containers: [{ name: 'c', image: 'busybox' }] },
  };

  it('copies labels, annotations, finalizers and spec, and makes the owner its controller', () => {
    const pod = podFromTemplate(template, owner);
    assert.deepEqual(pod.metadata, {
      generateName: 'web-',
      namespace: 'default',
      labels: { app: 'web' },
      annotations: { note: 'x' },
      finalizers: ['example.com/f'],
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          name: 'web',
          uid: 'rs-uid',
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    });
    assert.deepEqual(pod.spec, template.spec);
  });

  it('takes a fixed name when given (StatefulSet pods)', () => {
    const pod = podFromTemplate(template, owner, 'web-0');
    assert.equal(pod.metadata?.name, 'web-0');
    assert.equal(pod.metadata?.generateName, undefined);
  });

  it('shares nothing with the template: changing the pod leaves the template alone', () => {
    const pod = podFromTemplate(template, owner);
    pod.metadata!.labels!.app = 'changed';
    pod.spec!.containers[0]!.image = 'changed';
    assert.equal(template.metadata?.labels?.app, 'web');
    assert.equal(template.spec?.containers[0]?.image, 'busybox');
  });

  it('a template without metadata or spec still makes a pod', () => {
    const pod = podFromTemplate({}, owner);
    assert.deepEqual(pod.spec, { containers: [] });
    assert.equal(pod.metadata?.labels, undefined);
  });
});

describe('refOf', () => {
  it('is the object reference events are filed under', () => {
    assert.deepEqual(refOf(owner), {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      name: 'web',
      uid: 'rs-uid',
      namespace: 'default',
      resourceVersion: '7',
    });
  });
});

describe('slowStart', () => {
  const cases: {
    name: string;
    count: number;
    initial?: number;
    failAt?: number[];
    batches: number[];
    succeeded: number;
  }[] = [
    { name: 'nothing to do', count: 0, batches: [], succeeded: 0 },
    { name: '1, 2, 4, then the rest', count: 10, batches: [1, 2, 4, 3], succeeded: 10 },
    { name: 'exact powers', count: 7, batches: [1, 2, 4], succeeded: 7 },
    { name: 'a larger first batch', count: 10, initial: 3, batches: [3, 6, 1], succeeded: 10 },
    {
      name: 'an initial batch of 0 still starts with 1',
      count: 3,
      initial: 0,
      batches: [1, 2],
      succeeded: 3,
    },
    { name: 'the first call fails: one request only', count: 10, failAt: [0], batches: [1], succeeded: 0 },
    { name: 'a failure stops after its batch', count: 10, failAt: [4], batches: [1, 2, 4], succeeded: 6 },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const calls: number[] = [];
      let inFlight = 0;
      const batches: number[] = [];
      const result = await slowStart(
        c.count,
        async (i) => {
          calls.push(i);
          if (inFlight === 0) batches.push(0);
          inFlight++;
          batches[batches.length - 1]!++;
          await new Promise((r) => setImmediate(r));
          inFlight--;
          if (c.failAt?.includes(i)) throw new Error(`call ${i} failed`);
        },
        ...(c.initial !== undefined ? [c.initial] : []),
      );
      assert.deepEqual(batches, c.batches);
      assert.equal(result.succeeded, c.succeeded);
      assert.equal(result.error === undefined, !c.failAt);
      assert.deepEqual(
        calls,
        [...calls].sort((a, b) => a - b),
      );
      assert.equal(new Set(calls).size, calls.length, 'every index once');
    });
  }
});

describe('PodControl (against an in-process API server)', () => {
  let api: TestApi;
  let client: Client;
  const events: RecordedEvent[] = [];
  const recorder = recordingTo(events);
  let control: PodControl;
  const template: PodTemplateSpec = {
    metadata: { labels: { app: 'web' } },
    spec: { containers: [{ name: 'c', image: 'busybox' }] },
  };

  before(async () => {
    api = await startFakeApi(['default']);
    client = api.client;
    control = new PodControl(client, recorder);
  });
  after(() => api.close());

  it('creates a pod with a generated name and records SuccessfulCreate on the owner', async () => {
    events.length = 0;
    const created = await control.create(owner, podFromTemplate(template, owner));
    assert.match(created.metadata?.name ?? '', /^web-[a-z0-9]{5}$/);
    assert.deepEqual(events, [
      {
        reason: 'SuccessfulCreate',
        type: 'Normal',
        message: `Created pod: ${created.metadata?.name}`,
        name: 'web',
      },
    ]);
  });

  it('a rejected create records FailedCreate and throws', async () => {
    events.length = 0;
    await assert.rejects(
      control.create(owner, podFromTemplate(template, owner, 'Bad_Name')),
      /metadata.name/,
    );
    assert.equal(events.length, 1);
    assert.equal(events[0]!.reason, 'FailedCreate');
    assert.equal(events[0]!.type, 'Warning');
    assert.match(events[0]!.message, /^Error creating: .*metadata\.name/);
  });

  it('deletes a pod: true, with SuccessfulDelete', async () => {
    const pod = (await control.create(owner, podFromTemplate(template, owner, 'doomed'))) as Pod & KubeObject;
    events.length = 0;
    assert.equal(await control.delete(owner, pod), true);
    assert.deepEqual(events, [
      { reason: 'SuccessfulDelete', type: 'Normal', message: 'Deleted pod: doomed', name: 'web' },
    ]);
  });

  it('a pod already gone: false, no event', async () => {
    events.length = 0;
    const gone: KubeObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'gone', namespace: 'default', uid: 'u' },
    };
    assert.equal(await control.delete(owner, gone), false);
    assert.deepEqual(events, []);
  });

  it('a pod replaced by another of the same name: false, and the new one is left alone', async () => {
    const old = (await control.create(owner, podFromTemplate(template, owner, 'reborn'))) as Pod & KubeObject;
    await client.delete(PODS, 'default', 'reborn', { gracePeriodSeconds: 0 });
    await control.create(owner, podFromTemplate(template, owner, 'reborn'));
    events.length = 0;
    assert.equal(await control.delete(owner, old), false);
    assert.deepEqual(events, []);
    await client.get(PODS, 'default', 'reborn');
  });
});
