/**
 * IntOrString values such as maxSurge and maxUnavailable: a count, or a percentage of a total
 * (intstr.GetScaledValueFromIntOrPercent). Deployments round a surge up and an unavailability
 * down; DaemonSets round both up.
 */
export function scaledValue(
  v: number | string | undefined,
  total: number,
  roundUp: boolean,
  unset = 0,
): number {
  if (v === undefined) return unset;
  if (typeof v === 'number') return v;
  const m = /^(\d+)%$/.exec(v);
  if (!m) throw new Error(`invalid int-or-percent "${v}"`);
  const exact = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}
