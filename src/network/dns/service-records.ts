/**
 * The DNS records one Service owns, computed from the Service and its EndpointSlices as the
 * Kubernetes DNS specification (kubernetes/dns docs/specification.md) and CoreDNS's kubernetes
 * plugin define them:
 *
 * - ClusterIP Service `s` in `ns`: A/AAAA `s.ns.svc.<zone>` → each cluster IP; for each named port
 *   an SRV `_port._proto.s.ns.svc.<zone>` → `s.ns.svc.<zone>`; a PTR for each cluster IP.
 * - Headless Service (clusterIP None): A/AAAA `s.ns.svc.<zone>` → each ready endpoint address,
 *   and `<hostname>.s.ns.svc.<zone>` → that address, where hostname is the endpoint's `hostname`
 *   or its dashed address; SRV per named slice port and ready endpoint → that hostname name; a
 *   PTR for each endpoint address. No ready endpoints → no records, so the name is NXDOMAIN.
 * - ExternalName Service: a CNAME `s.ns.svc.<zone>` → `spec.externalName`.
 *
 * Pure: the index (records.ts) calls it whenever the Service or one of its slices changes.
 */
import type { Answer } from 'dns-packet';
import type { Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { dashedAddress, normalizeName, reverseName } from './names.js';

/** Owner name (normalized) → the records at that name. A name with no records still exists (NODATA). */
export type RecordSet = Map<string, Answer[]>;

/** The records `service` owns; `slices` are the EndpointSlices labelled with its name. */
export function serviceRecords(
  service: Service,
  slices: readonly EndpointSlice[],
  zone: string,
  ttl: number,
): RecordSet {
  const out: RecordSet = new Map();
  const name = normalizeName(service.metadata?.name ?? '');
  const namespace = normalizeName(service.metadata?.namespace ?? '');
  if (!name || !namespace) return out;
  const base = `${name}.${namespace}.svc.${zone}`;
  const spec = service.spec ?? {};
  const add = (owner: string, record: Answer) => {
    const list = out.get(owner);
    if (list) list.push(record);
    else out.set(owner, [record]);
  };

  if (spec.type === 'ExternalName') {
    const target = normalizeName(spec.externalName ?? '');
    if (target) add(base, { name: base, type: 'CNAME', ttl, data: target });
    else out.set(base, []);
    return out;
  }

  if (spec.clusterIP === 'None') {
    headlessRecords(base, slices, ttl, add);
    return out;
  }

  // A Service whose cluster IP is not allocated yet still exists: its name answers NODATA.
  out.set(base, []);
  const clusterIPs = spec.clusterIPs?.length ? spec.clusterIPs : spec.clusterIP ? [spec.clusterIP] : [];
  for (const ip of clusterIPs) {
    add(base, addressRecord(base, ip, ttl));
    if (!ip.includes(':')) add(reverseName(ip), { name: reverseName(ip), type: 'PTR', ttl, data: base });
  }
  for (const port of spec.ports ?? []) {
    if (!port.name) continue;
    const owner = srvName(port.name, port.protocol, base);
    add(owner, {
      name: owner,
      type: 'SRV',
      ttl,
      data: { priority: 0, weight: 100, port: port.port, target: base },
    });
  }
  return out;
}

function headlessRecords(
  base: string,
  slices: readonly EndpointSlice[],
  ttl: number,
  add: (owner: string, record: Answer) => void,
): void {
  const seenAddresses = new Set<string>();
  const seenSrv = new Set<string>();
  for (const slice of slices) {
    // FQDN slices name hosts, not addresses: CoreDNS gives them no records either.
    if (slice.addressType !== 'IPv4' && slice.addressType !== 'IPv6') continue;
    for (const endpoint of slice.endpoints ?? []) {
      // The slice controller marks publishNotReadyAddresses endpoints ready; unset means ready.
      if (endpoint.conditions?.ready === false) continue;
      for (const ip of endpoint.addresses ?? []) {
        if (seenAddresses.has(ip)) continue;
        seenAddresses.add(ip);
        const host = `${normalizeName(endpoint.hostname || dashedAddress(ip))}.${base}`;
        add(base, addressRecord(base, ip, ttl));
        add(host, addressRecord(host, ip, ttl));
        if (!ip.includes(':')) add(reverseName(ip), { name: reverseName(ip), type: 'PTR', ttl, data: host });
        // Headless traffic goes straight to the pods, so the SRV port is the slice's (target) port.
        for (const port of slice.ports ?? []) {
          if (!port.name || port.port === undefined) continue;
          const owner = srvName(port.name, port.protocol, base);
          const key = `${owner} ${port.port} ${host}`;
          if (seenSrv.has(key)) continue;
          seenSrv.add(key);
          add(owner, {
            name: owner,
            type: 'SRV',
            ttl,
            data: { priority: 0, weight: 100, port: port.port, target: host },
          });
        }
      }
    }
  }
}

function srvName(portName: string, protocol: string | undefined, base: string): string {
  return `_${normalizeName(portName)}._${(protocol ?? 'TCP').toLowerCase()}.${base}`;
}

function addressRecord(owner: string, ip: string, ttl: number): Answer {
  return { name: owner, type: ip.includes(':') ? 'AAAA' : 'A', ttl, data: ip };
}
