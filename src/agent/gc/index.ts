/**
 * Garbage collection of the node's dead containers and unused images, as kubelet's: the pure
 * decisions (`container-gc.ts`, `image-gc.ts`) and the collector that runs them on a period and
 * carries them out (`collector.ts`). docs/agent.md, "Garbage collection", tells the rules.
 */
export {
  GarbageCollector,
  type GarbageCollectorOptions,
  type GcSettings,
  type ImageGcResult,
} from './collector.js';
export {
  CONTAINER_GC_PERIOD_MS,
  type ContainerGcPolicy,
  checkContainerGcPolicy,
  DEFAULT_CONTAINER_GC_POLICY,
  planContainerGc,
} from './container-gc.js';
export {
  DEFAULT_IMAGE_GC_POLICY,
  IMAGE_GC_PERIOD_MS,
  type ImageGcInput,
  type ImageGcPlan,
  type ImageGcPolicy,
  type ImageUsage,
  ImageUsageTracker,
  InvalidDiskCapacityError,
  imageGcPolicyProblem,
  planImageGc,
} from './image-gc.js';
