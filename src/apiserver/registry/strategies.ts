/**
 * What differs between kinds on the write path, in one place (Kubernetes' "rest strategies"):
 * which kinds count generations, what the server resets on create, how long a graceful delete
 * waits, and whether PUT may create.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import { podQOSClass } from '../../api/defaults/index.js';
import type { KubeObject } from '../../api/object.js';
import type { ResourceDef } from '../../api/resources.js';

export interface Strategy {
  /** metadata.generation starts at 1 and grows with every change outside metadata and status. */
  generation: boolean;
  /** PUT to a missing object creates it. */
  allowCreateOnUpdate: boolean;
  /** Called on a new object after the server filled metadata, before defaults and validation. */
  prepareForCreate(obj: KubeObject): void;
  /** Seconds a DELETE waits for the object's owner to clean up (pods on nodes); 0 = delete at once. */
  gracePeriod(obj: KubeObject, requested: number | undefined): number;
}

const GENERATION_KINDS = new Set([
  'Deployment',
  'ReplicaSet',
  'DaemonSet',
  'StatefulSet',
  'Job',
  'CronJob',
  'HorizontalPodAutoscaler',
  'Ingress',
  'NetworkPolicy',
]);

const CREATE_ON_UPDATE_KINDS = new Set(['Endpoints', 'EndpointSlice', 'Lease', 'Event']);

export function strategyFor(def: ResourceDef): Strategy {
  return {
    generation: GENERATION_KINDS.has(def.kind),
    allowCreateOnUpdate: CREATE_ON_UPDATE_KINDS.has(def.kind),
    prepareForCreate: (obj) => prepareForCreate(def, obj),
    gracePeriod: (obj, requested) =>
      def.kind === 'Pod' ? podGracePeriod(obj as unknown as Pod, requested) : 0,
  };
}

function prepareForCreate(def: ResourceDef, obj: KubeObject): void {
  switch (def.kind) {
    case 'Pod': {
      obj.status = { phase: 'Pending', qosClass: podQOSClass((obj.spec ?? {}) as Record<string, unknown>) };
      return;
    }
    case 'Namespace':
      obj.status = { phase: 'Active' };
      return;
    case 'Service':
      obj.status = { loadBalancer: {} };
      return;
    case 'Node':
      // Agents register their node with its status in one request.
      return;
    case 'Job':
      addJobSelector(obj);
      obj.status = {};
      return;
    default:
      if (def.hasStatus) obj.status = {};
  }
}

/** Jobs select their pods by the Job's uid unless the user chose `manualSelector`. */
function addJobSelector(job: KubeObject): void {
  const spec = (job.spec ?? {}) as {
    manualSelector?: boolean;
    selector?: { matchLabels?: Record<string, string> };
    template?: { metadata?: { labels?: Record<string, string> } };
  };
  if (spec.manualSelector) return;
  const uid = job.metadata.uid!;
  const name = job.metadata.name!;
  spec.selector = { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } };
  spec.template ??= {};
  spec.template.metadata ??= {};
  spec.template.metadata.labels = {
    ...spec.template.metadata.labels,
    'batch.kubernetes.io/controller-uid': uid,
    'batch.kubernetes.io/job-name': name,
    'controller-uid': uid,
    'job-name': name,
  };
  job.spec = spec;
}

function podGracePeriod(pod: Pod, requested: number | undefined): number {
  // A pod no node runs yet, or one that has finished, has nothing to stop.
  if (!pod.spec?.nodeName) return 0;
  if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return 0;
  const grace = requested ?? pod.spec.terminationGracePeriodSeconds ?? 30;
  return Math.max(0, grace);
}
