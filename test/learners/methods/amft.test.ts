import test from 'ava';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileGradients } from '../../../learners/graph/index.js';
import { AmftConfig, GradientProbe, amftLoss, innerDiff, joinRows, metaGradient, nextMu, runAmft, scheduledMu, stepFeeds, valDataSeed, type AmftConfigInput, type Grads } from '../../../learners/methods/amft.js';
import { sftBatch, sftExample } from '../../../learners/reasoning/data.js';
import { evaluateReasoner } from '../../../learners/reasoning/evaluate.js';
import { policyModel } from '../../../learners/reasoning/policy.js';
import { packRows } from '../../../learners/reasoning/rollout.js';
import { openReasoner, taskOf } from '../../../learners/reasoning/sft.js';

const task = taskOf('addition');
const dir = mkdtempSync(join(tmpdir(), 'reverie-amft-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

const vec = (xs: number[]): Grads => new Map([['theta', Float64Array.from(xs)]]);

/**
 * The toy quadratic: L_SFT = ½‖θ − a‖², L_RL = ½‖θ − b‖², L_val = ½‖θ − v‖²; SGD on
 * (1 − μ)L_RL + μL_SFT with the controller's meta step every step. Returns μ after `steps`.
 */
function toy(v: readonly number[], sign: 1 | -1, steps = 40): number[] {
  const a = [1, 0];
  const b = [-1, 0];
  const eta = 0.1;
  const c = { metaLr: 2, entropyLr: 0, min: 0.05, max: 0.95 };
  let theta = [0, 1];
  let mu = 0.5;
  const trace = [mu];
  for (let t = 0; t < steps; t++) {
    const gS = theta.map((x, i) => x - a[i]);
    const gR = theta.map((x, i) => x - b[i]);
    const gV = theta.map((x, i) => x - v[i]);
    const m = metaGradient(vec(gV), vec(gS), vec(gR), eta);
    // sign −1: the authors' released rule μ + η_meta·m, written as a step with −m
    mu = nextMu(mu, c, sign * m, 0, 0);
    theta = theta.map((x, i) => x - eta * ((1 - mu) * gR[i] + mu * gS[i]));
    trace.push(mu);
  }
  return trace;
}

const lval = (theta: readonly number[], v: readonly number[]) => 0.5 * theta.reduce((s, x, i) => s + (x - v[i]) ** 2, 0);

test('sign: μ moves to reduce L_val on a toy quadratic (rises when L_val sits at the SFT minimum, falls at the RL minimum); the ascending rule fails', (t) => {
  const nearSft = toy([0.9, 0], 1);
  const nearRl = toy([-0.9, 0], 1);
  t.true(nearSft[5] > nearSft[0] && nearSft[nearSft.length - 1] > 0.9, `μ near the SFT minimum: ${nearSft.slice(0, 6).map((x) => x.toFixed(3))} … ${nearSft.at(-1)}`);
  t.true(nearRl[5] < nearRl[0] && nearRl[nearRl.length - 1] < 0.1, `μ near the RL minimum: ${nearRl.slice(0, 6).map((x) => x.toFixed(3))} … ${nearRl.at(-1)}`);
  // the released code's sign moves μ the other way in both cases
  t.true((toy([0.9, 0], -1).at(-1) ?? NaN) < 0.1);
  t.true((toy([-0.9, 0], -1).at(-1) ?? NaN) > 0.9);
  // one meta step by hand: θ = (0, 1), v = a: ⟨θ − a, b − a⟩ = 2, m = −η·2, μ rises by η_meta·η·2
  const m = metaGradient(vec([-1, 1]), vec([-1, 1]), vec([1, 1]), 0.1);
  t.is(m, -0.1 * 2);
  t.is(nextMu(0.5, { metaLr: 0.5, entropyLr: 0, min: 0, max: 1 }, m, 0, 0), 0.6);
  // and a lookahead step with the new μ lowers L_val more than one with the old one (v = a)
  const theta = [0, 1];
  const step = (mu: number) => theta.map((x, i) => x - 0.1 * ((1 - mu) * (x - [-1, 0][i]) + mu * (x - [1, 0][i])));
  t.true(lval(step(0.6), [1, 0]) < lval(step(0.5), [1, 0]));
});

test('entropy term: μ rises when the entropy falls below the target, falls above it; clipped to [min, max]', (t) => {
  const c = { metaLr: 0, entropyLr: 0.1, min: 0.05, max: 0.95 };
  t.true(Math.abs(nextMu(0.5, c, 0, 1.0, 0.5) - 0.55) < 1e-12);
  t.true(Math.abs(nextMu(0.5, c, 0, 1.0, 1.5) - 0.45) < 1e-12);
  t.is(nextMu(0.94, c, 0, 2, 0), 0.95);
  t.is(nextMu(0.06, c, 0, 0, 2), 0.05);
  t.is(innerDiff(vec([1, 2]), vec([3, 5]), vec([1, 1])), 1 * 2 + 2 * 4);
  t.throws(() => innerDiff(vec([1, 2]), vec([3]), vec([1, 1])), { message: /theta/ });
});

test('schedules: warm-up is SFT, fixed and two-stage μ by step; config checks', (t) => {
  const fixed = AmftConfig.parse({ scenario: 'addition', out: 'x', warmup: 3, mu: { kind: 'fixed', value: 0.2 } });
  t.deepEqual([1, 3, 4, 9].map((s) => scheduledMu(fixed, s)), [1, 1, 0.2, 0.2]);
  const two = AmftConfig.parse({ scenario: 'addition', out: 'x', warmup: 3, mu: { kind: 'two-stage', switchAt: 5 } });
  t.deepEqual([1, 5, 6].map((s) => scheduledMu(two, s)), [1, 1, 0]);
  const amft = AmftConfig.parse({ scenario: 'addition', out: 'x', warmup: 3 });
  t.is(scheduledMu(amft, 3), 1);
  t.is(scheduledMu(amft, 4), undefined);
  t.like(amft.mu, { kind: 'amft', init: 0.8, entropyLr: 5e-4, min: 0.05, max: 0.95, every: 20 });
  t.throws(() => AmftConfig.parse({ scenario: 'addition', out: 'x', mu: { kind: 'fixed', value: 1.5 } }));
});

test('meta-gradient: −η⟨g_V(θ′), g_S − g_R⟩ equals a finite difference of L_val(θ′(μ)) on a tiny transformer; the first-order form (g_V at θ) is close for small η', async (t) => {
  const seq = 40;
  const model = policyModel({ vocab: task.tokenizer.size, seq, dModel: 16, heads: 2, layers: 1, dMlp: 32 });
  const graph = compileGradients(model, amftLoss({ clip: 0.2, entropyCoef: 0.01 }), { seed: 3, dtype: 'float64' });
  const probe = await GradientProbe.open(graph, { threads: 1 });
  try {
    const theta = new Map(graph.params.map((p) => [p.name, p.init as Float64Array]));
    const demo = sftBatch(task, { seq, levels: [{ level: 1, weight: 1 }], dataSeed: 2 }, 0, 4);
    // "rollouts": other scripted completions with behaviour log-probs near the uniform policy's and mixed advantages
    const rlRows = Array.from({ length: 4 }, (_, i) => {
      const ex = sftExample(task, { seq, levels: [{ level: 1, weight: 1 }], dataSeed: 9 }, i);
      const sequence = ex.sequence.slice(0, seq + 1);
      const k = sequence.length - ex.problem.prompt.length;
      return { sequence, promptLength: ex.problem.prompt.length, logProbs: Array.from({ length: k }, (_, j) => -Math.log(task.tokenizer.size) + 0.02 * ((i + j) % 3)), advantage: i % 2 ? 1 : -1 };
    });
    const rows = joinRows(demo, packRows(rlRows, seq, task.tokenizer.pad), 'token');
    const val = joinRows(sftBatch(task, { seq, levels: [{ level: 1, weight: 1 }], dataSeed: valDataSeed(2) }, 0, 4), undefined, 'token');
    const gS = (await probe.run(theta, stepFeeds(rows, 1, 'float64'))).grads;
    const gR = (await probe.run(theta, stepFeeds(rows, 0, 'float64'))).grads;
    // the combined gradient is linear in μ: ∇L(0.3) = 0.7 g_R + 0.3 g_S
    const g3 = (await probe.run(theta, stepFeeds(rows, 0.3, 'float64'))).grads;
    let worst = 0;
    for (const [k, v] of g3) for (let i = 0; i < v.length; i++) worst = Math.max(worst, Math.abs(v[i] - (0.7 * gR.get(k)![i] + 0.3 * gS.get(k)![i])));
    t.true(worst < 1e-10, `linearity in μ: ${worst}`);
    const lookahead = (mu: number, eta: number) => new Map([...theta].map(([k, v]) => [k, v.map((x, i) => x - eta * ((1 - mu) * gR.get(k)![i] + mu * gS.get(k)![i]))]));
    const valAt = (p: Map<string, Float64Array>) => probe.run(p, stepFeeds(val, 1, 'float64'));
    for (const eta of [0.05, 0.5]) {
      const mu = 0.4;
      const h = 1e-4;
      const fd = ((await valAt(lookahead(mu + h, eta))).loss - (await valAt(lookahead(mu - h, eta))).loss) / (2 * h);
      const exact = metaGradient((await valAt(lookahead(mu, eta))).grads, gS, gR, eta);
      t.true(Math.abs(fd - exact) <= 1e-5 * Math.max(1e-3, Math.abs(fd)), `η ${eta}: fd ${fd} vs −η⟨g_V(θ′), g_S − g_R⟩ ${exact}`);
      t.true(Math.abs(fd) > 1e-6, `the derivative is not trivially 0 (${fd})`);
    }
    // what the method computes (g_V at θ) is the derivative to first order in η
    const eta = 1e-3;
    const fd = ((await valAt(lookahead(0.4 + 1e-3, eta))).loss - (await valAt(lookahead(0.4 - 1e-3, eta))).loss) / 2e-3;
    const firstOrder = metaGradient((await valAt(theta)).grads, gS, gR, eta);
    t.true(Math.abs(fd - firstOrder) <= 0.02 * Math.abs(fd), `first order: fd ${fd} vs ${firstOrder}`);
  } finally {
    await probe.dispose();
  }
});

class Interrupt extends Error {}

const rows = (out: string) => readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);
const timeless = (r: Record<string, number>) => Object.fromEntries(Object.entries(r).filter(([k]) => !k.endsWith('seconds')));

test('a short run writes a complete run directory, logs μ per step, and an interrupted run resumes bit for bit', async (t) => {
  const base = (out: string): AmftConfigInput => ({
    scenario: 'addition', out, policy: { dModel: 16, heads: 2, layers: 1, seq: 48 }, steps: 7, warmup: 2,
    mu: { kind: 'amft', init: 0.7, every: 2, metaLr: 50, entropyLr: 0.05 },
    batchSize: 4, prompts: 2, groupSize: 2, valBatch: 4, lr: 3e-3, checkpointEvery: 3, threads: 1, reward: 'score',
  });
  const straight = join(dir, 'straight');
  const r = await runAmft(base(straight));
  t.is(r.ranSteps, 7);
  for (const f of ['config.json', 'metrics.jsonl', 'trainer.ckpt', 'policy.onnx', 'reasoner.json']) t.true(existsSync(join(straight, f)), f);
  const a = rows(straight);
  t.deepEqual(a.map((x) => x.step), [1, 2, 3, 4, 5, 6, 7]);
  t.deepEqual(a.slice(0, 2).map((x) => x.mu), [1, 1]);
  t.is(a[2].mu, 0.7);
  t.true(a.slice(0, 2).every((x) => x.accuracy === undefined), 'no rollouts in the warm-up');
  t.true(a.slice(2).every((x) => typeof x.accuracy === 'number' && typeof x.loss_rl === 'number' && typeof x.entropy === 'number'));
  // meta steps: (step − warmup) % every == 0
  t.deepEqual(a.filter((x) => x.meta_grad !== undefined).map((x) => x.step), [4, 6]);
  t.true(a.filter((x) => x.meta_grad !== undefined).every((x) => Number.isFinite(x.loss_val) && x.meta_grad !== 0));
  const hTarget = (a[0].entropy + a[1].entropy) / 2;
  t.true(Math.abs(a[2].h_target - hTarget) < 1e-12);
  for (const x of a.slice(2)) {
    t.true(x.mu_next >= 0.05 && x.mu_next <= 0.95);
    const expected = Math.min(0.95, Math.max(0.05, x.mu - 50 * (x.meta_grad ?? 0) + 0.05 * (hTarget - x.entropy)));
    t.true(Math.abs(x.mu_next - expected) < 1e-12, `step ${x.step}: μ ${x.mu} → ${x.mu_next}, expected ${expected}`);
  }
  for (let i = 3; i < a.length; i++) t.is(a[i].mu, a[i - 1].mu_next);
  // the run directory opens as a reasoner and evaluates
  const reasoner = await openReasoner(straight, { threads: 1 });
  try {
    const report = await evaluateReasoner(reasoner, { levels: [1], problems: 4 });
    t.is(report.levels[0].problems, 4);
  } finally {
    await reasoner.dispose();
  }

  const resumed = join(dir, 'resumed');
  // dies after step 5's row is written (checkpoint at 3): rows 4–5 are redone on resume
  await t.throwsAsync(runAmft(base(resumed), { log: (row) => { if (row.step === 5) throw new Interrupt('killed'); } }), { instanceOf: Interrupt });
  t.is(rows(resumed).length, 5);
  const again = await runAmft(base(resumed));
  t.is(again.ranSteps, 4);
  t.deepEqual(rows(resumed).map(timeless), a.map(timeless));
  t.deepEqual(readFileSync(join(resumed, 'policy.onnx')), readFileSync(join(straight, 'policy.onnx')));
  await t.throwsAsync(runAmft({ ...base(resumed), mu: { kind: 'fixed', value: 0.5 } }), { message: /different 'mu'/ });
});

test('fixed and two-stage schedules: rollouts only where μ < 1; two-stage logs the SFT loss in its RL stage', async (t) => {
  const out = join(dir, 'two');
  await runAmft({ scenario: 'addition', out, policy: { dModel: 16, heads: 2, layers: 1, seq: 48 }, steps: 4, warmup: 1, mu: { kind: 'two-stage', switchAt: 2 }, batchSize: 2, prompts: 2, groupSize: 2, threads: 1 });
  const r = rows(out);
  t.deepEqual(r.map((x) => x.mu), [1, 1, 0, 0]);
  t.deepEqual(r.map((x) => x.accuracy !== undefined), [false, false, true, true]);
  t.true(r.every((x) => Number.isFinite(x.loss_sft)));
  t.true(r.every((x) => x.meta_grad === undefined));
  await t.throwsAsync(runAmft({ scenario: 'addition', out: join(dir, 'bad'), steps: 2, warmup: 5 }), { message: /warmup/ });
});
