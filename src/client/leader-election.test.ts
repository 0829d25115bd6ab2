import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import { statusError } from '../api/errors.js';
import type { KubeObject } from '../api/object.js';
import { FakeClock, settle } from '../util/fake-clock.js';
import { type LeaderElectionOptions, LeaderElector } from './leader-election.js';
import type { Client, RequestOptions } from './rest.js';

/**
 * The Lease API as the elector uses it (get, create, update), with the store's compare-and-swap
 * on resourceVersion, and switches to make it fail, hang, or hold writes back.
 */
class FakeLeases {
  private readonly leases = new Map<string, Lease & KubeObject>();
  private rv = 100;
  /** 'error': every request fails as a lost connection would; 'hang': requests never answer (until aborted). */
  mode: 'ok' | 'error' | 'hang' = 'ok';
  /** While set, writes wait for it (to line up two candidates' reads before their writes). */
  writeGate: Promise<void> | undefined;
  requests = 0;

  get(name: string): (Lease & KubeObject) | undefined {
    const lease = this.leases.get(name);
    return lease && structuredClone(lease);
  }

  /** A write by someone outside the test's electors (a holder on another machine). */
  put(name: string, spec: Lease['spec']): void {
    const old = this.leases.get(name);
    this.leases.set(name, {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name, namespace: 'kube-system', resourceVersion: String(++this.rv) },
      spec: { ...old?.spec, ...spec },
    });
  }

  readonly client = {
    get: async (_def: unknown, _ns: string, name: string, options: RequestOptions = {}) => {
      await this.answer(options);
      const lease = this.leases.get(name);
      if (!lease) throw statusError(404, 'NotFound', `leases "${name}" not found`);
      return structuredClone(lease);
    },
    create: async (_def: unknown, _ns: string, obj: KubeObject, options: RequestOptions = {}) => {
      await this.answer(options);
      await this.writeGate;
      const name = obj.metadata.name!;
      if (this.leases.has(name)) throw statusError(409, 'AlreadyExists', `leases "${name}" already exists`);
      const stored = {
        ...structuredClone(obj),
        metadata: { ...obj.metadata, resourceVersion: String(++this.rv) },
      };
      this.leases.set(name, stored as Lease & KubeObject);
      return structuredClone(stored);
    },
    update: async (_def: unknown, _ns: string, obj: KubeObject, options: RequestOptions = {}) => {
      await this.answer(options);
      await this.writeGate;
      const name = obj.metadata.name!;
      const current = this.leases.get(name);
      if (!current) throw statusError(404, 'NotFound', `leases "${name}" not found`);
      if (current.metadata.resourceVersion !== obj.metadata.resourceVersion) {
        throw statusError(409, 'Conflict', 'the object has been modified');
      }
      const stored = {
        ...structuredClone(obj),
        metadata: { ...obj.metadata, resourceVersion: String(++this.rv) },
      };
      this.leases.set(name, stored as Lease & KubeObject);
      return structuredClone(stored);
    },
  };

  private async answer(options: RequestOptions): Promise<void> {
    this.requests++;
    await Promise.resolve();
    if (this.mode === 'error') throw new Error('connect ECONNREFUSED 127.0.0.1:6443');
    if (this.mode === 'hang') {
      await new Promise((_resolve, reject) => {
        options.signal?.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
      });
    }
  }
}

const LEASE = 'shoal-controller-manager';
const TIMING = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 };

function elector(
  fake: FakeLeases,
  clock: FakeClock,
  identity: string,
  extra: Partial<LeaderElectionOptions> = {},
) {
  const log: string[] = [];
  const e = new LeaderElector(fake.client as unknown as Client, {
    name: LEASE,
    identity,
    clock,
    log: (line) => log.push(line),
    ...TIMING,
    ...extra,
  });
  return { e, log };
}

/** A candidate running in the background, with what its `lead` saw. */
function candidate(fake: FakeLeases, clock: FakeClock, identity: string) {
  const { e, log } = elector(fake, clock, identity);
  const stop = new AbortController();
  const state = { leading: false, terms: 0, leadSignals: [] as AbortSignal[] };
  const done = e.run(stop.signal, async (signal) => {
    state.leading = true;
    state.terms++;
    state.leadSignals.push(signal);
    await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    state.leading = false;
  });
  return { state, log, stop, done };
}

/** Advance the clock in small steps, so every sleeper and request runs in order. */
async function advance(clock: FakeClock, ms: number, step = 100): Promise<void> {
  for (let t = 0; t < ms; t += step) await clock.advance(Math.min(step, ms - t));
}

describe('LeaderElector.tryAcquireOrRenew', () => {
  const holderSpec = (holder: string, extra: Partial<NonNullable<Lease['spec']>> = {}) => ({
    holderIdentity: holder,
    leaseDurationSeconds: 15,
    acquireTime: '2020-01-01T00:00:00.000000Z',
    renewTime: '2020-01-01T00:00:00.000000Z',
    leaseTransitions: 3,
    ...extra,
  });
  // Each case: the Lease before, what happens between a first look and the attempt that counts.
  const cases: {
    name: string;
    before: Lease['spec'] | undefined;
    /** ms between a first attempt (which records when we saw the Lease) and the checked one. */
    after?: number;
    /** A renewal by the holder after the first look, this many ms into `after`. */
    renewedAt?: number;
    want: boolean;
    holder: string;
    transitions?: number;
  }[] = [
    { name: 'missing: created, ours', before: undefined, want: true, holder: 'me', transitions: 0 },
    { name: 'released (no holder): taken', before: holderSpec(''), want: true, holder: 'me', transitions: 4 },
    { name: 'ours: renewed', before: holderSpec('me'), want: true, holder: 'me', transitions: 3 },
    { name: 'held by another, just seen', before: holderSpec('other'), want: false, holder: 'other' },
    {
      // Its renewTime is years old by our clock, but clocks of other machines are never compared.
      name: 'held by another with an ancient renewTime, seen just now',
      before: holderSpec('other'),
      after: 1000,
      want: false,
      holder: 'other',
    },
    {
      name: 'held by another, unchanged for just under leaseDuration',
      before: holderSpec('other'),
      after: 14_999,
      want: false,
      holder: 'other',
    },
    {
      name: 'held by another, unchanged for leaseDuration: taken over',
      before: holderSpec('other'),
      after: 15_000,
      want: true,
      holder: 'me',
      transitions: 4,
    },
    {
      name: 'held by another that renewed meanwhile: its leaseDuration starts again',
      before: holderSpec('other'),
      after: 20_000,
      renewedAt: 10_000,
      want: false,
      holder: 'other',
    },
    {
      name: "the holder's own leaseDurationSeconds counts, not ours",
      before: holderSpec('other', { leaseDurationSeconds: 60 }),
      after: 30_000,
      want: false,
      holder: 'other',
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const fake = new FakeLeases();
      const clock = new FakeClock();
      if (c.before) fake.put(LEASE, c.before);
      const { e } = elector(fake, clock, 'me');
      if (c.after !== undefined) {
        assert.equal(await e.tryAcquireOrRenew(), false, 'first look');
        if (c.renewedAt !== undefined) {
          await clock.advance(c.renewedAt);
          fake.put(LEASE, { renewTime: '2020-01-01T00:00:10.000000Z' });
          await e.tryAcquireOrRenew();
          await clock.advance(c.after - c.renewedAt);
        } else {
          await clock.advance(c.after);
        }
      }
      assert.equal(await e.tryAcquireOrRenew(), c.want);
      const lease = fake.get(LEASE)!;
      assert.equal(lease.spec?.holderIdentity, c.holder);
      if (c.transitions !== undefined) assert.equal(lease.spec?.leaseTransitions, c.transitions);
      if (c.want) {
        assert.equal(lease.spec?.leaseDurationSeconds, 15);
        assert.equal(lease.spec?.renewTime, new Date(clock.now()).toISOString().replace('Z', '000Z'));
      }
    });
  }

  it('keeps acquireTime while renewing, and sets it on taking over', async () => {
    const fake = new FakeLeases();
    const clock = new FakeClock();
    const { e } = elector(fake, clock, 'me');
    assert.equal(await e.tryAcquireOrRenew(), true);
    const acquired = fake.get(LEASE)!.spec!.acquireTime;
    await clock.advance(2000);
    assert.equal(await e.tryAcquireOrRenew(), true);
    assert.equal(fake.get(LEASE)!.spec!.acquireTime, acquired);
    assert.notEqual(fake.get(LEASE)!.spec!.renewTime, acquired);
  });

  it('two candidates that both see an expired Lease: only one wins (compare-and-swap)', async () => {
    const fake = new FakeLeases();
    const clock = new FakeClock();
    fake.put(LEASE, holderSpec('gone'));
    const a = elector(fake, clock, 'a').e;
    const b = elector(fake, clock, 'b').e;
    await Promise.all([a.tryAcquireOrRenew(), b.tryAcquireOrRenew()]);
    await clock.advance(15_000);
    // Both read the same expired Lease before either writes.
    let open!: () => void;
    fake.writeGate = new Promise((r) => {
      open = r;
    });
    const racing = Promise.all([a.tryAcquireOrRenew(), b.tryAcquireOrRenew()]);
    await settle();
    open();
    const results = await racing;
    assert.deepEqual(results.filter(Boolean).length, 1, `results ${results}`);
    assert.equal(fake.get(LEASE)!.spec!.holderIdentity, results[0] ? 'a' : 'b');
  });

  it('two candidates creating a missing Lease: only one wins', async () => {
    const fake = new FakeLeases();
    const clock = new FakeClock();
    let open!: () => void;
    fake.writeGate = new Promise((r) => {
      open = r;
    });
    const racing = Promise.all([
      elector(fake, clock, 'a').e.tryAcquireOrRenew(),
      elector(fake, clock, 'b').e.tryAcquireOrRenew(),
    ]);
    await settle();
    open();
    const results = await racing;
    assert.equal(results.filter(Boolean).length, 1, `results ${results}`);
  });

  it('throws when the API server cannot be asked', async () => {
    const fake = new FakeLeases();
    fake.mode = 'error';
    await assert.rejects(elector(fake, new FakeClock(), 'me').e.tryAcquireOrRenew(), /ECONNREFUSED/);
  });
});

describe('LeaderElector.run', () => {
  it('acquires a missing Lease at once and leads', async () => {
    const fake = new FakeLeases();
    const clock = new FakeClock();
    const c = candidate(fake, clock, 'a');
    await settle();
    assert.equal(c.state.leading, true);
    assert.equal(fake.get(LEASE)!.spec!.holderIdentity, 'a');
    c.stop.abort();
    await c.done;
  });

  it('renews every retryPeriod while leading', async () => {
    const fake = new FakeLeases();
    const clock = new FakeClock();
    const c = candidate(fake, clock, 'a');
    await settle();
    const renewals: string[] = [];
    for (let i = 0; i < 5; i++) {
      await clock.advance(2000);
      renewals.push(fake.get(LEASE)!.spec!.renewTime!);
    }
    assert.equal(new Set(renewals).size, 5, 'a new renewTime every 2 s');
    assert.equal(c.state.terms, 1);
    c.stop.abort();
    await c.done;
  });

  it('waits while another holder renews, and takes over once it stops renewing for leaseDuration', async () => {
    const fake = new FakeLeases();
    const clock = new FakeClock();
    fake.put(LEASE, { holderIdentity: 'other', leaseDurationSeconds: 15, leaseTransitions: 0 });
    const c = candidate(fake, clock, 'b');
    // The holder renews every 2 s for a minute: b never leads.
    for (let t = 0; t < 60_000; t += 2000) {
      await advance(clock, 2000);
      fake.put(LEASE, { renewTime: new Date(clock.now()).toISOString() });
      assert.equal(c.state.leading, false, `at ${t} ms`);
    }
    assert.ok(
      c.log.some((l) => l.includes('held by other')),
      c.log.join('\n'),
    );
    // It stops renewing: b takes over after leaseDuration from when it saw the last renewal,
    // within one retryPeriod.
    const stoppedAt = clock.now();
    await advance(clock, 14_900);
    assert.equal(c.state.leading, false, 'not before leaseDuration');
    await advance(clock, 2_200);
    assert.equal(c.state.leading, true, 'within leaseDuration + retryPeriod');
    assert.ok(clock.now() - stoppedAt <= 17_100);
    assert.equal(fake.get(LEASE)!.spec!.holderIdentity, 'b');
    assert.equal(fake.get(LEASE)!.spec!.leaseTransitions, 1);
    c.stop.abort();
    await c.done;
  });

  it('two candidates racing: exactly one leads at any moment, the other takes over when it stops', async () => {
    const fake = new FakeLeases();
    const clock = new FakeClock();
    const a = candidate(fake, clock, 'a');
    const b = candidate(fake, clock, 'b');
    for (let t = 0; t < 30_000; t += 100) {
      await clock.advance(100);
      assert.ok(!(a.state.leading && b.state.leading), `both lead at ${t} ms`);
    }
    assert.equal(Number(a.state.leading) + Number(b.state.leading), 1);
    const [leader, follower] = a.state.leading ? [a, b] : [b, a];
    leader.stop.abort();
    await leader.done;
    // Released: the follower takes it on its next attempt, not after leaseDuration.
    await advance(clock, 2_100);
    assert.equal(follower.state.leading, true);
    assert.equal(leader.state.terms, 1);
    follower.stop.abort();
    await follower.done;
  });

  for (const mode of ['error', 'hang'] as const) {
    it(`stops leading when renewals ${mode === 'error' ? 'fail' : 'hang'} for renewDeadline, and re-acquires later`, async () => {
      const fake = new FakeLeases();
      const clock = new FakeClock();
      const c = candidate(fake, clock, 'a');
      await settle();
      assert.equal(c.state.leading, true);
      fake.mode = mode;
      const brokeAt = clock.now();
      await advance(clock, 9_900);
      assert.equal(c.state.leading, true, 'still leading before renewDeadline');
      assert.equal(c.state.leadSignals[0]!.aborted, false);
      await advance(clock, 200);
      assert.equal(c.state.leadSignals[0]!.aborted, true, "lead's signal aborted at renewDeadline");
      assert.equal(c.state.leading, false);
      assert.ok(clock.now() - brokeAt <= 10_100);
      assert.ok(
        c.log.some((l) => l.includes('lost the lease')),
        c.log.join('\n'),
      );
      // While the API is unreachable it keeps trying, without leading.
      await advance(clock, 10_000);
      assert.equal(c.state.terms, 1);
      fake.mode = 'ok';
      await advance(clock, 2_100);
      assert.equal(c.state.leading, true, 're-acquired');
      assert.equal(c.state.terms, 2);
      c.stop.abort();
      await c.done;
    });
  }

  it('stops leading at once when another holder is seen', async () => {
    const fake = new FakeLeases();
    const clock = new FakeClock();
    const c = candidate(fake, clock, 'a');
    await settle();
    fake.put(LEASE, { holderIdentity: 'intruder' });
    await advance(clock, 2_100);
    assert.equal(c.state.leading, false);
    assert.ok(
      c.log.some((l) => l.includes('now held by intruder')),
      c.log.join('\n'),
    );
    c.stop.abort();
    await c.done;
    assert.equal(fake.get(LEASE)!.spec!.holderIdentity, 'intruder', 'not released: not ours');
  });

  it('releases the Lease on stop: holder cleared, lead stopped', async () => {
    const fake = new FakeLeases();
    const clock = new FakeClock();
    const c = candidate(fake, clock, 'a');
    await settle();
    await advance(clock, 4_000);
    c.stop.abort();
    await c.done;
    assert.equal(c.state.leadSignals[0]!.aborted, true);
    assert.equal(c.state.leading, false);
    const spec = fake.get(LEASE)!.spec!;
    assert.equal(spec.holderIdentity, '');
    assert.equal(spec.leaseDurationSeconds, 1);
  });

  it('releases the Lease on stop even when the copy it holds is stale (a renewal raced the stop)', async () => {
    const fake = new FakeLeases();
    const clock = new FakeClock();
    const c = candidate(fake, clock, 'a');
    await settle();
    await advance(clock, 4_000);
    // Another write to our Lease moves its resourceVersion past the elector's copy: the first
    // release conflicts, the Lease is read again, still ours, and released.
    fake.put(LEASE, { holderIdentity: 'a' });
    c.stop.abort();
    await c.done;
    const spec = fake.get(LEASE)!.spec!;
    assert.equal(spec.holderIdentity, '');
    assert.ok(
      c.log.some((l) => l.includes('released the lease')),
      c.log.join('\n'),
    );
  });

  it('releases the Lease and returns when lead ends by itself', async () => {
    const fake = new FakeLeases();
    const clock = new FakeClock();
    const { e, log } = elector(fake, clock, 'a');
    let runs = 0;
    const stop = new AbortController();
    const done = e.run(stop.signal, async () => {
      runs++;
      throw new Error('boom');
    });
    await settle();
    await done;
    assert.equal(runs, 1);
    assert.equal(fake.get(LEASE)!.spec!.holderIdentity, '');
    assert.ok(
      log.some((l) => l.includes('boom')),
      log.join('\n'),
    );
  });

  it('stopped while waiting: returns without leading and leaves the holder alone', async () => {
    const fake = new FakeLeases();
    const clock = new FakeClock();
    fake.put(LEASE, { holderIdentity: 'other', leaseDurationSeconds: 15 });
    const c = candidate(fake, clock, 'b');
    await advance(clock, 5_000);
    c.stop.abort();
    await c.done;
    assert.equal(c.state.terms, 0);
    assert.equal(fake.get(LEASE)!.spec!.holderIdentity, 'other');
  });

  it('elected just as it is stopped: does not lead, hands the Lease back', async () => {
    const fake = new FakeLeases();
    const clock = new FakeClock();
    const { e } = elector(fake, clock, 'a');
    const stop = new AbortController();
    let open!: () => void;
    fake.writeGate = new Promise((r) => {
      open = r;
    });
    let led = false;
    const done = e.run(stop.signal, async () => {
      led = true;
    });
    await settle();
    stop.abort();
    open();
    await done;
    assert.equal(led, false);
    assert.equal(fake.get(LEASE)!.spec!.holderIdentity, '');
  });
});
