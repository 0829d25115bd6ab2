/**
 * Pod spec → the runtime-neutral specs of src/runtime/driver.ts (pure). Env and mounts come in
 * already resolved (env.ts, volumes/); this adds the parts that are a straight reading of the pod:
 * command and args, resources in runtime units, the merged pod/container security context, labels.
 */
import type { Container, Pod, PodSecurityContext, SecurityContext } from 'kubernetes-types/core/v1.js';
import { quantityMilliValue, quantityValue } from '../api/quantity.js';
import {
  type ContainerSpec,
  LABEL_SPEC_HASH,
  type Mount,
  type PortMapping,
  type ResourceLimits,
  type SandboxSpec,
  type SecuritySettings,
} from '../runtime/driver.js';
import { expandVars, literalIfUnknown } from './expansion.js';
import { specHash } from './pod-plan.js';

export class PodSpecError extends Error {
  override name = 'PodSpecError';
}

export function sandboxSpec(pod: Pod): SandboxSpec {
  const meta = pod.metadata ?? {};
  const spec = pod.spec ?? { containers: [] };
  const ports: PortMapping[] = [];
  for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
    for (const p of c.ports ?? []) {
      if (!p.hostPort) continue;
      const mapping: PortMapping = {
        containerPort: p.containerPort,
        protocol: (p.protocol ?? 'TCP') as PortMapping['protocol'],
        hostPort: p.hostPort,
      };
      if (p.hostIP) mapping.hostIP = p.hostIP;
      ports.push(mapping);
    }
  }
  const hostname = spec.hostname ?? meta.name ?? '';
  const out: SandboxSpec = {
    podUid: meta.uid ?? '',
    podName: meta.name ?? '',
    namespace: meta.namespace ?? 'default',
    labels: {},
    hostname: hostname.slice(0, 63),
    hostNetwork: spec.hostNetwork ?? false,
    ports,
  };
  const hosts = (spec.hostAliases ?? []).map((a) => `${a.ip} ${(a.hostnames ?? []).join(' ')}`.trim());
  if (hosts.length > 0) out.extraHosts = hosts;
  // The pod's own dnsConfig on top of the runtime's resolver (cluster DNS comes with networking).
  const dns = spec.dnsConfig;
  if (dns) {
    out.dns = {
      nameservers: [...(dns.nameservers ?? [])],
      searches: [...(dns.searches ?? [])],
      options: (dns.options ?? []).map((o) => (o.value ? `${o.name}:${o.value}` : (o.name ?? ''))),
    };
  }
  return out;
}

function resourceLimits(container: Container): ResourceLimits {
  const r = container.resources ?? {};
  const out: ResourceLimits = {};
  const cpuReq = r.requests?.cpu ?? r.limits?.cpu;
  if (cpuReq !== undefined) out.cpuRequestMilli = quantityMilliValue(cpuReq);
  if (r.limits?.cpu !== undefined) out.cpuLimitMilli = quantityMilliValue(r.limits.cpu);
  if (r.limits?.memory !== undefined) out.memoryLimitBytes = quantityValue(r.limits.memory);
  const memReq = r.requests?.memory ?? r.limits?.memory;
  if (memReq !== undefined) out.memoryRequestBytes = quantityValue(memReq);
  return out;
}

/** The container's security context over the pod's, as Kubernetes merges them. */
function securitySettings(
  pod: PodSecurityContext | undefined,
  c: SecurityContext | undefined,
): SecuritySettings {
  const out: SecuritySettings = {};
  const runAsUser = c?.runAsUser ?? pod?.runAsUser;
  const runAsGroup = c?.runAsGroup ?? pod?.runAsGroup;
  if (runAsUser !== undefined) out.runAsUser = runAsUser;
  if (runAsGroup !== undefined) out.runAsGroup = runAsGroup;
  const groups = [...(pod?.supplementalGroups ?? [])];
  if (pod?.fsGroup !== undefined) groups.push(pod.fsGroup);
  if (groups.length > 0) out.supplementalGroups = groups;
  if (c?.readOnlyRootFilesystem !== undefined) out.readOnlyRootFilesystem = c.readOnlyRootFilesystem;
  if (c?.privileged !== undefined) out.privileged = c.privileged;
  if (c?.capabilities?.add?.length) out.capAdd = [...c.capabilities.add];
  if (c?.capabilities?.drop?.length) out.capDrop = [...c.capabilities.drop];
  if (c?.allowPrivilegeEscalation !== undefined) out.allowPrivilegeEscalation = c.allowPrivilegeEscalation;
  return out;
}

/**
 * `runAsNonRoot` can only be checked against the user the container will really run as. The
 * runtime driver does not report the image's user, so without a uid in the spec the container
 * counts as root and is refused (Kubernetes accepts it when the image's USER is a non-zero uid).
 */
export function checkRunAsNonRoot(pod: Pod, container: Container): void {
  const nonRoot = container.securityContext?.runAsNonRoot ?? pod.spec?.securityContext?.runAsNonRoot;
  if (!nonRoot) return;
  const uid = container.securityContext?.runAsUser ?? pod.spec?.securityContext?.runAsUser;
  if (uid === undefined || uid === 0) {
    throw new PodSpecError('container has runAsNonRoot and image will run as root');
  }
}

export function containerSpec(
  pod: Pod,
  container: Container,
  kind: 'container' | 'init',
  attempt: number,
  env: Array<{ name: string; value: string }>,
  mounts: Mount[],
): ContainerSpec {
  const meta = pod.metadata ?? {};
  const out: ContainerSpec = {
    podUid: meta.uid ?? '',
    podName: meta.name ?? '',
    namespace: meta.namespace ?? 'default',
    name: container.name,
    kind,
    attempt,
    image: container.image ?? '',
    env: env.map((e) => ({ name: e.name, value: e.value })),
    mounts,
    resources: resourceLimits(container),
    security: securitySettings(pod.spec?.securityContext, container.securityContext),
    tty: container.tty ?? false,
    stdin: container.stdin ?? false,
    stdinOnce: container.stdinOnce ?? false,
    labels: { [LABEL_SPEC_HASH]: specHash(container) },
  };
  const lookup = literalIfUnknown(new Map(env.map((e) => [e.name, e.value])));
  if (container.command) out.command = container.command.map((s) => expandVars(s, lookup));
  if (container.args) out.args = container.args.map((s) => expandVars(s, lookup));
  if (container.workingDir) out.workingDir = container.workingDir;
  if (container.terminationMessagePath) out.terminationMessagePath = container.terminationMessagePath;
  return out;
}
