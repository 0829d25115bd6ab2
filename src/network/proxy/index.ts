/**
 * The service proxy, Shoal's kube-proxy in iptables mode: `computeRules` turns Services and
 * EndpointSlices into chains that DNAT a cluster IP, node port or load-balancer address to a
 * ready endpoint (random choice, or sticky per client with `sessionAffinity: ClientIP`), reject
 * Services without endpoints, let pod traffic through the FORWARD chain and masquerade only
 * where a reply would otherwise miss this node, so backends see their callers' own addresses.
 * `IptablesApplier` writes the rules with one `iptables-restore` per sync and removes them on
 * `cleanup()`; `ServiceProxy` follows the caches and keeps the kernel in step. All chains carry
 * a per-agent prefix, so several agents can share one machine's tables. docs/network.md draws
 * the chains.
 */
export { IptablesApplier, type RuleApplier } from './applier.js';
export {
  type EndpointSliceObject,
  type ServiceObject,
  ServiceProxy,
  type ServiceProxyConfig,
} from './proxy.js';
export {
  type BuiltinJump,
  builtinJumps,
  chainPrefixFor,
  computeRules,
  DEFAULT_AFFINITY_TIMEOUT_SECONDS,
  type ProxyOptions,
  type ProxyRules,
  renderRestoreInput,
  type TableRules,
} from './rules.js';
