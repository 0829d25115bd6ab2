/**
 * The cluster's DNS zone, answered from an index that Service and EndpointSlice cache events keep
 * up to date: a question is a map lookup, never a scan, however many Services there are.
 *
 * Each Service owns a set of records (service-records.ts); when the Service or one of its slices
 * changes, its set is recomputed and swapped into the index. Besides the records themselves the
 * index counts the names above them (`ns.svc.<zone>`, `_tcp.s.ns.svc.<zone>`), which exist without
 * records of their own and so answer NODATA rather than NXDOMAIN. Synthesized on the fly: the zone's
 * SOA, `dns-version.<zone>` TXT and the pod records `a-b-c-d.ns.pod.<zone>` (CoreDNS "pods
 * insecure": the address is echoed without checking that a pod has it).
 */
import type { Answer, RecordType, SoaAnswer } from 'dns-packet';
import type { Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import {
  DEFAULT_CLUSTER_CIDR,
  DEFAULT_CLUSTER_DOMAIN,
  DEFAULT_SERVICE_CIDR,
} from '../../api/network-defaults.js';
import type { KubeObject } from '../../api/object.js';
import { type Cidr, containsAddress, parseCidr } from '../../util/ipv4.js';
import { serviceKeyOfSlice } from '../endpoint-slices.js';
import type { ObjectCache } from '../object-cache.js';
import { addressOfDashedLabel, addressOfReverseName, inZone, normalizeName } from './names.js';
import { type RecordSet, serviceRecords } from './service-records.js';

/** The version of the Kubernetes DNS schema served, as CoreDNS reports it. */
export const DNS_SCHEMA_VERSION = '1.1.0';
const REVERSE_ZONE = 'in-addr.arpa';

export interface DnsQuestion {
  name: string;
  type: RecordType | string;
}

/** What the cluster zone says about a question: an answer, or "not ours, ask upstream". */
export type Lookup =
  | { kind: 'forward' }
  | {
      kind: 'answer';
      rcode: 'NOERROR' | 'NXDOMAIN';
      answers: Answer[];
      authorities: Answer[];
      additionals: Answer[];
    };

/** The question-answering side the server needs; `ClusterRecords` is the real one. */
export interface RecordSource {
  lookup(question: DnsQuestion): Lookup;
}

export interface ClusterRecordsOptions {
  services: ObjectCache<KubeObject>;
  endpointSlices: ObjectCache<KubeObject>;
  /** Default `cluster.local`. */
  clusterDomain?: string;
  /**
   * IPv4 ranges whose reverse names (PTR) the cluster answers for: an unknown address in them is
   * NXDOMAIN, an address outside them is forwarded. Default: the service and pod CIDRs
   * (10.43.0.0/16, 10.42.0.0/16).
   */
  reverseCidrs?: string[];
  /** Record TTL in seconds; default 5 as CoreDNS. */
  ttl?: number;
}

export class ClusterRecords implements RecordSource {
  readonly zone: string;
  private readonly ttl: number;
  private readonly reverseCidrs: Cidr[];
  private readonly services: ObjectCache<KubeObject>;
  /** Owner name → (Service key → that Service's records at the name). */
  private readonly names = new Map<string, Map<string, Answer[]>>();
  /** Names strictly between the zone apex and some owned name, with how many owned names are below. */
  private readonly ancestors = new Map<string, number>();
  /** Service key → the record set it last contributed. */
  private readonly contributed = new Map<string, RecordSet>();
  /** Service key → its EndpointSlices by slice key; slice key → the Service key it counts for. */
  private readonly slicesByService = new Map<string, Map<string, EndpointSlice>>();
  private readonly serviceOfSlice = new Map<string, string>();
  private readonly unsubscribe: (() => void)[] = [];
  private serial = 1;

  constructor(options: ClusterRecordsOptions) {
    this.zone = normalizeName(options.clusterDomain ?? DEFAULT_CLUSTER_DOMAIN);
    if (!this.zone) throw new Error('ClusterRecords: clusterDomain must not be empty');
    this.ttl = options.ttl ?? 5;
    this.reverseCidrs = (options.reverseCidrs ?? [DEFAULT_SERVICE_CIDR, DEFAULT_CLUSTER_CIDR]).map((cidr) =>
      parseCidr(cidr, 'ClusterRecords: reverseCidrs'),
    );
    this.services = options.services;
    const slices = options.endpointSlices;

    for (const slice of slices.list()) this.placeSlice(slice);
    for (const svc of this.services.list()) this.rebuild(keyOf(svc));
    this.unsubscribe.push(
      this.services.onAdd((svc) => this.rebuild(keyOf(svc))),
      this.services.onUpdate((_old, svc) => this.rebuild(keyOf(svc))),
      this.services.onDelete((svc) => this.rebuild(keyOf(svc))),
      slices.onAdd((slice) => this.sliceChanged(slice)),
      slices.onUpdate((_old, slice) => this.sliceChanged(slice)),
      slices.onDelete((slice) => this.sliceChanged(slice, true)),
    );
  }

  /** Stops following the caches. */
  close(): void {
    for (const off of this.unsubscribe.splice(0)) off();
  }

  lookup(question: DnsQuestion): Lookup {
    const name = normalizeName(question.name);
    const type = question.type;
    if (inZone(name, this.zone)) return this.renamed(this.lookupInZone(name, type), name, question.name);
    if (inZone(name, REVERSE_ZONE)) {
      const owned = this.names.get(name);
      if (owned)
        return this.renamed(this.fromRecords(flatten(owned), type, REVERSE_ZONE), name, question.name);
      const ip = addressOfReverseName(name);
      if (ip && this.reverseCidrs.some((c) => containsAddress(c, ip)))
        return this.negative('NXDOMAIN', REVERSE_ZONE);
    }
    return { kind: 'forward' };
  }

  private lookupInZone(name: string, type: string): Lookup {
    const zone = this.zone;
    if (name === zone) {
      return type === 'SOA' || type === 'ANY' ? answer([this.soa(zone)]) : this.negative('NOERROR', zone);
    }
    const owned = this.names.get(name);
    if (owned) return this.fromRecords(flatten(owned), type, zone);
    if (name === `dns-version.${zone}`) {
      return this.fromRecords([{ name, type: 'TXT', ttl: this.ttl, data: DNS_SCHEMA_VERSION }], type, zone);
    }
    if (this.ancestors.has(name) || name === `svc.${zone}` || name === `pod.${zone}`) {
      return this.negative('NOERROR', zone);
    }
    const podRecord = this.podRecord(name);
    if (podRecord !== undefined) return this.fromRecords(podRecord, type, zone);
    return this.negative('NXDOMAIN', zone);
  }

  /** `a-b-c-d.ns.pod.<zone>` → its A record; `ns.pod.<zone>` → no records (exists); else undefined. */
  private podRecord(name: string): Answer[] | undefined {
    const labels = name.slice(0, -(this.zone.length + 1)).split('.');
    if (labels.length === 2 && labels[1] === 'pod') return [];
    if (labels.length !== 3 || labels[2] !== 'pod') return undefined;
    const ip = addressOfDashedLabel(labels[0] ?? '');
    return ip ? [{ name, type: 'A', ttl: this.ttl, data: ip }] : undefined;
  }

  private fromRecords(records: Answer[], type: string, zone: string): Lookup {
    // A CNAME stands for every type at its name; the server follows it.
    const cname = records.find((r) => r.type === 'CNAME');
    if (cname) return answer([cname]);
    const matching = type === 'ANY' ? records : records.filter((r) => r.type === type);
    if (matching.length === 0) return this.negative('NOERROR', zone);
    // SRV answers bring their targets' addresses along, so clients need no second query.
    const targets = new Set<string>();
    for (const record of matching) if (record.type === 'SRV') targets.add(record.data.target);
    const additionals: Answer[] = [];
    for (const target of targets) {
      const owned = this.names.get(target);
      if (owned) additionals.push(...flatten(owned).filter((r) => r.type === 'A' || r.type === 'AAAA'));
    }
    return answer(matching, additionals);
  }

  /** NXDOMAIN, or NODATA (NOERROR, no answers); either way with the zone's SOA for negative caching. */
  private negative(rcode: 'NOERROR' | 'NXDOMAIN', zone: string): Lookup {
    return { kind: 'answer', rcode, answers: [], authorities: [this.soa(zone)], additionals: [] };
  }

  private soa(zone: string): SoaAnswer {
    return {
      name: zone,
      type: 'SOA',
      ttl: this.ttl,
      data: {
        mname: `ns.dns.${this.zone}`,
        rname: `hostmaster.${this.zone}`,
        serial: this.serial,
        refresh: 7200,
        retry: 1800,
        expire: 86400,
        minimum: this.ttl,
      },
    };
  }

  /** Answers carry the question's own spelling of the name (resolvers may randomize its case). */
  private renamed(lookup: Lookup, normalized: string, asked: string): Lookup {
    if (lookup.kind !== 'answer' || asked === normalized) return lookup;
    const spelled = asked.endsWith('.') ? asked.slice(0, -1) : asked;
    return {
      ...lookup,
      answers: lookup.answers.map((r) => (r.name === normalized ? { ...r, name: spelled } : r)),
    };
  }

  private sliceChanged(slice: KubeObject, deleted = false): void {
    const sliceKey = keyOf(slice);
    const before = this.serviceOfSlice.get(sliceKey);
    if (before) {
      this.slicesByService.get(before)?.delete(sliceKey);
      this.serviceOfSlice.delete(sliceKey);
    }
    const after = deleted ? undefined : this.placeSlice(slice);
    if (before) this.rebuild(before);
    if (after && after !== before) this.rebuild(after);
  }

  /** Files the slice under its Service (by the service-name label); returns that Service's key. */
  private placeSlice(slice: KubeObject): string | undefined {
    const serviceKey = slice.metadata.namespace ? serviceKeyOfSlice(slice) : undefined;
    if (!serviceKey) return undefined;
    const sliceKey = keyOf(slice);
    let slices = this.slicesByService.get(serviceKey);
    if (!slices) {
      slices = new Map();
      this.slicesByService.set(serviceKey, slices);
    }
    slices.set(sliceKey, slice as unknown as EndpointSlice);
    this.serviceOfSlice.set(sliceKey, serviceKey);
    return serviceKey;
  }

  /** Recomputes one Service's records from the caches and swaps them into the index. */
  private rebuild(serviceKey: string): void {
    const [namespace = '', name = ''] = serviceKey.split('/');
    const service = this.services.get(name, namespace) as Service | undefined;
    const slices = this.slicesByService.get(serviceKey);
    if (slices?.size === 0) this.slicesByService.delete(serviceKey);
    const next = service
      ? serviceRecords(service, [...(slices?.values() ?? [])], this.zone, this.ttl)
      : new Map();
    const previous = this.contributed.get(serviceKey);
    if (previous) for (const owner of previous.keys()) this.removeOwned(owner, serviceKey);
    for (const [owner, records] of next) this.addOwned(owner, serviceKey, records);
    if (next.size > 0) this.contributed.set(serviceKey, next);
    else this.contributed.delete(serviceKey);
    this.serial++;
  }

  private addOwned(owner: string, serviceKey: string, records: Answer[]): void {
    let byService = this.names.get(owner);
    if (!byService) {
      byService = new Map();
      this.names.set(owner, byService);
      for (const ancestor of this.ancestorsOf(owner))
        this.ancestors.set(ancestor, (this.ancestors.get(ancestor) ?? 0) + 1);
    }
    byService.set(serviceKey, records);
  }

  private removeOwned(owner: string, serviceKey: string): void {
    const byService = this.names.get(owner);
    if (!byService?.delete(serviceKey) || byService.size > 0) return;
    this.names.delete(owner);
    for (const ancestor of this.ancestorsOf(owner)) {
      const count = (this.ancestors.get(ancestor) ?? 0) - 1;
      if (count > 0) this.ancestors.set(ancestor, count);
      else this.ancestors.delete(ancestor);
    }
  }

  /** The names between `owner` and the zone apex, exclusive (none for reverse names). */
  private ancestorsOf(owner: string): string[] {
    if (!inZone(owner, this.zone)) return [];
    const out: string[] = [];
    let name = owner;
    for (;;) {
      name = name.slice(name.indexOf('.') + 1);
      if (name === this.zone) return out;
      out.push(name);
    }
  }
}

function answer(answers: Answer[], additionals: Answer[] = []): Lookup {
  return { kind: 'answer', rcode: 'NOERROR', answers, authorities: [], additionals };
}

function flatten(byService: Map<string, Answer[]>): Answer[] {
  if (byService.size === 1) return byService.values().next().value ?? [];
  return [...byService.values()].flat();
}

function keyOf(obj: KubeObject): string {
  return `${obj.metadata.namespace ?? ''}/${obj.metadata.name ?? ''}`;
}
