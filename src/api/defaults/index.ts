/**
 * Defaulting as Kubernetes does it: the values `kubectl get -o yaml` shows that the user never
 * wrote (restartPolicy Always, strategy RollingUpdate 25%/25%, type ClusterIP, ...). The server
 * calls `applyDefaults` on the fresh object it built for a create or an update, before
 * validation; it mutates the object in place. Quantities are rewritten in canonical form, as
 * Kubernetes' serialization does ("0.5" → "500m").
 *
 * With `old` (an update) the create-only additions are skipped: the Pod's default service
 * account, tolerations, priority and Pending status, and the Namespace's "kubernetes" finalizer.
 */
import type { KubeObject } from '../object.js';
import type { ResourceDef } from '../resources.js';
import {
  defaultBinding,
  defaultEndpointSlice,
  defaultEndpoints,
  defaultEvent,
  defaultHorizontalPodAutoscaler,
  defaultIngress,
  defaultIngressClass,
  defaultNamespace,
  defaultNetworkPolicy,
  defaultNode,
  defaultPriorityClass,
  defaultSecret,
  defaultService,
} from './cluster.js';
import { defaultPod } from './pod.js';
import type { Obj } from './util.js';
import {
  defaultCronJob,
  defaultDaemonSet,
  defaultDeployment,
  defaultJob,
  defaultReplicaSet,
  defaultStatefulSet,
} from './workloads.js';

type Defaulter = (obj: Obj, create: boolean) => void;

/** The dispatch table, by kind. Kinds without defaults (ConfigMap, Lease, Role, ...) are absent. */
const DEFAULTERS: Readonly<Record<string, Defaulter>> = {
  Pod: defaultPod,
  Service: defaultService,
  Endpoints: defaultEndpoints,
  Secret: defaultSecret,
  Namespace: defaultNamespace,
  Node: defaultNode,
  Event: defaultEvent,
  Deployment: defaultDeployment,
  ReplicaSet: defaultReplicaSet,
  DaemonSet: defaultDaemonSet,
  StatefulSet: defaultStatefulSet,
  Job: defaultJob,
  CronJob: defaultCronJob,
  HorizontalPodAutoscaler: defaultHorizontalPodAutoscaler,
  Ingress: defaultIngress,
  IngressClass: defaultIngressClass,
  NetworkPolicy: defaultNetworkPolicy,
  EndpointSlice: defaultEndpointSlice,
  PriorityClass: defaultPriorityClass,
  RoleBinding: defaultBinding,
  ClusterRoleBinding: defaultBinding,
};

export function applyDefaults(def: ResourceDef, obj: KubeObject, old?: KubeObject): void {
  DEFAULTERS[def.kind]?.(obj as Obj, old === undefined);
}

export { defaultPullPolicy, podQOSClass } from './pod.js';
