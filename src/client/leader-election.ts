/**
 * Leader election on a coordination.k8s.io/v1 Lease, as client-go's leaderelection package does
 * it: of several `shoal server` processes on one store, only the holder of the Lease runs the
 * controllers (or the scheduler), so no two of them ever act on the same object at once.
 *
 *   acquire: every retryPeriod, read the Lease; take it when it is free, ours, or its holder
 *            has not renewed it for leaseDuration (measured on OUR clock from when we last saw
 *            it change: clocks of different machines are never compared)
 *   lead:    run `lead(signal)`; renew every retryPeriod; when no renewal succeeded for
 *            renewDeadline (a hung request counts as failed at the deadline), or another holder
 *            is seen, abort `signal`, wait for `lead` to stop, and try to acquire again
 *   stop:    release the Lease (holder cleared) so another server takes over at once; also
 *            when `lead` ends by itself, so that a part that stopped does not hold it idle
 *
 * Every write is a compare-and-swap on the Lease's resourceVersion: two candidates that both see
 * an expired Lease cannot both take it.
 */
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import { hasCode } from '../api/errors.js';
import type { KubeObject } from '../api/object.js';
import { lookupKind } from '../api/resources.js';
import { formatMicroTime } from '../api/time.js';
import { type Clock, systemClock } from '../util/clock.js';
import type { Client } from './rest.js';

const LEASES = lookupKind('coordination.k8s.io/v1', 'Lease')!;
/** Tries at giving the Lease up on stop: a renewal in flight can make one conflict. */
const RELEASE_ATTEMPTS = 3;

export interface LeaderElectionOptions {
  /** The Lease: kube-system/NAME. */
  name: string;
  namespace?: string;
  /** Who we are, unique among the candidates. */
  identity: string;
  /** How long a Lease not renewed stays its holder's (default 15 s, as kube-controller-manager). */
  leaseDurationMs?: number;
  /** How long the leader keeps trying to renew before it gives up leading (default 10 s). */
  renewDeadlineMs?: number;
  /** Pause between attempts (default 2 s). */
  retryPeriodMs?: number;
  clock?: Clock;
  log?: (line: string) => void;
}

export class LeaderElector {
  private readonly namespace: string;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly clock: Clock;
  /** The Lease as last read, and when (our clock) its holder or renewTime last changed. */
  private observed: { lease: Lease; at: number } | undefined;

  constructor(
    private readonly client: Client,
    private readonly options: LeaderElectionOptions,
  ) {
    this.namespace = options.namespace ?? 'kube-system';
    this.leaseDurationMs = options.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = options.retryPeriodMs ?? 2_000;
    this.clock = options.clock ?? systemClock;
  }

  /**
   * Lead whenever elected, until `signal` aborts or `lead` ends by itself (a part that stopped
   * must not keep holding the Lease while doing nothing); then release the Lease if held.
   */
  async run(signal: AbortSignal, lead: (signal: AbortSignal) => Promise<void>): Promise<void> {
    while (!signal.aborted) {
      if (!(await this.acquire(signal))) break;
      // Elected just as we were told to stop: the release below hands the Lease straight back.
      if (signal.aborted) break;
      this.log(`became the leader (lease ${this.namespace}/${this.options.name})`);
      const leading = new AbortController();
      const stopLeading = () => leading.abort();
      signal.addEventListener('abort', stopLeading, { once: true });
      let ended = false;
      const led = lead(leading.signal)
        .catch((err) => this.log(`leader stopped: ${String(err)}`))
        .finally(() => {
          ended = !leading.signal.aborted;
          leading.abort();
        });
      await this.renewWhile(leading.signal);
      signal.removeEventListener('abort', stopLeading);
      if (!leading.signal.aborted) {
        this.log(`lost the lease ${this.namespace}/${this.options.name}; stopping`);
        leading.abort();
      }
      await led;
      if (ended) {
        this.log(`stopped leading by itself; giving up the lease ${this.namespace}/${this.options.name}`);
        break;
      }
    }
    await this.release();
  }

  /** Try every retryPeriod until the Lease is ours; false when `signal` aborted first. */
  private async acquire(signal: AbortSignal): Promise<boolean> {
    let waitingLogged = false;
    let lastError = '';
    while (!signal.aborted) {
      try {
        const outcome = await this.attempt(this.renewDeadlineMs, signal);
        if (outcome === true) return true;
        if (outcome === 'deadline') throw new Error(`no answer within ${this.renewDeadlineMs} ms`);
        lastError = '';
      } catch (err) {
        // Logged once per distinct failure: an API server that is down says so every retryPeriod.
        const message = String(err);
        if (message !== lastError && !signal.aborted) this.log(`acquiring the lease: ${message}`);
        lastError = message;
      }
      if (!waitingLogged && this.heldByAnother()) {
        this.log(
          `waiting for the lease ${this.namespace}/${this.options.name} held by ${this.observed!.lease.spec!.holderIdentity}`,
        );
        waitingLogged = true;
      }
      if (!(await this.sleep(this.retryPeriodMs, signal))) return false;
    }
    return false;
  }

  /**
   * Renew every retryPeriod until `signal` aborts, another candidate is seen holding the Lease,
   * or no renewal has succeeded for renewDeadline. An attempt still in flight at the deadline is
   * abandoned (its request aborted): a leader that cannot renew must stop before its Lease expires
   * for the others (leaseDuration > renewDeadline), however long its requests hang.
   */
  private async renewWhile(signal: AbortSignal): Promise<void> {
    let lastRenew = this.clock.now();
    while (await this.sleep(this.retryPeriodMs, signal)) {
      const left = lastRenew + this.renewDeadlineMs - this.clock.now();
      if (left <= 0) return;
      const outcome = await this.attempt(left, signal).catch(() => false);
      if (outcome === true) lastRenew = this.clock.now();
      else if (outcome === 'deadline' || signal.aborted) return;
      else if (this.heldByAnother()) {
        this.log(
          `the lease ${this.namespace}/${this.options.name} is now held by ${this.observed!.lease.spec!.holderIdentity}`,
        );
        return;
      }
    }
  }

  /**
   * tryAcquireOrRenew, given up after `ms` on our clock (its request aborted): 'deadline' then.
   * Bounding by the clock, not only by the client's timeout, keeps the deadlines of the module
   * comment true with any Client and testable with a fake clock.
   */
  private async attempt(ms: number, signal: AbortSignal): Promise<boolean | 'deadline'> {
    const cancel = new AbortController();
    const bounded = AbortSignal.any([signal, cancel.signal]);
    const deadline = this.clock.sleep(ms, bounded).then(
      () => 'deadline' as const,
      () => 'cancelled' as const,
    );
    try {
      const outcome = await Promise.race([this.tryAcquireOrRenew(bounded), deadline]);
      return outcome === 'cancelled' ? false : outcome;
    } finally {
      cancel.abort();
    }
  }

  /** Whether the Lease as last read names another holder. */
  private heldByAnother(): boolean {
    const holder = this.observed?.lease.spec?.holderIdentity ?? '';
    return holder !== '' && holder !== this.options.identity;
  }

  /**
   * One attempt: true when we hold the Lease afterwards, false when another candidate does (or
   * won the race to write it). Throws when the API server could not be asked.
   */
  async tryAcquireOrRenew(signal?: AbortSignal): Promise<boolean> {
    const now = this.clock.now();
    const stamp = formatMicroTime(new Date(now));
    const me = this.options.identity;
    const request = signal ? { signal } : {};
    let current: Lease | undefined;
    try {
      current = (await this.client.get<KubeObject>(
        LEASES,
        this.namespace,
        this.options.name,
        request,
      )) as Lease;
    } catch (err) {
      if (!hasCode(err, 404)) throw err;
    }
    const spec = {
      holderIdentity: me,
      leaseDurationSeconds: Math.ceil(this.leaseDurationMs / 1000),
      acquireTime: stamp,
      renewTime: stamp,
      leaseTransitions: 0,
    };
    if (!current) {
      try {
        const created = await this.client.create<KubeObject>(
          LEASES,
          this.namespace,
          {
            apiVersion: 'coordination.k8s.io/v1',
            kind: 'Lease',
            metadata: { name: this.options.name, namespace: this.namespace },
            spec,
          },
          request,
        );
        this.observed = { lease: created as Lease, at: now };
        return true;
      } catch (err) {
        // Another candidate created it first: it leads.
        if (hasCode(err, 409)) return false;
        throw err;
      }
    }
    // Any write to the Lease (a renewal, a release, a new holder) gives it a new resourceVersion;
    // its expiry counts from when WE first saw that version, never from the holder's timestamps.
    if (this.observed?.lease.metadata?.resourceVersion !== current.metadata?.resourceVersion) {
      this.observed = { lease: current, at: now };
    }
    const held = current.spec ?? {};
    const holder = held.holderIdentity ?? '';
    const durationMs = (held.leaseDurationSeconds ?? 0) * 1000;
    if (holder !== '' && holder !== me && this.observed!.at + durationMs > now) return false;
    const next = {
      ...current,
      spec: {
        ...spec,
        ...(holder === me && held.acquireTime ? { acquireTime: held.acquireTime } : {}),
        leaseTransitions: (held.leaseTransitions ?? 0) + (holder === me ? 0 : 1),
      },
    } as KubeObject;
    try {
      const updated = await this.client.update<KubeObject>(LEASES, this.namespace, next, request);
      this.observed = { lease: updated as Lease, at: now };
      return true;
    } catch (err) {
      if (hasCode(err, 409)) return false;
      throw err;
    }
  }

  /**
   * Give the Lease up if we hold it, so the next candidate need not wait for it to expire. A renewal
   * still in flight when the stop came makes the first try conflict; the Lease is read again and,
   * while still ours, released from there.
   */
  private async release(): Promise<void> {
    let lease = this.observed?.lease;
    for (let attempt = 0; attempt < RELEASE_ATTEMPTS; attempt++) {
      if (lease?.spec?.holderIdentity !== this.options.identity) return;
      try {
        const released = await this.client.update<KubeObject>(
          LEASES,
          this.namespace,
          { ...lease, spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1 } } as KubeObject,
          { timeoutMs: this.renewDeadlineMs },
        );
        this.observed = { lease: released as Lease, at: this.clock.now() };
        this.log(`released the lease ${this.namespace}/${this.options.name}`);
        return;
      } catch (err) {
        if (hasCode(err, 409) && attempt + 1 < RELEASE_ATTEMPTS) {
          lease = (await this.client
            .get<KubeObject>(LEASES, this.namespace, this.options.name, { timeoutMs: this.renewDeadlineMs })
            .catch(() => undefined)) as Lease | undefined;
          continue;
        }
        // Best effort: the Lease expires by itself after leaseDuration.
        this.log(`releasing the lease ${this.namespace}/${this.options.name}: ${String(err)}`);
        return;
      }
    }
  }

  private async sleep(ms: number, signal: AbortSignal): Promise<boolean> {
    try {
      await this.clock.sleep(ms, signal);
      return true;
    } catch {
      return false;
    }
  }

  private log(line: string): void {
    this.options.log?.(line);
  }
}
