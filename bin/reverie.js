#!/usr/bin/env node
// Runs the compiled CLI; builds first when dist/ is missing (fresh clone after npm ci).
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const entry = join(root, 'dist', 'cli', 'index.js');
if (!existsSync(entry)) {
  process.stderr.write('reverie: building (first run)...\n');
  execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.json')], { stdio: 'inherit' });
}
await import(pathToFileURL(entry).href);
