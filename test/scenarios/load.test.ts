import test from 'ava';
import type { ExecutionContext } from 'ava';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { ScenarioError } from '../../scenarios/errors.js';
import { loadScenarioFile, parseScenario, jsonSyntaxError } from '../../scenarios/load.js';
import { builtinDir } from '../../scenarios/registry.js';
import { scenarioJsonSchema } from '../../scenarios/json-schema.js';

// Tests run from dist/test/...; fixtures stay in the source tree (tsc does not copy them).
const BAD = resolve('test/fixtures/scenarios/bad');

function errorOf(t: ExecutionContext, f: () => unknown): ScenarioError {
  const err = t.throws(f);
  if (!(err instanceof ScenarioError)) throw new Error(`expected a ScenarioError, got ${String(err)}`);
  return err;
}

/** One kind of mistake: the fixture, the error code, and a line the message must contain. */
const mistake = test.macro({
  exec(t, file: string, code: ScenarioError['code'], expected: RegExp) {
    const err = errorOf(t, () => loadScenarioFile(join(BAD, file)));
    t.is(err.code, code);
    t.is(err.file, join(BAD, file));
    const text = err.message.split(join(BAD, '/')).join('');
    t.regex(text, expected, text);
    t.false(/\n\s+at /.test(err.message), 'no stack trace in the message');
    t.false(/ZodError|invalid_type|unrecognized_keys/.test(err.message), 'no raw zod output');
  },
  title: (_p, file: string) => `mistake: ${file}`,
});

test(mistake, 'yaml-syntax.yaml', 'syntax', /^yaml-syntax\.yaml:4:1: YAML syntax error: Flow sequence .* end with a \]/m);
test(mistake, 'tab-indent.yaml', 'syntax', /^tab-indent\.yaml:3:1: YAML syntax error: Tabs are not allowed as indentation/m);
test(mistake, 'duplicate-key.yaml', 'duplicate-key', /^duplicate-key\.yaml:4:1: duplicate key 'title'; each key may appear once/m);
test(mistake, 'unknown-family.yaml', 'unknown-family', /^unknown-family\.yaml:3: family — unknown family 'tutor' \(did you mean 'tutoring'\?\); known families: preference-elicitation, tutoring, guessing$/m);
test(mistake, 'missing-family.yaml', 'unknown-family', /^missing-family\.yaml: family — missing required field 'family'; expected one of: preference-elicitation, tutoring, guessing$/m);
test(mistake, 'missing-title.yaml', 'invalid', /^missing-title\.yaml: title — missing required field 'title'; expected a text$/m);
test(mistake, 'wrong-type.yaml', 'invalid', /^wrong-type\.yaml:5: maxTurns — expected a number, got 'twelve'$/m);
test(mistake, 'bad-id.yaml', 'invalid', /^bad-id\.yaml:1: id — id must be lowercase letters, digits and dashes, e\.g\. "travel-agent"; got 'Travel_Agent'$/m);
test(mistake, 'bad-version.yaml', 'invalid', /^bad-version\.yaml:2: version — version must look like 1\.0\.0; got '1\.0'$/m);
test(mistake, 'max-turns-zero.yaml', 'invalid', /^max-turns-zero\.yaml:5: maxTurns — expected a number at least 1, got 0$/m);
test(mistake, 'patience-order.yaml', 'invalid', /^patience-order\.yaml:7: user\.patience — patience\.max must be at least patience\.min$/m);
test(mistake, 'unknown-style.yaml', 'invalid', /^unknown-style\.yaml:10: user\.styles\[1\]\.name — unknown style 'grumpy'; expected one of: terse, chatty, formal, casual$/m);
test(mistake, 'noise-range.yaml', 'invalid', /^noise-range\.yaml:8: user\.noise — expected a number at most 0\.5, got 0\.9$/m);
test(mistake, 'unknown-key.yaml', 'invalid', /^unknown-key\.yaml:5: maxturns — unknown key 'maxturns' \(did you mean 'maxTurns'\?\)$/m);
test(mistake, 'unknown-nested-key.yaml', 'invalid', /^unknown-nested-key\.yaml:7: user\.patince — unknown key 'patince' \(did you mean 'patience'\?\)$/m);
test(mistake, 'empty.yaml', 'empty', /^empty\.yaml: the file is empty; expected a scenario with id, version, title, family/m);
test(mistake, 'top-level-list.yaml', 'invalid', /^top-level-list\.yaml:1: expected a mapping of scenario fields .* at the top level, got a list of 2$/m);
test(mistake, 'json-syntax.json', 'syntax', /^json-syntax\.json:4:3: JSON syntax error: expected ',' or '}' after a value, found '"'$/m);
test(mistake, 'json-trailing-comma.json', 'syntax', /^json-trailing-comma\.json:5:1: JSON syntax error: .*no trailing comma/m);
test(mistake, 'json-wrong-type.json', 'invalid', /^json-wrong-type\.json:5: maxTurns — expected a number, got 'many'$/m);
test(mistake, 'not-a-scenario.txt', 'unreadable', /^not-a-scenario\.txt: unsupported file type '\.txt'; expected a \.yaml, \.yml or \.json scenario file$/m);

test('a missing file is not-found, with the path', (t) => {
  const err = errorOf(t, () => loadScenarioFile(join(BAD, 'no-such-file.yaml')));
  t.is(err.code, 'not-found');
  t.regex(err.message, /no-such-file\.yaml: no such file; check the path/);
});

test('issues are data: path, line and message', (t) => {
  const err = errorOf(t, () => loadScenarioFile(join(BAD, 'unknown-style.yaml')));
  t.deepEqual(err.issues.find((i) => i.path === 'user.styles[1].name'), {
    path: 'user.styles[1].name', line: 10, message: "unknown style 'grumpy'; expected one of: terse, chatty, formal, casual",
  });
});

// ---- family-level cross references: a valid built-in with one reference broken ---------------

/** A built-in with one value changed; returns the file's text and the line of the change. */
function broken(id: string, path: (string | number)[], value: unknown, find: (doc: ReturnType<typeof parseDocument>) => (string | number)[] = () => path) {
  const doc = parseDocument(readFileSync(join(builtinDir(), `${id}.yaml`), 'utf8'));
  const at = find(doc);
  doc.setIn(at, value);
  const text = String(doc);
  const marker = typeof value === 'string' ? value : JSON.stringify(value);
  const line = text.split('\n').findIndex((l) => l.includes(marker)) + 1;
  return { text, line, at };
}

const crossRef = test.macro({
  exec(t, id: string, family: string, change: () => ReturnType<typeof broken>, expected: (at: (string | number)[]) => RegExp) {
    const { text, line, at } = change();
    t.true(text.includes(`family: ${family}`), `built-in ${id} is a ${family} scenario`);
    const err = errorOf(t, () => parseScenario(text, { file: `${id}-broken.yaml`, format: 'yaml' }));
    t.is(err.code, 'invalid');
    t.regex(err.message, new RegExp(`^${id}-broken\\.yaml:${line}: ${expected(at).source}`, 'm'), err.message);
  },
  title: (_p, id: string) => `cross reference: ${id} with an unknown name`,
});

test(crossRef, 'teacher', 'tutoring', () => broken('teacher', [], 'algebr', (doc) => {
  const concepts = (doc.toJS() as { concepts: { prerequisites?: string[] }[] }).concepts;
  const i = concepts.findIndex((c) => (c.prerequisites ?? []).length > 0);
  return ['concepts', i, 'prerequisites', 0];
}), (at) => new RegExp(`concepts\\[${at[1]}\\]\\.prerequisites\\[0\\] — unknown concept 'algebr'; expected one of: `));

test(crossRef, 'twenty-questions', 'guessing', () => broken('twenty-questions', ['items', 1, 'has', 0], 'alivee'),
  () => /items\[1\]\.has\[0\] — unknown attribute 'alivee'; expected one of: /);

test(crossRef, 'travel-agent', 'preference-elicitation', () => broken('travel-agent', [], 'lunar', (doc) => {
  const attrs = (doc.toJS() as { attributes: { name: string; kind: string }[] }).attributes;
  const a = attrs.find((x) => x.kind === 'categorical')!;
  return ['items', 0, 'attributes', a.name];
}), (at) => new RegExp(`items\\[0\\]\\.attributes\\.${at[3]} — 'lunar' is not a value of '${at[3]}'; expected one of: `));

// ---- formats ---------------------------------------------------------------------------------

test('JSON and YAML of the same scenario parse to the same value', (t) => {
  const file = join(builtinDir(), 'teacher.yaml');
  const fromYaml = loadScenarioFile(file);
  const dir = mkdtempSync(join(tmpdir(), 'reverie-load-'));
  const json = join(dir, 'teacher.json');
  writeFileSync(json, JSON.stringify(parseDocument(readFileSync(file, 'utf8')).toJS(), null, 2));
  t.deepEqual(loadScenarioFile(json), fromYaml);
});

test('defaults are filled in', (t) => {
  const s = loadScenarioFile(join(builtinDir(), 'teacher.yaml'));
  t.is(typeof s.description, 'string');
  t.true(s.user.styles.length > 0);
});

test('jsonSyntaxError accepts JSON and points at the first mistake', (t) => {
  t.is(jsonSyntaxError('{"a": [1, 2.5e3, true, null, "x\\n"]}'), null);
  t.deepEqual(jsonSyntaxError('{"a": 1 "b": 2}'), { offset: 8, message: "expected ',' or '}' after a value, found '\"'" });
  t.regex(jsonSyntaxError('{"a": tru}')!.message, /expected a value/);
  t.regex(jsonSyntaxError('{"a": "x')!.message, /unterminated string/);
  t.regex(jsonSyntaxError('{} x')!.message, /end of the file/);
});

test('the JSON Schema describes every family and is plain JSON', (t) => {
  const schema = scenarioJsonSchema();
  const text = JSON.stringify(schema);
  t.deepEqual(JSON.parse(text), schema);
  for (const f of ['preference-elicitation', 'tutoring', 'guessing']) t.true(text.includes(`"const":"${f}"`), f);
  t.true(text.includes('"maxTurns"'));
  t.is(schema.title, 'Reverie scenario');
});
