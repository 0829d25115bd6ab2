/**
 * Expectations (Kubernetes' ControllerExpectations and UIDTrackingExpectations): a controller
 * that has just asked for 3 pods must not, on its next pass, count the cache (which has not seen
 * them yet) and ask for 3 more. Before writing, it records what it expects to see; the informer
 * handlers tick the expectations off as the watch delivers the new and deleted objects; and
 * `reconcile` only acts on counts while `satisfied(key)` is true.
 *
 * A write that fails is ticked off at once (`creationFailed`/`deletionFailed`): nothing will come
 * through the watch for it. Expectations older than 5 minutes count as satisfied, so an event the
 * watch lost (a relist that missed an intermediate object) cannot wedge a controller forever.
 *
 * Deletions are tracked by object key, not counted: the same pod seen deleted twice (a delete
 * event, then a relist) must tick off one expectation, not two.
 */
import { type Clock, systemClock } from '../../util/clock.js';

/** client-go's ExpectationsTimeout. */
export const EXPECTATIONS_TTL_MS = 5 * 60_000;

interface Expected {
  creations: number;
  deletions: Set<string>;
  at: number;
}

export class Expectations {
  private readonly byController = new Map<string, Expected>();

  constructor(
    private readonly clock: Clock = systemClock,
    private readonly ttlMs = EXPECTATIONS_TTL_MS,
  ) {}

  /** The controller `key` is about to create `n` objects. */
  expectCreations(key: string, n: number): void {
    this.byController.set(key, { creations: n, deletions: new Set(), at: this.clock.now() });
  }

  /** The controller `key` is about to delete these objects (their "namespace/name" keys). */
  expectDeletions(key: string, objectKeys: readonly string[]): void {
    this.byController.set(key, { creations: 0, deletions: new Set(objectKeys), at: this.clock.now() });
  }

  /** The watch delivered one of the objects `key` created (or a create failed). */
  creationObserved(key: string): void {
    const e = this.byController.get(key);
    if (e && e.creations > 0) e.creations--;
  }

  /** The watch delivered the deletion of `objectKey` (or deleting it failed). */
  deletionObserved(key: string, objectKey: string): void {
    this.byController.get(key)?.deletions.delete(objectKey);
  }

  creationFailed(key: string): void {
    this.creationObserved(key);
  }

  deletionFailed(key: string, objectKey: string): void {
    this.deletionObserved(key, objectKey);
  }

  /** Whether `key` may act on what its cache shows: nothing pending, or pending for too long. */
  satisfied(key: string): boolean {
    const e = this.byController.get(key);
    if (!e) return true;
    if (e.creations <= 0 && e.deletions.size === 0) return true;
    return this.clock.now() - e.at > this.ttlMs;
  }

  /** The controller `key` is gone. */
  forget(key: string): void {
    this.byController.delete(key);
  }
}
