import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pauseExecutable, pauseImageTar, singleFileTar } from './pause-image.js';

describe('pause image', () => {
  it('writes a static ELF executable whose entry point is its code, per architecture', () => {
    for (const [arch, machine] of [
      ['x64', 62],
      ['arm64', 183],
    ] as const) {
      const elf = pauseExecutable(arch);
      assert.deepEqual([...elf.subarray(0, 4)], [0x7f, 0x45, 0x4c, 0x46], arch);
      assert.equal(elf[4], 2, '64-bit');
      assert.equal(elf.readUInt16LE(16), 2, 'ET_EXEC');
      assert.equal(elf.readUInt16LE(18), machine);
      const entry = elf.readBigUInt64LE(24);
      const vaddr = elf.readBigUInt64LE(64 + 16);
      assert.equal(entry - vaddr, 120n, 'entry right after the headers');
      assert.equal(elf.readBigUInt64LE(64 + 32), BigInt(elf.length), 'the segment maps the whole file');
      assert.ok(elf.length < 200);
    }
    // The x86-64 loop: mov eax, 34 (pause); syscall; jmp back to the mov.
    assert.deepEqual([...pauseExecutable('x64').subarray(120)], [0xb8, 34, 0, 0, 0, 0x0f, 0x05, 0xeb, 0xf7]);
  });

  it('throws a clear error for other architectures', () => {
    assert.throws(() => pauseExecutable('riscv64'), /architecture "riscv64": only x64, arm64 are supported/);
  });

  it('wraps one file in a valid ustar archive', () => {
    const content = Buffer.from('hello');
    const tar = singleFileTar('pause', content);
    assert.equal(tar.length % 512, 0);
    assert.equal(tar.length, 512 + 512 + 1024);
    const header = tar.subarray(0, 512);
    assert.equal(header.toString('ascii', 0, 5), 'pause');
    assert.equal(Number.parseInt(header.toString('ascii', 100, 107), 8), 0o755);
    assert.equal(Number.parseInt(header.toString('ascii', 124, 135), 8), 5);
    assert.equal(header.toString('ascii', 257, 262), 'ustar');
    const stored = Number.parseInt(header.toString('ascii', 148, 154), 8);
    const copy = Buffer.from(header);
    copy.fill(' ', 148, 156);
    assert.equal(
      stored,
      copy.reduce((sum, b) => sum + b, 0),
    );
    assert.equal(tar.subarray(512, 517).toString(), 'hello');
    assert.ok(tar.subarray(517).every((b) => b === 0));
    assert.equal(pauseImageTar('x64').subarray(512, 516).toString('latin1'), '\x7fELF');
  });
});
