// What the generators (gen-schemas.mjs, gen-messages.mjs) share: both start from the kinds Shoal
// serves and name the package versions they read; their output is committed, so it is laid out as
// the project's formatter would lay it out, and `--check` compares instead of writing.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const ts = require('typescript');

export const root = fileURLToPath(new URL('..', import.meta.url));

/** The served kinds, RESOURCES of src/api/resources.ts (transpiled in memory; it imports nothing). */
export async function servedResources() {
  const source = readFileSync(join(root, 'src/api/resources.ts'), 'utf8');
  const js = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  }).outputText;
  const { RESOURCES } = await import(`data:text/javascript;base64,${Buffer.from(js).toString('base64')}`);
  return RESOURCES;
}

/** The installed version of the npm package `name`. */
export function packageVersion(name) {
  return JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')).version;
}

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
