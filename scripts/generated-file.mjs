// What the generators (gen-schemas.mjs, gen-messages.mjs) share: their output is committed, so it
// is laid out as the project's formatter would lay it out, and `--check` compares instead of writing.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('..', import.meta.url));

/** `text` laid out as `biome format` lays out `outFile`, so the committed file passes the checks. */
export function formatLikeBiome(text, outFile) {
  const biome = join(root, 'node_modules/.bin/biome');
  const result = spawnSync(biome, ['format', `--stdin-file-path=${outFile}`], {
    input: text,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.status !== 0) throw new Error(`biome format failed: ${result.stderr}`);
  return result.stdout;
}

/**
 * With `--check` on the command line: exit 1 when `outFile` is not `text` (`regenerate` says how to
 * fix it), and return false when it is. Otherwise write it and return true.
 */
export function writeOrCheck(outFile, text, regenerate) {
  if (process.argv.includes('--check')) {
    const current = existsSync(outFile) ? readFileSync(outFile, 'utf8') : '';
    if (current !== text) {
      console.error(`${relative(root, outFile)} is stale: ${regenerate}`);
      process.exit(1);
    }
    return false;
  }
  mkdirSync(dirname(outFile), { recursive: true });
  writeFileSync(outFile, text);
  return true;
}
