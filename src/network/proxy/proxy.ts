/**
 * The service proxy's loop: follows the Service and EndpointSlice caches and keeps the kernel's
 * rules equal to `computeRules` of their contents. A change syncs at once when the last sync is
 * more than `minSyncIntervalMs` old, else as soon as it is, so a burst of changes costs one
 * restore and a readiness change reaches the kernel well within a second. Every `resyncMs` the
 * rules are written again even when unchanged, repairing what someone else flushed. A failed
 * sync is logged with iptables' own words and retried with capped backoff.
 */
import type { Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import type { KubeObject } from '../../api/object.js';
import { type Clock, systemClock } from '../../util/clock.js';
import { errorMessage } from '../../util/error-message.js';
import type { ObjectCache } from '../object-cache.js';
import type { RuleApplier } from './applier.js';
import { computeRules, type ProxyOptions, type ProxyRules } from './rules.js';

export type ServiceObject = Service & KubeObject;
export type EndpointSliceObject = EndpointSlice & KubeObject;

export interface ServiceProxyConfig {
  services: ObjectCache<ServiceObject>;
  endpointSlices: ObjectCache<EndpointSliceObject>;
  applier: RuleApplier;
  options: ProxyOptions;
  clock?: Clock;
  log?: (line: string) => void;
  /** Default 50 ms. */
  minSyncIntervalMs?: number;
  /** Default 30 s. */
  resyncMs?: number;
  /** First retry delay after a failed sync, doubling up to `resyncMs`; default 1 s. */
  retryMs?: number;
}

export class ServiceProxy {
  private options: ProxyOptions;
  private readonly clock: Clock;
  private readonly log: (line: string) => void;
  private readonly minSyncIntervalMs: number;
  private readonly resyncMs: number;
  private readonly retryMs: number;
  private dirty = true;
  private wake: (() => void) | undefined;
  /** What the kernel was last given successfully; undefined forces the next write. */
  private lastApplied: string | undefined;
  private lastWarnings = '';
  private syncs = 0;

  constructor(private readonly config: ServiceProxyConfig) {
    this.options = config.options;
    this.clock = config.clock ?? systemClock;
    this.log = config.log ?? (() => {});
    this.minSyncIntervalMs = config.minSyncIntervalMs ?? 50;
    this.resyncMs = config.resyncMs ?? 30_000;
    this.retryMs = config.retryMs ?? 1_000;
  }

  /** New options (the node's pod CIDR arrived, say); the next sync uses them. */
  setOptions(options: ProxyOptions): void {
    this.options = options;
    this.changed();
  }

  /** Successful writes to the kernel so far (tests wait on it). */
  get appliedSyncs(): number {
    return this.syncs;
  }

  /**
   * Syncs until the signal aborts. Start it once the caches have synced: the first sync writes
   * what they hold, and an empty cache would briefly remove every Service a restarted agent had
   * left in the kernel. The rules stay in the kernel afterwards, so Services keep working while
   * an agent restarts; `cleanup()` removes them.
   */
  async run(signal: AbortSignal): Promise<void> {
    const { services, endpointSlices } = this.config;
    const onChange = () => this.changed();
    const unsubscribe = [
      services.onAdd(onChange),
      services.onUpdate(onChange),
      services.onDelete(onChange),
      endpointSlices.onAdd(onChange),
      endpointSlices.onUpdate(onChange),
      endpointSlices.onDelete(onChange),
    ];
    let lastSync = Number.NEGATIVE_INFINITY;
    let nextResync = this.clock.now() + this.resyncMs;
    let failures = 0;
    try {
      while (!signal.aborted) {
        const now = this.clock.now();
        const resync = now >= nextResync;
        if (this.dirty || resync) {
          const wait = lastSync + this.minSyncIntervalMs - now;
          if (wait > 0) {
            await this.clock.sleep(wait, signal).catch(() => {});
            continue;
          }
          this.dirty = false;
          lastSync = now;
          if (resync) nextResync = now + this.resyncMs;
          try {
            await this.sync(resync);
            if (failures > 0) this.log(`service proxy: sync succeeded after ${failures} failed attempt(s)`);
            failures = 0;
          } catch (err) {
            failures++;
            const delay = Math.min(this.retryMs * 2 ** (failures - 1), this.resyncMs);
            this.log(`service proxy: sync failed (retrying in ${delay} ms): ${errorMessage(err)}`);
            this.lastApplied = undefined;
            nextResync = Math.min(nextResync, now + delay);
          }
          continue;
        }
        await this.idle(nextResync - now, signal);
      }
    } finally {
      for (const off of unsubscribe) off();
    }
  }

  /** Removes every rule and chain of this proxy from the kernel. */
  async cleanup(): Promise<void> {
    await this.config.applier.cleanup();
    this.lastApplied = undefined;
  }

  private changed(): void {
    this.dirty = true;
    this.wake?.();
  }

  /** Sleeps until a change, the timeout or the abort. */
  private async idle(ms: number, signal: AbortSignal): Promise<void> {
    const stop = new AbortController();
    const onAbort = () => stop.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    this.wake = onAbort;
    try {
      await this.clock.sleep(ms, stop.signal).catch(() => {});
    } finally {
      this.wake = undefined;
      signal.removeEventListener('abort', onAbort);
    }
  }

  private async sync(force: boolean): Promise<void> {
    const rules: ProxyRules = computeRules(
      this.config.services.list(),
      this.config.endpointSlices.list(),
      this.options,
    );
    const warnings = rules.warnings.join('\n');
    if (warnings !== this.lastWarnings && warnings) this.log(`service proxy: ${rules.warnings.join('; ')}`);
    this.lastWarnings = warnings;
    const key = JSON.stringify([rules.restoreInput, rules.jumps, rules.sysctls]);
    if (!force && key === this.lastApplied) return;
    await this.config.applier.apply(rules);
    this.lastApplied = key;
    this.syncs++;
  }
}
