/**
 * networking.k8s.io/v1: Ingress (hosts, paths, path types, backends, TLS), IngressClass and
 * NetworkPolicy (pkg/apis/networking/validation).
 */
import { type FieldError, field } from '../errors.js';
import { validateLabelSelector } from './meta.js';
import {
  CIDR_ERROR,
  isCIDR,
  isDNS1035Label,
  isDNS1123Subdomain,
  isDomainPrefixedPath,
  isIP,
  isValidPortName,
  isValidPortNum,
  isWildcardDNS1123Subdomain,
} from './names.js';
import { PROTOCOLS } from './pod.js';
import { arr, check, child, index, isSet, type Obj, oneOf, rec, str } from './util.js';

const PATH_TYPES = ['Exact', 'ImplementationSpecific', 'Prefix'];
const INVALID_PATH_SEQUENCES = ['//', '/./', '/../', '%2f', '%2F'];
const INVALID_PATH_SUFFIXES = ['/..', '/.'];

function validateHost(host: string, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (isIP(host)) errs.push(field.invalid(path, host, 'must be a DNS name, not an IP address'));
  const msgs = host.includes('*') ? isWildcardDNS1123Subdomain(host) : isDNS1123Subdomain(host);
  for (const m of msgs) errs.push(field.invalid(path, host, m));
  return errs;
}

function validateBackend(b: Obj, path: string): FieldError[] {
  const hasResource = isSet(b.resource);
  const hasService = isSet(b.service);
  if (hasResource && hasService)
    return [field.invalid(path, '', 'cannot set both resource and service backends')];
  if (hasResource) {
    const r = rec(b.resource);
    const errs: FieldError[] = [];
    if (str(r.kind) === '') errs.push(field.required(child(path, 'resource', 'kind'), ''));
    if (str(r.name) === '') errs.push(field.required(child(path, 'resource', 'name'), ''));
    return errs;
  }
  if (!hasService) return [field.invalid(path, '', 'resource or service backend is required')];
  const svc = rec(b.service);
  const errs: FieldError[] = [];
  const name = str(svc.name);
  if (name === '') errs.push(field.required(child(path, 'service', 'name'), ''));
  else errs.push(...check(name, child(path, 'service', 'name'), isDNS1035Label));
  const port = rec(svc.port);
  const portName = str(port.name);
  const portNumber = typeof port.number === 'number' ? port.number : 0;
  if (portName !== '' && portNumber !== 0)
    errs.push(field.invalid(path, '', 'cannot set both port name & port number'));
  else if (portName !== '') {
    errs.push(...check(portName, child(path, 'service', 'port', 'name'), isValidPortName));
  } else if (portNumber !== 0) {
    errs.push(...check(portNumber, child(path, 'service', 'port', 'number'), isValidPortNum));
  } else {
    errs.push(field.required(path, 'port name or number is required'));
  }
  return errs;
}

function validateIngressPath(p: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!isSet(p.pathType)) return [field.required(child(path, 'pathType'), 'pathType must be specified')];
  const value = str(p.path);
  switch (p.pathType) {
    case 'Exact':
    case 'Prefix':
      if (!value.startsWith('/'))
        errs.push(field.invalid(child(path, 'path'), value, 'must be an absolute path'));
      if (value !== '') {
        for (const seq of INVALID_PATH_SEQUENCES) {
          if (value.includes(seq))
            errs.push(field.invalid(child(path, 'path'), value, `must not contain '${seq}'`));
        }
        for (const suffix of INVALID_PATH_SUFFIXES) {
          if (value.endsWith(suffix))
            errs.push(field.invalid(child(path, 'path'), value, `cannot end with '${suffix}'`));
        }
      }
      break;
    case 'ImplementationSpecific':
      if (value !== '' && !value.startsWith('/'))
        errs.push(field.invalid(child(path, 'path'), value, 'must be an absolute path'));
      break;
    default:
      errs.push(field.notSupported(child(path, 'pathType'), p.pathType, PATH_TYPES));
  }
  errs.push(...validateBackend(rec(p.backend), child(path, 'backend')));
  return errs;
}

export function validateIngress(obj: Obj): FieldError[] {
  const spec = rec(obj.spec);
  const errs: FieldError[] = [];
  const rules = arr(spec.rules);
  if (rules.length === 0 && !isSet(spec.defaultBackend)) {
    errs.push(
      field.invalid('spec', spec.rules ?? null, 'either `defaultBackend` or `rules` must be specified'),
    );
  }
  if (isSet(spec.defaultBackend))
    errs.push(...validateBackend(rec(spec.defaultBackend), 'spec.defaultBackend'));
  rules.forEach((raw, i) => {
    const p = index('spec.rules', i);
    const rule = rec(raw);
    const host = str(rule.host);
    if (host !== '') errs.push(...validateHost(host, child(p, 'host')));
    if (isSet(rule.http)) {
      const paths = arr(rec(rule.http).paths);
      if (paths.length === 0) errs.push(field.required(child(p, 'http', 'paths'), ''));
      paths.forEach((hp, j) => {
        errs.push(...validateIngressPath(rec(hp), index(child(p, 'http', 'paths'), j)));
      });
    }
  });
  arr(spec.tls).forEach((raw, i) => {
    const p = index('spec.tls', i);
    const tls = rec(raw);
    arr(tls.hosts).forEach((h, j) => {
      const host = str(h);
      const msgs = host.includes('*') ? isWildcardDNS1123Subdomain(host) : isDNS1123Subdomain(host);
      for (const m of msgs) errs.push(field.invalid(index(child(p, 'hosts'), j), host, m));
    });
    const secret = str(tls.secretName);
    if (secret !== '') errs.push(...check(secret, child(p, 'secretName'), isDNS1123Subdomain));
  });
  if (isSet(spec.ingressClassName)) {
    const cls = str(spec.ingressClassName);
    errs.push(...check(cls, 'spec.ingressClassName', isDNS1123Subdomain));
  }
  return errs;
}

export function validateIngressClass(obj: Obj): FieldError[] {
  const spec = rec(obj.spec);
  const errs: FieldError[] = [];
  const controller = str(spec.controller);
  if (controller === '') errs.push(field.required('spec.controller', ''));
  else if (controller.length > 250) errs.push(field.tooLong('spec.controller', 250));
  else
    for (const [v, m] of isDomainPrefixedPath(controller)) errs.push(field.invalid('spec.controller', v, m));
  if (isSet(spec.parameters)) {
    const p = rec(spec.parameters);
    if (str(p.kind) === '') errs.push(field.required('spec.parameters.kind', ''));
    if (str(p.name) === '') errs.push(field.required('spec.parameters.name', ''));
    errs.push(...oneOf(p.scope, 'spec.parameters.scope', ['Cluster', 'Namespace']));
    if (p.scope === 'Namespace' && str(p.namespace) === '') {
      errs.push(field.required('spec.parameters.namespace', '`parameters.scope` is set to "Namespace"'));
    }
    if (p.scope === 'Cluster' && str(p.namespace) !== '') {
      errs.push(field.forbidden('spec.parameters.namespace', '`parameters.scope` is set to "Cluster"'));
    }
  }
  return errs;
}

export function validateIngressClassUpdate(obj: Obj, old: Obj): FieldError[] {
  const c = str(rec(obj.spec).controller);
  const oc = str(rec(old.spec).controller);
  return c === oc ? [] : [field.invalid('spec.controller', c, 'field is immutable')];
}

// ---- NetworkPolicy -------------------------------------------------------------------------

function validatePeer(peer: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  let count = 0;
  if (isSet(peer.podSelector)) {
    count++;
    errs.push(...validateLabelSelector(peer.podSelector, child(path, 'podSelector')));
  }
  if (isSet(peer.namespaceSelector)) {
    count++;
    errs.push(...validateLabelSelector(peer.namespaceSelector, child(path, 'namespaceSelector')));
  }
  if (isSet(peer.ipBlock)) {
    if (count > 0) errs.push(field.forbidden(path, 'may not specify both ipBlock and another peer'));
    count++;
    const block = rec(peer.ipBlock);
    const cidr = str(block.cidr);
    if (cidr === '') errs.push(field.required(child(path, 'ipBlock', 'cidr'), ''));
    else if (!isCIDR(cidr)) errs.push(field.invalid(child(path, 'ipBlock', 'cidr'), cidr, CIDR_ERROR));
    arr(block.except).forEach((e, i) => {
      if (!isCIDR(str(e)))
        errs.push(field.invalid(index(child(path, 'ipBlock', 'except'), i), e, CIDR_ERROR));
    });
  }
  if (count === 0) errs.push(field.required(path, 'must specify a peer'));
  return errs;
}

function validatePolicyPort(port: Obj, path: string): FieldError[] {
  const errs = oneOf(port.protocol, child(path, 'protocol'), PROTOCOLS);
  if (isSet(port.port)) {
    if (typeof port.port === 'number') {
      errs.push(...check(port.port, child(path, 'port'), isValidPortNum));
    } else {
      for (const m of isValidPortName(str(port.port)))
        errs.push(field.invalid(child(path, 'port'), port.port, m));
    }
  }
  if (isSet(port.endPort)) {
    if (typeof port.port !== 'number') {
      errs.push(field.required(child(path, 'port'), 'must be specified when endPort is specified'));
    } else if (typeof port.endPort === 'number' && port.endPort < port.port) {
      errs.push(
        field.invalid(child(path, 'endPort'), port.endPort, 'must be greater than or equal to `port`'),
      );
    }
  }
  return errs;
}

export function validateNetworkPolicy(obj: Obj): FieldError[] {
  const spec = rec(obj.spec);
  const errs = validateLabelSelector(spec.podSelector, 'spec.podSelector');
  for (const [list, peers] of [
    ['ingress', 'from'],
    ['egress', 'to'],
  ] as const) {
    arr(spec[list]).forEach((raw, i) => {
      const p = index(`spec.${list}`, i);
      const rule = rec(raw);
      arr(rule.ports).forEach((port, j) => {
        errs.push(...validatePolicyPort(rec(port), index(child(p, 'ports'), j)));
      });
      arr(rule[peers]).forEach((peer, j) => {
        errs.push(...validatePeer(rec(peer), index(child(p, peers), j)));
      });
    });
  }
  const types = arr(spec.policyTypes);
  types.forEach((t, i) => {
    errs.push(...oneOf(t, index('spec.policyTypes', i), ['Ingress', 'Egress'], true));
  });
  if (types.length > 2)
    errs.push(field.invalid('spec.policyTypes', types, 'may not specify more than two policyTypes'));
  return errs;
}
