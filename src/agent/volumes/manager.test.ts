import assert from 'node:assert/strict';
import { lstat, readdir, readFile, readlink, stat, statfs, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Container, Pod, Volume } from 'kubernetes-types/core/v1.js';
import { ContainerConfigError } from '../config-error.js';
import { FakeObjectSource } from '../fake-object-source.js';
import { type HostVolume, VolumeManager, VolumeSetUpError } from './manager.js';
import { diskDir, tmpfsDir } from './test-dirs.js';
import { TMPFS_MAGIC } from './tmpfs.js';

let uidCounter = 0;
function podWith(volumes: Volume[], containers: Container[] = [{ name: 'app' }]): Pod {
  return {
    metadata: {
      name: 'web-0',
      namespace: 'shop',
      uid: `uid-${++uidCounter}`,
      labels: { app: 'web' },
      annotations: { team: 'a' },
    },
    spec: { nodeName: 'node-a', volumes, containers },
  };
}

describe('VolumeManager', () => {
  let disk: Awaited<ReturnType<typeof diskDir>>;
  let shm: Awaited<ReturnType<typeof tmpfsDir>>;
  let sources: FakeObjectSource;
  let manager: VolumeManager;
  before(async () => {
    disk = await diskDir('volumes');
    shm = await tmpfsDir('volumes');
    sources = new FakeObjectSource()
      .setConfigMap(
        'shop',
        'app-config',
        { 'app.yaml': 'port: 80\n', LOG_LEVEL: 'info' },
        { 'logo.bin': Buffer.from([0, 1, 2, 255]) },
      )
      .setSecret('shop', 'db', { password: 's3cr3t', user: 'app' });
    manager = new VolumeManager({
      root: join(disk.path, 'pods'),
      tmpfsRoot: shm.path,
      sources,
      nodeName: 'node-a',
    });
  });
  after(async () => {
    await disk.cleanup();
    await shm.cleanup();
  });

  const text = (path: string) => readFile(path, 'utf8');
  const mode = async (path: string) => (await stat(path)).mode & 0o777;

  describe('setUp', () => {
    it('emptyDir: a world-writable directory in the kubelet layout', async () => {
      const pod = podWith([{ name: 'scratch', emptyDir: {} }]);
      const vol = (await manager.setUp(pod)).get('scratch')!;
      assert.equal(
        vol.path,
        join(disk.path, 'pods', pod.metadata!.uid!, 'volumes/kubernetes.io~empty-dir/scratch'),
      );
      assert.equal(await mode(vol.path), 0o777);
      assert.deepEqual([vol.readOnly, vol.memory], [false, false]);
    });

    it('emptyDir with medium Memory lives on the tmpfs', async () => {
      const pod = podWith([{ name: 'cache', emptyDir: { medium: 'Memory' } }]);
      const vol = (await manager.setUp(pod)).get('cache')!;
      assert.ok(vol.path.startsWith(`${shm.path}/`));
      assert.equal((await statfs(vol.path)).type, TMPFS_MAGIC);
      assert.equal(vol.memory, true);
    });

    it('hostPath: the host path itself, after its type check', async () => {
      const pod = podWith([
        { name: 'host', hostPath: { path: join(disk.path, 'made'), type: 'DirectoryOrCreate' } },
      ]);
      const vol = (await manager.setUp(pod)).get('host')!;
      assert.equal(vol.path, join(disk.path, 'made'));
      assert.ok((await stat(vol.path)).isDirectory());
      const bad = podWith([{ name: 'host', hostPath: { path: join(disk.path, 'missing'), type: 'File' } }]);
      await assert.rejects(manager.setUp(bad), {
        message: `MountVolume.SetUp failed for volume "host" : hostPath ${join(disk.path, 'missing')} doesn't exist`,
      });
    });

    it('configMap: every key (data and binaryData) with defaultMode, read-only, on disk', async () => {
      const pod = podWith([{ name: 'cfg', configMap: { name: 'app-config', defaultMode: 0o640 } }]);
      const vol = (await manager.setUp(pod)).get('cfg')!;
      assert.equal(
        vol.path,
        join(disk.path, 'pods', pod.metadata!.uid!, 'volumes/kubernetes.io~configmap/cfg'),
      );
      assert.equal(vol.readOnly, true);
      assert.equal(await text(join(vol.path, 'app.yaml')), 'port: 80\n');
      assert.deepEqual([...(await readFile(join(vol.path, 'logo.bin')))], [0, 1, 2, 255]);
      assert.equal(await mode(join(vol.path, 'LOG_LEVEL')), 0o640);
      assert.equal(await readlink(join(vol.path, 'app.yaml')), '..data/app.yaml');
    });

    it('configMap items: only the listed keys, at their paths, with their modes', async () => {
      const pod = podWith([
        {
          name: 'cfg',
          configMap: {
            name: 'app-config',
            items: [
              { key: 'app.yaml', path: 'conf/app.yaml', mode: 0o600 },
              { key: 'LOG_LEVEL', path: 'level' },
            ],
          },
        },
      ]);
      const vol = (await manager.setUp(pod)).get('cfg')!;
      assert.equal(await text(join(vol.path, 'conf/app.yaml')), 'port: 80\n');
      assert.equal(await mode(join(vol.path, 'conf/app.yaml')), 0o600);
      assert.equal(await mode(join(vol.path, 'level')), 0o644);
      await assert.rejects(lstat(join(vol.path, 'logo.bin')), { code: 'ENOENT' });
    });

    it('configMap: missing object or key fail unless optional', async () => {
      const optional = podWith([
        { name: 'a', configMap: { name: 'nope', optional: true } },
        { name: 'b', configMap: { name: 'app-config', optional: true, items: [{ key: 'nope', path: 'x' }] } },
      ]);
      const vols = await manager.setUp(optional);
      // An empty volume: the writer's own entries and nothing else.
      assert.deepEqual(
        (await readdir(vols.get('a')!.path)).filter((e) => !e.startsWith('..')),
        [],
      );
      await lstat(join(vols.get('a')!.path, '..data'));
      await assert.rejects(lstat(join(vols.get('b')!.path, 'x')), { code: 'ENOENT' });

      const required = podWith([
        { name: 'a', configMap: { name: 'nope' } },
        { name: 'b', configMap: { name: 'app-config', items: [{ key: 'nope', path: 'x' }] } },
        { name: 'ok', emptyDir: {} },
      ]);
      await assert.rejects(manager.setUp(required), (err: unknown) => {
        assert.ok(err instanceof VolumeSetUpError);
        assert.equal(err.reason, 'FailedMount');
        assert.deepEqual(err.failures, [
          { volume: 'a', message: 'MountVolume.SetUp failed for volume "a" : configmap "nope" not found' },
          {
            volume: 'b',
            message:
              'MountVolume.SetUp failed for volume "b" : configmap references non-existent config key: nope',
          },
        ]);
        return true;
      });
    });

    it('secret: decoded files on the tmpfs, never on disk', async () => {
      const pod = podWith([
        {
          name: 'creds',
          secret: { secretName: 'db', items: [{ key: 'password', path: 'pw', mode: 0o400 }] },
        },
      ]);
      const vol = (await manager.setUp(pod)).get('creds')!;
      assert.ok(vol.path.startsWith(`${shm.path}/${pod.metadata!.uid}/volumes/kubernetes.io~secret/`));
      const file = join(vol.path, 'pw');
      assert.equal(await text(file), 's3cr3t');
      assert.equal(await mode(file), 0o400);
      assert.equal((await statfs(file)).type, TMPFS_MAGIC);
      assert.equal(vol.readOnly, true);
      await assert.rejects(
        lstat(join(disk.path, 'pods', pod.metadata!.uid!, 'volumes/kubernetes.io~secret')),
        {
          code: 'ENOENT',
        },
      );
    });

    it('secret: missing fails unless optional', async () => {
      await assert.rejects(manager.setUp(podWith([{ name: 's', secret: { secretName: 'nope' } }])), {
        message: 'MountVolume.SetUp failed for volume "s" : secret "nope" not found',
      });
      await assert.rejects(
        manager.setUp(
          podWith([{ name: 's', secret: { secretName: 'db', items: [{ key: 'k', path: 'k' }] } }]),
        ),
        { message: 'MountVolume.SetUp failed for volume "s" : references non-existent secret key: k' },
      );
      await manager.setUp(podWith([{ name: 's', secret: { secretName: 'nope', optional: true } }]));
    });

    it('refuses to put a secret anywhere that is not a tmpfs', async () => {
      const onDisk = new VolumeManager({
        root: join(disk.path, 'pods2'),
        tmpfsRoot: join(disk.path),
        sources,
        nodeName: 'node-a',
      });
      await assert.rejects(onDisk.setUp(podWith([{ name: 'creds', secret: { secretName: 'db' } }])), {
        message: new RegExp(
          `^MountVolume.SetUp failed for volume "creds" : refusing to store secret volume "creds" in ${disk.path}: it is not a tmpfs`,
        ),
      });
    });

    it('downwardAPI: metadata and resource items', async () => {
      const pod = podWith(
        [
          {
            name: 'info',
            downwardAPI: {
              items: [
                { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } },
                { path: 'name', fieldRef: { fieldPath: 'metadata.name' } },
                { path: 'team', fieldRef: { fieldPath: "metadata.annotations['team']" } },
                {
                  path: 'cpu',
                  resourceFieldRef: { containerName: 'app', resource: 'limits.cpu', divisor: '1m' },
                },
                {
                  path: 'mem',
                  resourceFieldRef: { containerName: 'app', resource: 'limits.memory', divisor: '1Mi' },
                },
              ],
            },
          },
        ],
        [{ name: 'app', resources: { limits: { cpu: '500m' } } }],
      );
      const vol = (await manager.setUp(pod, { allocatable: { memory: '2Gi' } })).get('info')!;
      assert.equal(await text(join(vol.path, 'labels')), 'app="web"\n');
      assert.equal(await text(join(vol.path, 'name')), 'web-0');
      assert.equal(await text(join(vol.path, 'team')), 'a');
      assert.equal(await text(join(vol.path, 'cpu')), '500');
      assert.equal(await text(join(vol.path, 'mem')), '2048');
      assert.equal(vol.memory, false);
    });

    it('downwardAPI: every bad item is reported', async () => {
      const pod = podWith([
        {
          name: 'info',
          downwardAPI: {
            items: [
              { path: 'ip', fieldRef: { fieldPath: 'status.podIP' } },
              { path: 'x', resourceFieldRef: { containerName: 'ghost', resource: 'limits.cpu' } },
            ],
          },
        },
      ]);
      await assert.rejects(manager.setUp(pod), {
        message:
          'MountVolume.SetUp failed for volume "info" : [unsupported fieldPath: status.podIP, container ghost not found]',
      });
    });

    it('projected: configMap, secret and downwardAPI sources in one tmpfs-backed volume', async () => {
      const pod = podWith([
        {
          name: 'all',
          projected: {
            defaultMode: 0o440,
            sources: [
              { configMap: { name: 'app-config', items: [{ key: 'LOG_LEVEL', path: 'config/level' }] } },
              { secret: { name: 'db', items: [{ key: 'user', path: 'secret/user', mode: 0o400 }] } },
              { downwardAPI: { items: [{ path: 'pod/name', fieldRef: { fieldPath: 'metadata.name' } }] } },
            ],
          },
        },
      ]);
      const vol = (await manager.setUp(pod)).get('all')!;
      assert.equal(vol.plugin, 'kubernetes.io~projected');
      assert.equal(vol.memory, true);
      assert.equal((await statfs(vol.path)).type, TMPFS_MAGIC);
      assert.equal(await text(join(vol.path, 'config/level')), 'info');
      assert.equal(await mode(join(vol.path, 'config/level')), 0o440);
      assert.equal(await text(join(vol.path, 'secret/user')), 'app');
      assert.equal(await mode(join(vol.path, 'secret/user')), 0o400);
      assert.equal(await text(join(vol.path, 'pod/name')), 'web-0');
    });

    it('projected serviceAccountToken and unsupported volume types are clear errors', async () => {
      const pod = podWith([
        { name: 'token', projected: { sources: [{ serviceAccountToken: { path: 'token' } }] } },
        { name: 'claim', persistentVolumeClaim: { claimName: 'data' } },
      ]);
      await assert.rejects(manager.setUp(pod), (err: unknown) => {
        assert.ok(err instanceof VolumeSetUpError);
        assert.deepEqual(
          err.failures.map((f) => f.message),
          [
            'MountVolume.SetUp failed for volume "token" : projected serviceAccountToken (path "token") is not supported by Shoal yet',
            'MountVolume.SetUp failed for volume "claim" : volume type "persistentVolumeClaim" is not supported by Shoal yet',
          ],
        );
        return true;
      });
    });

    it('refuses pods bound to another node and uids that are no directory name', async () => {
      const elsewhere = podWith([]);
      elsewhere.spec!.nodeName = 'node-b';
      await assert.rejects(manager.setUp(elsewhere), {
        message: 'pod shop/web-0 is bound to node "node-b", not to this node "node-a"',
      });
      const plain = podWith([]);
      const sneaky: Pod = { ...plain, metadata: { ...plain.metadata, uid: '../../etc' } };
      await assert.rejects(
        manager.setUp(sneaky),
        /^Error: pod shop\/web-0: metadata.uid "..\/..\/etc" cannot name a directory/,
      );
      await assert.rejects(manager.tearDown('..'), /cannot name a directory/);
    });
  });

  describe('refresh', () => {
    it('rewrites only volumes whose source changed, and removed keys disappear', async () => {
      const s = new FakeObjectSource()
        .setConfigMap('shop', 'live', { a: '1', b: '2' })
        .setSecret('shop', 'pw', { p: 'x' });
      const m = new VolumeManager({
        root: join(disk.path, 'pods'),
        tmpfsRoot: shm.path,
        sources: s,
        nodeName: 'node-a',
      });
      const pod = podWith([
        { name: 'cfg', configMap: { name: 'live' } },
        { name: 'sec', secret: { secretName: 'pw' } },
        {
          name: 'info',
          downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] },
        },
        { name: 'scratch', emptyDir: {} },
      ]);
      const vols = await m.setUp(pod);
      const cfg = vols.get('cfg')!.path;
      const version = await readlink(join(cfg, '..data'));

      assert.deepEqual(await m.refresh(pod), { updated: [], failures: [] });
      assert.equal(await readlink(join(cfg, '..data')), version);

      s.setConfigMap('shop', 'live', { a: '1', c: '3' });
      s.setSecret('shop', 'pw', { p: 'y' });
      pod.metadata!.labels = { app: 'web', version: '2' };
      assert.deepEqual(await m.refresh(pod), { updated: ['cfg', 'sec', 'info'], failures: [] });
      assert.equal(await text(join(cfg, 'c')), '3');
      await assert.rejects(lstat(join(cfg, 'b')), { code: 'ENOENT' });
      assert.equal(await text(join(vols.get('sec')!.path, 'p')), 'y');
      assert.equal(await text(join(vols.get('info')!.path, 'labels')), 'app="web"\nversion="2"\n');
    });

    it('keeps the previous files when the source is gone, and reports it', async () => {
      const s = new FakeObjectSource().setConfigMap('shop', 'live', { a: '1' });
      const m = new VolumeManager({
        root: join(disk.path, 'pods'),
        tmpfsRoot: shm.path,
        sources: s,
        nodeName: 'node-a',
      });
      const pod = podWith([{ name: 'cfg', configMap: { name: 'live' } }]);
      const cfg = (await m.setUp(pod)).get('cfg')!.path;
      s.deleteConfigMap('shop', 'live');
      assert.deepEqual(await m.refresh(pod), {
        updated: [],
        failures: [
          {
            volume: 'cfg',
            message: 'MountVolume.SetUp failed for volume "cfg" : configmap "live" not found',
          },
        ],
      });
      assert.equal(await text(join(cfg, 'a')), '1');
    });

    it('leaves volumes that were never set up alone', async () => {
      const pod = podWith([{ name: 'cfg', configMap: { name: 'app-config' } }]);
      assert.deepEqual(await manager.refresh(pod), { updated: [], failures: [] });
      await assert.rejects(lstat(join(disk.path, 'pods', pod.metadata!.uid!)), { code: 'ENOENT' });
    });
  });

  describe('mountsFor', () => {
    let pod: Pod;
    let vols: Map<string, HostVolume>;
    before(async () => {
      pod = podWith([
        { name: 'data', emptyDir: {} },
        { name: 'cfg', configMap: { name: 'app-config' } },
        { name: 'creds', secret: { secretName: 'db' } },
        {
          name: 'info',
          downwardAPI: { items: [{ path: 'name', fieldRef: { fieldPath: 'metadata.name' } }] },
        },
      ]);
      vols = await manager.setUp(pod);
    });
    const mounts = (container: Omit<Container, 'name'>, env: Array<{ name: string; value: string }> = []) =>
      manager.mountsFor(pod, { name: 'app', ...container }, vols, env);

    it('maps volumeMounts; API-data volumes are always read-only', async () => {
      const got = await mounts({
        volumeMounts: [
          { name: 'data', mountPath: '/data' },
          { name: 'data', mountPath: '/data-ro', readOnly: true, mountPropagation: 'HostToContainer' },
          { name: 'cfg', mountPath: '/etc/app' },
          { name: 'creds', mountPath: '/run/secrets', readOnly: false },
          { name: 'info', mountPath: '/etc/podinfo', mountPropagation: 'None' },
        ],
      });
      assert.deepEqual(got, [
        { hostPath: vols.get('data')!.path, containerPath: '/data', readOnly: false },
        {
          hostPath: vols.get('data')!.path,
          containerPath: '/data-ro',
          readOnly: true,
          propagation: 'rslave',
        },
        { hostPath: vols.get('cfg')!.path, containerPath: '/etc/app', readOnly: true },
        { hostPath: vols.get('creds')!.path, containerPath: '/run/secrets', readOnly: true },
        {
          hostPath: vols.get('info')!.path,
          containerPath: '/etc/podinfo',
          readOnly: true,
          propagation: 'private',
        },
      ]);
    });

    it('an unknown volume is a config error', async () => {
      await assert.rejects(mounts({ volumeMounts: [{ name: 'ghost', mountPath: '/x' }] }), (err: unknown) => {
        assert.ok(err instanceof ContainerConfigError);
        assert.equal(err.message, 'cannot find volume "ghost" to mount into container "app"');
        return true;
      });
    });

    it('subPath: a directory inside the volume, created with the volume mode when missing', async () => {
      const [m] = await mounts({ volumeMounts: [{ name: 'data', mountPath: '/logs', subPath: 'logs/app' }] });
      assert.equal(m!.hostPath, join(vols.get('data')!.path, 'logs/app'));
      assert.equal(await mode(m!.hostPath), 0o777);
    });

    it('subPath of a configMap key mounts that file (its current version)', async () => {
      const [m] = await mounts({
        volumeMounts: [{ name: 'cfg', mountPath: '/etc/app.yaml', subPath: 'app.yaml' }],
      });
      const version = await readlink(join(vols.get('cfg')!.path, '..data'));
      assert.equal(m!.hostPath, join(vols.get('cfg')!.path, version, 'app.yaml'));
      assert.equal(m!.readOnly, true);
    });

    it('subPathExpr expands the container env; missing values are errors', async () => {
      const [m] = await mounts(
        { volumeMounts: [{ name: 'data', mountPath: '/out', subPathExpr: 'pods/$(POD_NAME)' }] },
        [{ name: 'POD_NAME', value: 'web-0' }],
      );
      assert.equal(m!.hostPath, join(vols.get('data')!.path, 'pods/web-0'));
      await assert.rejects(
        mounts({ volumeMounts: [{ name: 'data', mountPath: '/out', subPathExpr: '$(B)/$(A)/$(EMPTY)' }] }, [
          { name: 'EMPTY', value: '' },
        ]),
        { name: 'ContainerConfigError', message: 'missing value for A, B, EMPTY' },
      );
    });

    it('subPath may not leave the volume, lexically or through a symlink', async () => {
      await symlink('/etc', join(vols.get('data')!.path, 'escape'));
      await writeFile(join(disk.path, 'outside'), 'x');
      await symlink(join(disk.path, 'outside'), join(vols.get('data')!.path, 'outside-link'));
      const cases: Array<[Record<string, string>, string]> = [
        [{ subPath: '/etc' }, 'error SubPath `/etc` must not be an absolute path'],
        [{ subPath: '../../etc' }, "unable to provision SubPath `../../etc`: must not contain '..'"],
        [{ subPath: 'a/../../x' }, "unable to provision SubPath `a/../../x`: must not contain '..'"],
        [{ subPathExpr: '$(UP)/x' }, "unable to provision SubPath `../x`: must not contain '..'"],
        [{ subPath: 'escape' }, 'failed to prepare subPath for volumeMount "data" of container "app"'],
        [{ subPath: 'escape/passwd' }, 'failed to prepare subPath for volumeMount "data" of container "app"'],
        [{ subPath: 'outside-link' }, 'failed to prepare subPath for volumeMount "data" of container "app"'],
        [
          { subPath: 'escape/new-dir' },
          'failed to prepare subPath for volumeMount "data" of container "app"',
        ],
      ];
      for (const [sub, message] of cases) {
        await assert.rejects(
          mounts({ volumeMounts: [{ name: 'data', mountPath: '/x', ...sub }] }, [
            { name: 'UP', value: '..' },
          ]),
          { name: 'ContainerConfigError', message },
          JSON.stringify(sub),
        );
      }
      await assert.rejects(lstat('/etc/new-dir'), { code: 'ENOENT' });
    });

    it('an unknown mountPropagation is a config error', async () => {
      await assert.rejects(
        mounts({ volumeMounts: [{ name: 'data', mountPath: '/x', mountPropagation: 'Sideways' }] }),
        {
          name: 'ContainerConfigError',
          message: /^invalid mountPropagation "Sideways" for volumeMount "data"/,
        },
      );
    });
  });

  describe('tearDown', () => {
    it("removes the pod's disk and tmpfs directories and nothing else", async () => {
      const hostDir = join(disk.path, 'host-keep');
      const pod = podWith([
        { name: 'data', emptyDir: {} },
        { name: 'creds', secret: { secretName: 'db' } },
        { name: 'host', hostPath: { path: hostDir, type: 'DirectoryOrCreate' } },
      ]);
      const vols = await manager.setUp(pod);
      await symlink(hostDir, join(vols.get('data')!.path, 'link-to-host'));
      await manager.tearDown(pod.metadata!.uid!);
      await assert.rejects(lstat(join(disk.path, 'pods', pod.metadata!.uid!)), { code: 'ENOENT' });
      await assert.rejects(lstat(join(shm.path, pod.metadata!.uid!)), { code: 'ENOENT' });
      assert.ok((await stat(hostDir)).isDirectory());
      await manager.tearDown(pod.metadata!.uid!); // idempotent
    });
  });
});
