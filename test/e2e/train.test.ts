// `reverie train` end to end: a policy checkpoint that `reverie eval` plays, metrics and trainer
// checkpoints, --resume, and the failures a user meets (a dataset of another scenario version, a
// corrupt shard, a cut-off last line) as one clear message naming the file, without a stack trace.
import test from 'ava';
import { cpSync, existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { json, reverie, root, tmp } from './helpers/cli.js';

const BEHAVIOUR = 'mix:random=1,epsilon-heuristic:0.5=1';

async function dataset(): Promise<string> {
  const dir = join(await tmp('reverie-train-'), 'data');
  const g = await reverie('generate', '--scenario', 'travel-agent', '--policy', BEHAVIOUR, '--episodes', '120', '--seed', '5', '--workers', '1', '--shard-size', '60', '--out', dir, '--json');
  if (g.code !== 0) throw new Error(g.stderr);
  return dir;
}

const shared = dataset();

function noStack(t: { false: (v: boolean, m?: string) => void }, stderr: string): void {
  t.false(/\n\s+at .+:\d+:\d+/.test(stderr), `stack trace in:\n${stderr}`);
}

function shards(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.endsWith('.jsonl')).sort().map((f) => join(dir, f));
}

test('train writes a policy checkpoint that eval plays, metrics.jsonl, and resumes where it stopped', async (t) => {
  const data = await shared;
  const out = join(await tmp('reverie-train-'), 'bc');
  const a = await reverie('train', '--algo', 'bc', '--data', data, '--out', out, '--steps', '40', '--log-every', '10', '--checkpoint-every', '20', '--seed', '2', '--json');
  t.is(a.code, 0, a.stderr);
  const aj = json(a);
  t.is(aj.steps, 40);
  t.is(aj.resumedFrom, 0);
  for (const f of ['policy.json', 'policy.onnx', 'trainer.ckpt', 'metrics.jsonl']) t.true(existsSync(join(out, f)), f);
  const spec = JSON.parse(readFileSync(join(out, 'policy.json'), 'utf8'));
  t.is(spec.algo, 'bc');
  t.is(spec.scenario.id, 'travel-agent');
  t.deepEqual(readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).step), [10, 20, 30, 40]);
  t.true(Number.isFinite(JSON.parse(readFileSync(join(out, 'metrics.jsonl'), 'utf8').split('\n')[0]).loss));

  const again = await reverie('train', '--algo', 'bc', '--data', data, '--out', out, '--steps', '40');
  t.is(again.code, 2);
  t.regex(again.stderr, /already holds a training run.*--resume/);

  const b = await reverie('train', '--algo', 'bc', '--data', data, '--out', out, '--steps', '60', '--log-every', '10', '--seed', '2', '--resume', '--json');
  t.is(b.code, 0, b.stderr);
  t.is(json(b).resumedFrom, 40);
  t.deepEqual(readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).step), [10, 20, 30, 40, 50, 60]);

  const e = await reverie('eval', '--scenario', 'travel-agent', '--policy', out, '--episodes', '30', '--workers', '1', '--no-oracle', '--json');
  t.is(e.code, 0, e.stderr);
  t.is(json(e).summary.episodes, 30);
  t.is(json(e).summary.errored, 0);
});

test('ILQL and AWR train through the command too', async (t) => {
  const data = await shared;
  for (const algo of ['ilql', 'awr', 'filtered-bc']) {
    const out = join(await tmp('reverie-train-'), algo);
    const r = await reverie('train', '--algo', algo, '--data', data, '--out', out, '--steps', '20', '--config', '{"hidden": [32]}', '--json');
    t.is(r.code, 0, r.stderr);
    t.is(json(r).steps, 20);
    t.true(existsSync(join(out, 'policy.onnx')));
  }
});

test('a dataset of another scenario version is refused, naming both versions', async (t) => {
  const data = await shared;
  const dir = await tmp('reverie-train-');
  const newer = join(dir, 'travel-agent-1.1.yaml');
  writeFileSync(newer, readFileSync(join(root, 'scenarios', 'builtin', 'travel-agent.yaml'), 'utf8').replace(/^version: .*$/m, 'version: 1.1.0'));
  const r = await reverie('train', '--algo', 'bc', '--data', data, '--out', join(dir, 'bc'), '--scenario', newer, '--steps', '5', '--json');
  t.is(r.code, 1);
  t.regex(r.stderr, /manifest\.json.*1\.0\.0.*1\.1\.0/);
  t.is(json(r).ok, false);
  noStack(t, r.stderr);
});

test('a corrupt line is reported with its file and line', async (t) => {
  const data = join(await tmp('reverie-train-'), 'data');
  cpSync(await shared, data, { recursive: true });
  const shard = shards(data)[1];
  const lines = readFileSync(shard, 'utf8').split('\n');
  lines[6] = '{"id": "broken", ' + lines[6].slice(40);
  writeFileSync(shard, lines.join('\n'));
  const r = await reverie('train', '--algo', 'bc', '--data', data, '--out', join(data, '..', 'bc'), '--steps', '5');
  t.is(r.code, 1);
  t.regex(r.stderr, new RegExp(`${shard.split('/').pop()?.replace('.', '\\.')}`));
  noStack(t, r.stderr);
});

test('a cut-off last line fails without --allow-partial and is skipped with it', async (t) => {
  const data = join(await tmp('reverie-train-'), 'data');
  cpSync(await shared, data, { recursive: true });
  const shard = shards(data)[1];
  const text = readFileSync(shard, 'utf8');
  writeFileSync(shard, text.slice(0, text.length - 200));
  const r = await reverie('train', '--algo', 'bc', '--data', data, '--out', join(data, '..', 'bc'), '--steps', '5');
  t.is(r.code, 1);
  t.regex(r.stderr, new RegExp(`${shard.split('/').pop()?.replace('.', '\\.')}:\\d+`));
  t.regex(r.stderr, /--allow-partial/);
  noStack(t, r.stderr);
  const ok = await reverie('train', '--algo', 'bc', '--data', data, '--out', join(data, '..', 'bc2'), '--steps', '5', '--allow-partial', '--json');
  t.is(ok.code, 0, ok.stderr);
  t.regex(ok.stderr, /warning/);
});
