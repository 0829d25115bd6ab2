/**
 * How Kubernetes writes times in objects: metav1.Time (RFC 3339, UTC, whole seconds) and
 * metav1.MicroTime (RFC 3339, UTC, microseconds — Leases, Events' eventTime).
 */

/** metav1.Time: `2026-01-02T03:04:05Z`. */
export function formatTime(d: Date): string {
  return `${d.toISOString().slice(0, 19)}Z`;
}

/** metav1.MicroTime: `2026-01-02T03:04:05.678000Z` (a Date holds milliseconds). */
export function formatMicroTime(d: Date): string {
  return `${d.toISOString().slice(0, 23)}000Z`;
}
