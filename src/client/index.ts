/**
 * Shoal's client: everything outside the API server reaches the cluster through this folder.
 * `loadKubeconfig` finds the cluster and credentials; `Client` speaks the Kubernetes REST API
 * (CRUD, patch types, subresources, tables, watch); `Informer` keeps a read-only local cache
 * current with list + watch; `WorkQueue` turns changes into de-duplicated, rate-limited keys for
 * controllers to reconcile.
 */
export { Backoff, type BackoffOptions } from './backoff.js';
export {
  clientSink,
  EventRecorder,
  type EventSink,
  type EventType,
  podRef,
  type Recorder,
} from './events.js';
export {
  type AddHandler,
  type DeleteHandler,
  deepFreeze,
  Informer,
  type InformerOptions,
  keyOf,
  splitKey,
  type UpdateHandler,
} from './informer.js';
export {
  type ClusterConnection,
  KubeconfigError,
  type KubeconfigSource,
  kubeconfigPaths,
  loadKubeconfig,
} from './kubeconfig.js';
export {
  Client,
  type ClientOptions,
  ConnectionError,
  type DeleteOptions,
  type GetOptions,
  type ListOptions,
  PATCH_CONTENT_TYPES,
  type PatchOptions,
  type PatchType,
  TABLE_ACCEPT,
  type Table,
  type TableColumn,
  type TableRow,
  type WatchOptions,
  type WriteOptions,
} from './rest.js';
export { GoneError, isGone, type WatchEvent, type WatchEventType, WatchStreamError } from './watch.js';
export {
  BucketRateLimiter,
  defaultControllerRateLimiter,
  ItemExponentialRateLimiter,
  MaxOfRateLimiter,
  type RateLimiter,
  WorkQueue,
} from './workqueue.js';
