import test from 'ava';
import * as ort from 'onnxruntime-node';
import { Rng } from '../../../scenarios/random.js';
import { ReasoningTask, loadReasoningScenario } from '../../../scenarios/reasoning/index.js';
import { compileForward } from '../../../learners/graph/index.js';
import { DeviceSession, bakeParameters } from '../../../learners/runtime/index.js';
import { decode, decodeCached, type DecodeOptions } from '../../../learners/reasoning/decode.js';
import { evalProblems } from '../../../learners/reasoning/evaluate.js';
import { kvModelFromPolicy, kvShape } from '../../../learners/reasoning/kv.js';
import { policyModel } from '../../../learners/reasoning/policy.js';

const task = new ReasoningTask(loadReasoningScenario('addition'));
const config = { vocab: task.tokenizer.size, seq: 32, dModel: 24, heads: 3, layers: 2 };

async function sessions() {
  const f = compileForward(policyModel(config), { seed: 4 });
  const policy = bakeParameters(f.bytes, f.params, new Map(f.params.map((p) => [p.name, p.init])));
  const full = await DeviceSession.open(policy, { threads: 1 });
  const kv = await DeviceSession.open(kvModelFromPolicy(policy, config), { threads: 1 });
  return { full, kv };
}

test('the KV-cache step model gives the full model logits, position by position', async (t) => {
  const { full, kv } = await sessions();
  const ids = [...evalProblems(task, 1, 1, 3)[0].problem.prompt, 2, 13, 21, 14];
  const tokens = new BigInt64Array(32);
  ids.forEach((x, i) => (tokens[i] = BigInt(x)));
  const ref = (await full.run({ tokens: new ort.Tensor('int64', tokens, [1, 32]) })).logits.data as Float32Array;
  const shape = kvShape(config);
  const per = shape.heads * shape.seq * shape.dh;
  // the caller owns the cache: the step model returns this token's k, v and we write slot p
  const past: Record<string, Float32Array> = {};
  for (let l = 0; l < shape.layers; l++) for (const kind of ['k', 'v']) past[`${kind}.${l}`] = new Float32Array(per).fill(7); // unwritten slots must not matter
  let worst = 0;
  for (let p = 0; p < ids.length; p++) {
    const feeds: Record<string, ort.Tensor> = { token: new ort.Tensor('int64', BigInt64Array.of(BigInt(ids[p])), [1]), pos: new ort.Tensor('int64', BigInt64Array.of(BigInt(p)), [1]) };
    for (const [name, buf] of Object.entries(past)) feeds[`past_${name}`] = new ort.Tensor('float32', buf, [1, shape.heads, 32, shape.dh]);
    const out = await kv.run(feeds);
    const got = out.logits.data as Float32Array;
    for (let v = 0; v < config.vocab; v++) worst = Math.max(worst, Math.abs(got[v] - ref[p * config.vocab + v]));
    for (const [name, buf] of Object.entries(past)) {
      const fresh = out[name].data as Float32Array;
      t.deepEqual(out[name].dims, [1, shape.heads, shape.dh]);
      for (let h = 0; h < shape.heads; h++) buf.set(fresh.subarray(h * shape.dh, (h + 1) * shape.dh), (h * shape.seq + p) * shape.dh);
    }
  }
  t.true(worst < 1e-4, `largest logit difference ${worst}`);
  await full.dispose();
  await kv.dispose();
});

test('cached decoding gives the same tokens as full recomputation (greedy and sampled, batched)', async (t) => {
  const { full, kv } = await sessions();
  const prompts = evalProblems(task, 1, 8, 5).map((p) => p.problem.prompt);
  const opts = { seq: 32, eos: task.tokenizer.eos, pad: task.tokenizer.pad };
  const cache = kvShape(config);
  t.deepEqual(await decodeCached(kv, cache, prompts, { ...opts, temperature: 0 }), await decode(full, prompts, { ...opts, temperature: 0 }));
  const rngs = () => prompts.map((_, i) => Rng.from(50 + i));
  const a = await decodeCached(kv, cache, prompts, { ...opts, temperature: 1, rngs: rngs(), batchSize: 3 });
  const b = await decode(full, prompts, { ...opts, temperature: 1, rngs: rngs() });
  t.deepEqual(a, b);
  t.true(a.some((d) => d.stop === 'eos') || a.some((d) => d.stop === 'context'));
  await full.dispose();
  await kv.dispose();
});

test('cached decoding = full recomputation: rows stopping at different steps, full-context prompts, log-probs, chunks', async (t) => {
  const { full, kv } = await sessions();
  const cache = kvShape(config);
  const opts = { seq: 32, eos: task.tokenizer.eos, pad: task.tokenizer.pad };
  const base = evalProblems(task, 1, 6, 9).map((p) => p.problem.prompt);
  const pool = base.flat();
  const long = Array.from({ length: 32 }, (_, i) => pool[i % pool.length]); // fills the context: one token, then 'context'
  const nearly = long.slice(0, 29);
  const prompts = [base[3], long, [base[4][0]], nearly, base[5], base[0]];
  const rngs = () => prompts.map((_, i) => Rng.from(300 + i));
  const cases: DecodeOptions[] = [
    { ...opts, temperature: 0, logProbs: true },
    { ...opts, temperature: 0, maxNewTokens: 5 },
    { ...opts, temperature: 1, logProbs: true },
    { ...opts, temperature: 1.5, topK: 8, topP: 0.9, batchSize: 4 },
    { ...opts, temperature: 2, batchSize: 1, maxNewTokens: 7 },
  ];
  for (const o of cases) {
    const seeded = () => ((o.temperature ?? 1) > 0 ? { ...o, rngs: rngs() } : o);
    const b = await decode(full, prompts, seeded());
    const a = await decodeCached(kv, cache, prompts, seeded());
    t.deepEqual(a.map((d) => [d.completion, d.stop]), b.map((d) => [d.completion, d.stop]), JSON.stringify(o));
    if (o.logProbs) a.forEach((d, i) => d.logProbs?.forEach((lp, k) => t.true(Math.abs(lp - (b[i].logProbs as number[])[k]) < 1e-4)));
    t.is(a[1].completion.length, 1); // the full-context prompt gets one token
    t.true(a[1].stop === 'context' || a[1].stop === 'eos');
    t.true(new Set(a.map((d) => d.completion.length)).size > 1, 'rows stop at different steps');
  }
  const stats = { runs: 0, tokens: 0, seconds: 0 };
  const out = await decodeCached(kv, cache, prompts, { ...opts, temperature: 0 }, stats);
  t.is(stats.tokens, out.reduce((n, d) => n + d.completion.length, 0));
  t.is(stats.runs, Math.max(...prompts.map((p, i) => p.length - 1 + out[i].completion.length)));
  await full.dispose();
  await kv.dispose();
});
