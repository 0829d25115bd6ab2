/**
 * Numbered slots (0 to size-1) handed out round-robin: the search for a free one starts just after
 * the last one handed out, so a slot just released is the last to come back. Addresses and
 * ranges are handed out this way (Kubernetes' CidrSet does the same) so that one just freed, which
 * caches, routes or conntrack elsewhere may still name, is not reused at once.
 */
export class RotatingSlots {
  private readonly used: Uint8Array;
  /** Where the next search starts. */
  private next = 0;
  private freeSlots: number;

  constructor(readonly size: number) {
    this.used = new Uint8Array(size);
    this.freeSlots = size;
  }

  get free(): number {
    return this.freeSlots;
  }

  /** The next free slot, now taken; undefined when every slot is taken. */
  allocate(): number | undefined {
    for (let i = 0; i < this.size; i++) {
      const candidate = (this.next + i) % this.size;
      if (this.used[candidate]) continue;
      this.mark(candidate, 1);
      this.next = (candidate + 1) % this.size;
      return candidate;
    }
    return undefined;
  }

  /** Marks a slot taken (found in use) without moving where the next search starts. */
  take(slot: number): void {
    this.mark(slot, 1);
  }

  release(slot: number): void {
    this.mark(slot, 0);
  }

  isTaken(slot: number): boolean {
    return this.used[slot] === 1;
  }

  private mark(slot: number, value: 0 | 1): void {
    if (this.used[slot] === value) return;
    this.used[slot] = value;
    this.freeSlots += value ? -1 : 1;
  }
}
