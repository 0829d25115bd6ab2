/**
 * The hash Kubernetes names generated objects with (ReplicaSets' pod-template-hash,
 * ControllerRevisions): 32-bit FNV-1a, spelled in apimachinery's SafeEncodeString alphabet.
 */

/** 32-bit FNV-1a over `bytes`, continuing from `seed` (the offset basis by default). */
export function fnv32a(bytes: Uint8Array, seed = 0x811c9dc5): number {
  let h = seed;
  for (const b of bytes) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h;
}

/** rand.SafeEncodeString's alphabet: no vowels, no look-alikes, so no words. */
const SAFE_CHARS = 'bcdfghjklmnpqrstvwxz2456789';

/** Each character of `s` mapped by its code into the safe alphabet. */
export function safeEncode(s: string): string {
  let out = '';
  for (const ch of s) out += SAFE_CHARS[ch.codePointAt(0)! % SAFE_CHARS.length];
  return out;
}
