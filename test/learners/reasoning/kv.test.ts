import test from 'ava';
import * as ort from 'onnxruntime-node';
import { Rng } from '../../../scenarios/random.js';
import { ReasoningTask, loadReasoningScenario } from '../../../scenarios/reasoning/index.js';
import { compileForward } from '../../../learners/graph/index.js';
import { DeviceSession, bakeParameters } from '../../../learners/runtime/index.js';
import { decode, decodeCached } from '../../../learners/reasoning/decode.js';
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
  let past: Record<string, ort.Tensor> = {};
  for (let l = 0; l < shape.layers; l++) for (const kind of ['k', 'v']) past[`past_${kind}.${l}`] = new ort.Tensor('float32', new Float32Array(per), [1, shape.heads, 32, shape.dh]);
  let worst = 0;
  for (let p = 0; p < ids.length; p++) {
    const out = await kv.run({ token: new ort.Tensor('int64', BigInt64Array.of(BigInt(ids[p])), [1]), pos: new ort.Tensor('int64', BigInt64Array.of(BigInt(p)), [1]), ...past });
    const got = out.logits.data as Float32Array;
    for (let v = 0; v < config.vocab; v++) worst = Math.max(worst, Math.abs(got[v] - ref[p * config.vocab + v]));
    past = Object.fromEntries(Object.keys(past).map((k) => [k, out[k.replace('past_', 'present_')]]));
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
