import test from 'ava';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { compileGradients } from '../../../learners/graph/index.js';
import { evalProblemSeed, sftExample, trainProblemSeed } from '../../../learners/reasoning/data.js';
import { advanceCurriculum, grpoLoss, levelWeights, runGrpo, ReasoningGrpoConfig, type ReasoningGrpoConfigInput, type Shaper } from '../../../learners/reasoning/grpo.js';
import { decode, decodeCached, logProbOf } from '../../../learners/reasoning/decode.js';
import { policyModel } from '../../../learners/reasoning/policy.js';
import { Rng } from '../../../scenarios/random.js';
import { groupAdvantages, grpoPrompts, grpoProblemSeed, lossWeights, packRows, type GrpoRow } from '../../../learners/reasoning/rollout.js';
import { openReasoner, runSft, taskOf } from '../../../learners/reasoning/sft.js';
import { checkGradients } from '../graph/helpers/fd.js';

const task = taskOf('addition');
const dir = mkdtempSync(join(tmpdir(), 'reverie-grpo-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

/** A tiny SFT run to start GRPO from (shared by the tests that need one). */
let initRun: Promise<string> | undefined;
function tinyInit(): Promise<string> {
  initRun ??= runSft({ scenario: 'addition', out: join(dir, 'sft'), policy: { dModel: 16, heads: 2, layers: 1, seq: 48 }, steps: 30, batchSize: 8, lr: 3e-3, warmup: 5, threads: 1, logEvery: 10 }).then((r) => r.out);
  return initRun;
}

/** Rows from scripted completions with made-up behaviour log-probs and advantages (for graph-level tests). */
function someRows(n: number, seq: number): GrpoRow[] {
  return Array.from({ length: n }, (_, i) => {
    const ex = sftExample(task, { seq, levels: [{ level: 1, weight: 1 }], dataSeed: 3 }, i);
    const sequence = ex.sequence.slice(0, seq + 1);
    const k = sequence.length - ex.problem.prompt.length;
    return { sequence, promptLength: ex.problem.prompt.length, logProbs: Array.from({ length: k }, (_, j) => -0.2 - 0.05 * ((i + j) % 7)), advantage: i % 2 ? 1.2 : -0.8 };
  });
}

test('group advantages: (R − mean)/(std + eps) per group; equal rewards give 0 and are flagged', (t) => {
  const a = groupAdvantages([1, 0, 0, 1]);
  t.false(a.zeroStd);
  a.adv.forEach((x, i) => t.true(Math.abs(x - (i === 0 || i === 3 ? 1 : -1)) < 1e-5));
  const b = groupAdvantages([0.25, 0.75]);
  t.true(Math.abs(b.adv[0] + 1) < 1e-5 && Math.abs(b.adv[1] - 1) < 1e-5);
  t.deepEqual(groupAdvantages([1, 1, 1]), { adv: [0, 0, 0], zeroStd: true });
  t.deepEqual(groupAdvantages([0, 0]), { adv: [0, 0], zeroStd: true });
});

test('rows: the mask is exactly the completion span; loss weights sum to 1 in both normalisations', (t) => {
  const rows = someRows(3, 40);
  const p = packRows(rows, 40, task.tokenizer.pad);
  rows.forEach((r, b) => {
    for (let pos = 0; pos < 40; pos++) {
      const policy = pos + 1 >= r.promptLength && pos + 1 < r.sequence.length;
      t.is(p.mask[b * 40 + pos], policy ? 1 : 0);
      if (policy) t.is(p.logpOld[b * 40 + pos], Math.fround(r.logProbs[pos + 1 - r.promptLength]));
      else t.is(p.adv[b * 40 + pos], 0);
    }
  });
  for (const mode of ['token', 'sequence'] as const) {
    const w = lossWeights(p.mask, 3, 40, mode);
    t.true(Math.abs(w.reduce((a, x) => a + x, 0) - 1) < 1e-5, mode);
    t.true(w.every((x, i) => (p.mask[i] === 0) === (x === 0)), `${mode}: weight 0 exactly off the policy tokens`);
  }
  const seqW = lossWeights(p.mask, 3, 40, 'sequence');
  const perRow = [0, 1, 2].map((b) => seqW.subarray(b * 40, (b + 1) * 40).reduce((a, x) => a + x, 0));
  perRow.forEach((s) => t.true(Math.abs(s - 1 / 3) < 1e-5, 'sequence mode: each row weighs 1/rows'));
});

test('prompt seeds: the grpo: namespace is disjoint from sft: and eval:, and prompts are a pure function of the index', (t) => {
  const g = new Set(Array.from({ length: 3000 }, (_, i) => grpoProblemSeed(1, i)));
  t.false(Array.from({ length: 3000 }, (_, i) => trainProblemSeed(1, i)).some((s) => g.has(s)));
  t.false(Array.from({ length: 3000 }, (_, i) => evalProblemSeed(1, i)).some((s) => g.has(s)));
  const mix = [{ level: 1, weight: 1 }, { level: 2, weight: 1 }];
  const a = grpoPrompts(task, { dataSeed: 1, first: 0, count: 20 }, mix);
  const b = grpoPrompts(task, { dataSeed: 1, first: 10, count: 10 }, mix);
  t.deepEqual(a.slice(10).map((p) => p.problem.prompt), b.map((p) => p.problem.prompt));
  t.deepEqual([...new Set(a.map((p) => p.problem.level))].sort(), [1, 2]);
});

test('loss masking: prompt/padding targets, advantages, behaviour and reference log-probs at masked positions change no gradient', async (t) => {
  const seq = 32;
  const model = policyModel({ vocab: task.tokenizer.size, seq, dModel: 16, heads: 2, layers: 1 });
  const c = compileGradients(model, grpoLoss({ clip: 0.2, klCoef: 0.1 }), { seed: 5 });
  const session = await ort.InferenceSession.create(c.bytes, { graphOptimizationLevel: 'all', intraOpNumThreads: 1 });
  const p = packRows(someRows(4, seq), seq, task.tokenizer.pad);
  const weight = lossWeights(p.mask, 4, seq, 'token');
  const ref = Float32Array.from(p.logpOld, (x, i) => (p.mask[i] ? x - 0.1 * (i % 3) : 0));
  type Feeds = { targets: BigInt64Array; adv: Float32Array; logpOld: Float32Array; ref: Float32Array };
  const grads = async (f: Feeds) => {
    const feeds: Record<string, ort.Tensor> = {};
    for (const q of c.params) feeds[q.name] = new ort.Tensor('float32', q.init as Float32Array, q.shape as number[]);
    const dims = [4, seq];
    feeds.tokens = new ort.Tensor('int64', p.tokens, dims);
    feeds.targets = new ort.Tensor('int64', f.targets, dims);
    feeds.weight = new ort.Tensor('float32', weight, dims);
    feeds.logp_old = new ort.Tensor('float32', f.logpOld, dims);
    feeds.adv = new ort.Tensor('float32', f.adv, dims);
    feeds.ref_logp = new ort.Tensor('float32', f.ref, dims);
    const out = await session.run(feeds);
    return c.outputs.filter((o) => o.name.startsWith('grad.')).map((o) => Array.from(out[o.name].data as Float32Array));
  };
  const base: Feeds = { targets: p.targets, adv: p.adv, logpOld: p.logpOld, ref };
  const g0 = await grads(base);
  t.true(g0.some((g) => g.some((x) => x !== 0)), 'the gradient is not all zero');
  const env: Feeds = { targets: p.targets.slice(), adv: p.adv.slice(), logpOld: p.logpOld.slice(), ref: ref.slice() };
  let changed = 0;
  for (let i = 0; i < env.targets.length; i++) {
    if (p.mask[i] !== 0) continue;
    env.targets[i] = BigInt((Number(env.targets[i]) + 5) % task.tokenizer.size);
    env.adv[i] = 3 + (i % 5);
    env.logpOld[i] = -40 - i;
    env.ref[i] = 25;
    changed++;
  }
  t.true(changed >= 12, `prompt and padding positions were changed (${changed})`);
  t.deepEqual(await grads(env), g0, 'masked positions do not reach any gradient (bit for bit)');
  const at = Array.from(p.mask).findIndex((m) => m === 1);
  const policy: Feeds = { ...base, adv: p.adv.slice() };
  policy.adv[at] += 1;
  t.notDeepEqual(await grads(policy), g0, 'an advantage on a policy token does change the gradient');
  const target: Feeds = { ...base, targets: p.targets.slice() };
  target.targets[at] = BigInt((Number(target.targets[at]) + 5) % task.tokenizer.size);
  t.notDeepEqual(await grads(target), g0, 'a policy target does change the gradient');
});

test('the surrogate + k3 KL gradient matches central finite differences (float64)', async (t) => {
  const B = 2;
  const T = 3;
  const V = 5;
  const r = await checkGradients({
    build(g) {
      const logits = g.input('logits', 'float64', [B, T, V]);
      const res = grpoLoss({ clip: 0.2, klCoef: 0.3 })(g, { logits });
      return { out: 'loss' in res ? res.loss : res, wrt: [logits] };
    },
    feeds: {
      targets: BigInt64Array.from([0, 3, 4, 1, 2, 2], BigInt),
      weight: Float64Array.from([0, 0.25, 0.25, 0, 0.25, 0.25]),
      // behaviour log-probs near the current ones, so some ratios fall inside the clip range and some outside
      logp_old: (n, rng) => Float64Array.from({ length: n }, () => -1.6 + rng.normal() * 0.3),
      adv: Float64Array.from([0, 1, 1, 0, -1, -1]),
      ref_logp: (n, rng) => Float64Array.from({ length: n }, () => -1.6 + rng.normal() * 0.5),
    },
    tol: 1e-5,
  });
  t.true(r.maxRel < 1e-5, `max relative error ${r.maxRel}`);
});

test('curriculum: schedules by iteration; adaptive opens the next level once the running accuracy passes the threshold', (t) => {
  const schedule = ReasoningGrpoConfig.parse({ scenario: 'addition', init: 'x', out: 'y', curriculum: { kind: 'schedule', stages: [{ from: 0, levels: [{ level: 1, weight: 1 }] }, { from: 5, levels: [{ level: 2, weight: 1 }] }] } });
  const none = { open: 1, running: {} };
  t.deepEqual(levelWeights(schedule, 4, none), [{ level: 1, weight: 1 }]);
  t.deepEqual(levelWeights(schedule, 5, none), [{ level: 2, weight: 1 }]);
  const adaptive = ReasoningGrpoConfig.parse({ scenario: 'addition', init: 'x', out: 'y', curriculum: { kind: 'adaptive', levels: [1, 2, 3], threshold: 0.6, smoothing: 0.5, review: 0.2 } });
  let s = none;
  t.deepEqual(levelWeights(adaptive, 0, s), [{ level: 1, weight: 1 }]);
  s = advanceCurriculum(adaptive, s, new Map([[1, 0.5]]));
  t.is(s.open, 1);
  s = advanceCurriculum(adaptive, s, new Map([[1, 0.8]])); // running 0.65
  t.is(s.open, 2);
  t.deepEqual(levelWeights(adaptive, 2, s), [{ level: 1, weight: 0.2 }, { level: 2, weight: 1 }]);
});

const rowsOf = (out: string) => readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);
const timeless = (xs: Record<string, number>[]) => xs.map((x) => Object.fromEntries(Object.entries(x).filter(([k]) => !k.endsWith('seconds'))));

test('first update: ratio 1 and KL 0 (policy = behaviour = reference); same seeds give the same rows; a resumed run matches; the result opens as a reasoner', async (t) => {
  const init = await tinyInit();
  const base: ReasoningGrpoConfigInput = { scenario: 'addition', init, out: join(dir, 'g1'), levels: [{ level: 1, weight: 1 }], iterations: 4, prompts: 4, groupSize: 4, minibatch: 8, epochs: 1, lr: 1e-3, checkpointEvery: 2, threads: 1 };
  const steps: Record<string, number>[] = [];
  await runGrpo(base, { step: (m) => steps.push({ ...m }) });
  t.is(steps.length, 8, '4 iterations × 2 minibatches');
  t.true(steps[0].ratio_dev < 1e-4, `ratio at the first step: max |r − 1| = ${steps[0].ratio_dev}`);
  t.true(Math.abs(steps[0].approx_kl) < 1e-7 && steps[0].clip_frac === 0, `approx KL ${steps[0].approx_kl}`);
  t.true(Math.abs(steps[0].kl_ref) < 1e-7, `KL to the reference ${steps[0].kl_ref}`);
  t.true(steps.slice(2).some((m) => m.kl_ref > 1e-7), 'the policy moves off the reference later');

  await runGrpo({ ...base, out: join(dir, 'g2') });
  const a = rowsOf(join(dir, 'g1'));
  t.is(a.length, 4);
  t.deepEqual(timeless(rowsOf(join(dir, 'g2'))), timeless(a), 'same seeds → same metrics rows');
  for (const k of ['reward_mean', 'accuracy', 'clip_frac', 'approx_kl', 'kl_ref', 'mean_length', 'zero_std_frac', 'weight_l1']) t.true(k in a[0], k);

  class Interrupt extends Error {}
  const resumed = { ...base, out: join(dir, 'g3') };
  await t.throwsAsync(runGrpo(resumed, { log: (row) => { if (row.iteration === 3) throw new Interrupt(); } }), { instanceOf: Interrupt });
  const r = await runGrpo(resumed);
  t.is(r.ranIterations, 2, 'resumed at the iteration-2 checkpoint');
  t.deepEqual(timeless(rowsOf(resumed.out)), timeless(a), 'a resumed run gives the rows of a straight one');
  await t.throwsAsync(runGrpo({ ...resumed, groupSize: 2, iterations: 6 }), { message: /different 'groupSize'/ });

  const reasoner = await openReasoner(join(dir, 'g1'));
  t.is(reasoner.spec.scenario.id, 'addition');
  await reasoner.dispose();
  await t.throwsAsync(runGrpo({ ...base, scenario: 'digit-sum', out: join(dir, 'bad') }), { message: /trained on scenario 'addition'/ });
});

test('behaviour log-probs: both decoders record log π of each sampled token, and they agree', async (t) => {
  const reasoner = await openReasoner(await tinyInit());
  try {
    const prompts = grpoPrompts(task, { dataSeed: 2, first: 0, count: 4 }, [{ level: 1, weight: 1 }]).map((p) => p.problem.prompt);
    const o = (s: number) => ({ seq: 48, eos: task.tokenizer.eos, pad: task.tokenizer.pad, temperature: 1, logProbs: true, rngs: prompts.map((_, i) => Rng.from(s + i)) });
    const full = await decode(reasoner.session, prompts, o(1));
    const kv = reasoner.kv;
    if (!kv) throw new Error('no kv model');
    const cached = await decodeCached(kv.session, kv.cache, prompts, o(1));
    full.forEach((d, i) => {
      t.deepEqual(cached[i].completion, d.completion);
      t.is(d.logProbs?.length, d.completion.length);
      d.logProbs?.forEach((lp, j) => t.true(lp <= 0 && Math.abs(lp - (cached[i].logProbs?.[j] ?? NaN)) < 1e-4));
    });
    t.true(Math.abs(logProbOf([0, Math.log(3)], 1) - Math.log(0.75)) < 1e-12);
    t.is((await decode(reasoner.session, prompts, { ...o(1), logProbs: false }))[0].logProbs, undefined);
  } finally {
    await reasoner.dispose();
  }
});

test('shaper hook: the verifier rewards through a shaper train as without one; a per-token bonus adds to the advantage feed; another shaping cannot resume the run', async (t) => {
  const rows = someRows(2, 40);
  const bonus = rows.map((r) => Array.from({ length: r.sequence.length - r.promptLength }, (_, j) => 0.01 * (j + 1)));
  const p = packRows(rows.map((r, i) => ({ ...r, bonus: bonus[i] })), 40, task.tokenizer.pad);
  rows.forEach((r, b) => {
    for (let pos = 0; pos < 40; pos++) {
      const k = pos + 1 - r.promptLength;
      if (k >= 0 && pos + 1 < r.sequence.length) t.is(p.adv[b * 40 + pos], Math.fround(r.advantage + bonus[b][k]));
    }
  });

  const init = await tinyInit();
  const base: ReasoningGrpoConfigInput = { scenario: 'addition', init, out: join(dir, 's0'), levels: [{ level: 1, weight: 1 }], iterations: 2, prompts: 4, groupSize: 4, lr: 1e-3, threads: 1 };
  await runGrpo(base);
  const seen: number[] = [];
  const same: Shaper = {
    id: { kind: 'same' },
    shape: async (groups, ctx) => {
      seen.push(ctx.iteration);
      return { rewards: groups.map((g) => g.samples.map((s) => s.reward)), metrics: { shaper_calls: seen.length } };
    },
  };
  await runGrpo({ ...base, out: join(dir, 's1') }, { shaper: same });
  t.deepEqual(seen, [0, 1]);
  const plain = timeless(rowsOf(join(dir, 's0')));
  const shaped = timeless(rowsOf(join(dir, 's1')));
  t.is(shaped[1].shaper_calls, 2);
  t.deepEqual(shaped.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => k !== 'shaper_calls' && k !== 'shaped_reward_mean'))), plain, 'same rewards → same training');
  t.deepEqual(JSON.parse(readFileSync(join(dir, 's1', 'config.json'), 'utf8')).shaping, { kind: 'same' });
  await t.throwsAsync(runGrpo({ ...base, out: join(dir, 's1'), iterations: 3 }, { shaper: { ...same, id: { kind: 'other' } } }), { message: /different 'shaping'/ });
  await t.throwsAsync(runGrpo({ ...base, out: join(dir, 's1'), iterations: 3 }), { message: /different 'shaping'/ });
});
