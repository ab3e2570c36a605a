// The online loop with the in-process source: a resumed run ends bit-identical to an uninterrupted
// one, KL early stop, --init plays the checkpoint's policy at iteration 0, and a short PPO run
// beats the random policy on held-out seeds.
import test from 'ava';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeContext } from '../../../actors/context.js';
import { makeEncoder } from '../../../environments/encoding/index.js';
import { evaluatePolicy } from '../../../environments/evaluate.js';
import { createInProcessSource } from '../../../environments/online/in-process.js';
import { getScenario } from '../../../scenarios/registry.js';
import { actorCritic, grpo, loadBasePolicy, ppo, reinforce, trainOnline, type OnlineAlgorithm } from '../../../learners/algorithms/index.js';
import { compileForward } from '../../../learners/graph/compile.js';
import { POLICY_MODULE_URL } from '../../../learners/policies/index.js';
import { writePolicyCheckpoint } from '../../../learners/policies/checkpoint.js';
import { bakeParameters } from '../../../learners/runtime/onnx.js';
import { DeviceSession, hostTensor } from '../../../learners/runtime/session.js';

const scenario = getScenario('travel-agent');
const ctx = makeContext(scenario);
const encoder = makeEncoder('structured', ctx);
const dims = { obsSize: encoder.size, numActions: ctx.actions.length };
const SMALL = { hidden: [16], episodesPerIteration: 16, minibatchSize: 32, epochs: 2, lr: 1e-3, skip: false };
const tmp = () => mkdtempSync(join(tmpdir(), 'reverie-online-'));
const source = (infer: Parameters<typeof createInProcessSource>[1]) => createInProcessSource({ scenario, encoder: 'structured', concurrency: 8 }, infer);

async function run(algo: OnlineAlgorithm, dir: string, episodes: number, extra: { resume?: boolean; stopAfter?: number } = {}) {
  const r = await trainOnline({ algorithm: algo, source, dir, episodes, seed: 3, evalEvery: 0, checkpointEvery: 100, threads: 1, ...extra });
  const params = await r.trainer.read('all');
  await r.trainer.dispose();
  return { r, params };
}

for (const [name, make] of [['ppo', ppo], ['grpo', grpo], ['reinforce', reinforce]] as const) {
  test(`${name}: interrupted after 2 iterations and resumed ends bit-identical to an uninterrupted run`, async (t) => {
    const config = name === 'grpo' ? { ...SMALL, groupSize: 4, klCoef: 0.1 } : SMALL;
    const a = await run(make(dims, config, 3), tmp(), 64);
    const dir = tmp();
    const first = await run(make(dims, config, 3), dir, 64, { stopAfter: 2 });
    t.is(first.r.iterations, 2);
    const b = await run(make(dims, config, 3), dir, 64, { resume: true });
    t.is(b.r.resumedFrom, 2);
    t.is(b.r.iterations, 4);
    t.is(a.r.trainer.steps, b.r.trainer.steps);
    for (const [k, v] of a.params) t.deepEqual(Buffer.from(v.buffer, v.byteOffset, v.byteLength), Buffer.from((b.params.get(k) as typeof v).buffer, (b.params.get(k) as typeof v).byteOffset, v.byteLength), k);
    const rows = readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);
    t.deepEqual(rows.map((r) => r.iteration), [1, 2, 3, 4]);
    t.true(rows.every((r) => r.dropped_stale === 0 && r.episodes_per_s > 0 && Number.isFinite(r.return_mean)));
  });
}

test('PPO: KL early stop ends the epochs after the first minibatch that moved too far', async (t) => {
  const cfg = { ...SMALL, epochs: 4, minibatchSize: 16 };
  const free = await run(ppo(dims, { ...cfg, targetKl: null }, 3), tmp(), 16);
  const stopped = await run(ppo(dims, { ...cfg, targetKl: 1e-9 }, 3), tmp(), 16);
  // the first minibatch is on-policy (KL ≈ 0), the second follows an update
  t.is(stopped.r.trainer.steps, 2);
  t.is(stopped.r.last?.kl_stop, 1);
  t.true(free.r.trainer.steps >= 8, `${free.r.trainer.steps} updates without early stop`);
  t.is(free.r.last?.kl_stop, 0);
});

test('--init: at iteration 0 the policy is exactly the checkpoint\'s (base scores + a zero-initialised head), in the merged model too', async (t) => {
  // a checkpoint whose scores combine two outputs, one of them a [batch] value (as ILQL's −β·v)
  const f = compileForward(actorCritic(dims, { hidden: [8], activation: 'tanh', value: true, base: false, outScale: 1 }), { seed: 11, outputs: ['logits', 'value'] });
  const model = bakeParameters(f.bytes, f.params, new Map(f.params.map((p) => [p.name, p.init])));
  const dir = tmp();
  writePolicyCheckpoint(dir, { algo: 'test', ctx, encoder, model, scores: [{ output: 'logits', weight: 1 }, { output: 'value', weight: -2 }] });
  const base = await loadBasePolicy(dir, ctx, encoder);
  const algo = ppo(dims, SMALL, 5, { base: true });
  const trained = bakeParameters(algo.policy.bytes, algo.policy.params, new Map(algo.policy.params.map((p) => [p.name, p.init])));
  const merged = await DeviceSession.open(base.merge(trained), { threads: 1 });
  const donorSession = await DeviceSession.open(model, { threads: 1 });
  const rows = 5;
  const x = Float32Array.from({ length: rows * dims.obsSize }, (_, i) => Math.sin(i * 0.37));
  const got = (await merged.run({ x: hostTensor(x, 'float32', [rows, dims.obsSize]) }, ['logits'])).logits.data as Float32Array;
  const ref = await donorSession.run({ x: hostTensor(x, 'float32', [rows, dims.obsSize]) });
  const lg = ref.logits.data as Float32Array;
  const v = ref.value.data as Float32Array;
  const want = Float32Array.from(lg, (l, i) => l - 2 * v[Math.floor(i / dims.numActions)]);
  const scores = await base.scores(x, rows);
  t.true(want.every((w, i) => Math.abs(w - got[i]) < 1e-5 && Math.abs(w - scores[i]) < 1e-5));
  // the loop's model before any update (what it publishes as version 0) is the same policy
  const r = await trainOnline({ algorithm: algo, source, dir: tmp(), episodes: 16, seed: 3, evalEvery: 0, threads: 1, base, stopAfter: 0 });
  await r.trainer.dispose();
  const v0 = await DeviceSession.open(r.model, { threads: 1 });
  const first = (await v0.run({ x: hostTensor(x, 'float32', [rows, dims.obsSize]) }, ['logits'])).logits.data as Float32Array;
  t.true(want.every((w, i) => Math.abs(w - first[i]) < 1e-5));
  await Promise.all([merged.dispose(), donorSession.dispose(), v0.dispose(), base.close()]);
});

test('PPO on travel-agent for 4000 episodes beats the random policy on 300 held-out seeds (CIs apart)', async (t) => {
  const algo = ppo(dims, { lr: 1e-3, entCoef: 0.05, episodesPerIteration: 64, minibatchSize: 128, hidden: [64, 64], skip: false }, 1);
  const dir = tmp();
  const r = await trainOnline({ algorithm: algo, source: (infer) => createInProcessSource({ scenario, encoder: 'structured' }, infer), dir, episodes: 4000, seed: 1, evalEvery: 0, threads: 1 });
  const model = r.model;
  await r.trainer.dispose();
  writePolicyCheckpoint(dir, { algo: 'ppo', ctx, encoder, model });
  const trained = await evaluatePolicy({ scenario, policy: dir, policyModule: POLICY_MODULE_URL, episodes: 300, seed: 1000, workers: 1 });
  const random = await evaluatePolicy({ scenario, policy: 'random', episodes: 300, seed: 1000, workers: 1 });
  const [lo] = trained.summary.returnCI95;
  const [, hi] = random.summary.returnCI95;
  t.log(`PPO ${trained.summary.meanReturn.toFixed(2)} [${trained.summary.returnCI95.map((v) => v.toFixed(2))}] vs random ${random.summary.meanReturn.toFixed(2)} [${random.summary.returnCI95.map((v) => v.toFixed(2))}]`);
  t.true(lo > hi);
});

test('skip: a zero-initialised linear map from the observation joins each head; the first policy is the plain one, training moves it', async (t) => {
  const plain = ppo(dims, SMALL, 3);
  const skip = ppo(dims, { ...SMALL, skip: true }, 3);
  const names = skip.policy.params.map((p) => p.name);
  t.true(names.includes('pi.skip.weight') && !plain.policy.params.some((p) => p.name.includes('skip')));
  const x = new Float32Array(4 * dims.obsSize).map((_, i) => (i % 7) / 7);
  const logits = async (a: OnlineAlgorithm) => {
    const s = await DeviceSession.open(bakeParameters(a.policy.bytes, a.policy.params, new Map(a.policy.params.map((p) => [p.name, p.init]))), { device: 'cpu', threads: 1 });
    const out = await s.run({ x: hostTensor(x, 'float32', [4, dims.obsSize]) }, ['logits']);
    await s.dispose();
    return Array.from(out.logits.data as Float32Array);
  };
  t.deepEqual(await logits(skip), await logits(plain));
  const { params } = await run(skip, tmp(), 32);
  t.true(Array.from(params.get('pi.skip.weight') as Float32Array).some((v) => v !== 0));
});

test('a process killed between writing online.json and trainer.ckpt resumes from the checkpoint that survived, bit-identical', async (t) => {
  const a = await run(ppo(dims, SMALL, 3), tmp(), 64);
  const dir = tmp();
  await run(ppo(dims, SMALL, 3), dir, 64, { stopAfter: 1 });
  const first = readFileSync(join(dir, 'trainer.ckpt'));
  await run(ppo(dims, SMALL, 3), dir, 64, { resume: true, stopAfter: 1 });
  writeFileSync(join(dir, 'trainer.ckpt'), first); // the new online.json is on disk, the new checkpoint is not
  const b = await run(ppo(dims, SMALL, 3), dir, 64, { resume: true });
  t.is(b.r.resumedFrom, 1);
  for (const [k, v] of a.params) t.deepEqual(Buffer.from(v.buffer, v.byteOffset, v.byteLength), Buffer.from((b.params.get(k) as typeof v).buffer, (b.params.get(k) as typeof v).byteOffset, v.byteLength), k);
});
