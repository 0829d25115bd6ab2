/**
 * metav1.Time on the wire: RFC 3339 in UTC with whole seconds ("2024-05-01T10:00:00Z"), the form
 * Kubernetes writes creationTimestamp, deletionTimestamp, managedFields times and conditions in.
 */

/** A time as metav1.Time marshals it. */
export function formatTime(date: Date): string {
  return date.toISOString().replace(/\.\d+Z$/, 'Z');
}
