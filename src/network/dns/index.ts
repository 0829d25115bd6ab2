/**
 * Cluster DNS: the Kubernetes DNS schema for the cluster domain, served by each agent to the pods
 * on its node. `ClusterRecords` indexes Services and EndpointSlices from `ObjectCache`s (A/AAAA,
 * SRV, PTR, ExternalName CNAMEs, pod records, NXDOMAIN/NODATA with the zone's SOA);
 * `DnsServer` answers those over UDP and TCP and forwards every other name to the node's upstream
 * nameservers (`upstreamsFrom(parseResolvConf(...).nameservers)`); `podResolvConf` writes the
 * /etc/resolv.conf a pod gets for its `dnsPolicy` and `dnsConfig`, as the kubelet does.
 */
export { forwardQuery, type Upstream, upstreamsFrom, usableUpstreams } from './forward.js';
export {
  ClusterRecords,
  type ClusterRecordsOptions,
  DNS_SCHEMA_VERSION,
  type DnsQuestion,
  type Lookup,
  type RecordSource,
} from './records.js';
export {
  formatResolvConf,
  type ParsedResolvConf,
  type PodDnsOptions,
  parseResolvConf,
  podDnsConfig,
  podResolvConf,
} from './resolv-conf.js';
export { DnsServer, type DnsServerOptions, type DnsStats } from './server.js';
export { type RecordSet, serviceRecords } from './service-records.js';
