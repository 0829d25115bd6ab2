import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { deepClone } from '../api/json-value.js';
import { PodInfo } from './framework/node-info.js';
import { schedulerPodView } from './pod-view.js';

/** A pod with everything an agent and a user fill in, and every field placement reads. */
function fullPod(): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'web-1',
      namespace: 'shop',
      uid: 'u1',
      resourceVersion: '42',
      labels: { app: 'web' },
      annotations: { note: 'x' },
      managedFields: [{ manager: 'kubectl', operation: 'Update', fieldsType: 'FieldsV1', fieldsV1: {} }],
    },
    spec: {
      nodeName: 'n1',
      schedulerName: 'default-scheduler',
      priority: 10,
      preemptionPolicy: 'PreemptLowerPriority',
      nodeSelector: { disk: 'ssd' },
      tolerations: [{ key: 'dedicated', operator: 'Exists' }],
      overhead: { cpu: '50m' },
      affinity: {
        podAntiAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: [
            { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { app: 'web' } } },
          ],
        },
      },
      topologySpreadConstraints: [
        { maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: {} },
      ],
      volumes: [{ name: 'data', emptyDir: {} }],
      securityContext: { runAsUser: 1000 },
      initContainers: [
        {
          name: 'sidecar',
          image: 'proxy:1',
          restartPolicy: 'Always',
          resources: { requests: { cpu: '100m', memory: '64Mi' } },
          env: [{ name: 'A', value: 'b' }],
        },
        { name: 'setup', image: 'setup:1', resources: { requests: { cpu: '2' } }, command: ['sh'] },
      ],
      containers: [
        {
          name: 'app',
          image: 'app:1',
          resources: { requests: { cpu: '500m', memory: '1Gi', 'nvidia.com/gpu': '1' } },
          ports: [{ containerPort: 80, hostPort: 8080, protocol: 'TCP' }],
          env: [{ name: 'SECRET_NAME', value: 'db' }],
          command: ['/app'],
          volumeMounts: [{ name: 'data', mountPath: '/data' }],
          readinessProbe: { httpGet: { path: '/', port: 80 } },
        },
      ],
    },
    status: {
      phase: 'Running',
      startTime: '2026-11-21T10:00:00Z',
      nominatedNodeName: 'n1',
      conditions: [
        { type: 'Ready', status: 'True' },
        { type: 'DisruptionTarget', status: 'True' },
      ],
      hostIP: '10.0.0.1',
      podIP: '10.42.0.5',
      podIPs: [{ ip: '10.42.0.5' }],
      qosClass: 'Burstable',
      containerStatuses: [
        {
          name: 'app',
          ready: true,
          restartCount: 0,
          image: 'app:1',
          imageID: 'sha256:abc',
          state: { running: { startedAt: '2026-11-21T10:00:01Z' } },
        },
      ],
    },
  };
}

describe('schedulerPodView', () => {
  it('keeps everything placement reads: the PodInfo is the same as from the whole pod', () => {
    const whole = fullPod();
    const view = schedulerPodView(deepClone(whole));
    const a = new PodInfo(whole);
    const b = new PodInfo(view);
    for (const key of [
      'uid',
      'namespace',
      'name',
      'labels',
      'priority',
      'requests',
      'nonZeroRequests',
      'hostPorts',
      'requiredAffinityTerms',
      'requiredAntiAffinityTerms',
      'preferredAffinityTerms',
      'preferredAntiAffinityTerms',
    ] as const)
      assert.deepEqual(JSON.stringify(b[key]), JSON.stringify(a[key]), key);
    assert.deepEqual(view.status, {
      phase: 'Running',
      startTime: '2026-11-21T10:00:00Z',
      nominatedNodeName: 'n1',
      conditions: [{ type: 'DisruptionTarget', status: 'True' }],
    });
  });

  it('keeps what placing a pod reads while it has no node', () => {
    const pending = fullPod();
    delete pending.spec!.nodeName;
    pending.spec!.affinity = {
      ...pending.spec!.affinity,
      nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [] },
    };
    const whole = deepClone(pending);
    const view = schedulerPodView(pending);
    assert.deepEqual(view.spec?.tolerations, whole.spec?.tolerations);
    assert.deepEqual(view.spec?.topologySpreadConstraints, whole.spec?.topologySpreadConstraints);
    assert.deepEqual(view.spec?.nodeSelector, whole.spec?.nodeSelector);
    assert.deepEqual(view.spec?.affinity, whole.spec?.affinity);
    assert.deepEqual(view.metadata?.annotations, whole.metadata?.annotations);
    assert.deepEqual(view.spec?.containers?.[0]?.image, 'app:1');
  });

  it('drops what placement never reads', () => {
    const view = schedulerPodView(fullPod());
    assert.equal(view.metadata?.managedFields, undefined);
    assert.equal(view.spec?.volumes, undefined);
    assert.equal(view.spec?.securityContext, undefined);
    // On a node: what only placing it needed goes too.
    assert.equal(view.spec?.tolerations, undefined);
    assert.equal(view.spec?.nodeSelector, undefined);
    assert.equal(view.spec?.topologySpreadConstraints, undefined);
    assert.deepEqual(Object.keys(view.metadata ?? {}), [
      'name',
      'namespace',
      'uid',
      'resourceVersion',
      'labels',
    ]);
    assert.deepEqual(Object.keys(view.spec?.affinity ?? {}), ['podAntiAffinity']);
    assert.deepEqual(view.spec?.containers, [
      {
        name: 'app',
        resources: { requests: { cpu: '500m', memory: '1Gi', 'nvidia.com/gpu': '1' } },
        ports: [{ containerPort: 80, hostPort: 8080, protocol: 'TCP' }],
      },
    ]);
    assert.deepEqual(
      view.spec?.initContainers?.map((c) => Object.keys(c)),
      [
        ['name', 'resources', 'restartPolicy'],
        ['name', 'resources'],
      ],
    );
  });
});
