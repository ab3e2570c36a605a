import test from 'ava';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Episode } from '../../actors/episode.js';
import { runEpisodes } from '../../actors/run.js';
import { deriveSeed } from '../../scenarios/random.js';
import { createPolicy, ilqlScores, loadPolicy, parseCheckpointRef, PolicyError, POLICY_FILE, readPolicySpec } from '../../learners/policies/index.js';
import { contextOf } from '../environments/helpers/offline-data.js';
import { reverie } from '../e2e/helpers/cli.js';
import { tinyCheckpoint } from './policies/helpers/tiny.js';

const travel = contextOf('travel-agent');
const specs = Array.from({ length: 24 }, (_, i) => ({ index: i, seed: deriveSeed(11, i), id: `t-${i}` }));
const strip = (eps: Episode[]) => eps.map((e) => JSON.stringify(e));

test('an ONNX policy plays batched episodes through runEpisodes: one forward per tick, deterministic, same as unbatched', async (t) => {
  for (const kind of ['structured', 'text'] as const) {
    const dir = await tinyCheckpoint(travel, { kind });
    const policy = await loadPolicy(dir, travel);
    t.is(policy.encoder.kind, kind);
    const batched = await runEpisodes(travel, policy, specs, { concurrency: 12 });
    t.true(policy.stats.maxBatch > 1, `batches of up to ${policy.stats.maxBatch}`);
    t.true(policy.stats.calls < policy.stats.rows / 2, `${policy.stats.calls} forwards for ${policy.stats.rows} decisions`);
    t.is(batched.filter((e) => e.outcome.reason === 'error').length, 0, 'every action was valid (the runner checks masks)');
    t.true(batched.every((e) => e.policy.startsWith('onnx:bc:')));
    const again = await runEpisodes(travel, policy, specs, { concurrency: 12 });
    const alone = await runEpisodes(travel, policy, specs, { concurrency: 1 });
    t.deepEqual(strip(again), strip(batched));
    t.deepEqual(strip(alone), strip(batched), 'a decision does not depend on the batch it was in');
    await policy.close();
  }
});

test('masked actions are never chosen: a model that prefers action 0 above all picks the first valid action', async (t) => {
  const A = travel.actions.length;
  // Zero weights; the output bias decreases with the action index, so action 0 has the best score.
  const dir = await tinyCheckpoint(travel, { override: (name, init) => (name === 'fc1.bias' ? Float32Array.from({ length: A }, (_, a) => A - a) : new Float32Array(init.length)) });
  const policy = await loadPolicy(dir, travel);
  let checked = 0;
  let maskedTop = 0;
  const spy = { ...policy, name: policy.name, act: async (obs: Parameters<typeof policy.act>[0], rngs: Parameters<typeof policy.act>[1]) => {
    const ds = await policy.act(obs, rngs);
    obs.forEach((o, i) => {
      t.is(ds[i].action, o.mask.indexOf(true));
      if (!o.mask[0]) maskedTop++;
      checked++;
    });
    return ds;
  } };
  const eps = await runEpisodes(travel, spy, specs, { concurrency: 8 });
  t.is(eps.filter((e) => e.outcome.reason === 'error').length, 0);
  t.true(maskedTop > 0, `the best action was masked in ${maskedTop} of ${checked} decisions`);
  await policy.close();
});

test('sampling draws with the episode stream: reproducible, reports log-probabilities; ILQL scores combine logits, q and v', async (t) => {
  const dir = await tinyCheckpoint(travel, { ilqlBeta: 2 });
  t.deepEqual(readPolicySpec(dir).scores, ilqlScores(2, { v: 'value' }));
  const a = await loadPolicy(dir, travel, { mode: 'sample', temperature: 0.7 });
  const b = await loadPolicy(dir, travel, { mode: 'sample', temperature: 0.7 });
  const x = await runEpisodes(travel, a, specs, { concurrency: 8 });
  const y = await runEpisodes(travel, b, specs, { concurrency: 3 });
  t.deepEqual(strip(x), strip(y));
  const lps = x.flatMap((e) => e.turns.filter((u) => u.speaker === 'agent').map((u) => u.logprob!));
  t.true(lps.every((lp) => lp <= 0 && Number.isFinite(lp)));
  t.true(lps.some((lp) => lp < 0));
  const greedy = await loadPolicy(dir, travel);
  const g = await runEpisodes(travel, greedy, specs, { concurrency: 8 });
  t.true(g.every((e) => e.turns.every((u) => u.speaker === 'user' || u.logprob === 0)));
  await Promise.all([a.close(), b.close(), greedy.close()]);
});

test('a checkpoint of another scenario, a changed encoder, a missing output: clear errors', async (t) => {
  const dir = await tinyCheckpoint(travel);
  const teacher = contextOf('teacher');
  const e = await t.throwsAsync(loadPolicy(dir, teacher), { instanceOf: PolicyError });
  t.regex(e.message, /trained on scenario 'travel-agent' 1\.0\.0 \(hash [0-9a-f]+\), not on 'teacher' 1\.0\.0 \(hash [0-9a-f]+\)/);
  const spec = JSON.parse(readFileSync(join(dir, POLICY_FILE), 'utf8'));
  writeFileSync(join(dir, POLICY_FILE), JSON.stringify({ ...spec, encoder: { ...spec.encoder, size: spec.encoder.size + 1 } }));
  await t.throwsAsync(loadPolicy(dir, travel), { message: /the structured encoder gives \d+ features .* the policy expects \d+/ });
  writeFileSync(join(dir, POLICY_FILE), JSON.stringify({ ...spec, scores: [{ output: 'q', weight: 1 }] }));
  await t.throwsAsync(loadPolicy(dir, travel), { message: /does not match policy\.json: no output 'q' \(outputs: logits\)/ });
  writeFileSync(join(dir, POLICY_FILE), JSON.stringify({ ...spec, numActions: 'many' }));
  await t.throwsAsync(loadPolicy(dir, travel), { message: /policy\.json: not a Reverie policy spec \(numActions: / });
  rmSync(join(dir, POLICY_FILE));
  await t.throwsAsync(loadPolicy(dir, travel), { message: /is not a policy checkpoint: no policy\.json/ });
});

test('policy arguments: a checkpoint directory with options, else a scripted policy name', async (t) => {
  const dir = await tinyCheckpoint(travel);
  t.deepEqual(parseCheckpointRef(dir), { dir, options: {} });
  t.deepEqual(parseCheckpointRef(`${dir}#sample:0.5`), { dir, options: { mode: 'sample', temperature: 0.5 } });
  t.deepEqual(parseCheckpointRef(`${dir}#greedy`), { dir, options: { mode: 'greedy' } });
  t.throws(() => parseCheckpointRef(`${dir}#hot`), { message: /expected greedy, sample or sample:TEMPERATURE/ });
  t.is(parseCheckpointRef('heuristic'), null);
  t.is((await createPolicy('heuristic', travel)).name, 'heuristic');
  const p = await createPolicy(`${dir}#sample`, travel);
  t.regex(p.name, /^onnx:bc:.*#sample$/);
  await p.close?.();
});

test('cli: eval --policy CKPT plays the checkpoint on workers and reports percent of the oracle', async (t) => {
  const dir = await tinyCheckpoint(travel);
  const r = await reverie('eval', '--scenario', 'travel-agent', '--policy', dir, '--episodes', '40', '--workers', '1', '--seed', '3', '--json');
  t.is(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  t.is(out.summary.episodes, 40);
  t.is(out.summary.errored, 0);
  t.is(typeof out.oracle.meanReturn, 'number');
  t.true(Math.abs(out.percentOfOracle - (100 * out.summary.meanReturn) / out.oracle.meanReturn) < 1e-9);
  t.regex(r.stderr, /% of oracle/);
  const bad = await reverie('eval', '--scenario', 'teacher', '--policy', dir, '--episodes', '5', '--workers', '1');
  t.is(bad.code, 1);
  t.regex(bad.stderr, /--policy: .*policy\.json: the policy was trained on scenario 'travel-agent'/);
});
