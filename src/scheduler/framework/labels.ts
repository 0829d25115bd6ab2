/**
 * `labels[key]` when it is a label: labels are plain objects, so a key such as `constructor`
 * must not find an inherited member.
 */
export function labelValue(labels: Readonly<Record<string, string>>, key: string): string | undefined {
  const v = labels[key];
  return typeof v === 'string' ? v : undefined;
}
