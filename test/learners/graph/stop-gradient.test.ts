/**
 * StopGradient: the value passes unchanged (ONNX Identity), the autodiff treats it as a leaf.
 * loss = f(x) + g(stopGradient(x)) must have d/dx = f'(x) only, checked against central finite
 * differences of f alone (float64, onnxruntime CPU).
 */
import test from 'ava';
import * as ort from 'onnxruntime-node';
import onnxProto from 'onnx-proto';
import { Rng } from '../../../scenarios/random.js';
import { compileTrainStep, emitModel, GRAD_RULES, gradients, Graph, sgd, type Tensor } from '../../../learners/graph/index.js';

const { onnx } = onnxProto;

const N = 6;
// f uses x smoothly and non-linearly; g is large, so a leaked gradient could not hide in tolerance
const f = (x: Tensor) => x.tanh().mul(x).sum().add(x.square().exp().mean());
const gFn = (x: Tensor) => x.mul(x).mul(x).mul(40).sum();

async function session(bytes: Uint8Array): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'disabled', intraOpNumThreads: 1 });
}

// moderate values keep exp(x²) in f well conditioned for finite differences
const values = (seed: number) => {
  const rng = Rng.from(seed);
  return Float64Array.from({ length: N }, () => rng.uniform(-1.5, 1.5));
};

const feed = (data: Float64Array) => ({ x: new ort.Tensor('float64', data, [N]) });

test('forward value is unchanged and the emitted node is an Identity', async (t) => {
  const g = new Graph({ dtype: 'float64' });
  const x = g.input('x', 'float64', [N]);
  const s = g.stopGradient(x);
  t.is(s.op, 'StopGradient');
  t.deepEqual(s.shape, x.shape);
  t.is(x.stopGradient(), s, 'interned: one node per stopped tensor');
  t.is(s.stopGradient(), s, 'a stop of a stop is the same stop');
  const bytes = emitModel([x], [{ name: 'y', tensor: s.mul(3) }, { name: 'loss', tensor: f(x).add(gFn(s)) }, { name: 'ref', tensor: f(x).add(gFn(x)) }]);
  const ops = (onnx.ModelProto.decode(bytes).graph?.node ?? []).map((n) => n.opType);
  t.true(ops.includes('Identity'));
  const data = values(3);
  const sess = await session(bytes);
  const out = await sess.run(feed(data));
  const y = out.y.data as Float64Array;
  for (let i = 0; i < N; i++) t.is(y[i], data[i] * 3);
  t.is((out.loss.data as Float64Array)[0], (out.ref.data as Float64Array)[0]);
  await sess.release();
});

test('the gradient through stopGradient is exactly zero', async (t) => {
  const g = new Graph({ dtype: 'float64' });
  const x = g.input('x', 'float64', [N]);
  const loss = gFn(g.stopGradient(x));
  const before = g.all.length;
  const [dx] = gradients(loss, [x]);
  // no backward nodes for the stopped path: only a broadcast zero
  t.deepEqual([...new Set(g.all.slice(before).map((n) => n.op))].sort(), ['Const', 'Expand']);
  const sess = await session(emitModel([x], [{ name: 'dx', tensor: dx }]));
  const out = await sess.run(feed(values(4)));
  t.deepEqual(Array.from(out.dx.data as Float64Array), new Array<number>(N).fill(0));
  await sess.release();
  t.deepEqual(GRAD_RULES.StopGradient?.({ g, node: g.stopGradient(x), dy: x, wants: [true] }), [null]);
});

test("loss = f(x) + g(stopGradient(x)) has d/dx = f'(x), by finite differences of f alone", async (t) => {
  const g = new Graph({ dtype: 'float64' });
  const x = g.input('x', 'float64', [N]);
  const fx = f(x);
  const loss = fx.add(gFn(g.stopGradient(x)));
  const [dx] = gradients(loss, [x]);
  const [dxFull] = gradients(fx.add(gFn(x)), [x]);
  const sess = await session(emitModel([x], [{ name: 'f', tensor: fx }, { name: 'dx', tensor: dx }, { name: 'dxFull', tensor: dxFull }]));
  const data = values(5);
  const first = await sess.run(feed(data));
  const analytic = first.dx.data as Float64Array;
  const full = first.dxFull.data as Float64Array;
  const fAt = async (v: Float64Array) => ((await sess.run(feed(v), ['f'])).f.data as Float64Array)[0];
  let maxRel = 0;
  let leak = 0;
  for (let i = 0; i < N; i++) {
    const h = 1e-6 * Math.max(1, Math.abs(data[i]));
    const p = Float64Array.from(data);
    const m = Float64Array.from(data);
    p[i] += h;
    m[i] -= h;
    const fd = ((await fAt(p)) - (await fAt(m))) / (2 * h);
    maxRel = Math.max(maxRel, Math.abs(analytic[i] - fd) / Math.max(Math.abs(fd), 1e-3));
    // g's own gradient 120 x² is what a leak would add
    leak = Math.max(leak, Math.abs(full[i] - analytic[i] - 120 * data[i] * data[i]));
  }
  t.log(`max rel err ${maxRel.toExponential(2)}`);
  t.true(maxRel < 1e-6, `max relative error ${maxRel}`);
  t.true(leak < 1e-9, 'the parallel path without the stop gets g′ as well');
  await sess.release();
});

test('a train step leaves a parameter that only reaches the loss through stopGradient unchanged', async (t) => {
  const step = compileTrainStep(
    {
      name: 'stopped',
      build(g) {
        const x = g.input('x', 'float32', ['batch', 3]);
        const a = g.param('a', [3], { values: [0.5, -1, 2] });
        const b = g.param('b', [3], { values: [1, 2, 3] });
        return { y: x.mul(a).add(x.mul(b.stopGradient())) };
      },
    },
    (_g, outs) => outs.y.square().mean(),
    sgd(),
  );
  const sess = await ort.InferenceSession.create(step.bytes);
  const feeds: Record<string, ort.Tensor> = {};
  t.deepEqual(step.optimiserState, []);
  for (const spec of step.inputs) {
    if (spec.name === 'x') feeds.x = new ort.Tensor('float32', Float32Array.of(1, 2, 3, -1, 0.5, 2), [2, 3]);
    else if (spec.name === 'a') feeds.a = new ort.Tensor('float32', Float32Array.of(0.5, -1, 2), [3]);
    else if (spec.name === 'b') feeds.b = new ort.Tensor('float32', Float32Array.of(1, 2, 3), [3]);
    else feeds[spec.name] = new ort.Tensor('float32', Float32Array.of(spec.name === 'lr' ? 0.1 : 1), []);
  }
  const out = await sess.run(feeds);
  const next = (name: string) => Array.from(out[`${name}.next`].data as Float32Array);
  t.deepEqual(next('b'), [1, 2, 3]);
  t.notDeepEqual(next('a'), [0.5, -1, 2]);
  await sess.release();
});
