/**
 * A latency histogram with fixed 10 µs buckets up to 10 s: recording is O(1) with no
 * allocation, so millions of samples (1,000 watchers × every event) cost little.
 */
const BUCKET_MS = 0.01;
const BUCKETS = 1_000_000;

export class Histogram {
  private readonly counts = new Uint32Array(BUCKETS + 1);
  count = 0;
  max = 0;

  record(ms: number): void {
    const v = Math.max(ms, 0);
    const i = Math.min(BUCKETS, Math.floor(v / BUCKET_MS));
    this.counts[i]! += 1;
    this.count += 1;
    if (v > this.max) this.max = v;
  }

  /** The smallest recorded value bound that `q` (0..1) of the samples do not exceed. */
  quantile(q: number): number {
    if (this.count === 0) return 0;
    const target = Math.ceil(q * this.count);
    let seen = 0;
    for (let i = 0; i <= BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= target) return Math.min(this.max, (i + 1) * BUCKET_MS);
    }
    return this.max;
  }
}

export function round(n: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
