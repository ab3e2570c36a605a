// Reasoning datasets through the CLI: generate → inspect → export → train --algo sft --data, and the
// dataset batch adapter of learners/reasoning/data.ts.
import test from 'ava';
import { existsSync, readFileSync, readdirSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ReasoningEpisodeSchema, makeReasoningContext, reasoningSpecs, runReasoningEpisodes, scriptedReasoner } from '../../actors/reasoning/index.js';
import { datasetBatch, packBatch, type SftExample } from '../../learners/reasoning/data.js';
import { loadReasoningScenario } from '../../scenarios/reasoning/index.js';
import { files, json, reverie, tmp } from '../e2e/helpers/cli.js';

async function scratch(t: { teardown: (f: () => void) => void }): Promise<string> {
  const dir = await tmp('reverie-rdata-');
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const GEN = ['generate', '--scenario', 'addition', '--policy', 'reasoner', '--episodes', '90', '--seed', '5', '--shard-size', '40', '--levels', '1:1,2:1'];

test('generate → inspect → export → train --data: a reasoning dataset end to end', async (t) => {
  const dir = await scratch(t);
  const data = join(dir, 'data');
  const g = await reverie(...GEN, '--concurrency', '7', '--out', data, '--json');
  t.is(g.code, 0, g.stderr);
  const gr = json(g);
  t.is(gr.kind, 'reasoning');
  t.is(gr.shards, 3);
  t.is(gr.summary.successRate, 1, 'the scripted reasoner\'s answers all verify');
  const manifest = JSON.parse(readFileSync(join(data, 'manifest.json'), 'utf8'));
  t.is(manifest.scenario.family, 'reasoning');
  t.true(manifest.shards.every((s: { sha256: string }) => /^[0-9a-f]{64}$/.test(s.sha256)));
  const lines = readdirSync(data).filter((f) => f.startsWith('episodes-')).sort().flatMap((f) => readFileSync(join(data, f), 'utf8').trim().split('\n'));
  t.is(lines.length, 90);
  const eps = lines.map((l) => ReasoningEpisodeSchema.parse(JSON.parse(l)));
  t.deepEqual(eps.map((e) => e.index), [...Array(90).keys()]);
  t.deepEqual([...new Set(eps.map((e) => e.level))].sort(), [1, 2]);

  const i = await reverie('inspect', data, '--json');
  t.is(i.code, 0, i.stderr);
  const ir = json(i);
  t.is(ir.summary.episodes, 90);
  t.is(ir.summary.successes, 90);

  const pairs = join(dir, 'pairs.jsonl');
  const e = await reverie('export', data, '--format', 'chat', '--out', pairs, '--json');
  t.is(e.code, 0, e.stderr);
  t.is(json(e).episodes, 90);
  const recs = readFileSync(pairs, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  t.is(recs.length, 90);
  t.deepEqual(Object.keys(recs[0]), ['prompt', 'completion', 'messages', 'id', 'scenario', 'level', 'correct', 'score']);
  t.deepEqual(recs[0].messages, [{ role: 'user', content: eps[0].prompt }, { role: 'assistant', content: eps[0].completion }]);
  t.is(recs[0].completion, eps[0].completion);
  t.regex(recs[0].completion, /^<think> .* <\/think> <answer> .* <\/answer> <eos>$/);
  t.is(recs[5].id, eps[5].id);
  t.is(recs[5].level, eps[5].level);

  const out = join(dir, 'sft');
  const TINY = '{"policy": {"seq": 48, "layers": 1, "dModel": 32, "heads": 2}, "batchSize": 8, "warmup": 0, "lr": 0.003}';
  const tr = await reverie('train', '--algo', 'sft', '--scenario', 'addition', '--data', data, '--steps', '30', '--log-every', '10', '--out', out, '--config', TINY, '--json');
  t.is(tr.code, 0, tr.stderr);
  t.is(json(tr).data, data);
  for (const f of ['reasoner.json', 'policy.onnx', 'trainer.ckpt', 'metrics.jsonl', 'config.json']) t.true(existsSync(join(out, f)), f);
  const spec = JSON.parse(readFileSync(join(out, 'reasoner.json'), 'utf8'));
  t.is(spec.data.dir, data);
  t.deepEqual(spec.data.shards, manifest.shards.map((s: { sha256: string }) => s.sha256));
  t.deepEqual(spec.levels.map((l: { level: number }) => l.level), [1, 2]);
  const metrics = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  t.is(metrics.length, 3);
  t.true(metrics[2].loss < metrics[0].loss, `loss ${metrics[0].loss} → ${metrics[2].loss}`);

  // the trained checkpoint as the behaviour policy: sampled completions with log-probs, batch-independent
  const byModel = (k: string, d: string) => reverie('generate', '--scenario', 'addition', '--policy', `${out}#sample`, '--episodes', '6', '--levels', '1', '--concurrency', k, '--out', join(dir, d));
  const m1 = await byModel('1', 'm1');
  t.is(m1.code, 0, m1.stderr);
  t.is((await byModel('6', 'm6')).code, 0);
  t.deepEqual(await files(join(dir, 'm6')), await files(join(dir, 'm1')));
  const sampled = readFileSync(join(dir, 'm1', 'episodes-00000.jsonl'), 'utf8').trim().split('\n').map((l) => ReasoningEpisodeSchema.parse(JSON.parse(l)));
  for (const ep of sampled) {
    t.is(ep.policy, `${out}#sample`);
    t.is(ep.logProbs?.length, ep.tokens.length - ep.promptLength);
    t.true(ep.logProbs!.every((x) => x <= 0 && Number.isFinite(x)));
    t.true(ep.stop === 'eos' || ep.stop === 'length');
  }
});

test('an interrupted reasoning generation resumes to the same bytes (whatever the concurrency); other levels are refused', async (t) => {
  const dir = await scratch(t);
  const whole = join(dir, 'whole');
  t.is((await reverie(...GEN, '--out', whole)).code, 0);
  const cut = join(dir, 'cut');
  t.is((await reverie(...GEN, '--concurrency', '64', '--out', cut)).code, 0); // another concurrency: the same bytes
  // as if killed inside shard 1: shard 2 missing, shard 1 partial with a torn last line, manifest unfinished
  rmSync(join(cut, 'episodes-00002.jsonl'));
  const shard1 = join(cut, 'episodes-00001.jsonl');
  const size = readFileSync(shard1).length;
  renameSync(shard1, shard1 + '.partial');
  truncateSync(shard1 + '.partial', Math.floor(size / 2));
  const m = JSON.parse(readFileSync(join(cut, 'manifest.json'), 'utf8'));
  writeFileSync(join(cut, 'manifest.json'), JSON.stringify({ ...m, complete: false, shards: m.shards.slice(0, 1), summary: undefined }, null, 2) + '\n');
  const other = await reverie('generate', '--out', cut, '--resume', '--levels', '1');
  t.not(other.code, 0);
  t.regex(other.stderr, /--levels 1:1,2:1/);
  const r = await reverie('generate', '--out', cut, '--resume', '--json');
  t.is(r.code, 0, r.stderr);
  t.true(json(r).resumedFrom > 40 && json(r).resumedFrom < 80);
  t.deepEqual(await files(cut), await files(whole));
});

test('reasoning usage errors name the option', async (t) => {
  const dir = await scratch(t);
  const level = await reverie('generate', '--scenario', 'addition', '--episodes', '3', '--levels', '9', '--out', join(dir, 'a'));
  t.is(level.code, 2);
  t.regex(level.stderr, /--levels: 'addition' has levels 1 to 5/);
  const policy = await reverie('generate', '--scenario', 'addition', '--policy', 'heuristic', '--episodes', '3', '--out', join(dir, 'b'));
  t.is(policy.code, 2);
  t.regex(policy.stderr, /--policy: unknown reasoning policy 'heuristic'/);
  const shard = await reverie('generate', '--scenario', 'addition', '--episodes', '3', '--shard', '0/2', '--out', join(dir, 's'));
  t.is(shard.code, 2);
  t.regex(shard.stderr, /--shard: .*reasoning/);
  const dialogue = join(dir, 'dialogue');
  t.is((await reverie('generate', '--scenario', 'teacher', '--episodes', '3', '--workers', '1', '--out', dialogue)).code, 0);
  const sft = await reverie('train', '--algo', 'sft', '--scenario', 'addition', '--data', dialogue, '--out', join(dir, 'c'));
  t.is(sft.code, 2);
  t.regex(sft.stderr, /--data: .* holds dialogue episodes/);
});

test('datasetBatch packs dataset rows as packBatch packs the on-the-fly examples, each epoch visiting every row once', async (t) => {
  const ctx = makeReasoningContext(loadReasoningScenario('addition'));
  const eps = await runReasoningEpisodes(ctx, scriptedReasoner(ctx.task), reasoningSpecs(ctx, 1, 0, 10, [{ level: 2, weight: 1 }]));
  const rows = eps.map((e) => ({ tokens: e.tokens, promptLength: e.promptLength }));
  const seq = 24; // short enough that some rows are truncated
  const b = datasetBatch(rows, { seq, dataSeed: 3 }, 0, 10, ctx.task.tokenizer.pad);
  t.deepEqual([...b.rows].sort((x, y) => x - y), [...Array(10).keys()]);
  const examples = b.rows.map((r) => ({ problem: { prompt: eps[r].tokens.slice(0, eps[r].promptLength) }, sequence: eps[r].tokens }) as unknown as SftExample);
  const ref = packBatch(examples, seq, ctx.task.tokenizer.pad);
  t.deepEqual(b.tokens, ref.tokens);
  t.deepEqual(b.targets, ref.targets);
  t.deepEqual(b.mask, ref.mask);
  // the mask is 1 exactly on completion targets
  const r0 = eps[b.rows[0]];
  t.deepEqual([...b.mask.subarray(0, seq)], Array.from({ length: seq }, (_, k) => (k + 1 >= r0.promptLength && k + 1 < r0.tokens.length ? 1 : 0)));
  // batch k is a pure function of (rows, seed, k); epochs reshuffle
  const b3 = datasetBatch(rows, { seq, dataSeed: 3 }, 3, 4);
  t.deepEqual(b3.rows, datasetBatch(rows, { seq, dataSeed: 3 }, 3, 4).rows);
  const second = [...datasetBatch(rows, { seq, dataSeed: 3 }, 2, 5).rows, ...datasetBatch(rows, { seq, dataSeed: 3 }, 3, 5).rows];
  t.deepEqual([...second].sort((x, y) => x - y), [...Array(10).keys()]);
  t.notDeepEqual(second, [...datasetBatch(rows, { seq, dataSeed: 3 }, 0, 5).rows, ...datasetBatch(rows, { seq, dataSeed: 3 }, 1, 5).rows]);
});
