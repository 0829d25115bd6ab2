/**
 * Services and their endpoints: Service (ports, types, cluster IPs and their immutability),
 * Endpoints and discovery/v1 EndpointSlice (pkg/apis/core/validation, pkg/apis/discovery/validation).
 * Cluster IP allocation and node-port range checks belong to the allocators, not here.
 */
import { type FieldError, field } from '../errors.js';
import { validateLabels } from './meta.js';
import {
  IP_ERROR,
  isDNS1123Label,
  isDNS1123Subdomain,
  isIP,
  isIPv4,
  isIPv6,
  isQualifiedName,
  isValidPortNum,
} from './names.js';
import { PROTOCOLS, validateDNS1123Label, validateDNS1123Subdomain, validatePortNumOrName } from './pod.js';
import { arr, child, immutable, index, isSet, type Obj, oneOf, rec, str } from './util.js';

const SERVICE_TYPES = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];
const SESSION_AFFINITIES = ['ClientIP', 'None'];
const IP_FAMILY_POLICIES = ['SingleStack', 'PreferDualStack', 'RequireDualStack'];
const IP_FAMILIES = ['IPv4', 'IPv6'];

function clusterIPsOf(spec: Obj): string[] {
  const ips = arr(spec.clusterIPs).map(str);
  if (ips.length > 0) return ips;
  const ip = str(spec.clusterIP);
  return ip !== '' ? [ip] : [];
}

function isHeadless(spec: Obj): boolean {
  return clusterIPsOf(spec)[0] === 'None';
}

function validateServicePort(sp: Obj, requireName: boolean, names: Set<string>, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const name = str(sp.name);
  if (requireName && name === '') {
    errs.push(field.required(child(path, 'name'), ''));
  } else if (name !== '') {
    errs.push(...validateDNS1123Label(name, child(path, 'name')));
    if (names.has(name)) errs.push(field.duplicate(child(path, 'name'), name));
    else names.add(name);
  }
  for (const m of isValidPortNum(sp.port as number))
    errs.push(field.invalid(child(path, 'port'), sp.port ?? 0, m));
  errs.push(...oneOf(sp.protocol, child(path, 'protocol'), PROTOCOLS));
  if (isSet(sp.targetPort) && sp.targetPort !== 0 && sp.targetPort !== '') {
    errs.push(...validatePortNumOrName(sp.targetPort, child(path, 'targetPort')));
  }
  if (isSet(sp.appProtocol)) {
    for (const m of isQualifiedName(str(sp.appProtocol)))
      errs.push(field.invalid(child(path, 'appProtocol'), sp.appProtocol, m));
  }
  if (isSet(sp.nodePort) && sp.nodePort !== 0) {
    for (const m of isValidPortNum(sp.nodePort as number))
      errs.push(field.invalid(child(path, 'nodePort'), sp.nodePort, m));
  }
  return errs;
}

export function validateService(obj: Obj): FieldError[] {
  const spec = rec(obj.spec);
  const errs: FieldError[] = [];
  const type = str(spec.type);
  const headless = isHeadless(spec);
  const ports = arr(spec.ports);
  const clusterIPs = clusterIPsOf(spec);

  if (ports.length === 0 && !headless && type !== 'ExternalName') errs.push(field.required('spec.ports', ''));
  switch (type) {
    case 'LoadBalancer':
    case 'NodePort':
      if (headless) {
        errs.push(
          field.invalid('spec.clusterIPs[0]', clusterIPs[0], `may not be set to 'None' for ${type} services`),
        );
      }
      break;
    case 'ExternalName': {
      if (clusterIPs.length > 0)
        errs.push(field.forbidden('spec.clusterIPs', 'may not be set for ExternalName services'));
      if (arr(spec.ipFamilies).length > 0)
        errs.push(field.forbidden('spec.ipFamilies', 'may not be set for ExternalName services'));
      if (isSet(spec.ipFamilyPolicy))
        errs.push(field.forbidden('spec.ipFamilyPolicy', 'may not be set for ExternalName services'));
      const cname = str(spec.externalName).replace(/\.$/, '');
      if (cname !== '') errs.push(...validateDNS1123Subdomain(cname, 'spec.externalName'));
      else errs.push(field.required('spec.externalName', ''));
      break;
    }
  }

  const names = new Set<string>();
  ports.forEach((p, i) => {
    errs.push(...validateServicePort(rec(p), ports.length > 1, names, index('spec.ports', i)));
  });
  if (isSet(spec.selector)) errs.push(...validateLabels(spec.selector, 'spec.selector'));
  errs.push(...oneOf(spec.sessionAffinity, 'spec.sessionAffinity', SESSION_AFFINITIES));
  if (spec.sessionAffinity === 'ClientIP') {
    const t = rec(rec(spec.sessionAffinityConfig).clientIP).timeoutSeconds;
    if (isSet(t) && (typeof t !== 'number' || t <= 0 || t > 86400)) {
      errs.push(
        field.invalid(
          'spec.sessionAffinityConfig.clientIP.timeoutSeconds',
          t,
          'must be greater than 0 and less than 86400',
        ),
      );
    }
  } else if (spec.sessionAffinity === 'None' && isSet(spec.sessionAffinityConfig)) {
    errs.push(field.forbidden('spec.sessionAffinityConfig', 'must not be set when session affinity is None'));
  }

  // cluster IPs: "", "None" (first only) or addresses; families and policy from fixed sets.
  if (type !== 'ExternalName') {
    if (
      isSet(spec.clusterIP) &&
      arr(spec.clusterIPs).length > 0 &&
      str(spec.clusterIP) !== str(arr(spec.clusterIPs)[0])
    ) {
      errs.push(field.invalid('spec.clusterIPs', spec.clusterIPs, 'first value must match `clusterIP`'));
    }
    clusterIPs.forEach((ip, i) => {
      if (ip === 'None' && i === 0) return;
      if (ip === '' && i === 0) return;
      if (!isIP(ip)) errs.push(field.invalid(index('spec.clusterIPs', i), ip, IP_ERROR));
    });
    if (headless && clusterIPs.length > 1) {
      errs.push(
        field.invalid('spec.clusterIPs', clusterIPs, 'must not have more than one value when headless'),
      );
    }
    if (clusterIPs.length > 2)
      errs.push(field.invalid('spec.clusterIPs', clusterIPs, 'may only hold up to 2 values'));
    errs.push(...oneOf(spec.ipFamilyPolicy, 'spec.ipFamilyPolicy', IP_FAMILY_POLICIES));
    arr(spec.ipFamilies).forEach((f, i) => {
      errs.push(...oneOf(f, index('spec.ipFamilies', i), IP_FAMILIES, true));
    });
  }
  arr(spec.externalIPs).forEach((ip, i) => {
    const p = index('spec.externalIPs', i);
    if (!isIP(str(ip))) errs.push(field.invalid(p, ip, IP_ERROR));
    else errs.push(...validateNonSpecialIP(str(ip), p));
  });
  // type is defaulted to ClusterIP before validation, so only a wrong value is reported.
  errs.push(...oneOf(spec.type, 'spec.type', SERVICE_TYPES));

  if (type === 'ClusterIP') {
    ports.forEach((p, i) => {
      const np = rec(p).nodePort;
      if (isSet(np) && np !== 0)
        errs.push(field.forbidden(`spec.ports[${i}].nodePort`, "may not be used when `type` is 'ClusterIP'"));
    });
  }
  const nodePorts = new Set<string>();
  const portKeys = new Set<string>();
  ports.forEach((raw, i) => {
    const p = rec(raw);
    const protocol = str(p.protocol) || 'TCP';
    if (isSet(p.nodePort) && p.nodePort !== 0) {
      const k = `${protocol}/${p.nodePort}`;
      if (nodePorts.has(k)) errs.push(field.duplicate(`spec.ports[${i}].nodePort`, p.nodePort));
      nodePorts.add(k);
    }
    const k = `${protocol}/${p.port}`;
    if (portKeys.has(k)) errs.push(field.duplicate(`spec.ports[${i}]`, { port: p.port, protocol }));
    portKeys.add(k);
  });
  errs.push(...oneOf(spec.externalTrafficPolicy, 'spec.externalTrafficPolicy', ['Cluster', 'Local']));
  errs.push(...oneOf(spec.internalTrafficPolicy, 'spec.internalTrafficPolicy', ['Cluster', 'Local']));
  return errs;
}

/** Once allocated, a service's primary cluster IP never changes (ExternalName aside). */
export function validateServiceUpdate(obj: Obj, old: Obj): FieldError[] {
  const spec = rec(obj.spec);
  const oldSpec = rec(old.spec);
  if (spec.type === 'ExternalName' || oldSpec.type === 'ExternalName') return [];
  if (isHeadless(spec) && isHeadless(oldSpec)) return [];
  const ips = clusterIPsOf(spec);
  const oldIPs = clusterIPsOf(oldSpec);
  const errs: FieldError[] = [];
  if (oldIPs.length === ips.length) {
    oldIPs.forEach((ip, i) => {
      if (ip !== ips[i]) errs.push(field.invalid(`spec.clusterIPs[${i}]`, ips, 'may not change once set'));
    });
  } else if (oldIPs.length > ips.length) {
    if (ips.length === 0)
      errs.push(field.invalid('spec.clusterIPs[0]', ips, 'primary clusterIP can not be unset'));
    if (oldIPs.length > 0 && ips.length > 0 && ips[0] !== oldIPs[0]) {
      errs.push(field.invalid('spec.clusterIPs[0]', ips, 'may not change once set'));
    }
    if (ips.length === 1 && spec.ipFamilyPolicy !== 'SingleStack') {
      errs.push(
        field.invalid(
          'spec.clusterIPs[0]',
          ips,
          "`ipFamilyPolicy` must be set to 'SingleStack' when releasing the secondary clusterIP",
        ),
      );
    }
  } else if (oldIPs.length > 0 && ips[0] !== oldIPs[0]) {
    errs.push(field.invalid('spec.clusterIPs[0]', ips, 'may not change once set'));
  }
  return errs;
}

// ---- Endpoints -----------------------------------------------------------------------------

function validateEndpointAddress(a: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const ip = str(a.ip);
  if (!isIP(ip)) errs.push(field.invalid(child(path, 'ip'), ip, IP_ERROR));
  else errs.push(...validateNonSpecialIP(ip, child(path, 'ip')));
  if (str(a.hostname) !== '') errs.push(...validateDNS1123Label(str(a.hostname), child(path, 'hostname')));
  if (str(a.nodeName) !== '')
    errs.push(...validateDNS1123Subdomain(str(a.nodeName), child(path, 'nodeName')));
  return errs;
}

/** Endpoints may not point at loopback, link-local or unspecified addresses. */
function validateNonSpecialIP(ip: string, path: string): FieldError[] {
  if (ip === '0.0.0.0' || /^[0:]+$/.test(ip))
    return [field.invalid(path, ip, `may not be unspecified (${ip})`)];
  if (ip.startsWith('127.') || ip === '::1')
    return [field.invalid(path, ip, 'may not be in the loopback range (127.0.0.0/8, ::1/128)')];
  if (ip.startsWith('169.254.') || /^fe[89ab]/i.test(ip)) {
    return [field.invalid(path, ip, 'may not be in the link-local range (169.254.0.0/16, fe80::/10)')];
  }
  if (ip.startsWith('224.0.0.') || /^ff02:/i.test(ip)) {
    return [
      field.invalid(path, ip, 'may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)'),
    ];
  }
  return [];
}

export function validateEndpoints(obj: Obj): FieldError[] {
  const errs: FieldError[] = [];
  arr(obj.subsets).forEach((raw, i) => {
    const p = index('subsets', i);
    const ss = rec(raw);
    const addresses = arr(ss.addresses);
    const notReady = arr(ss.notReadyAddresses);
    if (addresses.length === 0 && notReady.length === 0) {
      errs.push(field.required(child(p, 'addresses'), 'must specify `addresses` or `notReadyAddresses`'));
    }
    addresses.forEach((a, j) => {
      errs.push(...validateEndpointAddress(rec(a), index(child(p, 'addresses'), j)));
    });
    notReady.forEach((a, j) => {
      errs.push(...validateEndpointAddress(rec(a), index(child(p, 'notReadyAddresses'), j)));
    });
    const ports = arr(ss.ports);
    const names = new Set<string>();
    ports.forEach((rp, j) => {
      const pp = index(child(p, 'ports'), j);
      const port = rec(rp);
      const name = str(port.name);
      if (ports.length > 1 && name === '') errs.push(field.required(child(pp, 'name'), ''));
      else if (name !== '') {
        errs.push(...validateDNS1123Label(name, child(pp, 'name')));
        if (names.has(name)) errs.push(field.duplicate(child(pp, 'name'), name));
        names.add(name);
      }
      for (const m of isValidPortNum(port.port as number))
        errs.push(field.invalid(child(pp, 'port'), port.port ?? 0, m));
      errs.push(...oneOf(port.protocol, child(pp, 'protocol'), PROTOCOLS));
    });
  });
  return errs;
}

// ---- EndpointSlice -------------------------------------------------------------------------

const ADDRESS_TYPES = ['FQDN', 'IPv4', 'IPv6'];
const MAX_ENDPOINTS = 1000;
const MAX_ADDRESSES = 100;
const MAX_PORTS = 20000;

export function validateEndpointSlice(obj: Obj): FieldError[] {
  const errs: FieldError[] = [];
  const addressType = str(obj.addressType);
  errs.push(...oneOf(obj.addressType, 'addressType', ADDRESS_TYPES, true));
  const endpoints = arr(obj.endpoints);
  if (endpoints.length > MAX_ENDPOINTS)
    errs.push(field.tooMany('endpoints', endpoints.length, MAX_ENDPOINTS));
  endpoints.forEach((raw, i) => {
    const p = index('endpoints', i);
    const ep = rec(raw);
    const addresses = arr(ep.addresses);
    const ap = child(p, 'addresses');
    if (addresses.length === 0) errs.push(field.required(ap, 'must contain at least 1 address'));
    else if (addresses.length > MAX_ADDRESSES) errs.push(field.tooMany(ap, addresses.length, MAX_ADDRESSES));
    addresses.forEach((a, j) => {
      const v = str(a);
      const path = index(ap, j);
      if (addressType === 'IPv4' && !isIPv4(v))
        errs.push(field.invalid(path, v, 'must be a valid IPv4 address'));
      else if (addressType === 'IPv6' && !isIPv6(v))
        errs.push(field.invalid(path, v, 'must be a valid IPv6 address'));
      else if (addressType === 'FQDN') {
        const name = v.replace(/\.$/, '');
        const sub = isDNS1123Subdomain(name);
        if (v === '') errs.push(field.required(path, ''));
        else if (sub.length > 0) errs.push(field.invalid(path, name, sub.join(',')));
        else if (name.split('.').length < 2) {
          errs.push(
            field.invalid(path, name, 'should be a domain with at least two segments separated by dots'),
          );
        }
      }
    });
    if (str(ep.nodeName) !== '')
      errs.push(...validateDNS1123Subdomain(str(ep.nodeName), child(p, 'nodeName')));
    if (str(ep.hostname) !== '') {
      for (const m of isDNS1123Label(str(ep.hostname)))
        errs.push(field.invalid(child(p, 'hostname'), ep.hostname, m));
    }
  });
  const ports = arr(obj.ports);
  if (ports.length > MAX_PORTS) errs.push(field.tooMany('ports', ports.length, MAX_PORTS));
  const names = new Set<string>();
  ports.forEach((raw, i) => {
    const p = index('ports', i);
    const port = rec(raw);
    if (!isSet(port.name)) errs.push(field.required(child(p, 'name'), ''));
    else {
      const name = str(port.name);
      if (name !== '') errs.push(...validateDNS1123Label(name, child(p, 'name')));
      if (names.has(name)) errs.push(field.duplicate(child(p, 'name'), name));
      names.add(name);
    }
    errs.push(...oneOf(port.protocol, child(p, 'protocol'), PROTOCOLS));
    if (isSet(port.port)) {
      for (const m of isValidPortNum(port.port as number))
        errs.push(field.invalid(child(p, 'port'), port.port, m));
    }
    if (isSet(port.appProtocol)) {
      for (const m of isQualifiedName(str(port.appProtocol)))
        errs.push(field.invalid(child(p, 'appProtocol'), port.appProtocol, m));
    }
  });
  return errs;
}

export function validateEndpointSliceUpdate(obj: Obj, old: Obj): FieldError[] {
  return immutable(obj.addressType, old.addressType, 'addressType');
}
