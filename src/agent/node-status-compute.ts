/**
 * The Node's status as a pure function of what the agent observed: capacity and allocatable,
 * conditions with Kubernetes' reasons and timestamps, addresses, nodeInfo, the agent's port.
 * The reporter (node-status.ts) only reads the inputs and writes the result.
 *
 * Reserves (allocatable = capacity − reserve), the kubelet's default hard eviction thresholds,
 * so the scheduler never fills a node to the point where the agent would have to evict:
 * - memory: 100Mi (`memory.available<100Mi`)
 * - ephemeral-storage: 10% of the filesystem (`nodefs.available<10%`)
 * - cpu and pods: none (pods = 110, the kubelet's default maxPods)
 *
 * Pressure conditions use the same thresholds on what is available now; PIDPressure turns True
 * when fewer than 5% of the process ids are left.
 */
import type { NodeAddress, NodeCondition, NodeStatus } from 'kubernetes-types/core/v1.js';
import { formatTime } from '../api/time.js';
import { KUBERNETES_VERSION } from '../api/version.js';
import type { RuntimeInfo } from '../runtime/driver.js';
import type { HostSnapshot } from './host-stats.js';

const AGENT_VERSION = `v${KUBERNETES_VERSION}-shoal`;
const MAX_PODS = 110;
const MEMORY_RESERVE_BYTES = 100 * 1024 * 1024;
const DISK_RESERVE_FRACTION = 0.1;
const PID_RESERVE_FRACTION = 0.05;

export interface StatusInput {
  host: HostSnapshot;
  /** The runtime's last answer; undefined when it never answered. */
  runtime: RuntimeInfo | undefined;
  /** Why the runtime is not ready (an explicit report, or info() failing); undefined when it is. */
  runtimeProblem: string | undefined;
  /** The agent's HTTPS port. */
  port: number;
  /** The node's IP addresses, reported as InternalIP. */
  internalIps: string[];
  /** Pod capacity (default MAX_PODS, the kubelet's maxPods). */
  maxPods?: number;
}

interface ConditionSpec {
  type: string;
  /** Whether the condition holds ("True"); for pressures, True is bad. */
  holds: boolean;
  reason: string;
  message: string;
}

export function computeNodeStatus(
  input: StatusInput,
  previous: NodeStatus | undefined,
  now: Date,
): NodeStatus {
  const { host, runtime } = input;
  const capacity: Record<string, string> = {
    memory: kib(runtime?.memoryBytes ?? host.memory.totalBytes),
    'ephemeral-storage': kib(host.filesystem.totalBytes),
    pods: String(input.maxPods ?? MAX_PODS),
  };
  if (runtime) capacity.cpu = String(runtime.cpus);
  const allocatable: Record<string, string> = {
    ...capacity,
    memory: kib(Math.max(0, (runtime?.memoryBytes ?? host.memory.totalBytes) - MEMORY_RESERVE_BYTES)),
    'ephemeral-storage': kib(host.filesystem.totalBytes * (1 - DISK_RESERVE_FRACTION)),
  };

  const memoryPressure = host.memory.availableBytes < MEMORY_RESERVE_BYTES;
  const diskPressure =
    host.filesystem.totalBytes > 0 &&
    host.filesystem.availableBytes / host.filesystem.totalBytes < DISK_RESERVE_FRACTION;
  const pidPressure =
    host.pids.max > 0 && (host.pids.max - host.pids.inUse) / host.pids.max < PID_RESERVE_FRACTION;
  const specs: ConditionSpec[] = [
    memoryPressure
      ? {
          type: 'MemoryPressure',
          holds: true,
          reason: 'KubeletHasInsufficientMemory',
          message: 'kubelet has insufficient memory available',
        }
      : {
          type: 'MemoryPressure',
          holds: false,
          reason: 'KubeletHasSufficientMemory',
          message: 'kubelet has sufficient memory available',
        },
    diskPressure
      ? {
          type: 'DiskPressure',
          holds: true,
          reason: 'KubeletHasDiskPressure',
          message: 'kubelet has disk pressure',
        }
      : {
          type: 'DiskPressure',
          holds: false,
          reason: 'KubeletHasNoDiskPressure',
          message: 'kubelet has no disk pressure',
        },
    pidPressure
      ? {
          type: 'PIDPressure',
          holds: true,
          reason: 'KubeletHasInsufficientPID',
          message: 'kubelet has insufficient PID available',
        }
      : {
          type: 'PIDPressure',
          holds: false,
          reason: 'KubeletHasSufficientPID',
          message: 'kubelet has sufficient PID available',
        },
    input.runtimeProblem === undefined
      ? { type: 'Ready', holds: true, reason: 'KubeletReady', message: 'agent is posting ready status' }
      : {
          type: 'Ready',
          holds: false,
          reason: 'KubeletNotReady',
          message: `container runtime is not ready: ${input.runtimeProblem}`,
        },
  ];
  const stamp = formatTime(now);
  const conditions: NodeCondition[] = specs.map((c) => {
    const status = c.holds ? 'True' : 'False';
    const before = previous?.conditions?.find((p) => p.type === c.type);
    // As the kubelet: the heartbeat moves on every report, the transition only on a change of status.
    const lastTransitionTime =
      before?.status === status && before.lastTransitionTime ? before.lastTransitionTime : stamp;
    return {
      type: c.type,
      status,
      reason: c.reason,
      message: c.message,
      lastHeartbeatTime: stamp,
      lastTransitionTime,
    };
  });

  const addresses: NodeAddress[] = [
    ...input.internalIps.map((address) => ({ type: 'InternalIP', address })),
    { type: 'Hostname', address: host.hostname },
  ];
  return {
    capacity,
    allocatable,
    conditions,
    addresses,
    daemonEndpoints: { kubeletEndpoint: { Port: input.port } },
    nodeInfo: {
      machineID: host.machineId,
      systemUUID: host.systemUuid || host.machineId,
      bootID: host.bootId,
      kernelVersion: runtime?.kernelVersion ?? '',
      osImage: runtime?.osImage ?? '',
      containerRuntimeVersion: runtime?.runtimeVersion ?? '',
      kubeletVersion: AGENT_VERSION,
      kubeProxyVersion: '',
      operatingSystem: normalizeOs(runtime?.operatingSystem ?? process.platform),
      architecture: normalizeArch(runtime?.architecture ?? process.arch),
    },
  };
}

/**
 * Whether two statuses differ in anything but the heartbeat times: what makes the reporter
 * write before its periodic report is due.
 */
export function statusChanged(a: NodeStatus | undefined, b: NodeStatus): boolean {
  if (!a) return true;
  const strip = (s: NodeStatus) =>
    JSON.stringify({ ...s, conditions: s.conditions?.map(({ lastHeartbeatTime: _, ...c }) => c) });
  return strip(a) !== strip(b);
}

/** The labels the agent sets on its Node. */
export function nodeLabels(
  nodeName: string,
  hostname: string,
  runtime: RuntimeInfo | undefined,
): Record<string, string> {
  // A label value is at most 63 characters; a longer node name falls back to the host's short name.
  const host = nodeName.length <= 63 ? nodeName : hostname.split('.')[0]!.slice(0, 63);
  return {
    'kubernetes.io/hostname': host,
    'kubernetes.io/os': normalizeOs(runtime?.operatingSystem ?? process.platform),
    'kubernetes.io/arch': normalizeArch(runtime?.architecture ?? process.arch),
  };
}

/** Kubernetes' (Go's) names: amd64, arm64, … from uname's or Node's. */
export function normalizeArch(arch: string): string {
  const a = arch.toLowerCase();
  if (a === 'x86_64' || a === 'x64') return 'amd64';
  if (a === 'aarch64') return 'arm64';
  if (a === 'i386' || a === 'i686' || a === 'ia32') return '386';
  if (a === 'armv7l' || a === 'armhf') return 'arm';
  return a;
}

function normalizeOs(os: string): string {
  return os.toLowerCase() === 'win32' ? 'windows' : os.toLowerCase();
}

/** Bytes as a Kubernetes quantity in Ki, as the kubelet writes memory capacity. */
function kib(bytes: number): string {
  return `${Math.floor(bytes / 1024)}Ki`;
}
