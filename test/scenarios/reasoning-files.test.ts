import test from 'ava';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../../scenarios/random.js';
import { ScenarioError } from '../../scenarios/errors.js';
import type { ScenarioErrorCode } from '../../scenarios/errors.js';
import {
  ReasoningTask, isReasoningFile, listReasoningScenarios, loadReasoningFile, loadReasoningScenario,
  parseReasoningScenario, reasoningBuiltinIds, reasoningJsonSchema,
} from '../../scenarios/reasoning/index.js';

const fixture = (name: string) => join('test/fixtures/reasoning', name);

test('every built-in reasoning scenario validates and its id matches its file', (t) => {
  const list = listReasoningScenarios();
  t.deepEqual(list.map((s) => s.id).sort(), ['addition', 'countdown', 'digit-sum', 'sort']);
  for (const s of list) {
    const full = loadReasoningScenario(s.id);
    t.is(full.kind, 'reasoning');
    t.is(full.task, s.task);
    t.true(full.difficulty.length >= 4, `${s.id} has several difficulty levels`);
    t.true(isReasoningFile(s.file));
  }
  t.false(isReasoningFile('scenarios/builtin/teacher.yaml'));
});

test('a new task of an existing kind is only a data file', (t) => {
  const s = loadReasoningFile(fixture('hard-addition.yaml'));
  t.is(s.id, 'addition-hard');
  t.is(s.reasoner.backtrackRate, 0.5, 'defaults filled in');
  const task = new ReasoningTask(s);
  const p = task.generate(Rng.from(3), 1);
  t.true(p.problem.meta && (p.problem.meta as { a: string }).a.length >= 15);
  t.true(task.grade(p, task.solve(p, Rng.from(4)).completion).correct);
});

const bad = test.macro((t, file: string, code: ScenarioErrorCode, message: RegExp) => {
  const err = t.throws(() => loadReasoningScenario(fixture(file)), { instanceOf: ScenarioError });
  t.is(err?.code, code);
  t.regex(err?.message ?? '', message);
  t.true(err?.message.startsWith(fixture(file)), 'the message names the file');
});
test('an unknown task lists the known tasks', bad, 'unknown-task.yaml', 'unknown-family', /unknown-task\.yaml:5: task — unknown task 'multiplication'; known tasks: addition, digit-sum, sort, countdown/);
test('vocabulary missing a format token', bad, 'missing-token.yaml', 'invalid', /:10: vocabulary\.tokens — missing '<\/answer>', which the addition task writes; add it/);
test('a range with max below min', bad, 'bad-range.yaml', 'invalid', /:8: difficulty\[1\]\.digits — digits: max must be at least min/);
test('a mistyped key gets a did-you-mean', bad, 'typo-key.yaml', 'invalid', /:9: reasoner\.chekRate — unknown key 'chekRate' \(did you mean 'checkRate'\?\)/);
test('a probability above 1', bad, 'bad-rate.yaml', 'invalid', /:9: reasoner\.mistakeRate — expected a number at most 1, got 1\.5/);
test('a repeated vocabulary token', bad, 'duplicate-token.yaml', 'invalid', /vocabulary\.tokens\[23\] — token '\+' repeats vocabulary\.tokens\[21\]/);
test('no difficulty levels', bad, 'no-levels.yaml', 'invalid', /:6: difficulty — expected at least 1 item, got 0/);
test('a level of the wrong shape for its task', bad, 'wrong-level-shape.yaml', 'invalid', /:7: difficulty\[0\]\.length — missing required field 'length'[^]*:7: difficulty\[0\] — unknown key 'digits'; expected one of: length, values/);
test('a YAML syntax error names the line', bad, 'syntax.yaml', 'syntax', /syntax\.yaml:\d+:\d+: YAML syntax error/);
test('a missing file', bad, 'nope.yaml', 'not-found', /no such file/);

test('an unknown built-in id suggests the closest one', (t) => {
  const err = t.throws(() => loadReasoningScenario('additon'), { instanceOf: ScenarioError });
  t.regex(err?.message ?? '', /additon: no built-in reasoning scenario with this id \(did you mean 'addition'\?\); built-in reasoning scenarios: addition, countdown, digit-sum, sort/);
  t.deepEqual(reasoningBuiltinIds(), ['addition', 'countdown', 'digit-sum', 'sort']);
});

test('JSON files load, with line numbers for their problems', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'reasoning-'));
  const good = { ...loadReasoningScenario('digit-sum'), id: 'ds-json' };
  writeFileSync(join(dir, 'ok.json'), JSON.stringify(good, null, 2));
  t.is(loadReasoningFile(join(dir, 'ok.json')).id, 'ds-json');
  writeFileSync(join(dir, 'bad.json'), JSON.stringify({ ...good, maxTokens: 2 }, null, 2));
  const err = t.throws(() => loadReasoningFile(join(dir, 'bad.json')), { instanceOf: ScenarioError });
  t.regex(err?.message ?? '', /bad\.json:\d+: maxTokens — expected a number at most|bad\.json:\d+: maxTokens — expected a number at least 8, got 2/);
  t.true(err?.issues[0].line !== undefined && err.issues[0].line > 1);
});

test('a non-mapping and an empty file are clear errors', (t) => {
  t.regex(t.throws(() => parseReasoningScenario('- 1\n- 2\n', { file: 'x.yaml', format: 'yaml' }))?.message ?? '', /x\.yaml:1: expected a mapping of scenario fields/);
  t.is((t.throws(() => parseReasoningScenario('# nothing\n', { file: 'e.yaml', format: 'yaml' })) as ScenarioError).code, 'empty');
});

test('the reasoning JSON Schema describes the four tasks and the vocabulary', (t) => {
  const schema = reasoningJsonSchema();
  t.is(schema.title, 'Reverie reasoning scenario');
  const text = JSON.stringify(schema);
  for (const task of ['addition', 'digit-sum', 'sort', 'countdown']) t.true(text.includes(`"const":"${task}"`), task);
  t.true(text.includes('separator'));
});

test('a countdown level no draw can satisfy fails with a message naming the fix', (t) => {
  const task = new ReasoningTask(loadReasoningFile(fixture('impossible-countdown.yaml')));
  t.throws(() => task.generate(Rng.from(1), 1), { message: /widen the target range, raise searchBudget or lower minSteps/ });
  t.throws(() => task.generate(Rng.from(1), 2), { message: /level must be a whole number from 1 to 1/ });
});

// Small edits of a good file, each breaking one thing.
const sortYaml = readFileSync('scenarios/builtin/reasoning/sort.yaml', 'utf8');
const edits: [string, string, string, RegExp][] = [
  ['no kind', 'kind: reasoning\n', '', /^e\.yaml: kind — missing required field 'kind'; a reasoning scenario starts with `kind: reasoning`/],
  ['a misspelt kind', 'kind: reasoning', 'kind: reasonin', /^e\.yaml:3: kind — unexpected kind 'reasonin' \(did you mean 'reasoning'\?\); expected 'reasoning'$/],
  ['no task', 'task: sort\n', '', /^e\.yaml: task — missing required field 'task'; expected one of: addition, digit-sum, sort, countdown$/],
  ['a text for a number', 'maxTokens: 640', 'maxTokens: lots', /^e\.yaml:16: maxTokens — expected a number, got 'lots'$/],
  ['a fraction for an integer', 'length: { min: 2, max: 3 }', 'length: { min: 2.5, max: 3 }', /^e\.yaml:12: difficulty\[0\]\.length\.min — expected an integer, got 2\.5$/],
  ['a bad id', 'id: sort', 'id: Sort Me', /^e\.yaml:4: id — id must be lowercase letters, digits and dashes/],
  ['<pad> not first', 'tokens: [<pad>, <eos>,', 'tokens: [<eos>, <pad>,', /^e\.yaml:\d+: vocabulary\.tokens\[0\] — the first token must be '<pad>' \(id 0 pads batches\), got '<eos>'$/],
];
for (const [name, from, to, message] of edits) {
  test(`a reasoning file with ${name} is refused clearly`, (t) => {
    t.true(sortYaml.includes(from), 'the edit applies');
    const err = t.throws(() => parseReasoningScenario(sortYaml.replace(from, to), { file: 'e.yaml', format: 'yaml' }), { instanceOf: ScenarioError });
    t.regex(err?.message ?? '', message);
  });
}

test('a dialogue scenario given to the reasoning loader says what kind it lacks', (t) => {
  const err = t.throws(() => loadReasoningFile('scenarios/builtin/teacher.yaml'), { instanceOf: ScenarioError });
  t.deepEqual(err?.issues.map((i) => i.path), ['kind']);
});
