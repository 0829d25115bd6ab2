import assert from 'node:assert/strict';
import { lstat, mkdir, readdir, readFile, readlink, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Payload, validatePayloadPath, writeAtomically } from './atomic-writer.js';
import { diskDir } from './test-dirs.js';

function payload(files: Record<string, string | [string, number]>): Payload {
  return new Map(
    Object.entries(files).map(([path, v]) => {
      const [text, mode] = typeof v === 'string' ? [v, 0o644] : v;
      return [path, { data: Buffer.from(text), mode }];
    }),
  );
}

describe('writeAtomically', () => {
  let scratch: Awaited<ReturnType<typeof diskDir>>;
  let n = 0;
  const fresh = () => join(scratch.path, `vol-${++n}`);
  before(async () => {
    scratch = await diskDir('atomic');
  });
  after(() => scratch.cleanup());

  it('lays out a version directory, ..data and visible links through it', async () => {
    const dir = fresh();
    assert.equal(await writeAtomically(dir, payload({ a: 'A', 'conf/b.yaml': ['B', 0o600] })), true);
    const version = await readlink(join(dir, '..data'));
    assert.match(version, /^\.\.\d{4}_\d{2}_\d{2}_\d{2}_\d{2}_\d{2}\.\w+$/);
    assert.equal(await readlink(join(dir, 'a')), '..data/a');
    assert.equal(await readlink(join(dir, 'conf')), '..data/conf');
    assert.equal(await readFile(join(dir, 'a'), 'utf8'), 'A');
    assert.equal(await readFile(join(dir, 'conf/b.yaml'), 'utf8'), 'B');
    assert.equal((await stat(join(dir, 'a'))).mode & 0o777, 0o644);
    assert.equal((await stat(join(dir, 'conf/b.yaml'))).mode & 0o777, 0o600);
    assert.deepEqual((await readdir(dir)).sort(), ['..data', 'a', 'conf', version].sort());
  });

  it('writes nothing when content and modes are unchanged', async () => {
    const dir = fresh();
    await writeAtomically(dir, payload({ a: 'A', b: 'B' }));
    const version = await readlink(join(dir, '..data'));
    assert.equal(await writeAtomically(dir, payload({ b: 'B', a: 'A' })), false);
    assert.equal(await readlink(join(dir, '..data')), version);
  });

  it('rewrites when only a mode changes', async () => {
    const dir = fresh();
    await writeAtomically(dir, payload({ a: 'A' }));
    assert.equal(await writeAtomically(dir, payload({ a: ['A', 0o400] })), true);
    assert.equal((await stat(join(dir, 'a'))).mode & 0o777, 0o400);
  });

  it('an update swaps in the new set: changed keys change, removed keys disappear, the old version goes', async () => {
    const dir = fresh();
    await writeAtomically(dir, payload({ keep: '1', change: 'old', gone: 'x', 'sub/gone': 'y' }));
    const oldVersion = await readlink(join(dir, '..data'));
    assert.equal(await writeAtomically(dir, payload({ keep: '1', change: 'new', added: 'z' })), true);
    assert.equal(await readFile(join(dir, 'change'), 'utf8'), 'new');
    assert.equal(await readFile(join(dir, 'added'), 'utf8'), 'z');
    await assert.rejects(lstat(join(dir, 'gone')), { code: 'ENOENT' });
    await assert.rejects(lstat(join(dir, 'sub')), { code: 'ENOENT' });
    await assert.rejects(lstat(join(dir, oldVersion)), { code: 'ENOENT' });
    assert.deepEqual((await readdir(dir)).filter((e) => e.startsWith('..')).length, 2);
  });

  it('the previous set stays complete and readable while the next one is written', async () => {
    const dir = fresh();
    const gen = (g: number) => payload({ a: `gen-${g}-`.repeat(2000), b: `gen-${g}` });
    await writeAtomically(dir, gen(0));
    let writing = true;
    const seen = new Set<string>();
    // A reader racing the writer: the visible file must always exist and always be one whole
    // generation, never missing, empty or half-written.
    const reader = (async () => {
      for (let i = 0; i < 100_000 && writing; i++) {
        const text = await readFile(join(dir, 'a'), 'utf8');
        const g = /^gen-(\d+)-/.exec(text)?.[1];
        assert.ok(g !== undefined, `read a partial file (${text.length} bytes)`);
        assert.equal(text, `gen-${g}-`.repeat(2000));
        seen.add(g);
      }
    })();
    for (let g = 1; g <= 30; g++) await writeAtomically(dir, gen(g));
    writing = false;
    await reader;
    assert.equal(await readFile(join(dir, 'b'), 'utf8'), 'gen-30');
    assert.ok(seen.size > 1, `the reader only ever saw ${[...seen]}`);
  });

  it('clears versions a crash left behind and rewrites when ..data dangles', async () => {
    const dir = fresh();
    await writeAtomically(dir, payload({ a: '1' }));
    await mkdir(join(dir, '..2020_01_01_00_00_00.stale'));
    await writeAtomically(dir, payload({ a: '2' }));
    assert.deepEqual(
      (await readdir(dir)).filter((e) => e.includes('stale')),
      [],
    );

    await rm(join(dir, await readlink(join(dir, '..data'))), { recursive: true });
    assert.equal(await writeAtomically(dir, payload({ a: '2' })), true);
    assert.equal(await readFile(join(dir, 'a'), 'utf8'), '2');
  });

  it('refuses paths that would leave the volume or collide with its own names', async () => {
    const cases: Array<[string, string]> = [
      ['', 'invalid path: must not be empty: ""'],
      ['/etc/passwd', 'invalid path: must be relative path: /etc/passwd'],
      ['a/../../x', "invalid path: must not contain '..': a/../../x"],
      ['..data/x', "invalid path: must not start with '..': ..data/x"],
      ['x'.repeat(256), 'invalid path: filenames must be less than or equal to 255 characters'],
    ];
    for (const [path, message] of cases) {
      assert.throws(() => validatePayloadPath(path), { message });
      await assert.rejects(writeAtomically(fresh(), payload({ [path]: 'x' })), { message });
    }
    assert.equal(validatePayloadPath('a//b/./c/'), 'a/b/c');
  });
});
