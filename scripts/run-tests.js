#!/usr/bin/env node
// Runs the compiled tests (dist/) with node's built-in test runner, one group after another.
//
//   node scripts/run-tests.js               unit tests, then end-to-end tests
//   node scripts/run-tests.js unit          only unit tests (or: e2e)
//   node scripts/run-tests.js e2e sqlite    only e2e test files whose path contains "sqlite"
//   node scripts/run-tests.js store watch   test files (any group) whose path contains "store" or "watch"
//   node scripts/run-tests.js --test-name-pattern=revision    arguments starting with -- go to node
//
// Filters match the compiled path (dist/src/store/x.test.js) or its source (src/store/x.test.ts).
// We find the files ourselves because Node 20's --test does not expand globs reliably.
// Run `npm run build` first (`npm test` does).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');

const GROUPS = {
  unit: ['dist/src', 'dist/test/support'],
  e2e: ['dist/test/e2e'],
};

const args = process.argv.slice(2);
const nodeFlags = args.filter((a) => a.startsWith('--'));
const words = args.filter((a) => !a.startsWith('--'));
const chosen = words.filter((w) => w in GROUPS);
const filters = words.filter((w) => !(w in GROUPS));
const groups =
  chosen.length > 0 ? Object.keys(GROUPS).filter((g) => chosen.includes(g)) : Object.keys(GROUPS);

if (!existsSync(dist)) {
  console.error('==> dist/ does not exist: run `npm run build` first (npm test does)');
  process.exit(1);
}

const failed = [];
let ran = 0;
for (const group of groups) {
  const files = GROUPS[group]
    .flatMap((dir) => findTests(join(root, dir)))
    .filter((file) => filters.length === 0 || filters.some((f) => matches(file, f)))
    .sort();
  if (files.length === 0) {
    console.error(
      `==> ${group} tests: no test files${filters.length ? ` matching ${filters.join(', ')}` : ''}, skipped`,
    );
    continue;
  }
  console.error(`==> ${group} tests: ${files.length} file(s)`);
  const result = spawnSync(
    process.execPath,
    [
      '--enable-source-maps',
      '--test',
      '--test-reporter=spec',
      '--test-concurrency=2',
      `--test-timeout=${10 * 60 * 1000}`, // per test: a guard against hangs, not a target
      ...nodeFlags,
      ...files.map((f) => relative(root, f)),
    ],
    { cwd: root, stdio: 'inherit' },
  );
  ran++;
  if (result.status !== 0) {
    failed.push(group);
    console.error(`==> ${group} tests FAILED (${result.signal ?? `exit code ${result.status}`})`);
  } else {
    console.error(`==> ${group} tests passed`);
  }
}

if (ran === 0 && filters.length > 0) {
  console.error(`==> no test files matched ${filters.join(', ')}`);
  process.exit(1);
}
if (failed.length > 0) {
  console.error(`==> failed: ${failed.join(', ')}`);
  process.exit(1);
}

/** All *.test.js files under dir, skipping stale ones whose .ts source was deleted. */
function findTests(dir) {
  if (!existsSync(dir)) return [];
  const found = [];
  const walk = (d) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile() && entry.name.endsWith('.test.js')) found.push(path);
    }
  };
  walk(dir);
  return found.filter((file) => {
    if (existsSync(sourceOf(file))) return true;
    console.error(
      `==> skipping ${relative(root, file)}: its source ${relative(root, sourceOf(file))} is gone`,
    );
    return false;
  });
}

function sourceOf(file) {
  return join(root, relative(dist, file)).replace(/\.js$/, '.ts');
}

function matches(file, filter) {
  const f = filter.split('/').join(sep);
  return relative(root, file).includes(f) || relative(root, sourceOf(file)).includes(f);
}
