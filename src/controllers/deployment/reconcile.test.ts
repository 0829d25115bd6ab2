import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Deployment, DeploymentCondition, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { podTemplateHash } from './hash.js';
import { type DeploymentPlan, planDeployment, sameStatus } from './reconcile.js';
import { ROLLBACK_ON_FAILURE, ROLLED_BACK, ROLLOUT_COMPLETE } from './replicasets.js';

const NOW = Date.parse('2026-01-01T01:00:00Z');
const T0 = '2026-01-01T00:00:00Z';

function template(version: string) {
  return {
    metadata: { labels: { app: 'web' } },
    spec: { containers: [{ name: 'c', image: `img:${version}` }] },
  };
}

interface DOpts {
  replicas?: number;
  version?: string;
  surge?: number | string;
  unavailable?: number | string;
  recreate?: boolean;
  paused?: boolean;
  generation?: number;
  status?: Deployment['status'];
  annotations?: Record<string, string>;
  deadline?: number;
  historyLimit?: number;
}

function deployment(o: DOpts = {}): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'web',
      namespace: 'default',
      uid: 'd-uid',
      generation: o.generation ?? 1,
      ...(o.annotations ? { annotations: o.annotations } : {}),
    },
    spec: {
      replicas: o.replicas ?? 3,
      selector: { matchLabels: { app: 'web' } },
      template: template(o.version ?? 'v1'),
      strategy: o.recreate
        ? { type: 'Recreate' }
        : {
            type: 'RollingUpdate',
            rollingUpdate: { maxSurge: o.surge ?? 1, maxUnavailable: o.unavailable ?? 0 },
          },
      revisionHistoryLimit: o.historyLimit ?? 10,
      progressDeadlineSeconds: o.deadline ?? 600,
      ...(o.paused ? { paused: true } : {}),
    },
    ...(o.status ? { status: o.status } : {}),
  };
}

interface RSOpts {
  replicas: number;
  available?: number;
  actual?: number;
  revision: number;
  created?: string;
  complete?: boolean;
  desired?: number;
  surge?: number;
}

/** A ReplicaSet of `web` for template `version`, as the Deployment controller would have made it. */
function rs(version: string, o: RSOpts): ReplicaSet {
  const hash = podTemplateHash(template(version));
  const t = template(version);
  t.metadata.labels = { ...t.metadata.labels, 'pod-template-hash': hash } as never;
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: `web-${hash}`,
      namespace: 'default',
      uid: `uid-${version}`,
      generation: 1,
      creationTimestamp: o.created ?? `2026-01-01T00:0${o.revision}:00Z`,
      labels: t.metadata.labels,
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'd-uid', controller: true },
      ],
      annotations: {
        'deployment.kubernetes.io/revision': String(o.revision),
        'deployment.kubernetes.io/desired-replicas': String(o.desired ?? 3),
        'deployment.kubernetes.io/max-replicas': String((o.desired ?? 3) + (o.surge ?? 1)),
        ...(o.complete ? { [ROLLOUT_COMPLETE]: 'true' } : {}),
      },
    },
    spec: {
      replicas: o.replicas,
      minReadySeconds: 0,
      selector: { matchLabels: { app: 'web', 'pod-template-hash': hash } },
      template: t,
    },
    status: {
      replicas: o.actual ?? o.replicas,
      readyReplicas: o.available ?? o.replicas,
      availableReplicas: o.available ?? o.replicas,
      observedGeneration: 1,
    },
  };
}

function progressing(reason: string, at = T0, status = 'True'): DeploymentCondition {
  return { type: 'Progressing', status, reason, message: '', lastUpdateTime: at, lastTransitionTime: at };
}

function plan(d: Deployment, rses: ReplicaSet[], pods: Pod[] = [], now = NOW): DeploymentPlan {
  const frozen = structuredClone({ d, rses });
  const p = planDeployment({ deployment: d, replicaSets: rses, pods, now });
  assert.deepEqual({ d, rses }, frozen, 'the planner must not modify its input');
  return p;
}

/** What each step does, in words: "create web-x 3", "update web-x 2", "delete web-x". */
function stepsOf(p: DeploymentPlan): string[] {
  return p.steps.map((s) =>
    s.op === 'delete'
      ? `delete ${s.rs.metadata!.name}`
      : `${s.op} ${s.rs.metadata!.name} ${s.rs.spec!.replicas}`,
  );
}

/** Status counts of a Deployment whose 3 replicas are all updated and available. */
const settled = { replicas: 3, updatedReplicas: 3, readyReplicas: 3, availableReplicas: 3 };

const nameOf = (version: string) => `web-${podTemplateHash(template(version))}`;
const cond = (p: DeploymentPlan, type: string) => p.status?.conditions?.find((c) => c.type === type);

describe('Deployment planning: a new Deployment', () => {
  it('creates its first ReplicaSet at full size, revision 1, with the hash on selector, template and name', () => {
    const p = plan(deployment(), []);
    assert.deepEqual(stepsOf(p), [`create ${nameOf('v1')} 3`]);
    const created = p.steps[0]!.rs;
    const hash = podTemplateHash(template('v1'));
    assert.equal(created.spec!.selector.matchLabels!['pod-template-hash'], hash);
    assert.equal(created.spec!.template!.metadata!.labels!['pod-template-hash'], hash);
    assert.equal(created.metadata!.annotations!['deployment.kubernetes.io/revision'], '1');
    assert.equal(created.metadata!.annotations!['deployment.kubernetes.io/desired-replicas'], '3');
    assert.equal(created.metadata!.annotations!['deployment.kubernetes.io/max-replicas'], '4');
    assert.equal(created.metadata!.ownerReferences![0]!.uid, 'd-uid');
    assert.deepEqual(p.steps[0]!.events, [
      {
        type: 'Normal',
        reason: 'ScalingReplicaSet',
        message: `Scaled up replica set ${nameOf('v1')} from 0 to 3`,
      },
    ]);
    assert.equal(p.deployment?.metadata?.annotations?.['deployment.kubernetes.io/revision'], '1');
    assert.equal(cond(p, 'Progressing')?.reason, 'NewReplicaSetCreated');
    assert.equal(cond(p, 'Progressing')?.message, `Created new replica set "${nameOf('v1')}"`);
    assert.equal(cond(p, 'Available')?.status, 'False');
    assert.equal(p.status?.observedGeneration, 1);
  });

  it('once all are available: complete (NewReplicaSetAvailable), the RS marked as a good revision, and then quiet', () => {
    const d = deployment({
      annotations: { 'deployment.kubernetes.io/revision': '1' },
      status: {
        observedGeneration: 1,
        replicas: 3,
        updatedReplicas: 3,
        conditions: [progressing('ReplicaSetUpdated')],
      },
    });
    const p = plan(d, [rs('v1', { replicas: 3, revision: 1 })]);
    assert.deepEqual(stepsOf(p), [`update ${nameOf('v1')} 3`]);
    assert.equal(p.steps[0]!.rs.metadata!.annotations![ROLLOUT_COMPLETE], 'true');
    assert.equal(cond(p, 'Progressing')?.reason, 'NewReplicaSetAvailable');
    assert.equal(
      cond(p, 'Progressing')?.message,
      `ReplicaSet "${nameOf('v1')}" has successfully progressed.`,
    );
    assert.equal(cond(p, 'Available')?.reason, 'MinimumReplicasAvailable');
    assert.deepEqual(
      { ...p.status, conditions: undefined },
      {
        observedGeneration: 1,
        replicas: 3,
        updatedReplicas: 3,
        readyReplicas: 3,
        availableReplicas: 3,
        unavailableReplicas: 0,
        conditions: undefined,
      },
    );
    // The next pass, with that status and RS written: nothing to do (level-triggered, idempotent).
    const again = plan({ ...d, status: p.status! }, [rs('v1', { replicas: 3, revision: 1, complete: true })]);
    assert.deepEqual(stepsOf(again), []);
    assert.equal(again.status, undefined);
    assert.equal(again.deployment, undefined);
  });
});

describe('Deployment planning: rolling update (maxSurge 1, maxUnavailable 0, 3 replicas)', () => {
  const started = {
    observedGeneration: 1,
    replicas: 3,
    updatedReplicas: 0,
    availableReplicas: 3,
    conditions: [progressing('NewReplicaSetAvailable')],
  };
  const cases: { name: string; d: Deployment; rses: ReplicaSet[]; want: string[] }[] = [
    {
      name: 'a new template: new RS at the surge (1), old untouched',
      d: deployment({ version: 'v2', generation: 2, status: started }),
      rses: [rs('v1', { replicas: 3, revision: 1, complete: true })],
      want: [`create ${nameOf('v2')} 1`],
    },
    {
      name: 'new pod not available yet: nothing may move',
      d: deployment({ version: 'v2', generation: 2, status: started }),
      rses: [rs('v1', { replicas: 3, revision: 1 }), rs('v2', { replicas: 1, available: 0, revision: 2 })],
      want: [],
    },
    {
      name: 'new pod available: one old pod goes',
      d: deployment({ version: 'v2', generation: 2, status: started }),
      rses: [rs('v1', { replicas: 3, revision: 1 }), rs('v2', { replicas: 1, revision: 2 })],
      want: [`update ${nameOf('v1')} 2`],
    },
    {
      name: 'room again: the new RS grows by one',
      d: deployment({ version: 'v2', generation: 2, status: started }),
      rses: [rs('v1', { replicas: 2, revision: 1 }), rs('v2', { replicas: 1, revision: 2 })],
      want: [`update ${nameOf('v2')} 2`],
    },
    {
      // 2 available of 3 wanted is already below minAvailable, but unavailable pods serve nobody.
      name: 'an unavailable old pod goes even when too few are available to remove an available one',
      d: deployment({ version: 'v2', generation: 2, status: started }),
      rses: [rs('v1', { replicas: 3, available: 1, revision: 1 }), rs('v2', { replicas: 1, revision: 2 })],
      want: [`update ${nameOf('v1')} 2`],
    },
  ];
  for (const c of cases) {
    it(c.name, () => assert.deepEqual(stepsOf(plan(c.d, c.rses)), c.want));
  }

  it('maxUnavailable 1, maxSurge 0: an old pod goes before any new one exists', () => {
    const d = deployment({ version: 'v2', generation: 2, surge: 0, unavailable: 1, status: started });
    const first = plan(d, [rs('v1', { replicas: 3, revision: 1, surge: 0 })]);
    // The new RS is created empty (no surge), and in the same pass the old one shrinks by one.
    assert.deepEqual(stepsOf(first), [`create ${nameOf('v2')} 0`, `update ${nameOf('v1')} 2`]);
    assert.equal(first.steps[1]!.events[0]!.message, `Scaled down replica set ${nameOf('v1')} from 3 to 2`);
  });

  it('rollout done: old RSes beyond revisionHistoryLimit are deleted, oldest revision first', () => {
    const d = deployment({
      version: 'v4',
      generation: 4,
      historyLimit: 1,
      status: {
        observedGeneration: 4,
        replicas: 3,
        updatedReplicas: 3,
        availableReplicas: 3,
        conditions: [progressing('NewReplicaSetAvailable')],
      },
    });
    const p = plan(d, [
      rs('v1', { replicas: 0, revision: 1 }),
      rs('v2', { replicas: 0, revision: 2 }),
      rs('v3', { replicas: 0, revision: 3 }),
      rs('v4', { replicas: 3, revision: 4, complete: true }),
    ]);
    assert.deepEqual(stepsOf(p), [`delete ${nameOf('v1')}`, `delete ${nameOf('v2')}`]);
  });
});

describe('Deployment planning: progress deadline', () => {
  const stalled = (at: string, extra: Partial<DOpts> = {}) =>
    deployment({
      version: 'v2',
      generation: 2,
      deadline: 10,
      ...extra,
      annotations: { 'deployment.kubernetes.io/revision': '2', ...extra.annotations },
      status: {
        observedGeneration: 2,
        replicas: 4,
        updatedReplicas: 1,
        readyReplicas: 3,
        availableReplicas: 3,
        unavailableReplicas: 1,
        conditions: [
          { ...progressing('MinimumReplicasAvailable'), type: 'Available' },
          progressing('ReplicaSetUpdated', at),
        ],
      },
    });
  const rses = () => [
    rs('v1', { replicas: 3, revision: 1, complete: true }),
    rs('v2', { replicas: 1, available: 0, revision: 2 }),
  ];

  it('no progress within the deadline: Progressing=False ProgressDeadlineExceeded', () => {
    const p = plan(stalled('2026-01-01T00:59:49Z'), rses());
    const c = cond(p, 'Progressing')!;
    assert.equal(c.status, 'False');
    assert.equal(c.reason, 'ProgressDeadlineExceeded');
    assert.equal(c.message, `ReplicaSet "${nameOf('v2')}" has timed out progressing.`);
    assert.deepEqual(stepsOf(p), [], 'the old pods keep serving');
    assert.equal(p.deployment, undefined, 'no rollback without the annotation');
  });

  it('before the deadline: no change, and a look again when it would pass', () => {
    const p = plan(stalled('2026-01-01T00:59:55Z'), rses());
    assert.equal(p.status, undefined);
    assert.equal(p.requeueAfterMs, 5000);
  });

  it('progress refreshes the condition (the deadline counts from the last progress)', () => {
    const d = stalled('2026-01-01T00:59:55Z');
    const p = plan(d, [rs('v1', { replicas: 3, revision: 1 }), rs('v2', { replicas: 1, revision: 2 })]);
    // The new pod became available: old scaled down, and Progressing updated now.
    assert.equal(cond(p, 'Progressing')?.reason, 'ReplicaSetUpdated');
    assert.equal(cond(p, 'Progressing')?.lastUpdateTime, '2026-01-01T01:00:00Z');
  });

  it('with shoal.dev/rollback-on-failure: back to the last good template, with a Warning and the condition saying so', () => {
    const d = stalled('2026-01-01T00:59:49Z', {
      annotations: { [ROLLBACK_ON_FAILURE]: 'true', 'kubernetes.io/change-cause': 'v2!' },
    });
    const p = plan(d, rses());
    assert.deepEqual(p.deployment?.spec?.template, template('v1'), 'the template without pod-template-hash');
    const annotations = p.deployment!.metadata!.annotations!;
    assert.equal(annotations[ROLLBACK_ON_FAILURE], 'true');
    assert.equal(
      annotations['kubernetes.io/change-cause'],
      undefined,
      'the target revision had no change-cause',
    );
    assert.deepEqual(JSON.parse(annotations[ROLLED_BACK]!), {
      fromRevision: 2,
      toRevision: 1,
      podTemplateHash: podTemplateHash(template('v1')),
    });
    assert.deepEqual(p.events, [
      {
        type: 'Warning',
        reason: 'RolledBack',
        message: `Rolled back from revision 2 to revision 1: ReplicaSet "${nameOf('v2')}" did not progress within 10s (progressDeadlineSeconds)`,
      },
    ]);
    const c = cond(p, 'Progressing')!;
    assert.equal(c.reason, 'ProgressDeadlineExceeded');
    assert.match(c.message!, /rolled back automatically to the template of revision 1/);
  });

  it('after the rollback the rollout stays failed, even once the old template is fully available again', () => {
    const marker = JSON.stringify({
      fromRevision: 2,
      toRevision: 1,
      podTemplateHash: podTemplateHash(template('v1')),
    });
    const d = deployment({
      version: 'v1',
      generation: 3,
      deadline: 10,
      annotations: {
        [ROLLBACK_ON_FAILURE]: 'true',
        [ROLLED_BACK]: marker,
        'deployment.kubernetes.io/revision': '3',
      },
      status: {
        observedGeneration: 3,
        replicas: 3,
        updatedReplicas: 3,
        availableReplicas: 3,
        conditions: [progressing('ProgressDeadlineExceeded', '2026-01-01T00:59:00Z', 'False')],
      },
    });
    const p = plan(d, [
      rs('v1', { replicas: 3, revision: 3, complete: true }),
      rs('v2', { replicas: 0, revision: 2 }),
    ]);
    const c = cond(p, 'Progressing')!;
    assert.equal(c.status, 'False');
    assert.equal(c.reason, 'ProgressDeadlineExceeded');
    assert.equal(c.lastUpdateTime, '2026-01-01T00:59:00Z');
    assert.match(c.message!, /Rollout of revision 2 exceeded its progress deadline; rolled back/);
    assert.equal(p.deployment, undefined, 'no second rollback');
    // And with that written, the next pass changes nothing.
    const again = plan({ ...d, status: p.status! }, [
      rs('v1', { replicas: 3, revision: 3, complete: true }),
      rs('v2', { replicas: 0, revision: 2 }),
    ]);
    assert.equal(again.status, undefined);
  });

  it('a new template after an automatic rollback is a new rollout: the marker goes', () => {
    const marker = JSON.stringify({
      fromRevision: 2,
      toRevision: 1,
      podTemplateHash: podTemplateHash(template('v1')),
    });
    const d = deployment({
      version: 'v3',
      generation: 4,
      deadline: 10,
      annotations: { [ROLLED_BACK]: marker },
      status: {
        ...settled,
        observedGeneration: 3,
        conditions: [progressing('ProgressDeadlineExceeded', T0, 'False')],
      },
    });
    const p = plan(d, [
      rs('v1', { replicas: 3, revision: 3, complete: true }),
      rs('v2', { replicas: 0, revision: 2 }),
    ]);
    assert.deepEqual(stepsOf(p), [`create ${nameOf('v3')} 1`]);
    assert.equal(p.deployment?.metadata?.annotations?.[ROLLED_BACK], undefined);
    assert.equal(cond(p, 'Progressing')?.reason, 'NewReplicaSetCreated');
  });

  it('nothing ever completed before: no rollback, one Warning saying why', () => {
    const d = stalled('2026-01-01T00:59:49Z', { annotations: { [ROLLBACK_ON_FAILURE]: 'true' } });
    const p = plan(d, [
      rs('v1', { replicas: 3, revision: 1 }),
      rs('v2', { replicas: 1, available: 0, revision: 2 }),
    ]);
    assert.equal(p.deployment, undefined);
    assert.equal(p.events[0]?.reason, 'RollbackNotPossible');
    const again = plan({ ...d, status: p.status! }, [
      rs('v1', { replicas: 3, revision: 1 }),
      rs('v2', { replicas: 1, available: 0, revision: 2 }),
    ]);
    assert.deepEqual(again.events, [], 'said once');
  });
});

describe('Deployment planning: kubectl rollout undo of a timed-out rollout', () => {
  it('the RS brought back gets the next revision and a fresh deadline (FoundNewReplicaSet)', () => {
    const d = deployment({
      version: 'v1',
      generation: 3,
      deadline: 10,
      annotations: { 'deployment.kubernetes.io/revision': '2' },
      status: {
        observedGeneration: 2,
        replicas: 4,
        updatedReplicas: 2,
        readyReplicas: 2,
        availableReplicas: 2,
        conditions: [progressing('ProgressDeadlineExceeded', T0, 'False')],
      },
    });
    const p = plan(d, [
      rs('v1', { replicas: 2, revision: 1, complete: true }),
      rs('v2', { replicas: 2, available: 0, revision: 2 }),
    ]);
    const v1 = p.steps.find((s) => s.rs.metadata!.name === nameOf('v1'))!;
    assert.equal(v1.rs.metadata!.annotations!['deployment.kubernetes.io/revision'], '3');
    assert.equal(v1.rs.metadata!.annotations!['deployment.kubernetes.io/revision-history'], '1');
    assert.equal(p.deployment?.metadata?.annotations?.['deployment.kubernetes.io/revision'], '3');
    const c = cond(p, 'Progressing')!;
    assert.equal(c.status, 'True');
    assert.equal(c.lastUpdateTime, '2026-01-01T01:00:00Z');
  });
});

describe('Deployment planning: Recreate', () => {
  const pod = (owner: string, phase: string): Pod => ({
    metadata: {
      name: `p-${owner}`,
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'x', uid: owner, controller: true },
      ],
    },
    status: { phase },
  });

  it('old RSes go to 0 first; the new RS waits until their pods are gone; then it is created at full size', () => {
    const d = deployment({ version: 'v2', generation: 2, recreate: true, status: { observedGeneration: 1 } });
    const old = rs('v1', { replicas: 3, revision: 1, surge: 0 });
    assert.deepEqual(stepsOf(plan(d, [old])), [`update ${nameOf('v1')} 0`]);
    const emptied = rs('v1', { replicas: 0, actual: 0, revision: 1, surge: 0 });
    assert.deepEqual(stepsOf(plan(d, [emptied], [pod('uid-v1', 'Running')])), [], 'a pod still terminating');
    assert.deepEqual(stepsOf(plan(d, [emptied], [pod('uid-v1', 'Succeeded')])), [`create ${nameOf('v2')} 3`]);
  });
});

describe('Deployment planning: pause and scale', () => {
  it('paused: a new template makes no new RS, Progressing says DeploymentPaused; scaling still happens', () => {
    const d = deployment({
      version: 'v2',
      paused: true,
      replicas: 5,
      generation: 3,
      status: { observedGeneration: 2 },
    });
    const p = plan(d, [rs('v1', { replicas: 3, revision: 1 })]);
    assert.deepEqual(stepsOf(p), [`update ${nameOf('v1')} 5`]);
    assert.equal(cond(p, 'Progressing')?.reason, 'DeploymentPaused');
    assert.equal(cond(p, 'Progressing')?.status, 'Unknown');
  });

  it('resumed: DeploymentResumed, and the rollout starts', () => {
    const d = deployment({
      version: 'v2',
      generation: 3,
      status: {
        ...settled,
        observedGeneration: 2,
        conditions: [progressing('DeploymentPaused', T0, 'Unknown')],
      },
    });
    const p = plan(d, [rs('v1', { replicas: 3, revision: 1 })]);
    assert.deepEqual(stepsOf(p), [`create ${nameOf('v2')} 1`]);
    // NewReplicaSetCreated replaces DeploymentResumed within the same pass.
    assert.equal(cond(p, 'Progressing')?.reason, 'NewReplicaSetCreated');
  });

  it('replicas changed mid-rollout: every active RS scales in proportion, annotations follow', () => {
    const d = deployment({
      version: 'v2',
      replicas: 6,
      generation: 3,
      status: { observedGeneration: 2, replicas: 4 },
    });
    const p = plan(d, [
      rs('v1', { replicas: 2, revision: 1 }),
      rs('v2', { replicas: 2, available: 0, revision: 2 }),
    ]);
    // allowed 6+1 = 7 over 4 pods: each RS 2*7/4 = 3.5 → 4 (halves round away from zero), capped at 3 left.
    assert.deepEqual(stepsOf(p).sort(), [`update ${nameOf('v1')} 3`, `update ${nameOf('v2')} 4`].sort());
    for (const s of p.steps)
      assert.equal(s.rs.metadata!.annotations!['deployment.kubernetes.io/desired-replicas'], '6');
  });
});

describe('Deployment planning: minReadySeconds', () => {
  it('is copied to the new ReplicaSet, where availability is judged', () => {
    const d = deployment({
      annotations: { 'deployment.kubernetes.io/revision': '1' },
      status: { ...settled, observedGeneration: 1 },
    });
    d.spec!.minReadySeconds = 5;
    const p = plan(d, [rs('v1', { replicas: 3, revision: 1, complete: true })]);
    assert.deepEqual(stepsOf(p), [`update ${nameOf('v1')} 3`]);
    assert.equal(p.steps[0]!.rs.spec!.minReadySeconds, 5);
  });
});

describe('sameStatus', () => {
  it('treats a missing count as 0 (the server drops zeros)', () => {
    assert.equal(sameStatus({ replicas: 0, observedGeneration: 1 }, { observedGeneration: 1 }), true);
    assert.equal(sameStatus({ replicas: 1 }, {}), false);
  });
});
