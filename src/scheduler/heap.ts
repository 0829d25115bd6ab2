/**
 * A binary min-heap by `less`, with removal of any item: the scheduling queue's activeQ
 * (priority, then age) and backoffQ (backoff expiry). Items are objects, tracked by identity.
 */
export class Heap<T extends object> {
  private readonly items: T[] = [];
  private readonly index = new Map<T, number>();

  constructor(private readonly less: (a: T, b: T) => boolean) {}

  get size(): number {
    return this.items.length;
  }

  has(item: T): boolean {
    return this.index.has(item);
  }

  peek(): T | undefined {
    return this.items[0];
  }

  push(item: T): void {
    if (this.index.has(item)) return;
    this.items.push(item);
    this.index.set(item, this.items.length - 1);
    this.up(this.items.length - 1);
  }

  pop(): T | undefined {
    const top = this.items[0];
    if (top !== undefined) this.removeAt(0);
    return top;
  }

  remove(item: T): boolean {
    const i = this.index.get(item);
    if (i === undefined) return false;
    this.removeAt(i);
    return true;
  }

  private removeAt(i: number): void {
    const item = this.items[i]!;
    const last = this.items.pop()!;
    this.index.delete(item);
    if (i < this.items.length) {
      this.items[i] = last;
      this.index.set(last, i);
      this.down(i);
      this.up(i);
    }
  }

  private up(i: number): void {
    const items = this.items;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(items[i]!, items[parent]!)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  private down(i: number): void {
    const items = this.items;
    const n = items.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && this.less(items[l]!, items[m]!)) m = l;
      if (r < n && this.less(items[r]!, items[m]!)) m = r;
      if (m === i) return;
      this.swap(i, m);
      i = m;
    }
  }

  private swap(a: number, b: number): void {
    const items = this.items;
    const x = items[a]!;
    const y = items[b]!;
    items[a] = y;
    items[b] = x;
    this.index.set(y, a);
    this.index.set(x, b);
  }
}
