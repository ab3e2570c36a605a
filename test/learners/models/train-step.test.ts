/**
 * Whole train steps checked against finite differences (float64): with plain SGD at lr 1 the
 * step's parameter update p - p.next is exactly the loss gradient, which must match central
 * differences of the step's own `loss` output.
 */
import test from 'ava';
import * as ort from 'onnxruntime-node';
import { Rng } from '../../../scenarios/random.js';
import { compileTrainStep, crossEntropyLoss, sgd, type Loss, type Model } from '../../../learners/graph/index.js';
import { mlp, transformer } from '../../../learners/models/index.js';
import { tensorOf, type Feed } from '../graph/helpers/run.js';

async function checkStep(model: Model, loss: Loss, batch: Record<string, Feed>): Promise<{ maxRel: number; params: number }> {
  const c = compileTrainStep(model, loss, sgd(), { dtype: 'float64', seed: 3 });
  const session = await ort.InferenceSession.create(c.bytes, { graphOptimizationLevel: 'basic', intraOpNumThreads: 1 });
  const values = new Map(c.params.map((p) => [p.name, Float64Array.from(p.init)]));
  const run = async (fetches: string[]) => {
    const feeds: Record<string, ort.Tensor> = {};
    for (const p of c.params) feeds[p.name] = tensorOf(p, values.get(p.name) as Float64Array);
    for (const f of c.feeds) feeds[f.name] = f.name === 'lr' ? tensorOf(f, Float64Array.of(1), []) : tensorOf(f, batch[f.name].data, batch[f.name].dims);
    return session.run(feeds, fetches);
  };
  const first = await run(c.params.map((p) => p.next as string));
  let count = 0;
  const pairs: [Float64Array, Float64Array][] = [];
  for (const p of c.params) {
    const x = values.get(p.name) as Float64Array;
    const next = first[p.next as string].data as Float64Array;
    const analytic = x.map((v, i) => v - next[i]);
    const fd = new Float64Array(x.length);
    for (let i = 0; i < x.length; i++) {
      const x0 = x[i];
      const h = 1e-6 * Math.max(1, Math.abs(x0));
      x[i] = x0 + h;
      const fp = Number((await run(['loss'])).loss.data[0]);
      x[i] = x0 - h;
      const fm = Number((await run(['loss'])).loss.data[0]);
      x[i] = x0;
      fd[i] = (fp - fm) / (2 * h);
    }
    pairs.push([analytic, fd]);
    count += x.length;
  }
  // relative error per element, floored at 1e-3 of the largest gradient: parameters whose gradient
  // is zero by symmetry (the attention key bias) would otherwise compare finite-difference noise
  let scale = 0;
  for (const [a, f] of pairs) for (let i = 0; i < a.length; i++) scale = Math.max(scale, Math.abs(a[i]), Math.abs(f[i]));
  let maxRel = 0;
  for (const [a, f] of pairs) for (let i = 0; i < a.length; i++) maxRel = Math.max(maxRel, Math.abs(a[i] - f[i]) / Math.max(Math.abs(a[i]), Math.abs(f[i]), 1e-3 * scale));
  await session.release();
  return { maxRel, params: count };
}

test('an MLP train step (cross-entropy with a mask) has the finite-difference gradient', async (t) => {
  const rng = Rng.from(5);
  const model = mlp({ sizes: [5, 7, 6, 4], activation: 'tanh' });
  const batch = {
    x: { data: Float64Array.from({ length: 15 }, () => rng.normal()), dims: [3, 5] },
    labels: { data: BigInt64Array.from([1n, 3n, 0n]), dims: [3] },
    mask: { data: Float64Array.from([1, 1, 0]), dims: [3] },
  };
  const r = await checkStep(model, crossEntropyLoss({ mask: 'mask' }), batch);
  t.log(`MLP: ${r.params} parameters, max rel err ${r.maxRel.toExponential(2)}`);
  t.true(r.maxRel < 1e-5);
});

test('an MLP with policy, value and Q heads has the finite-difference gradient', async (t) => {
  const rng = Rng.from(6);
  const model = mlp({ sizes: [4, 6], activation: 'gelu', heads: { policy: 3, value: true, q: 3 } });
  const loss: Loss = (g, o) => {
    const actions = g.input('actions', 'int64', ['batch']);
    const target = g.input('target', 'float64', ['batch']);
    return o.value.sub(target).square().mean().add(o.logits.logSoftmax().mul(g.oneHot(actions, 3)).sum(-1).mean().neg()).add(o.q.square().mean());
  };
  const batch = {
    x: { data: Float64Array.from({ length: 8 }, () => rng.normal()), dims: [2, 4] },
    actions: { data: BigInt64Array.from([2n, 0n]), dims: [2] },
    target: { data: Float64Array.from([0.5, -1]), dims: [2] },
  };
  const r = await checkStep(model, loss, batch);
  t.log(`MLP heads: ${r.params} parameters, max rel err ${r.maxRel.toExponential(2)}`);
  t.true(r.maxRel < 1e-5);
});

test('a transformer train step (next-token cross-entropy) has the finite-difference gradient', async (t) => {
  const rng = Rng.from(7);
  const model = transformer({ vocab: 7, dModel: 8, heads: 2, layers: 1, dMlp: 12, seq: 4 });
  const tokens = BigInt64Array.from({ length: 8 }, () => BigInt(rng.int(7)));
  const targets = BigInt64Array.from({ length: 8 }, () => BigInt(rng.int(7)));
  const batch = { tokens: { data: tokens, dims: [2, 4] }, targets: { data: targets, dims: [2, 4] } };
  const r = await checkStep(model, crossEntropyLoss({ labels: 'targets' }), batch);
  t.log(`transformer: ${r.params} parameters, max rel err ${r.maxRel.toExponential(2)}`);
  t.true(r.maxRel < 1e-5);
});
