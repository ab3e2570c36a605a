/**
 * Adam/AdamW read one scaled gradient (1 - β1)·g, whose scale rides on the weight-gradient Gemm
 * (its alpha) instead of an elementwise Mul: the update must still be torch.optim's, and the
 * emitted step must really have lost the Mul.
 */
import test from 'ava';
import onnxProto from 'onnx-proto';
import { adam, adamw, compileTrainStep, crossEntropyLoss, type Graph, type Model, type Optimiser, type Tensor } from '../../../learners/graph/index.js';
import { mlp } from '../../../learners/models/index.js';
import { TestTrainer } from './helpers/run.js';

const { onnx } = onnxProto;

// y = x Wᵀ on fixed data, L = Σ (y - T)²: dL/dW = 2 (y - T)ᵀ x comes out of a Gemm
const X = [0.5, -1, 2, 1.5, 0.2, -0.7, -1.1, 0.4, 0.9, 0.3, 2.2, -0.6];
const TGT = [1, -0.5, 0.3, 2, -1.2, 0.7, 0.1, -0.4];
const W0 = [0.3, -0.2, 0.5, 0.1, 0.4, -0.6];
const LRS = [0.1, 0.05, 0.08, 0.02, 0.1];

const linearModel: Model = {
  name: 'linear',
  build(g) {
    const x = g.constant(X, [4, 3]);
    return { y: x.linear(g.param('w', [2, 3], { values: W0 })) };
  },
};
const sq = (g: Graph, o: Readonly<Record<string, Tensor>>) => o.y.sub(g.constant(TGT, [4, 2])).square().sum();

function gradRef(w: number[]): number[] {
  const d = new Array<number>(6).fill(0);
  for (let r = 0; r < 4; r++) {
    for (let o = 0; o < 2; o++) {
      let y = 0;
      for (let i = 0; i < 3; i++) y += X[r * 3 + i] * w[o * 3 + i];
      const e = 2 * (y - TGT[r * 2 + o]);
      for (let i = 0; i < 3; i++) d[o * 3 + i] += e * X[r * 3 + i];
    }
  }
  return d;
}

function adamStep(decoupled: boolean, wd: number, b1: number, b2: number, eps: number) {
  const m = new Array<number>(6).fill(0);
  const v = new Array<number>(6).fill(0);
  return (p: number[], lr: number, t: number) => {
    const grad = gradRef(p);
    for (let i = 0; i < 6; i++) {
      let d = grad[i];
      if (decoupled) p[i] *= 1 - lr * wd;
      else d += wd * p[i];
      m[i] = b1 * m[i] + (1 - b1) * d;
      v[i] = b2 * v[i] + (1 - b2) * d * d;
      p[i] -= (lr / (1 - b1 ** t)) * (m[i] / (Math.sqrt(v[i]) / Math.sqrt(1 - b2 ** t) + eps));
    }
  };
}

const gemms = (bytes: Uint8Array) => (onnx.ModelProto.decode(bytes).graph?.node ?? []).filter((n) => n.opType === 'Gemm');
const alphaOf = (n: onnxProto.onnx.INodeProto) => n.attribute?.find((a) => a.name === 'alpha')?.f;

const cases: [string, Optimiser, ReturnType<typeof adamStep>][] = [
  // β1 = 0.5: 1 - β1 is exact in float32, so the float64 graph folds it into alpha too
  ['Adam', adam({ beta1: 0.5, beta2: 0.99 }), adamStep(false, 0, 0.5, 0.99, 1e-8)],
  ['Adam with L2 weight decay', adam({ beta1: 0.75, weightDecay: 0.1 }), adamStep(false, 0.1, 0.75, 0.999, 1e-8)],
  ['AdamW', adamw({ beta1: 0.5, weightDecay: 0.05, eps: 1e-6 }), adamStep(true, 0.05, 0.5, 0.999, 1e-6)],
];
for (const [name, opt, ref] of cases) {
  test(`${name} on a Gemm-fed weight matches the reference with 1 - β1 in the gradient Gemm's alpha`, async (t) => {
    const c = compileTrainStep(linearModel, sq, opt, { dtype: 'float64' });
    const all = gemms(c.bytes);
    t.is(all.length, 2, 'forward and weight gradient only: the unscaled gradient Gemm is gone');
    t.is(all.filter((n) => alphaOf(n) !== undefined).length, 1);
    const trainer = await TestTrainer.open(c);
    const p = [...W0];
    let maxDiff = 0;
    for (let s = 0; s < LRS.length; s++) {
      ref(p, LRS[s], s + 1);
      await trainer.step({}, LRS[s]);
      const got = trainer.value('w');
      for (let i = 0; i < 6; i++) maxDiff = Math.max(maxDiff, Math.abs(got[i] - p[i]));
    }
    t.log(`max |graph - reference| over ${LRS.length} steps: ${maxDiff.toExponential(2)}`);
    t.true(maxDiff < 1e-12);
  });
}

test('an MLP Adam step: each weight moment reads its gradient Gemm directly; float32 tracks the unfolded float64 step', async (t) => {
  const model = mlp({ sizes: [8, 16, 4] });
  const f32 = compileTrainStep(model, crossEntropyLoss(), adam());
  const nodes = onnx.ModelProto.decode(f32.bytes).graph?.node ?? [];
  const producer = new Map(nodes.flatMap((n) => (n.output ?? []).map((o) => [o, n] as const)));
  for (const w of ['fc0.weight', 'fc1.weight']) {
    const next = producer.get(`${w}.m.next`);
    t.is(next?.opType, 'Add');
    const fed = (next?.input ?? []).map((i) => producer.get(i));
    const gemm = fed.find((n) => n?.opType === 'Gemm');
    t.truthy(gemm, `${w}.m.next adds the gradient Gemm's output`);
    t.is(alphaOf(gemm as onnxProto.onnx.INodeProto), Math.fround(1 - 0.9));
  }
  t.is(nodes.filter((n) => n.opType === 'Gemm').length, 5);
  // default β1 = 0.9: 0.1 is not exact in float32, so the float64 step keeps the explicit Mul
  const f64 = compileTrainStep(model, crossEntropyLoss(), adam(), { dtype: 'float64' });
  t.true(gemms(f64.bytes).every((n) => alphaOf(n) === undefined));
  const a = await TestTrainer.open(f32);
  const b = await TestTrainer.open(f64);
  const x = Array.from({ length: 5 * 8 }, (_, i) => Math.sin(i * 1.7));
  const labels = BigInt64Array.from([0, 3, 1, 2, 3], BigInt);
  for (let s = 0; s < 4; s++) {
    await a.step({ x: { data: Float32Array.from(x), dims: [5, 8] }, labels: { data: labels, dims: [5] } }, 1e-2);
    await b.step({ x: { data: Float64Array.from(x), dims: [5, 8] }, labels: { data: labels, dims: [5] } }, 1e-2);
  }
  let maxDiff = 0;
  let moved = 0;
  for (const p of f32.params) {
    const va = a.value(p.name);
    const vb = b.value(p.name);
    for (let i = 0; i < va.length; i++) {
      maxDiff = Math.max(maxDiff, Math.abs(va[i] - vb[i]));
      moved = Math.max(moved, Math.abs(vb[i] - p.init[i]));
    }
  }
  t.log(`max |float32 - float64| after 4 steps: ${maxDiff.toExponential(2)} (largest move ${moved.toExponential(2)})`);
  t.true(moved > 1e-2);
  t.true(maxDiff < 1e-5);
});
