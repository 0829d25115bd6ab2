import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Event } from 'kubernetes-types/core/v1.js';
import { eventually } from '../../../test/support/eventually.js';
import type { KubeObject } from '../../api/object.js';
import { lookupKind } from '../../api/resources.js';
import type { Client } from '../../client/rest.js';
import { type ControllerContext, type ControllerFactory, DEFAULT_CONTROLLER_SETTINGS } from './controller.js';
import { ControllerManager } from './manager.js';
import { startFakeApi, type TestApi } from './testing.js';

const NAMESPACES = lookupKind('v1', 'Namespace')!;
const CONFIGMAPS = lookupKind('v1', 'ConfigMap')!;
const EVENTS = lookupKind('v1', 'Event')!;

describe('ControllerManager (against an in-process API server)', () => {
  let api: TestApi;
  let client: Client;
  before(async () => {
    api = await startFakeApi(['default']);
    client = api.client;
    await client.create(CONFIGMAPS, 'default', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'before' },
    });
  });
  after(() => api.close());

  it('builds every controller on one shared context, fills the caches, then runs them until stopped', async () => {
    const seen: { name: string; synced: boolean; cached: string[]; ctx: ControllerContext }[] = [];
    const stopped: string[] = [];
    const factory =
      (name: string): ControllerFactory =>
      (ctx) => {
        const informer = ctx.informers.for(CONFIGMAPS);
        return {
          name,
          async run(signal) {
            seen.push({ name, synced: informer.hasSynced(), cached: informer.keys(), ctx });
            await new Promise((r) => signal.addEventListener('abort', r, { once: true }));
            stopped.push(name);
          },
        };
      };
    const logs: string[] = [];
    const stop = new AbortController();
    const running = new ControllerManager(client, [factory('a'), factory('b')], {
      log: (l) => logs.push(l),
      settings: { nodeMonitorGracePeriodSeconds: 3 },
      host: 'test-host',
    }).run(stop.signal);
    await eventually('both controllers running', async () => (seen.length === 2 ? true : undefined));
    for (const s of seen) {
      assert.equal(s.synced, true, `${s.name} ran before its cache was filled`);
      assert.deepEqual(s.cached, ['default/before']);
    }
    const [a, b] = seen.map((s) => s.ctx);
    assert.equal(a, b, 'one context');
    assert.equal(
      a!.informers.for(CONFIGMAPS),
      b!.informers.for(CONFIGMAPS),
      'one shared informer per resource',
    );
    assert.deepEqual(a!.settings, { ...DEFAULT_CONTROLLER_SETTINGS, nodeMonitorGracePeriodSeconds: 3 });
    assert.throws(() => a!.informers.for(NAMESPACES), /requested after the informers started/);

    // One recorder per component, writing events with it as their source.
    assert.equal(a!.recorder('x-controller'), b!.recorder('x-controller'));
    const cm = await client.get(CONFIGMAPS, 'default', 'before');
    a!
      .recorder('x-controller')
      .event(
        { kind: 'ConfigMap', name: 'before', namespace: 'default', uid: cm.metadata.uid! },
        'Normal',
        'Tested',
        'hello',
      );
    const event = await eventually('the event', async () =>
      (await client.list<Event & KubeObject>(EVENTS, 'default')).items.find((e) => e.reason === 'Tested'),
    );
    assert.deepEqual(event.source, { component: 'x-controller', host: 'test-host' });

    stop.abort();
    await running;
    assert.deepEqual(stopped.sort(), ['a', 'b']);
  });

  it('a controller that fails is logged; the others keep running', async () => {
    const logs: string[] = [];
    const stop = new AbortController();
    let otherStopped = false;
    const running = new ControllerManager(
      client,
      [
        () => ({
          name: 'broken',
          run: async () => {
            throw new Error('kaput');
          },
        }),
        () => ({
          name: 'fine',
          run: async (signal) => {
            await new Promise((r) => signal.addEventListener('abort', r, { once: true }));
            otherStopped = true;
          },
        }),
      ],
      { log: (l) => logs.push(l) },
    ).run(stop.signal);
    await eventually('the failure logged', async () => (logs.length > 0 ? true : undefined));
    assert.match(logs[0]!, /broken controller stopped: Error: kaput/);
    assert.equal(otherStopped, false);
    stop.abort();
    await running;
    assert.equal(otherStopped, true);
  });

  it('stopped before the caches filled: no controller runs', async () => {
    const stop = new AbortController();
    stop.abort();
    let ran = false;
    await new ControllerManager(client, [
      (ctx) => {
        ctx.informers.for(CONFIGMAPS);
        return {
          name: 'never',
          run: async () => {
            ran = true;
          },
        };
      },
    ]).run(stop.signal);
    assert.equal(ran, false);
  });
});
