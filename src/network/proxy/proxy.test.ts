import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock, settle } from '../../util/fake-clock.js';
import { MapCache } from '../object-cache.js';
import type { RuleApplier } from './applier.js';
import { type EndpointSliceObject, type ServiceObject, ServiceProxy } from './proxy.js';
import type { ProxyOptions, ProxyRules } from './rules.js';

const OPTIONS: ProxyOptions = {
  chainPrefix: 'SHL-abc123',
  clusterCIDR: '10.42.0.0/16',
  podCIDR: '10.42.1.0/24',
  hostAddresses: [],
  localhostNodePorts: false,
};

const svc = (labels: Record<string, string> = {}): ServiceObject => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'web', namespace: 'default', labels },
  spec: { clusterIP: '10.43.0.10', ports: [{ port: 80 }] },
});

const slice = (ready: boolean): EndpointSliceObject => ({
  apiVersion: 'discovery.k8s.io/v1',
  kind: 'EndpointSlice',
  metadata: { name: 'web-1', namespace: 'default', labels: { 'kubernetes.io/service-name': 'web' } },
  addressType: 'IPv4',
  endpoints: [{ addresses: ['10.42.1.5'], conditions: { ready } }],
  ports: [{ port: 8080 }],
});

class FakeApplier implements RuleApplier {
  applied: ProxyRules[] = [];
  failures: string[] = [];
  cleanups = 0;
  async apply(rules: ProxyRules): Promise<void> {
    const failure = this.failures.shift();
    if (failure) throw new Error(failure);
    this.applied.push(rules);
  }
  async cleanup(): Promise<void> {
    this.cleanups++;
  }
  /** Whether the last applied rules DNAT to the endpoint. */
  get routes(): boolean {
    return this.applied.at(-1)?.restoreInput.includes('--to-destination 10.42.1.5:8080') ?? false;
  }
}

function setup(failures: string[] = []) {
  const clock = new FakeClock();
  const services = new MapCache<ServiceObject>([svc()]);
  const endpointSlices = new MapCache<EndpointSliceObject>([slice(true)]);
  const applier = new FakeApplier();
  applier.failures.push(...failures);
  const logs: string[] = [];
  const proxy = new ServiceProxy({
    services,
    endpointSlices,
    applier,
    options: OPTIONS,
    clock,
    log: (line) => logs.push(line),
  });
  const stop = new AbortController();
  const done = proxy.run(stop.signal);
  return { clock, services, endpointSlices, applier, logs, proxy, stop, done };
}

describe('ServiceProxy', () => {
  it('syncs at start, then on a change at once when the last sync is old enough', async () => {
    const t = setup();
    await settle();
    assert.equal(t.applier.applied.length, 1);
    assert.ok(t.applier.routes);
    await t.clock.advance(1_000);
    t.endpointSlices.upsert(slice(false));
    await settle();
    assert.equal(t.applier.applied.length, 2, 'no waiting: the last sync was a second ago');
    assert.ok(!t.applier.routes, 'the not-ready endpoint is gone');
    t.stop.abort();
    await t.done;
  });

  it('coalesces a burst of changes into one sync at most every 50 ms', async () => {
    const t = setup();
    await settle();
    t.endpointSlices.upsert(slice(false));
    t.endpointSlices.upsert(slice(true));
    t.endpointSlices.upsert(slice(false));
    await settle();
    assert.equal(t.applier.applied.length, 1, 'the first sync was just now: wait');
    await t.clock.advance(49);
    assert.equal(t.applier.applied.length, 1);
    await t.clock.advance(1);
    assert.equal(t.applier.applied.length, 2);
    assert.ok(!t.applier.routes, 'the latest state won');
    t.stop.abort();
    await t.done;
  });

  it('skips a sync whose rules equal the last applied', async () => {
    const t = setup();
    await settle();
    await t.clock.advance(100);
    t.services.upsert(svc({ team: 'a' }));
    await t.clock.advance(100);
    assert.equal(t.applier.applied.length, 1);
    t.stop.abort();
    await t.done;
  });

  it('rewrites the rules every 30 s even when unchanged, as a repair', async () => {
    const t = setup();
    await settle();
    await t.clock.advance(29_999);
    assert.equal(t.applier.applied.length, 1);
    await t.clock.advance(1);
    assert.equal(t.applier.applied.length, 2);
    await t.clock.advance(30_000);
    assert.equal(t.applier.applied.length, 3);
    t.stop.abort();
    await t.done;
  });

  it('logs a failed sync with the error and retries with backoff until it works', async () => {
    const t = setup(['iptables-restore failed (exit 4): lock held', 'still failing']);
    await settle();
    assert.equal(t.applier.applied.length, 0);
    assert.match(
      t.logs[0]!,
      /sync failed \(retrying in 1000 ms\): iptables-restore failed \(exit 4\): lock held/,
    );
    await t.clock.advance(1_000);
    assert.match(t.logs[1]!, /retrying in 2000 ms\): still failing/);
    await t.clock.advance(1_999);
    assert.equal(t.applier.applied.length, 0);
    await t.clock.advance(1);
    assert.equal(t.applier.applied.length, 1);
    assert.match(t.logs[2]!, /sync succeeded after 2 failed attempt/);
    t.stop.abort();
    await t.done;
  });

  it('setOptions re-syncs with the new options; bad options are logged, not thrown', async () => {
    const t = setup();
    await settle();
    await t.clock.advance(100);
    t.proxy.setOptions({ ...OPTIONS, podCIDR: '10.99.0.0/24' });
    await settle();
    assert.match(t.logs.at(-1)!, /podCIDR 10.99.0.0\/24 is not inside clusterCIDR/);
    t.proxy.setOptions({ ...OPTIONS, localhostNodePorts: true });
    await t.clock.advance(1_000);
    assert.equal(t.applier.applied.length, 2);
    assert.deepEqual(t.applier.applied[1]!.sysctls, { 'net.ipv4.conf.all.route_localnet': '1' });
    t.stop.abort();
    await t.done;
  });

  it('stops following the caches when run ends; cleanup goes to the applier', async () => {
    const t = setup();
    await settle();
    t.stop.abort();
    await t.done;
    t.endpointSlices.upsert(slice(false));
    await t.clock.advance(60_000);
    assert.equal(t.applier.applied.length, 1);
    await t.proxy.cleanup();
    assert.equal(t.applier.cleanups, 1);
  });
});
