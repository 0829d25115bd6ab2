/**
 * The pod-template-hash: what tells one template's ReplicaSet (and pods) from another's, and the
 * suffix of the ReplicaSet's name. As Kubernetes' ComputeHash: FNV-32a over the template, then
 * over the Deployment's status.collisionCount (when set) as 8 little-endian bytes, the decimal
 * of the sum spelled in the 27 characters that never form words (SafeEncodeString).
 *
 * Kubernetes hashes its Go structs' printed form, which JSON cannot reproduce, so Shoal hashes a
 * canonical JSON instead: keys sorted, unset values (null, "", [], {}) dropped, so two templates
 * that are semantically equal (semanticEqual) always hash alike. The hashes differ from a real
 * cluster's; nothing depends on their spelling, only on their stability.
 */
import type { PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import { isPlainObject } from '../../api/object.js';
import { fnv32a, safeEncode } from '../../util/fnv.js';

/** `value` with unset fields dropped and object keys in order; undefined when nothing is set. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) {
    const items = value.map(canonical).map((v) => (v === undefined ? null : v));
    return items.length > 0 ? items : undefined;
  }
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) {
      const v = canonical(value[k]);
      if (v !== undefined) out[k] = v;
    }
    return Object.keys(out).length > 0 ? out : undefined;
  }
  return value === null || value === '' ? undefined : value;
}

export function podTemplateHash(template: PodTemplateSpec | undefined, collisionCount?: number): string {
  let h = fnv32a(new TextEncoder().encode(JSON.stringify(canonical(template) ?? {})));
  if (collisionCount !== undefined) {
    const bytes = new Uint8Array(8);
    new DataView(bytes.buffer).setUint32(0, collisionCount >>> 0, true);
    h = fnv32a(bytes, h);
  }
  return safeEncode(String(h));
}
