import test from 'ava';
import { Rng } from '../../../scenarios/random.js';
import { ReasoningTask, loadReasoningScenario } from '../../../scenarios/reasoning/index.js';
import { compileForward } from '../../../learners/graph/index.js';
import { DeviceSession, bakeParameters } from '../../../learners/runtime/index.js';
import { decode, sampleToken, type DecodeStats } from '../../../learners/reasoning/decode.js';
import { policyModel } from '../../../learners/reasoning/policy.js';
import { evalProblems } from '../../../learners/reasoning/evaluate.js';

const task = new ReasoningTask(loadReasoningScenario('addition'));
const SEQ = 32;

async function untrained(seed: number): Promise<DeviceSession> {
  const f = compileForward(policyModel({ vocab: task.tokenizer.size, seq: SEQ, dModel: 16, heads: 2, layers: 1 }), { seed });
  const values = new Map(f.params.map((p) => [p.name, p.init]));
  return DeviceSession.open(bakeParameters(f.bytes, f.params, values), { threads: 1 });
}

test('sampleToken: greedy is argmax; top-k 1 is greedy; top-k and top-p never pick outside their set', (t) => {
  const logits = [0.1, 2.0, 1.9, -1, 0.5];
  t.is(sampleToken(logits, { temperature: 0 }), 1);
  const rng = Rng.from(1);
  for (let i = 0; i < 200; i++) t.is(sampleToken(logits, { temperature: 1, topK: 1 }, rng), 1);
  const seen = new Set<number>();
  for (let i = 0; i < 2000; i++) seen.add(sampleToken(logits, { temperature: 1, topK: 2 }, rng));
  t.deepEqual([...seen].sort(), [1, 2]);
  // softmax of [0.1, 2, 1.9, -1, 0.5]: p(1) ≈ 0.43, p(2) ≈ 0.39, p(4) ≈ 0.10: nucleus 0.8 is {1, 2}
  const nucleus = new Set<number>();
  for (let i = 0; i < 2000; i++) nucleus.add(sampleToken(logits, { temperature: 1, topP: 0.8 }, rng));
  t.deepEqual([...nucleus].sort(), [1, 2]);
  // frequencies follow softmax(logits / T) at T = 1
  const counts = [0, 0, 0, 0, 0];
  for (let i = 0; i < 20000; i++) counts[sampleToken(logits, { temperature: 1 }, rng)]++;
  const z = logits.reduce((a, x) => a + Math.exp(x), 0);
  counts.forEach((c, i) => t.true(Math.abs(c / 20000 - Math.exp(logits[i]) / z) < 0.015, `token ${i}: ${c / 20000}`));
  t.throws(() => sampleToken(logits, { temperature: 1 }), { message: /rng/ });
});

test('decode: greedy continues every prompt to <eos> or the context; a sequence does not depend on its batch', async (t) => {
  const session = await untrained(2);
  const problems = evalProblems(task, 1, 6, 11).map((p) => p.problem.prompt);
  const opts = { seq: SEQ, eos: task.tokenizer.eos, pad: task.tokenizer.pad };
  const stats: DecodeStats = { runs: 0, tokens: 0, seconds: 0 };
  const greedy = await decode(session, problems, { ...opts, temperature: 0 }, stats);
  greedy.forEach((d, i) => {
    t.true(d.completion.length >= 1);
    if (d.stop === 'eos') t.is(d.completion[d.completion.length - 1], task.tokenizer.eos);
    else t.is(problems[i].length + d.completion.length, SEQ + 1, 'stopped by the context: seq + 1 tokens in all');
    t.false(d.completion.slice(0, -1).includes(task.tokenizer.eos));
  });
  t.is(stats.tokens, greedy.reduce((a, d) => a + d.completion.length, 0));
  // one at a time gives the same greedy tokens as all at once
  for (let i = 0; i < problems.length; i++) t.deepEqual((await decode(session, [problems[i]], { ...opts, temperature: 0 }))[0], greedy[i]);
  // sampling: per-sequence streams make results independent of batch composition and chunking
  const rngs = () => problems.map((_, i) => Rng.from(100 + i));
  const all = await decode(session, problems, { ...opts, temperature: 1, topK: 10, rngs: rngs() });
  const chunked = await decode(session, problems, { ...opts, temperature: 1, topK: 10, rngs: rngs(), batchSize: 4 });
  const reversed = await decode(session, [...problems].reverse(), { ...opts, temperature: 1, topK: 10, rngs: rngs().reverse() });
  t.deepEqual(chunked, all);
  t.deepEqual([...reversed].reverse(), all);
  const other = await decode(session, problems, { ...opts, temperature: 1, topK: 10, rngs: problems.map((_, i) => Rng.from(900 + i)) });
  t.notDeepEqual(other, all, 'other seeds give other samples');
  const short = await decode(session, problems, { ...opts, temperature: 1, rngs: rngs(), maxNewTokens: 3 });
  short.forEach((d) => t.true(d.completion.length <= 3 && (d.stop === 'eos' || d.completion.length === 3)));
  await t.throwsAsync(decode(session, problems, { ...opts, temperature: 1 }), { message: /one rng per prompt/ });
  await session.dispose();
});
