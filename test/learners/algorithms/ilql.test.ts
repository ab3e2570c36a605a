// ILQL on a tiny hand-computed example: parameters set by hand through a checkpoint (all weights
// zero, so every head outputs its bias whatever the observation), one step, and the reported
// losses and the Polyak update of the target parameters compared with the numbers worked out here.
import test from 'ava';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ilql, targetName } from '../../../learners/algorithms/index.js';
import { Trainer, writeCheckpoint } from '../../../learners/runtime/index.js';
import type { Transitions } from '../../../environments/offline/transitions.js';

const D = 2;
const A = 2;
// two rows: (a = 0, r = 0, not done, only action 0 valid), (a = 1, r = 1, done, both valid)
const data: Transitions = {
  count: 2, obsSize: D, numActions: A,
  obs: Float32Array.from([1, 0, 0, 1]), nextObs: Float32Array.from([0, 1, 0, 0]),
  actions: Int32Array.from([0, 1]), rewards: Float32Array.from([0, 1]), done: Uint8Array.from([0, 1]),
  mask: Uint8Array.from([1, 0, 1, 1]), nextMask: Uint8Array.from([1, 1, 0, 0]),
  returnToGo: Float32Array.from([1, 1]), episodeReturn: Float32Array.from([1, 1]), episode: Int32Array.from([0, 0]),
};
const feeds = {
  x: { data: data.obs, dims: [2, D] }, next_x: { data: data.nextObs, dims: [2, D] },
  action: { data: BigInt64Array.from([0n, 1n]), dims: [2] }, reward: { data: data.rewards, dims: [2] },
  done: { data: Float32Array.from([0, 1]), dims: [2] }, mask: { data: Float32Array.from(data.mask), dims: [2, A] },
};

// Q1 = [1, 2], Q2 = [-1, 3] (the q head's bias, Q1 then Q2), V = 0.5 everywhere, π_BC uniform
const biases: Record<string, number[]> = { 'q.bias': [1, 2, -1, 3], 'value.bias': [0.5] };
const tau = 0.7;
const gamma = 0.99;
const rate = 0.1;

test('ILQL: expectile V loss, Bellman target, masked CQL term and Polyak target update match a hand computation', async (t) => {
  const algo = ilql(data, { tau, gamma, targetRate: rate, cqlWeight: 1, hidden: [3], lr: 0.01 }, 1);
  const specs = [...algo.train.params, ...algo.train.optimiserState];
  const value = (name: string): Float32Array => {
    const base = name.endsWith('.target') ? name.slice(0, -'.target'.length) : name;
    const spec = specs.find((s) => s.name === name);
    const v = new Float32Array(spec ? (spec.shape as number[]).reduce((a, b) => a * b, 1) : 0);
    if (biases[base] && !/\.(m|v)$/.test(name)) v.set(biases[base]);
    return v;
  };
  // every parameter has a target copy that is optimiser state, starting equal to the parameter
  for (const p of ['q.weight', 'q.bias', 'fc0.weight', 'fc0.bias']) t.truthy(algo.train.optimiserState.find((s) => s.name === targetName(p)), p);
  const qTarget = algo.train.optimiserState.find((s) => s.name === targetName('q.bias'));
  t.deepEqual(Array.from(qTarget?.init ?? []), Array.from(algo.train.params.find((p) => p.name === 'q.bias')?.init ?? []));

  const dir = mkdtempSync(join(tmpdir(), 'reverie-ilql-hand-'));
  const path = join(dir, 'hand.ckpt');
  writeCheckpoint(path, { step: 0, rng: { seed: 1, state: [0, 1, 0, 1] }, config: null, tensors: specs.map((s) => ({ name: s.name, dtype: s.dtype, shape: s.shape as number[], data: value(s.name) })) });
  const trainer = await Trainer.resume(path, algo.train, { lr: 0.01 });
  try {
    const { metrics } = await trainer.step(feeds);
    // Q̂ = min(Q1', Q2') at the data action: row 0 min(1, -1) = -1, row 1 min(2, 3) = 2; V = 0.5
    // u = Q̂ - V = [-1.5, 1.5]; weights |τ - 1(u < 0)| = [0.3, 0.7]; L_V = (0.3·2.25 + 0.7·2.25) / 2
    t.true(Math.abs(metrics.loss_v - 1.125) < 1e-5, `loss_v ${metrics.loss_v}`);
    t.true(Math.abs(metrics.q_target_mean - 0.5) < 1e-5, `q_target_mean ${metrics.q_target_mean}`);
    // y = r + γ(1 - done)V(s') = [0 + 0.99·0.5, 1] ; L_Q = mean((Q1a - y)²) + mean((Q2a - y)²)
    const y = [gamma * 0.5, 1];
    const lossQ = ((1 - y[0]) ** 2 + (2 - y[1]) ** 2) / 2 + ((-1 - y[0]) ** 2 + (3 - y[1]) ** 2) / 2;
    t.true(Math.abs(metrics.td_target_mean - (y[0] + y[1]) / 2) < 1e-4, `td_target_mean ${metrics.td_target_mean}`);
    t.true(Math.abs(metrics.loss_q - lossQ) < 1e-4, `loss_q ${metrics.loss_q} vs ${lossQ}`);
    // CQL over VALID actions: row 0 has only action 0 valid, so its term is 0
    const lse = (a: number, b: number) => Math.log(Math.exp(a) + Math.exp(b));
    const cql = (0 + (lse(1, 2) - 2)) / 2 + (0 + (lse(-1, 3) - 3)) / 2;
    t.true(Math.abs(metrics.loss_cql - cql) < 1e-5, `loss_cql ${metrics.loss_cql} vs ${cql}`);
    // π_BC uniform over the valid actions: -log 1 for row 0, -log 1/2 for row 1
    t.true(Math.abs(metrics.loss_pi - Math.log(2) / 2) < 1e-5, `loss_pi ${metrics.loss_pi}`);

    // Polyak: target ← (1 - ρ)·target + ρ·θ_new, with the target starting at the hand-set θ_0
    const after = await trainer.read('all');
    for (const name of ['q.bias', 'q.weight', 'fc0.bias', 'fc0.weight']) {
      const theta0 = value(name);
      const theta1 = after.get(name) as Float32Array;
      const target1 = after.get(targetName(name)) as Float32Array;
      // (with zero weights only the heads' biases get a gradient)
      if (name === 'q.bias') t.true(theta1.some((v, i) => v !== theta0[i]), `${name} moved`);
      for (let i = 0; i < theta0.length; i++) t.true(Math.abs(target1[i] - ((1 - rate) * theta0[i] + rate * theta1[i])) < 1e-6, `${name}[${i}]`);
    }
    await trainer.step(feeds);
    const after2 = await trainer.read('all');
    const q0 = after.get(targetName('q.bias')) as Float32Array;
    const q2 = after2.get('q.bias') as Float32Array;
    const qt2 = after2.get(targetName('q.bias')) as Float32Array;
    for (let i = 0; i < q0.length; i++) t.true(Math.abs(qt2[i] - ((1 - rate) * q0[i] + rate * q2[i])) < 1e-6);
  } finally {
    await trainer.dispose();
  }
});

test('ILQL decoding: scores = π_BC logits + β·min(target Qs) − β·V', async (t) => {
  // with zero weights: π_BC logits 0, Q̂ = min(Q1', Q2') = [-1, 2], V = 0.5 → scores = β([-1, 2] - 0.5)
  const beta = 2;
  const algo = ilql(data, { beta, hidden: [3] }, 1);
  const specs = [...algo.train.params, ...algo.train.optimiserState];
  const dir = mkdtempSync(join(tmpdir(), 'reverie-ilql-decode-'));
  const path = join(dir, 'hand.ckpt');
  const value = (name: string) => {
    const base = name.endsWith('.target') ? name.slice(0, -'.target'.length) : name;
    const s = specs.find((x) => x.name === name);
    const v = new Float32Array((s?.shape as number[]).reduce((a, b) => a * b, 1));
    if (biases[base] && !/\.(m|v)$/.test(name)) v.set(biases[base]);
    return v;
  };
  writeCheckpoint(path, { step: 0, rng: { seed: 1, state: [0, 1, 0, 1] }, config: null, tensors: specs.map((s) => ({ name: s.name, dtype: s.dtype, shape: s.shape as number[], data: value(s.name) })) });
  const trainer = await Trainer.resume(path, algo.train, { lr: 0.01 });
  try {
    const { InferenceSession, Tensor } = await import('onnxruntime-node');
    const session = await InferenceSession.create(await trainer.exportInference(algo.forward));
    const out = await session.run({ x: new Tensor('float32', Float32Array.from([1, 0]), [1, D]) });
    t.deepEqual(Array.from(out.q.data as Float32Array), [-1, 2]);
    t.deepEqual(Array.from(out.v.data as Float32Array), [0.5]);
    const scores = [0, 1].map((a) => algo.scores.reduce((acc, term) => acc + term.weight * Number((out[term.output].data as Float32Array)[term.output === 'v' ? 0 : a]), 0));
    const expected = [beta * (-1 - 0.5), beta * (2 - 0.5)];
    scores.forEach((v, i) => t.true(Math.abs(v - expected[i]) < 1e-5, `score ${i}: ${v} vs ${expected[i]}`));
  } finally {
    await trainer.dispose();
  }
});
