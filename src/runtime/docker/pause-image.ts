/**
 * The sandbox ("pause") image, made on the spot: no registry is reachable from every node, so the
 * driver writes a tiny static ELF executable that only waits, wraps it in a one-file tar and
 * imports that as an image. The program needs no libc and no filesystem; it is PID 1 of the
 * sandbox and only holds the pod's namespaces open.
 */

const LOAD_ADDRESS = 0x400000n;
const ELF_HEADER_SIZE = 64;
const PROGRAM_HEADER_SIZE = 56;
const CODE_OFFSET = ELF_HEADER_SIZE + PROGRAM_HEADER_SIZE;

/** Machine code of `for (;;) wait();` per Node architecture name, and the ELF machine number. */
const PROGRAMS: Record<string, { machine: number; code: number[] }> = {
  // loop: mov eax, 34 (pause); syscall; jmp loop
  x64: { machine: 62, code: [0xb8, 0x22, 0x00, 0x00, 0x00, 0x0f, 0x05, 0xeb, 0xf7] },
  // arm64 has no pause(2); ppoll(NULL, 0, NULL, NULL) with no timeout waits the same way.
  // loop: mov x0..x3, #0; mov x8, #73 (ppoll); svc #0; b loop
  arm64: {
    machine: 183,
    code: words([0xd2800000, 0xd2800001, 0xd2800002, 0xd2800003, 0xd2800928, 0xd4000001, 0x17fffffa]),
  },
};

function words(list: number[]): number[] {
  const buf = Buffer.alloc(list.length * 4);
  list.forEach((w, i) => {
    buf.writeUInt32LE(w, i * 4);
  });
  return [...buf];
}

/** A static ELF executable for `arch` (a `process.arch` value) that waits forever. */
export function pauseExecutable(arch: string = process.arch): Buffer {
  const program = PROGRAMS[arch];
  if (!program) {
    throw new Error(
      `cannot build the pause image for architecture "${arch}": only ${Object.keys(PROGRAMS).join(', ')} ` +
        'are supported; pass pauseImage to the Docker driver instead',
    );
  }
  const size = CODE_OFFSET + program.code.length;
  const elf = Buffer.alloc(size);
  // ELF header: 64-bit, little endian, version 1, System V ABI.
  elf.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0], 0);
  elf.writeUInt16LE(2, 16); // ET_EXEC
  elf.writeUInt16LE(program.machine, 18);
  elf.writeUInt32LE(1, 20); // EV_CURRENT
  elf.writeBigUInt64LE(LOAD_ADDRESS + BigInt(CODE_OFFSET), 24); // entry point
  elf.writeBigUInt64LE(BigInt(ELF_HEADER_SIZE), 32); // program headers right after this header
  elf.writeBigUInt64LE(0n, 40); // no section headers
  elf.writeUInt32LE(0, 48); // flags
  elf.writeUInt16LE(ELF_HEADER_SIZE, 52);
  elf.writeUInt16LE(PROGRAM_HEADER_SIZE, 54);
  elf.writeUInt16LE(1, 56); // one program header
  elf.writeUInt16LE(64, 58); // section header entry size (none present)
  elf.writeUInt16LE(0, 60);
  elf.writeUInt16LE(0, 62);
  // One PT_LOAD segment mapping the whole file read+execute at LOAD_ADDRESS.
  const ph = ELF_HEADER_SIZE;
  elf.writeUInt32LE(1, ph); // PT_LOAD
  elf.writeUInt32LE(5, ph + 4); // PF_R | PF_X
  elf.writeBigUInt64LE(0n, ph + 8); // file offset
  elf.writeBigUInt64LE(LOAD_ADDRESS, ph + 16); // virtual address
  elf.writeBigUInt64LE(LOAD_ADDRESS, ph + 24); // physical address
  elf.writeBigUInt64LE(BigInt(size), ph + 32); // size in file
  elf.writeBigUInt64LE(BigInt(size), ph + 40); // size in memory
  elf.writeBigUInt64LE(0x1000n, ph + 48); // alignment
  elf.set(program.code, CODE_OFFSET);
  return elf;
}

/** A ustar archive holding one regular file (mode 0755, owned by root). */
export function singleFileTar(name: string, content: Buffer): Buffer {
  if (Buffer.byteLength(name) > 100) throw new Error(`tar entry name "${name}" is longer than 100 bytes`);
  const header = Buffer.alloc(512);
  const field = (value: string, offset: number, length: number) => {
    header.write(value, offset, length, 'ascii');
  };
  const octal = (value: number, offset: number, length: number) => {
    field(value.toString(8).padStart(length - 1, '0'), offset, length - 1);
  };
  field(name, 0, 100);
  octal(0o755, 100, 8);
  octal(0, 108, 8); // uid
  octal(0, 116, 8); // gid
  octal(content.length, 124, 12);
  octal(0, 136, 12); // mtime: fixed, so the image is the same every time
  field('        ', 148, 8); // checksum counts as spaces while it is computed
  field('0', 156, 1); // regular file
  field('ustar\u000000', 257, 8);
  let sum = 0;
  for (const byte of header) sum += byte;
  field(`${sum.toString(8).padStart(6, '0')}\u0000 `, 148, 8);
  const padding = Buffer.alloc((512 - (content.length % 512)) % 512);
  // Two zero blocks end the archive.
  return Buffer.concat([header, content, padding, Buffer.alloc(1024)]);
}

/** The tar to import as the pause image: `/pause` for this machine's architecture. */
export function pauseImageTar(arch: string = process.arch): Buffer {
  return singleFileTar('pause', pauseExecutable(arch));
}
