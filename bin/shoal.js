#!/usr/bin/env node
// The `shoal` command. The TypeScript sources are compiled to dist/ by `npm run build`
// (scripts/setup runs it).
import { existsSync } from 'node:fs';

const main = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  console.error('shoal: dist/ is missing; run ./scripts/setup (or npm run build) first');
  process.exit(1);
}
await import(main.href);
