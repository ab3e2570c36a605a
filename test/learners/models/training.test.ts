import test from 'ava';
import * as ort from 'onnxruntime-node';
import { Rng } from '../../../scenarios/random.js';
import { adam, adamw, compileForward, compileTrainStep, crossEntropyLoss, mse } from '../../../learners/graph/index.js';
import { mlp, mlpBcWorkload, tinyGptWorkload, transformer } from '../../../learners/models/index.js';
import { TestTrainer, tensorOf } from '../graph/helpers/run.js';

test('an MLP learns a teacher classification task (Adam)', async (t) => {
  const rng = Rng.from(11);
  const teacher = Array.from({ length: 8 * 4 }, () => rng.normal());
  const batch = () => {
    const x = Float32Array.from({ length: 64 * 8 }, () => rng.normal());
    const labels = new BigInt64Array(64);
    for (let b = 0; b < 64; b++) {
      let best = 0;
      for (let c = 1; c < 4; c++) {
        const score = (k: number) => x.slice(b * 8, b * 8 + 8).reduce((a, v, i) => a + v * teacher[i * 4 + k], 0);
        if (score(c) > score(best)) best = c;
      }
      labels[b] = BigInt(best);
    }
    return { x: { data: x, dims: [64, 8] }, labels: { data: labels, dims: [64] } };
  };
  const trainer = await TestTrainer.open(compileTrainStep(mlp({ sizes: [8, 32, 4] }), crossEntropyLoss(), adam(), { seed: 1 }));
  const losses: number[] = [];
  for (let i = 0; i < 150; i++) losses.push((await trainer.step(batch(), 1e-2)).loss);
  const first = losses.slice(0, 10).reduce((a, b) => a + b) / 10;
  const last = losses.slice(-10).reduce((a, b) => a + b) / 10;
  t.log(`loss ${first.toFixed(3)} -> ${last.toFixed(3)}`);
  t.true(last < 0.4 * first);
});

test('an MLP value head regresses a target (AdamW, MSE)', async (t) => {
  const rng = Rng.from(12);
  const model = mlp({ sizes: [3, 16], activation: 'tanh', heads: { value: true } });
  const loss = (g: import('../../../learners/graph/index.js').Graph, o: Readonly<Record<string, import('../../../learners/graph/index.js').Tensor>>) => mse(o.value, g.input('target', g.dtype, ['batch']));
  const trainer = await TestTrainer.open(compileTrainStep(model, loss, adamw({ weightDecay: 0.001 }), { seed: 2 }));
  const losses: number[] = [];
  for (let i = 0; i < 150; i++) {
    const x = Float32Array.from({ length: 32 * 3 }, () => rng.normal());
    const target = Float32Array.from({ length: 32 }, (_, b) => Math.sin(x[b * 3]) + 0.5 * x[b * 3 + 1]);
    losses.push((await trainer.step({ x: { data: x, dims: [32, 3] }, target: { data: target, dims: [32] } }, 1e-2)).loss);
  }
  t.log(`loss ${losses[0].toFixed(3)} -> ${losses[losses.length - 1].toFixed(3)}`);
  t.true(losses.slice(-10).reduce((a, b) => a + b) / 10 < 0.2 * losses[0]);
});

test('a transformer learns a next-token rule (AdamW)', async (t) => {
  const rng = Rng.from(13);
  const V = 8;
  const T = 8;
  const model = transformer({ vocab: V, dModel: 16, heads: 2, layers: 1, dMlp: 32, seq: T });
  const trainer = await TestTrainer.open(compileTrainStep(model, crossEntropyLoss({ labels: 'targets' }), adamw(), { seed: 3 }));
  const batch = () => {
    const tokens = new BigInt64Array(16 * T);
    const targets = new BigInt64Array(16 * T);
    for (let b = 0; b < 16; b++) {
      let s = rng.int(V);
      for (let i = 0; i < T; i++) {
        tokens[b * T + i] = BigInt(s);
        s = (3 * s + 1) % V;
        targets[b * T + i] = BigInt(s);
      }
    }
    return { tokens: { data: tokens, dims: [16, T] }, targets: { data: targets, dims: [16, T] } };
  };
  const losses: number[] = [];
  for (let i = 0; i < 120; i++) losses.push((await trainer.step(batch(), 1e-2)).loss);
  t.log(`loss ${losses[0].toFixed(3)} -> ${losses[losses.length - 1].toFixed(3)}`);
  t.true(losses[losses.length - 1] < 0.25 * losses[0]);
});

test('initialisation is seeded: same seed same values, another seed other values', (t) => {
  const model = transformer({ vocab: 5, dModel: 8, heads: 2, layers: 1, dMlp: 8, seq: 3 });
  const a = compileForward(model, { seed: 4 });
  const b = compileForward(model, { seed: 4 });
  const c = compileForward(model, { seed: 5 });
  t.deepEqual(a.bytes, b.bytes);
  t.deepEqual(a.params.map((p) => Array.from(p.init)), b.params.map((p) => Array.from(p.init)));
  t.notDeepEqual(Array.from(a.params[0].init), Array.from(c.params[0].init));
  // PyTorch's Linear scheme: U(-1/√in, 1/√in)
  const w = a.params.find((p) => p.name === 'h0.mlp.fc.weight');
  t.truthy(w);
  t.true(Math.max(...Array.from(w?.init ?? [], Math.abs)) <= 1 / Math.sqrt(8));
});

test('the forward graph runs with only parameters and data, batch size free', async (t) => {
  const f = compileForward(mlp({ sizes: [4, 8], heads: { policy: 3, value: true } }), { seed: 1 });
  t.deepEqual(f.feeds.map((x) => x.name), ['x']);
  t.deepEqual(f.outputs.map((o) => [o.name, o.shape]), [['logits', ['batch', 3]], ['value', ['batch']]]);
  const s = await ort.InferenceSession.create(f.bytes);
  for (const n of [1, 5]) {
    const feeds: Record<string, ort.Tensor> = { x: new ort.Tensor('float32', new Float32Array(n * 4).fill(0.5), [n, 4]) };
    for (const p of f.params) feeds[p.name] = tensorOf(p, p.init);
    const out = await s.run(feeds);
    t.deepEqual(out.logits.dims, [n, 3]);
    t.deepEqual(out.value.dims, [n]);
  }
});

test('the benchmark workloads compile to the specified shapes and train', async (t) => {
  const w1 = mlpBcWorkload();
  const c1 = w1.compile();
  t.deepEqual(c1.params.map((p) => p.shape), [[256, 128], [256], [256, 256], [256], [32, 256], [32]]);
  t.deepEqual(c1.feeds.map((f) => f.name), ['x', 'labels', 'lr', 'step']);
  const w2 = tinyGptWorkload();
  const c2 = w2.compile();
  t.is(c2.params.reduce((a, p) => a + (p.init.length), 0), 64 * 128 + 64 * 128 + 2 * (4 * (128 * 128 + 128) + 2 * 2 * 128 + 512 * 128 + 512 + 128 * 512 + 128) + 2 * 128 + 64 * 128 + 64);
  t.deepEqual(c2.feeds.map((f) => f.name), ['tokens', 'targets', 'lr', 'step']);
  const trainer = await TestTrainer.open(c1);
  const rng = Rng.from(1);
  const b = w1.batch(rng);
  const first = (await trainer.step(b, w1.lr)).loss;
  let last = first;
  for (let i = 0; i < 10; i++) last = (await trainer.step(b, w1.lr)).loss;
  t.true(last < first);
});
