import test from 'ava';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { ScenarioError } from '../../scenarios/errors.js';
import { builtinDir, builtinFiles, builtinIds, getScenario, listScenarios } from '../../scenarios/registry.js';
import { contentHash } from '../../scenarios/hash.js';
import { FAMILY_NAMES } from '../../scenarios/schema.js';
import { makeContext } from '../../actors/context.js';

const BUILTINS = ['teacher', 'travel-agent', 'twenty-questions'];

test('the built-in folder is found from dist/, in the source tree', (t) => {
  const dir = builtinDir();
  t.true(existsSync(join(dir, '..', '..', 'package.json')), dir);
  t.false(dir.includes(`${join('dist', 'scenarios')}`));
});

test('the three built-ins are listed, one per family', (t) => {
  const ids = builtinIds();
  for (const id of BUILTINS) t.true(ids.includes(id), `${id} in ${ids.join(', ')}`);
  const list = listScenarios();
  t.deepEqual(list.map((s) => s.id), ids);
  const families = new Set(list.filter((s) => BUILTINS.includes(s.id)).map((s) => s.family));
  t.deepEqual([...families].sort(), [...FAMILY_NAMES].sort());
  for (const s of list) {
    t.regex(s.version, /^\d+\.\d+\.\d+$/);
    t.true(s.title.length > 0);
  }
});

test('every built-in validates, its id is its file name, and it makes a context', (t) => {
  for (const file of builtinFiles()) {
    const id = basename(file, '.yaml');
    const s = getScenario(id);
    t.is(s.id, id);
    const ctx = makeContext(s);
    t.true(ctx.actions.length > 0, id);
    t.is(ctx.hash, contentHash(s));
    t.is(ctx.family.name, s.family);
  }
});

test('getScenario reads a file given by path, YAML or JSON', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'reverie-registry-'));
  const text = readFileSync(join(builtinDir(), 'teacher.yaml'), 'utf8').replace(/^id: teacher$/m, 'id: my-teacher');
  const file = join(dir, 'mine.yaml');
  writeFileSync(file, text);
  t.is(getScenario(file).id, 'my-teacher');
  const json = join(dir, 'mine.json');
  writeFileSync(json, JSON.stringify(getScenario(file)));
  t.deepEqual(getScenario(json), getScenario(file));
});

test('an unknown id lists the built-ins and suggests the closest', (t) => {
  const err = t.throws(() => getScenario('techer'));
  t.true(err instanceof ScenarioError);
  const e = err as ScenarioError;
  t.is(e.code, 'not-found');
  t.regex(e.message, /^techer: no built-in scenario with this id \(did you mean 'teacher'\?\); built-in scenarios: .*teacher.*travel-agent.*twenty-questions/);
});

test('a missing file given by path is not-found', (t) => {
  const err = t.throws(() => getScenario('./nowhere/x.yaml')) as ScenarioError;
  t.is(err.code, 'not-found');
});

test('content hashes are stable and differ between scenarios', (t) => {
  const hashes = BUILTINS.map((id) => contentHash(getScenario(id)));
  t.deepEqual(hashes, BUILTINS.map((id) => contentHash(getScenario(id))));
  t.is(new Set(hashes).size, hashes.length);
});
