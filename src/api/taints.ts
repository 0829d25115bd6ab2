/**
 * The taint keys Kubernetes defines for nodes (well_known_taints.go). The node lifecycle
 * controller puts them on, the scheduler, taint eviction, pod GC and the DefaultTolerationSeconds
 * admission read them, and DaemonSet pods tolerate them: one spelling for all.
 */
export const TAINT_NOT_READY = 'node.kubernetes.io/not-ready';
export const TAINT_UNREACHABLE = 'node.kubernetes.io/unreachable';
export const TAINT_UNSCHEDULABLE = 'node.kubernetes.io/unschedulable';
export const TAINT_MEMORY_PRESSURE = 'node.kubernetes.io/memory-pressure';
export const TAINT_DISK_PRESSURE = 'node.kubernetes.io/disk-pressure';
export const TAINT_PID_PRESSURE = 'node.kubernetes.io/pid-pressure';
export const TAINT_NETWORK_UNAVAILABLE = 'node.kubernetes.io/network-unavailable';
/** Put on by an operator: the node is down for good; its pods may be force-deleted. */
export const TAINT_OUT_OF_SERVICE = 'node.kubernetes.io/out-of-service';
