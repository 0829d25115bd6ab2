/**
 * How lists and maps of the built-in kinds merge: Kubernetes' `patchStrategy`/`patchMergeKey`
 * struct tags and `+listType`/`+listMapKey`/`+mapType`/`+structType` markers, which the
 * `kubernetes-types` package does not carry. Learnt from the upstream Go types (k8s.io/api and
 * k8s.io/apimachinery, v1.32) and written down here for the definitions the served kinds reach.
 * index.ts injects them into the generated schemas as `x-kubernetes-patch-strategy`,
 * `x-kubernetes-patch-merge-key`, `x-kubernetes-list-type`, `x-kubernetes-list-map-keys` and
 * `x-kubernetes-map-type`, where strategic merge patch, server-side apply and kubectl read them.
 * A test checks that every entry names a field the generated schemas declare.
 */

export interface FieldPatchMeta {
  patchStrategy?: string;
  patchMergeKey?: string;
  listType?: 'atomic' | 'set' | 'map';
  listMapKeys?: string[];
  mapType?: 'atomic' | 'granular';
}

/** A list merged by key: `patchStrategy: merge`, `patchMergeKey: key`, list-type map keyed by `mapKeys`. */
function mergeBy(key: string, ...moreMapKeys: string[]): FieldPatchMeta {
  return { patchStrategy: 'merge', patchMergeKey: key, listType: 'map', listMapKeys: [key, ...moreMapKeys] };
}

/** Like mergeBy, and a changed item keeps only the keys the patch names (volumes: one source at a time). */
function mergeRetainingKeys(key: string): FieldPatchMeta {
  return { ...mergeBy(key), patchStrategy: 'merge,retainKeys' };
}

/** A list replaced whole. */
const atomic: FieldPatchMeta = { listType: 'atomic' };
/** A list of unique scalars, merged as a set. */
const set: FieldPatchMeta = { listType: 'set' };
/** A map replaced whole (selectors). */
const atomicMap: FieldPatchMeta = { mapType: 'atomic' };
/** Conditions: one per type. */
const conditions = mergeBy('type');

const CORE = 'io.k8s.api.core.v1';
const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';

/** Container and EphemeralContainer: the same fields, merged the same way. */
const CONTAINER_FIELDS: Record<string, FieldPatchMeta> = {
  command: atomic,
  args: atomic,
  ports: mergeBy('containerPort', 'protocol'),
  envFrom: atomic,
  env: mergeBy('name'),
  resizePolicy: atomic,
  volumeMounts: mergeBy('mountPath'),
  volumeDevices: mergeBy('devicePath'),
};

/** Definition name → field → patch metadata. */
export const FIELD_PATCH_METADATA: Readonly<Record<string, Readonly<Record<string, FieldPatchMeta>>>> = {
  // Object metadata: owners keyed by uid, finalizers a merged set.
  [`${META}.ObjectMeta`]: {
    ownerReferences: mergeBy('uid'),
    finalizers: { patchStrategy: 'merge', listType: 'set' },
    managedFields: atomic,
  },
  [`${META}.LabelSelector`]: { matchExpressions: atomic },
  [`${META}.LabelSelectorRequirement`]: { values: atomic },
  [`${META}.DeleteOptions`]: { dryRun: atomic },
  [`${META}.StatusDetails`]: { causes: atomic },

  // The pod: containers by name, volumes by name keeping one source, the rest mostly atomic.
  [`${CORE}.PodSpec`]: {
    volumes: mergeRetainingKeys('name'),
    initContainers: mergeBy('name'),
    containers: mergeBy('name'),
    ephemeralContainers: mergeBy('name'),
    nodeSelector: atomicMap,
    imagePullSecrets: mergeBy('name'),
    tolerations: atomic,
    hostAliases: mergeBy('ip'),
    readinessGates: atomic,
    topologySpreadConstraints: mergeBy('topologyKey', 'whenUnsatisfiable'),
    schedulingGates: mergeBy('name'),
    resourceClaims: mergeRetainingKeys('name'),
  },
  [`${CORE}.PodStatus`]: {
    conditions,
    hostIPs: { patchStrategy: 'merge', patchMergeKey: 'ip', listType: 'atomic' },
    podIPs: mergeBy('ip'),
    initContainerStatuses: atomic,
    containerStatuses: atomic,
    ephemeralContainerStatuses: atomic,
    resourceClaimStatuses: mergeRetainingKeys('name'),
  },
  [`${CORE}.PodSecurityContext`]: { supplementalGroups: atomic, sysctls: atomic },
  [`${CORE}.PodDNSConfig`]: { nameservers: atomic, searches: atomic, options: atomic },
  [`${CORE}.HostAlias`]: { hostnames: atomic },
  [`${CORE}.TopologySpreadConstraint`]: { matchLabelKeys: atomic },

  // Containers (and ephemeral containers, which share the fields): ports by containerPort+protocol,
  // env by name, mounts by path.
  [`${CORE}.Container`]: CONTAINER_FIELDS,
  [`${CORE}.EphemeralContainer`]: CONTAINER_FIELDS,
  [`${CORE}.ContainerStatus`]: { volumeMounts: mergeBy('mountPath') },
  [`${CORE}.ResourceRequirements`]: { claims: { listType: 'map', listMapKeys: ['name'] } },
  [`${CORE}.ExecAction`]: { command: atomic },
  [`${CORE}.HTTPGetAction`]: { httpHeaders: atomic },
  [`${CORE}.Capabilities`]: { add: atomic, drop: atomic },

  // Scheduling constraints are replaced whole.
  [`${CORE}.NodeSelector`]: { nodeSelectorTerms: atomic },
  [`${CORE}.NodeSelectorTerm`]: { matchExpressions: atomic, matchFields: atomic },
  [`${CORE}.NodeSelectorRequirement`]: { values: atomic },
  [`${CORE}.NodeAffinity`]: { preferredDuringSchedulingIgnoredDuringExecution: atomic },
  [`${CORE}.PodAffinity`]: {
    requiredDuringSchedulingIgnoredDuringExecution: atomic,
    preferredDuringSchedulingIgnoredDuringExecution: atomic,
  },
  [`${CORE}.PodAntiAffinity`]: {
    requiredDuringSchedulingIgnoredDuringExecution: atomic,
    preferredDuringSchedulingIgnoredDuringExecution: atomic,
  },
  [`${CORE}.PodAffinityTerm`]: { namespaces: atomic, matchLabelKeys: atomic, mismatchLabelKeys: atomic },

  // Volume sources: their item and address lists are atomic.
  [`${CORE}.SecretVolumeSource`]: { items: atomic },
  [`${CORE}.SecretProjection`]: { items: atomic },
  [`${CORE}.ConfigMapVolumeSource`]: { items: atomic },
  [`${CORE}.ConfigMapProjection`]: { items: atomic },
  [`${CORE}.DownwardAPIVolumeSource`]: { items: atomic },
  [`${CORE}.DownwardAPIProjection`]: { items: atomic },
  [`${CORE}.ProjectedVolumeSource`]: { sources: atomic },
  [`${CORE}.RBDVolumeSource`]: { monitors: atomic },
  [`${CORE}.CephFSVolumeSource`]: { monitors: atomic },
  [`${CORE}.ISCSIVolumeSource`]: { portals: atomic },
  [`${CORE}.FCVolumeSource`]: { targetWWNs: atomic, wwids: atomic },
  [`${CORE}.PersistentVolumeClaimSpec`]: { accessModes: atomic },
  [`${CORE}.PersistentVolumeClaimStatus`]: {
    accessModes: atomic,
    conditions,
    allocatedResourceStatuses: { mapType: 'granular' },
  },

  // Services: ports by port+protocol; the selector is replaced whole.
  [`${CORE}.ServiceSpec`]: {
    ports: mergeBy('port', 'protocol'),
    selector: atomicMap,
    clusterIPs: atomic,
    externalIPs: atomic,
    loadBalancerSourceRanges: atomic,
    ipFamilies: atomic,
  },
  [`${CORE}.ServiceStatus`]: { conditions },
  [`${CORE}.LoadBalancerStatus`]: { ingress: atomic },
  [`${CORE}.LoadBalancerIngress`]: { ports: atomic },
  [`${CORE}.ServiceAccount`]: { secrets: mergeBy('name'), imagePullSecrets: atomic },
  [`${CORE}.Endpoints`]: { subsets: atomic },
  [`${CORE}.EndpointSubset`]: { addresses: atomic, notReadyAddresses: atomic, ports: atomic },

  // Nodes and namespaces: addresses and conditions by type.
  [`${CORE}.NodeSpec`]: { podCIDRs: { patchStrategy: 'merge', listType: 'set' }, taints: atomic },
  [`${CORE}.NodeStatus`]: {
    conditions,
    addresses: mergeBy('type'),
    images: atomic,
    volumesInUse: atomic,
    volumesAttached: atomic,
    runtimeHandlers: atomic,
  },
  [`${CORE}.ContainerImage`]: { names: atomic },
  [`${CORE}.NamespaceSpec`]: { finalizers: atomic },
  [`${CORE}.NamespaceStatus`]: { conditions },

  // Workloads: conditions by type; a deployment's strategy keeps only the keys a patch names.
  'io.k8s.api.apps.v1.DeploymentSpec': { strategy: { patchStrategy: 'retainKeys' } },
  'io.k8s.api.apps.v1.DeploymentStatus': { conditions },
  'io.k8s.api.apps.v1.ReplicaSetStatus': { conditions },
  'io.k8s.api.apps.v1.DaemonSetStatus': { conditions },
  'io.k8s.api.apps.v1.StatefulSetSpec': { volumeClaimTemplates: atomic },
  'io.k8s.api.apps.v1.StatefulSetStatus': { conditions },

  // Jobs: a job's conditions merge by type but are atomic for server-side apply.
  'io.k8s.api.batch.v1.JobStatus': {
    conditions: { patchStrategy: 'merge', patchMergeKey: 'type', listType: 'atomic' },
  },
  'io.k8s.api.batch.v1.UncountedTerminatedPods': { succeeded: set, failed: set },
  'io.k8s.api.batch.v1.PodFailurePolicy': { rules: atomic },
  'io.k8s.api.batch.v1.PodFailurePolicyRule': { onPodConditions: atomic },
  'io.k8s.api.batch.v1.PodFailurePolicyOnExitCodesRequirement': { values: set },
  'io.k8s.api.batch.v1.SuccessPolicy': { rules: atomic },
  'io.k8s.api.batch.v1.CronJobStatus': { active: atomic },

  // Autoscaling.
  'io.k8s.api.autoscaling.v2.HorizontalPodAutoscalerSpec': { metrics: atomic },
  'io.k8s.api.autoscaling.v2.HPAScalingRules': { policies: atomic },
  'io.k8s.api.autoscaling.v2.HorizontalPodAutoscalerStatus': { currentMetrics: atomic, conditions },

  // Networking: rules and peers are replaced whole.
  'io.k8s.api.networking.v1.NetworkPolicySpec': { ingress: atomic, egress: atomic, policyTypes: atomic },
  'io.k8s.api.networking.v1.NetworkPolicyIngressRule': { ports: atomic, from: atomic },
  'io.k8s.api.networking.v1.NetworkPolicyEgressRule': { ports: atomic, to: atomic },
  'io.k8s.api.networking.v1.IPBlock': { except: atomic },
  'io.k8s.api.networking.v1.IngressSpec': { tls: atomic, rules: atomic },
  'io.k8s.api.networking.v1.IngressTLS': { hosts: atomic },
  'io.k8s.api.networking.v1.IngressLoadBalancerStatus': { ingress: atomic },
  'io.k8s.api.networking.v1.IngressLoadBalancerIngress': { ports: atomic },
  'io.k8s.api.networking.v1.HTTPIngressRuleValue': { paths: atomic },

  // EndpointSlices.
  'io.k8s.api.discovery.v1.EndpointSlice': { endpoints: atomic, ports: atomic },
  'io.k8s.api.discovery.v1.Endpoint': { addresses: set },
  'io.k8s.api.discovery.v1.EndpointHints': { forZones: atomic },

  // RBAC: rules and subjects are replaced whole.
  'io.k8s.api.rbac.v1.PolicyRule': {
    verbs: atomic,
    apiGroups: atomic,
    resources: atomic,
    resourceNames: atomic,
    nonResourceURLs: atomic,
  },
  'io.k8s.api.rbac.v1.Role': { rules: atomic },
  'io.k8s.api.rbac.v1.ClusterRole': { rules: atomic },
  'io.k8s.api.rbac.v1.AggregationRule': { clusterRoleSelectors: atomic },
  'io.k8s.api.rbac.v1.RoleBinding': { subjects: atomic },
  'io.k8s.api.rbac.v1.ClusterRoleBinding': { subjects: atomic },

  // Disruption budgets (the eviction subresource reaches them): the selector is replaced whole.
  'io.k8s.api.policy.v1.PodDisruptionBudgetSpec': { selector: { patchStrategy: 'replace' } },
  'io.k8s.api.policy.v1.PodDisruptionBudgetStatus': { conditions },
};

/**
 * Structs that are replaced whole (`+structType=atomic`, written `x-kubernetes-map-type: atomic`
 * on the definition): references and selectors, where a partial update makes no sense.
 */
export const ATOMIC_STRUCTS: readonly string[] = [
  `${META}.LabelSelector`,
  `${META}.OwnerReference`,
  `${CORE}.ObjectReference`,
  `${CORE}.LocalObjectReference`,
  `${CORE}.TypedLocalObjectReference`,
  `${CORE}.ObjectFieldSelector`,
  `${CORE}.ResourceFieldSelector`,
  `${CORE}.ConfigMapKeySelector`,
  `${CORE}.SecretKeySelector`,
  `${CORE}.NodeSelector`,
  `${CORE}.NodeSelectorTerm`,
  `${CORE}.EndpointAddress`,
  `${CORE}.EndpointPort`,
  'io.k8s.api.networking.v1.ServiceBackendPort',
  'io.k8s.api.discovery.v1.EndpointPort',
  'io.k8s.api.rbac.v1.Subject',
  'io.k8s.api.rbac.v1.RoleRef',
];
