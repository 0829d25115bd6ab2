/**
 * How the network parts find a Service's EndpointSlices: the EndpointSlice controller labels each
 * slice with its Service's name (`kubernetes.io/service-name`), and the Service and its slices
 * share a namespace. Cluster DNS, the service proxy and the ingress all file slices under
 * `namespace/service` this way; what each then reads from the endpoints is its own.
 */

/** The label an EndpointSlice names its Service with. */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

interface SliceMeta {
  metadata?: { namespace?: string; labels?: { [key: string]: string } };
}

/** `namespace/service` of the Service the slice belongs to; undefined when it names none. */
export function serviceKeyOfSlice(slice: SliceMeta): string | undefined {
  const service = slice.metadata?.labels?.[SERVICE_NAME_LABEL];
  return service ? `${slice.metadata?.namespace ?? ''}/${service}` : undefined;
}

/** The slices by `serviceKeyOfSlice`, each list in input order; slices naming no Service are left out. */
export function slicesByService<T extends SliceMeta>(slices: readonly T[]): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const slice of slices) {
    const key = serviceKeyOfSlice(slice);
    if (key === undefined) continue;
    const list = out.get(key);
    if (list) list.push(slice);
    else out.set(key, [slice]);
  }
  return out;
}
