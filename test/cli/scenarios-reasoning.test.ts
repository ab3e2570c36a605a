import test from 'ava';
import { json, reverie } from '../e2e/helpers/cli.js';

const noStack = /\n\s+at .*:\d+:\d+/;

test('scenarios list adds the reasoning built-ins beside the dialogue ones', async (t) => {
  const r = await reverie('scenarios', 'list', '--json');
  t.is(r.code, 0, r.stderr);
  const j = json(r);
  t.deepEqual(j.scenarios.map((s: { id: string }) => s.id), ['teacher', 'travel-agent', 'twenty-questions'], 'the dialogue list is unchanged');
  t.deepEqual(j.reasoning.map((s: { id: string; task: string }) => `${s.id}:${s.task}`), ['addition:addition', 'countdown:countdown', 'digit-sum:digit-sum', 'sort:sort']);
  t.true(j.reasoning.every((s: { kind: string; levels: number }) => s.kind === 'reasoning' && s.levels >= 4));
  const human = await reverie('scenarios', 'list');
  t.regex(human.stdout, /^id +family +version +title\nteacher /);
  t.regex(human.stdout, /reasoning scenarios\nid +task +version +levels +title\naddition +addition +1\.0\.0 +5 +Multi-digit addition/);
});

test('scenarios show prints a reasoning scenario with its defaults', async (t) => {
  const j = json(await reverie('scenarios', 'show', 'countdown', '--json'));
  t.is(j.kind, 'reasoning');
  t.is(j.scenario.task, 'countdown');
  t.is(j.scenario.difficulty[0].searchBudget, 12);
  const file = json(await reverie('scenarios', 'show', 'test/fixtures/reasoning/hard-addition.yaml', '--json'));
  t.is(file.scenario.reasoner.slipRate, 0, 'defaults filled in');
  const human = await reverie('scenarios', 'show', 'addition');
  t.regex(human.stdout, /^# Multi-digit addition — reasoning task addition, 5 levels, 30 tokens\nkind: reasoning\n/);
  const dialogue = json(await reverie('scenarios', 'show', 'teacher', '--json'));
  t.is(dialogue.scenario.family, 'tutoring');
});

test('scenarios show with a mistyped id names the reasoning ids too', async (t) => {
  const r = await reverie('scenarios', 'show', 'additon');
  t.is(r.code, 1);
  t.regex(r.stderr, /additon: no built-in scenario with this id; built-in scenarios: .*teacher.*; reasoning scenarios: addition, countdown, digit-sum, sort \(did you mean 'addition'\?\)/);
  t.notRegex(r.stderr, noStack);
});

test('scenarios validate accepts a reasoning file after drawing and solving problems at every level', async (t) => {
  const r = await reverie('scenarios', 'validate', 'scenarios/builtin/reasoning/sort.yaml', '--json');
  t.is(r.code, 0, r.stderr);
  t.like(json(r), { ok: true, valid: true, kind: 'reasoning', id: 'sort', task: 'sort', levels: 4 });
  const human = await reverie('scenarios', 'validate', 'test/fixtures/reasoning/hard-addition.yaml');
  t.is(human.stdout.trim(), "test/fixtures/reasoning/hard-addition.yaml: valid reasoning scenario 'addition-hard' 1.0.0 (task addition, 1 level)");
});

test('scenarios validate on a bad reasoning file names file, line and field, exits 1', async (t) => {
  const file = 'test/fixtures/reasoning/typo-key.yaml';
  const r = await reverie('scenarios', 'validate', file);
  t.is(r.code, 1);
  t.regex(r.stderr, /typo-key\.yaml:9: reasoner\.chekRate — unknown key 'chekRate' \(did you mean 'checkRate'\?\)/);
  t.notRegex(r.stderr, noStack);
  const j = json(await reverie('scenarios', 'validate', file, '--json'));
  t.false(j.valid);
  t.is(j.code, 'invalid');
  t.deepEqual(j.issues, [{ path: 'reasoner.chekRate', line: 9, message: "unknown key 'chekRate' (did you mean 'checkRate'?)" }]);
});

test('scenarios validate refuses a level that cannot draw problems', async (t) => {
  const r = await reverie('scenarios', 'validate', 'test/fixtures/reasoning/impossible-countdown.yaml');
  t.is(r.code, 1);
  t.regex(r.stderr, /impossible-countdown\.yaml: difficulty\[0\] \(level 1\) cannot be used: countdown: no problem found/);
  t.notRegex(r.stderr, noStack);
});

test('scenarios schema --kind reasoning prints the reasoning JSON Schema; the default is unchanged', async (t) => {
  const r = json(await reverie('scenarios', 'schema', '--kind', 'reasoning', '--json'));
  t.is(r.schema.title, 'Reverie reasoning scenario');
  t.is(json(await reverie('scenarios', 'schema', '--json')).schema.title, 'Reverie scenario');
  const bad = await reverie('scenarios', 'schema', '--kind', 'poetry');
  t.is(bad.code, 2);
  t.regex(bad.stderr, /--kind/);
});
