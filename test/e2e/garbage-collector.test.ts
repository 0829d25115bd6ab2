/**
 * The garbage collector in a real `shoal server`, driven with the real kubectl: plain ConfigMaps
 * and Pods with hand-written ownerReferences (no workload controller involved), deleted with
 * each `--cascade` kubectl offers, and a namespace deleted with everything in it. No agents run:
 * the Pods stay unscheduled, which the API server deletes at once.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventuallyShowing } from '../support/eventually.js';
import { type ShoalServer, startShoalServer } from '../support/shoal-server.js';

let shoal: ShoalServer;
let eventually: ReturnType<typeof eventuallyShowing>;

async function ok(args: string[], input?: string): Promise<string> {
  const r = await shoal.kubectl(args, input === undefined ? undefined : { input });
  assert.equal(r.code, 0, `kubectl ${args.join(' ')} failed (${r.code}):\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

interface Meta {
  name: string;
  uid: string;
  finalizers?: string[];
  deletionTimestamp?: string;
  ownerReferences?: { uid: string; name: string }[];
}

/** The object's metadata, or undefined when it does not exist. */
async function meta(kind: string, name: string, ns: string): Promise<Meta | undefined> {
  const r = await shoal.kubectl(['get', kind, name, '-n', ns, '-o', 'json', '--ignore-not-found']);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.trim() ? (JSON.parse(r.stdout).metadata as Meta) : undefined;
}

async function configMap(ns: string, name: string, owner?: Meta, extra = ''): Promise<Meta> {
  const owners = owner
    ? `  ownerReferences:\n  - {apiVersion: v1, kind: ConfigMap, name: ${owner.name}, uid: ${owner.uid}, blockOwnerDeletion: true}\n`
    : '';
  await ok(
    ['create', '-f', '-'],
    `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: ${ns}\n${owners}${extra}`,
  );
  return (await meta('configmap', name, ns))!;
}

async function pod(ns: string, name: string, owner: Meta): Promise<void> {
  await ok(
    ['create', '-f', '-'],
    `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  namespace: ${ns}
  ownerReferences:
  - {apiVersion: v1, kind: ConfigMap, name: ${owner.name}, uid: ${owner.uid}, controller: true, blockOwnerDeletion: true}
spec:
  nodeSelector: {gc-test: nowhere}
  containers:
  - {name: c, image: busybox, imagePullPolicy: IfNotPresent}
`,
  );
}

const gone = (kind: string, name: string, ns: string) =>
  eventually(`${kind} ${ns}/${name} to be gone`, async () =>
    (await meta(kind, name, ns)) ? undefined : true,
  );

before(async () => {
  shoal = await startShoalServer();
  eventually = eventuallyShowing({ server: () => shoal.output() }, { timeoutMs: 20_000, intervalMs: 200 });
  await ok(['create', 'namespace', 'gc']);
});

after(async () => {
  await shoal?.stop();
});

describe('garbage collection with kubectl', { timeout: 110_000 }, () => {
  it('kubectl delete (background) removes the owner at once, then its dependent', async () => {
    const owner = await configMap('gc', 'bg-owner');
    await configMap('gc', 'bg-dep', owner);
    await ok(['delete', 'configmap', 'bg-owner', '-n', 'gc']);
    assert.equal(await meta('configmap', 'bg-owner', 'gc'), undefined);
    await gone('configmap', 'bg-dep', 'gc');
  });

  it('a chain of three goes, level by level', async () => {
    const a = await configMap('gc', 'chain-a');
    const b = await configMap('gc', 'chain-b', a);
    await configMap('gc', 'chain-c', b);
    await ok(['delete', 'configmap', 'chain-a', '-n', 'gc']);
    await gone('configmap', 'chain-b', 'gc');
    await gone('configmap', 'chain-c', 'gc');
  });

  it('pods owned by a ReplicaSet-like owner are deleted with it', async () => {
    const owner = await configMap('gc', 'pods-owner');
    for (const name of ['p1', 'p2', 'p3']) await pod('gc', name, owner);
    await ok(['delete', 'configmap', 'pods-owner', '-n', 'gc']);
    for (const name of ['p1', 'p2', 'p3']) await gone('pod', name, 'gc');
  });

  it('--cascade=foreground: the owner stays with its finalizer until its blocking dependents are gone', async () => {
    const owner = await configMap('gc', 'fg-owner');
    // The dependent holds itself with a finalizer, so the waiting owner can be seen.
    await configMap('gc', 'fg-dep', owner, '  finalizers: [test.shoal.dev/hold]\n');
    await ok(['delete', 'configmap', 'fg-owner', '-n', 'gc', '--cascade=foreground', '--wait=false']);
    await eventually('the dependent to be deleted', async () =>
      (await meta('configmap', 'fg-dep', 'gc'))?.deletionTimestamp ? true : undefined,
    );
    const waiting = await meta('configmap', 'fg-owner', 'gc');
    assert.ok(waiting?.deletionTimestamp, 'the owner is still there, being deleted');
    assert.deepEqual(waiting.finalizers, ['foregroundDeletion']);
    await ok([
      'patch',
      'configmap',
      'fg-dep',
      '-n',
      'gc',
      '--type=merge',
      '-p',
      '{"metadata":{"finalizers":null}}',
    ]);
    await gone('configmap', 'fg-dep', 'gc');
    await gone('configmap', 'fg-owner', 'gc');
  });

  it('--cascade=orphan: the dependents stay, without the reference', async () => {
    const owner = await configMap('gc', 'or-owner');
    await configMap('gc', 'or-a', owner);
    await configMap('gc', 'or-b', owner);
    await ok(['delete', 'configmap', 'or-owner', '-n', 'gc', '--cascade=orphan']);
    await gone('configmap', 'or-owner', 'gc');
    for (const name of ['or-a', 'or-b']) {
      const dep = await meta('configmap', name, 'gc');
      assert.ok(dep, `${name} stays`);
      assert.equal(dep.ownerReferences, undefined, `${name} has no owner left`);
    }
  });

  it('kubectl delete namespace leaves nothing behind', async () => {
    await ok(['create', 'namespace', 'doomed']);
    const owner = await configMap('doomed', 'owner');
    const mid = await configMap('doomed', 'mid', owner);
    await configMap('doomed', 'leaf', mid);
    await configMap('doomed', 'held', owner, '  finalizers: [foregroundDeletion]\n');
    await pod('doomed', 'pod-a', owner);
    await ok(['create', 'secret', 'generic', 's', '-n', 'doomed', '--from-literal=k=v']);
    await ok(['delete', 'namespace', 'doomed', '--wait=false']);
    await eventually(
      'namespace doomed to be gone',
      async () => {
        const r = await shoal.kubectl(['get', 'namespace', 'doomed', '--ignore-not-found', '-o', 'name']);
        return r.code === 0 && r.stdout.trim() === '' ? true : undefined;
      },
      40_000,
    );
    const left = await shoal.kubectl(['get', 'configmaps,secrets,pods', '-n', 'doomed', '-o', 'name']);
    assert.equal(left.stdout.trim(), '', `left behind: ${left.stdout}`);
  });
});
