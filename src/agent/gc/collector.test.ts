import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ObjectReference } from 'kubernetes-types/core/v1.js';
import type { Recorder } from '../../client/events.js';
import type { ContainerSpec, ImageRecord, RuntimeInfo, SandboxRecord } from '../../runtime/driver.js';
import { SimulatedDriver } from '../../runtime/simulated/driver.js';
import { FakeClock, settle } from '../../util/fake-clock.js';
import type { FilesystemUsage } from '../host-stats.js';
import { GarbageCollector, type GarbageCollectorOptions } from './collector.js';

const MIN = 60_000;
const MB = 1_000_000;

/** The simulated runtime with an image store on a (fake) disk and sized images. */
class DiskDriver extends SimulatedDriver {
  readonly removedImages: string[] = [];
  refuse = new Set<string>();

  constructor(
    clock: FakeClock,
    private readonly sizes: Record<string, number>,
  ) {
    super({ nodeName: 'n1', clock, images: Object.keys(sizes) });
  }

  override async info(): Promise<RuntimeInfo> {
    return { ...(await super.info()), imageStorePath: '/var/lib/fake-docker' };
  }

  override async listImages(): Promise<ImageRecord[]> {
    return (await super.listImages()).map((i) => ({
      ...i,
      sizeBytes: this.sizes[i.tags[0]!] ?? 0,
      ...(i.tags[0] === 'shoal/pause:1' ? { pinned: true } : {}),
    }));
  }

  override async removeImage(id: string): Promise<void> {
    if (this.refuse.has(id)) throw new Error('conflict: image is being used by container 0123456789ab');
    this.removedImages.push(id);
    await super.removeImage(id);
  }
}

interface Harness {
  gc: GarbageCollector;
  clock: FakeClock;
  events: Array<{ ref: ObjectReference; type: string; reason: string; message: string }>;
  logs: string[];
  fsReads: string[];
}

function harness(
  driver: SimulatedDriver,
  clock: FakeClock,
  options: Partial<GarbageCollectorOptions> = {},
  usage: FilesystemUsage = { totalBytes: 1000 * MB, availableBytes: 100 * MB },
): Harness {
  const events: Harness['events'] = [];
  const logs: string[] = [];
  const fsReads: string[] = [];
  const recorder: Recorder = {
    event: (ref, type, reason, message) => void events.push({ ref, type, reason, message }),
  };
  const gc = new GarbageCollector({
    driver,
    nodeName: 'n1',
    clock,
    events: recorder,
    log: (line) => void logs.push(line),
    filesystemUsage: async (path) => {
      fsReads.push(path);
      return usage;
    },
    ...options,
  });
  return { gc, clock, events, logs, fsReads };
}

const pod = { podUid: 'u1', podName: 'web', namespace: 'default' };

async function sandbox(driver: SimulatedDriver): Promise<SandboxRecord> {
  return driver.runSandbox({ ...pod, labels: {}, hostname: 'web', hostNetwork: false, ports: [] });
}

/** Runs instance `attempt` of container `name` and lets it exit. */
async function deadInstance(
  driver: SimulatedDriver,
  sb: SandboxRecord,
  name: string,
  attempt: number,
  image = 'img:1',
) {
  const spec: ContainerSpec = {
    ...pod,
    name,
    kind: 'container',
    attempt,
    image,
    env: [],
    mounts: [],
    resources: {},
    security: {},
    tty: false,
    stdin: false,
    stdinOnce: false,
    labels: {},
  };
  const id = await driver.createContainer(sb, spec);
  await driver.startContainer(id);
  await driver.stopContainer(id);
  return id;
}

describe('GarbageCollector', () => {
  it('removes dead instances beyond the newest two of each container, on the simulated runtime', async () => {
    const clock = new FakeClock();
    const driver = new SimulatedDriver({ nodeName: 'n1', clock });
    const sb = await sandbox(driver);
    const ids: string[] = [];
    for (let a = 0; a < 4; a++) {
      ids.push(await deadInstance(driver, sb, 'app', a));
      await clock.advance(1000);
    }
    const { gc } = harness(driver, clock);
    assert.equal(await gc.collectContainers(), 2);
    const left = (await driver.list()).map((r) => r.id);
    assert.deepEqual(left.sort(), [sb.id, ids[2]!, ids[3]!].sort());
    assert.equal(await gc.collectContainers(), 0);
  });

  it('runs container GC at once and then every period until stopped', async () => {
    const clock = new FakeClock();
    const driver = new SimulatedDriver({ nodeName: 'n1', clock });
    const sb = await sandbox(driver);
    for (let a = 0; a < 3; a++) await deadInstance(driver, sb, 'app', a);
    const { gc } = harness(driver, clock, { containerPeriodMs: 10_000 });
    const stop = new AbortController();
    const running = gc.run(stop.signal);
    await settle();
    assert.equal((await driver.list()).length, 3); // sandbox + 2
    await deadInstance(driver, sb, 'app', 3);
    await clock.advance(9_000);
    assert.equal((await driver.list()).length, 4);
    await clock.advance(1_000);
    assert.equal((await driver.list()).length, 3);
    stop.abort();
    await running;
  });

  it('does nothing about images on a runtime without an image store (simulated)', async () => {
    const clock = new FakeClock();
    const driver = new SimulatedDriver({ nodeName: 'n1', clock, images: ['a:1', 'b:1'] });
    const { gc, fsReads } = harness(driver, clock);
    await clock.advance(10 * MIN);
    assert.deepEqual(await gc.collectImages(), { bytesToFree: 0, freedBytes: 0, removed: [] });
    assert.deepEqual(fsReads, []);
    assert.equal((await driver.listImages()).length, 2);
  });

  it('frees unused images least recently used first, sparing used, pinned and young ones', async () => {
    const clock = new FakeClock();
    // 90% of 1000 MB used: 100 MB to free to get down to 80%.
    const driver = new DiskDriver(clock, {
      'shoal/pause:1': 1 * MB,
      'used:1': 500 * MB,
      'once-used:1': 60 * MB,
      'never-used:1': 70 * MB,
      'other:1': 50 * MB,
    });
    const sb = await driver.runSandbox({ ...pod, labels: {}, hostname: 'w', hostNetwork: false, ports: [] });
    await deadInstance(driver, sb, 'keep', 0, 'used:1');
    const onceUsed = await deadInstance(driver, sb, 'gone', 0, 'once-used:1');
    const { gc, events, fsReads } = harness(driver, clock);

    // First look: everything is new, so nothing may go yet — and that is not enough.
    await assert.rejects(gc.collectImages(), /Attempted to free 100000000 bytes, but only found 0 bytes/);
    assert.deepEqual(fsReads, ['/var/lib/fake-docker']);
    assert.deepEqual(
      events.map((e) => [e.ref.kind, e.ref.name, e.type, e.reason]),
      [['Node', 'n1', 'Warning', 'FreeDiskSpaceFailed']],
    );

    await driver.removeContainer(onceUsed); // once-used:1 was used at the first look, not since
    await clock.advance(3 * MIN);
    const result = await gc.collectImages();
    // never-used (70 MB, never used) goes first, then other (50 MB); once-used was used more recently.
    assert.deepEqual(
      result.removed.map((i) => i.tags[0]),
      ['never-used:1', 'other:1'],
    );
    assert.equal(result.usagePercent, 90);
    assert.equal(result.bytesToFree, 100 * MB);
    assert.equal(result.freedBytes, 120 * MB);
    assert.deepEqual((await driver.listImages()).map((i) => i.tags[0]).sort(), [
      'once-used:1',
      'shoal/pause:1',
      'used:1',
    ]);
    assert.equal(events.length, 1);
  });

  it('goes on past an image the runtime refuses to remove, and reports a shortfall', async () => {
    const clock = new FakeClock();
    const driver = new DiskDriver(clock, { 'a:1': 60 * MB, 'b:1': 30 * MB });
    driver.refuse.add('sha256:a:1');
    const { gc, events } = harness(driver, clock);
    await assert.rejects(gc.collectImages()); // first look
    await clock.advance(3 * MIN);
    await assert.rejects(
      gc.collectImages(),
      /Attempted to free 100000000 bytes, but only found 30000000 bytes eligible to free\. Failed removals: a:1 .*conflict/,
    );
    assert.deepEqual(driver.removedImages, ['sha256:b:1']);
    assert.deepEqual(
      events.map((e) => e.reason),
      ['FreeDiskSpaceFailed', 'FreeDiskSpaceFailed'],
    );
  });

  it('writes ImageGCFailed when a round fails after a failed one, as kubelet', async () => {
    const clock = new FakeClock();
    const driver = new DiskDriver(clock, { 'a:1': 1 * MB });
    const { gc, events, logs } = harness(
      driver,
      clock,
      { imagePeriodMs: MIN, containerPeriodMs: 10 * MIN },
      { totalBytes: 0, availableBytes: 0 },
    );
    const stop = new AbortController();
    const running = gc.run(stop.signal);
    await settle();
    assert.deepEqual(
      events.map((e) => e.reason),
      ['InvalidDiskCapacity'],
    );
    assert.match(logs.join('\n'), /image gc failed: invalid capacity 0 on image filesystem/);
    await clock.advance(MIN);
    assert.deepEqual(
      events.map((e) => [e.reason, e.message]),
      [
        ['InvalidDiskCapacity', 'invalid capacity 0 on image filesystem'],
        ['InvalidDiskCapacity', 'invalid capacity 0 on image filesystem'],
        ['ImageGCFailed', 'invalid capacity 0 on image filesystem'],
      ],
    );
    stop.abort();
    await running;
  });

  it('rejects a bad policy or period when constructed', () => {
    const clock = new FakeClock();
    const driver = new SimulatedDriver({ nodeName: 'n1', clock });
    assert.throws(
      () => harness(driver, clock, { imagePolicy: { highThresholdPercent: 70 } }),
      /image GC policy: the low threshold \(80%\) must be lower than the high threshold \(70%\)/,
    );
    assert.throws(
      () => harness(driver, clock, { containerPeriodMs: 0 }),
      /containerPeriodMs must be > 0, got 0/,
    );
    assert.throws(
      () => harness(driver, clock, { containerPolicy: { maxPerPodContainer: 0.5 } }),
      /maxPerPodContainer must be an integer/,
    );
  });
});
