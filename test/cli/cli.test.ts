import test from 'ava';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { json, reverie, tmp } from '../e2e/helpers/cli.js';

const noStack = /\n\s+at .*:\d+:\d+/;

// One small dataset shared by the inspect and export tests.
let small: Promise<string> | null = null;
function getSmall() {
  small ??= (async () => {
    const dir = join(await tmp(), 'data');
    const r = await reverie('generate', '--scenario', 'teacher', '--policy', 'random', '--episodes', '120', '--seed', '2', '--shard-size', '50', '--workers', '1', '--out', dir);
    if (r.code !== 0) throw new Error(r.stderr);
    return dir;
  })();
  return small;
}

test('every command has --help', async (t) => {
  for (const cmd of [[], ['generate'], ['inspect'], ['export'], ['eval'], ['scenarios'], ['scenarios', 'validate'], ['experiment']]) {
    const r = await reverie(...cmd, '--help');
    t.is(r.code, 0, `${cmd.join(' ')}: ${r.stderr}`);
    t.regex(r.stdout, /Usage: reverie/);
    if (cmd.length && cmd[0] !== 'scenarios') t.regex(r.stdout, /--json/);
  }
});

test('experiment: an unknown name is a usage error that lists the experiments', async (t) => {
  const r = await reverie('experiment', 'nope', '--out', 'x', '--json');
  t.is(r.code, 2);
  t.regex(r.stderr, /unknown experiment 'nope'; available: /);
  t.false(json(r).ok);
});

test('scenarios list, show and schema print one JSON object with --json', async (t) => {
  const list = json(await reverie('scenarios', 'list', '--json'));
  t.true(list.ok);
  t.true(list.scenarios.some((s: { id: string }) => s.id === 'teacher'));
  const show = json(await reverie('scenarios', 'show', 'teacher', '--json'));
  t.is(show.scenario.id, 'teacher');
  t.true(show.actions > 0);
  const schema = json(await reverie('scenarios', 'schema', '--json'));
  t.is(schema.schema.title, 'Reverie scenario');
});

test('scenarios validate on a bad file names file, line and field path, exits 1', async (t) => {
  const file = join(await tmp(), 'bad.yaml');
  await writeFile(file, 'id: teacher-2\nversion: 1.0.0\nfamily: tutoring\ntitle: Bad\nmaxTurns: -3\n');
  const r = await reverie('scenarios', 'validate', file);
  t.is(r.code, 1);
  t.regex(r.stderr, new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:5: maxTurns — `));
  t.notRegex(r.stderr, noStack);
  const j = json(await reverie('scenarios', 'validate', file, '--json'));
  t.false(j.valid);
  t.true(j.issues.some((i: { path: string; line?: number }) => i.path === 'maxTurns' && i.line === 5));
});

test('scenarios validate on a good file exits 0', async (t) => {
  const r = await reverie('scenarios', 'validate', 'scenarios/builtin/teacher.yaml', '--json');
  t.is(r.code, 0, r.stderr);
  t.like(json(r), { ok: true, valid: true, id: 'teacher' });
});

const usage = test.macro(async (t, args: string[], message: RegExp) => {
  const r = await reverie(...args);
  t.is(r.code, 2, r.stderr);
  t.regex(r.stderr, message);
  t.notRegex(r.stderr, noStack);
  t.is(r.stderr.trim().split('\n').filter((l) => l.startsWith('reverie:')).length, 1, 'one message');
});
test('a bad episode count is a usage error', usage, ['generate', '--scenario', 'teacher', '--episodes', 'ten', '--out', '/tmp/x'], /--episodes: expected the number of episodes: a whole number from 1/);
test('a negative seed is a usage error', usage, ['eval', '--scenario', 'teacher', '--seed', '-4'], /--seed: expected the run seed/);
test('zero workers is a usage error', usage, ['eval', '--scenario', 'teacher', '--workers', '0'], /--workers: expected the number of worker threads: a whole number from 1/);
test('an unknown policy is a usage error naming the choices', usage, ['eval', '--scenario', 'teacher', '--policy', 'genius'], /--policy: unknown policy 'genius'; expected one of: random, heuristic/);
test('an unknown option is a usage error', usage, ['generate', '--episdoes', '5'], /unknown option '--episdoes'/);
test('generate without --out is a usage error', usage, ['generate', '--scenario', 'teacher'], /--out: expected the output directory/);
test('--resume with --force is a usage error', usage, ['generate', '--scenario', 'teacher', '--out', '/tmp/x', '--resume', '--force'], /cannot be used together/);
test('an unknown export format is a usage error', usage, ['export', '/tmp/x', '--format', 'parquet', '--out', '/tmp/y'], /--format: expected one of: chat/);

test('an unknown scenario exits 1 and lists the built-in ones; --json gives the error as an object', async (t) => {
  const r = await reverie('eval', '--scenario', 'chess', '--json');
  t.is(r.code, 1);
  t.regex(r.stderr, /chess: no built-in scenario with this id; built-in scenarios: .*teacher/);
  const j = json(r);
  t.false(j.ok);
  t.is(j.error.code, 'not-found');
});

test('inspect reports the statistics and distinct utterances', async (t) => {
  const dir = await getSmall();
  const r = await reverie('inspect', dir, '--json');
  t.is(r.code, 0, r.stderr);
  const j = json(r);
  t.is(j.summary.episodes, 120);
  t.true(j.summary.returnCI95[0] <= j.summary.meanReturn && j.summary.meanReturn <= j.summary.returnCI95[1]);
  t.true(j.distinctUserUtterances.count > 10);
  t.is(j.turnLengths.histogram.reduce((n: number, [, c]: [number, number]) => n + c, 0), 120);
  t.regex(r.stderr, /success rate/, 'human text goes to stderr with --json');
  const human = await reverie('inspect', dir);
  t.regex(human.stdout, /mean return .*95% CI/);
  t.regex(human.stdout, /distinct/);
});

test('inspect of something that is not a dataset says so', async (t) => {
  const r = await reverie('inspect', await tmp());
  t.is(r.code, 1);
  t.regex(r.stderr, /is not a dataset: no manifest.json in it/);
});

test('export writes chat JSONL: user and assistant messages, persona apart', async (t) => {
  const dir = await getSmall();
  const out = join(await tmp(), 'chat.jsonl');
  const r = await reverie('export', dir, '--format', 'chat', '--out', out, '--json');
  t.is(r.code, 0, r.stderr);
  t.like(json(r), { ok: true, episodes: 120, out });
  const lines = (await readFile(out, 'utf8')).trimEnd().split('\n');
  t.is(lines.length, 120);
  const rec = JSON.parse(lines[0]);
  t.deepEqual([...new Set(rec.messages.map((m: { role: string }) => m.role))].sort(), ['assistant', 'user']);
  t.true(typeof rec.messages[0].content === 'string' && rec.messages[0].content.length > 0);
  t.truthy(rec.persona);
});

test('eval prints success rate, mean return with 95% CI and mean turns', async (t) => {
  const r = await reverie('eval', '--scenario', 'teacher', '--policy', 'heuristic', '--episodes', '100', '--seed', '3', '--workers', '1', '--json');
  t.is(r.code, 0, r.stderr);
  const j = json(r);
  t.like(j, { ok: true, command: 'eval', policy: 'heuristic', episodes: 100 });
  t.is(j.summary.episodes, 100);
  t.true(j.summary.meanTurns > 0);
  t.is(j.summary.returnCI95.length, 2);
});
