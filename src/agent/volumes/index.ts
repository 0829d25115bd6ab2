/**
 * Pod volumes on the node: `VolumeManager` materializes a pod's volumes (emptyDir, hostPath,
 * configMap, secret, downwardAPI, projected) in the kubelet's directory layout, keeps projected
 * files current with atomic swaps, turns `volumeMounts` into runtime mounts, and removes it all
 * when the pod is gone. Secrets only ever live on a tmpfs: see tmpfs.ts for how that is ensured.
 */
export {
  type HostVolume,
  type RefreshResult,
  type VolumeContext,
  type VolumeFailure,
  VolumeManager,
  type VolumeManagerOptions,
  type VolumePlugin,
  VolumeSetUpError,
} from './manager.js';
export { type EnsureTmpfsOptions, ensureTmpfsRoot, isTmpfs, mountTmpfs, TMPFS_MAGIC } from './tmpfs.js';
