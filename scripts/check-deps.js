#!/usr/bin/env node
// Dependency direction: scenarios <- actors <- environments <- learners <- cli.
// A module may import only from its own layer or the layers before it.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';

const order = ['scenarios', 'actors', 'environments', 'learners', 'cli'];
const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const importRe = /(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

function* walk(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* walk(p);
    else if (p.endsWith('.ts')) yield p;
  }
}

const problems = [];
for (const layer of order) {
  let files;
  try { files = [...walk(join(root, layer))]; } catch { continue; }
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(importRe)) {
      const spec = m[1] ?? m[2];
      if (!spec.startsWith('.')) continue;
      const target = relative(root, resolve(dirname(file), spec)).split(/[\\/]/)[0];
      const ti = order.indexOf(target);
      if (ti > order.indexOf(layer)) {
        problems.push(`${relative(root, file)}: imports '${spec}' from ${target}/, but ${layer}/ may only import ${order.slice(0, order.indexOf(layer) + 1).join(', ')}`);
      } else if (ti < 0 && target !== layer && !['node_modules'].includes(target)) {
        problems.push(`${relative(root, file)}: imports '${spec}' outside the layered folders`);
      }
    }
  }
}
if (problems.length) {
  console.error(`Dependency direction violated (scenarios <- actors <- environments <- learners <- cli):\n${problems.join('\n')}`);
  process.exit(1);
}
console.error('dependency direction ok');
