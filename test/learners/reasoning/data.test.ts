import test from 'ava';
import * as ort from 'onnxruntime-node';
import { ReasoningTask, loadReasoningScenario } from '../../../scenarios/reasoning/index.js';
import { compileGradients } from '../../../learners/graph/index.js';
import { packBatch, parseLevels, sftBatch, sftExample, trainProblemSeed, evalProblemSeed } from '../../../learners/reasoning/data.js';
import { policyModel, sftLoss } from '../../../learners/reasoning/policy.js';

const task = new ReasoningTask(loadReasoningScenario('addition'));
const config = { seq: 64, levels: [{ level: 1, weight: 1 }], dataSeed: 3 };

test('the loss mask is exactly the completion span, targets are the next tokens, padding is masked', (t) => {
  const b = sftBatch(task, config, 2, 16);
  t.is(b.tokens.length, 16 * 64);
  let checked = 0;
  b.examples.forEach((ex, r) => {
    const s = ex.sequence;
    const p = ex.problem.prompt.length;
    t.false(ex.truncated);
    t.deepEqual(s, [...ex.problem.prompt, ...ex.completion]);
    t.is(ex.completion[ex.completion.length - 1], task.tokenizer.eos);
    t.true(task.grade(ex.problem, ex.completion).correct);
    for (let i = 0; i < 64; i++) {
      const m = b.mask[r * 64 + i];
      // position i predicts s[i+1]: a policy token iff i+1 is inside [p, s.length)
      t.is(m, i + 1 >= p && i + 1 < s.length ? 1 : 0, `row ${r} position ${i}`);
      t.is(Number(b.tokens[r * 64 + i]), i < s.length ? s[i] : task.tokenizer.pad);
      t.is(Number(b.targets[r * 64 + i]), i + 1 < s.length ? s[i + 1] : task.tokenizer.pad);
      checked++;
    }
    const masked = b.mask.subarray(r * 64, (r + 1) * 64).reduce((a, x) => a + x, 0);
    t.is(masked, ex.completion.length, 'one masked target per completion token');
  });
  t.is(checked, 16 * 64);
});

test('a truncated sequence keeps the mask on the completion part that fits', (t) => {
  const ex = sftExample(task, { ...config, levels: [{ level: 5, weight: 1 }] }, 0);
  const seq = 40;
  t.true(ex.sequence.length > seq + 1);
  const b = packBatch([{ ...ex, truncated: true }], seq);
  const p = ex.problem.prompt.length;
  t.is(b.mask.reduce((a, x) => a + x, 0), seq - (p - 1));
  t.is(Number(b.targets[seq - 1]), ex.sequence[seq]);
});

test('data is a pure function of (data seed, example index); levels follow the mixture', (t) => {
  t.deepEqual(sftExample(task, config, 17).sequence, sftExample(task, config, 17).sequence);
  t.notDeepEqual(sftExample(task, config, 17).sequence, sftExample(task, { ...config, dataSeed: 4 }, 17).sequence);
  const mix = { ...config, seq: 200, levels: parseLevels('1:3,3:1') };
  const levels = Array.from({ length: 400 }, (_, i) => sftExample(task, mix, i).problem.level);
  const ones = levels.filter((l) => l === 1).length;
  t.deepEqual([...new Set(levels)].sort(), [1, 3]);
  t.true(ones > 260 && ones < 340, `level 1 share ${ones}/400, expected about 300`);
  t.throws(() => parseLevels('0'), { instanceOf: RangeError });
  const train = new Set(Array.from({ length: 5000 }, (_, i) => trainProblemSeed(1, i)));
  t.false(Array.from({ length: 5000 }, (_, i) => evalProblemSeed(1, i)).some((s) => train.has(s)), 'eval seeds never equal train seeds here');
});

test('changing an environment (prompt) token target or a padding target changes no gradient; a policy target does', async (t) => {
  const model = policyModel({ vocab: task.tokenizer.size, seq: 32, dModel: 16, heads: 2, layers: 1 });
  const c = compileGradients(model, sftLoss(), { seed: 5 });
  const session = await ort.InferenceSession.create(c.bytes, { graphOptimizationLevel: 'all', intraOpNumThreads: 1 });
  const b = sftBatch(task, { ...config, seq: 32 }, 0, 4);
  const grads = async (targets: BigInt64Array) => {
    const feeds: Record<string, ort.Tensor> = {};
    for (const p of c.params) feeds[p.name] = new ort.Tensor('float32', p.init as Float32Array, p.shape as number[]);
    feeds.tokens = new ort.Tensor('int64', b.tokens, [4, 32]);
    feeds.targets = new ort.Tensor('int64', targets, [4, 32]);
    feeds.mask = new ort.Tensor('float32', b.mask, [4, 32]);
    const out = await session.run(feeds);
    return c.outputs.filter((o) => o.name.startsWith('grad.')).map((o) => Array.from(out[o.name].data as Float32Array));
  };
  const base = await grads(b.targets);
  t.true(base.some((g) => g.some((x) => x !== 0)), 'the gradient is not all zero');
  const envChanged = b.targets.slice();
  let changed = 0;
  for (let i = 0; i < envChanged.length; i++) {
    if (b.mask[i] === 0) {
      envChanged[i] = BigInt((Number(envChanged[i]) + 7) % task.tokenizer.size);
      changed++;
    }
  }
  t.true(changed > 20, 'prompt and padding targets were changed');
  t.deepEqual(await grads(envChanged), base, 'masked targets do not reach any gradient (bit for bit)');
  const policyChanged = b.targets.slice();
  const at = b.mask.findIndex((m) => m === 1);
  policyChanged[at] = BigInt((Number(policyChanged[at]) + 7) % task.tokenizer.size);
  t.notDeepEqual(await grads(policyChanged), base, 'a completion target does change the gradient');
});
