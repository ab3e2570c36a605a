#!/usr/bin/env node
// Runs every compiled benchmark (dist/bench/*.bench.js) in turn; each prints JSON lines on stdout.
// `npm run bench -- NAME...` runs only the files whose name contains one of the NAMEs.
import { readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'bench');
const filters = process.argv.slice(2);
const files = readdirSync(dir).filter((f) => f.endsWith('.bench.js') && (filters.length === 0 || filters.some((n) => f.includes(n)))).sort();
if (files.length === 0) {
  console.error(`no benchmark matched ${filters.join(', ') || '(all)'} in ${dir}`);
  process.exit(1);
}
let failed = 0;
for (const f of files) {
  console.error(`# ${f}`);
  const r = spawnSync(process.execPath, [join(dir, f)], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
