/**
 * Gradient checks against central finite differences in float64: builds a graph, reduces its
 * output to a scalar with fixed random weights, emits the value and the analytic gradients in
 * one ONNX model and compares each gradient element with (f(x + h) - f(x - h)) / 2h, all run
 * in onnxruntime-node on CPU.
 */
import * as ort from 'onnxruntime-node';
import { Rng } from '../../../../scenarios/random.js';
import { emitModel, gradients, Graph, type Tensor } from '../../../../learners/graph/index.js';

export type HostData = Float64Array | Float32Array | BigInt64Array | Uint8Array;

export interface CheckCase {
  /** Builds the function; returns its output and the tensors (inputs or params) to differentiate. */
  build(g: Graph, rng: Rng): { out: Tensor; wrt: readonly Tensor[] };
  /** Feed values for Input nodes (float64 inputs not given are drawn N(0, 1)). */
  feeds?: Record<string, HostData | ((n: number, rng: Rng) => HostData)>;
  /** Finite-difference step (default 1e-6, scaled by max(1, |x|)). */
  h?: number;
  seed?: number;
  /** Tolerance on the max relative error (used by the test macros; default 1e-6). */
  tol?: number;
}

export interface CheckResult {
  /** Max over elements of |analytic - fd| / max(|analytic|, |fd|, 1e-3 · scale of the tensor). */
  maxRel: number;
  perTensor: Record<string, number>;
  evaluations: number;
}

function ortType(t: Tensor): ort.Tensor.Type {
  return t.dtype === 'float64' ? 'float64' : t.dtype === 'float32' ? 'float32' : t.dtype === 'int64' ? 'int64' : t.dtype === 'int32' ? 'int32' : 'bool';
}

/** Concrete dims of a leaf: one symbolic dimension is inferred from the data length. */
function dimsOf(t: Tensor, data: HostData): number[] {
  const known = t.shape.reduce<number>((a, d) => (typeof d === 'number' ? a * d : a), 1);
  return t.shape.map((d) => (typeof d === 'number' ? d : data.length / known));
}

export async function checkGradients(c: CheckCase): Promise<CheckResult> {
  const rng = Rng.from(c.seed ?? 7);
  const g = new Graph({ dtype: 'float64', seed: c.seed ?? 7 });
  const { out, wrt } = c.build(g, rng.fork('build'));
  const shape = out.shape as number[];
  const n = shape.reduce((a, b) => a * b, 1);
  const wr = rng.fork('weights');
  const weights = g.constant(Array.from({ length: n }, () => wr.normal()), shape);
  const obj = out.mul(weights).sum();
  const grads = gradients(obj, wrt);
  const leaves = g.all.filter((t) => t.op === 'Input' || t.op === 'Param');
  const bytes = emitModel(leaves, [{ name: 'obj', tensor: obj }, ...grads.map((d, i) => ({ name: `grad${i}`, tensor: d }))]);
  const session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'basic', intraOpNumThreads: 1 });
  const values = new Map<number, HostData>();
  const fr = rng.fork('feeds');
  for (const t of leaves) {
    if (t.op === 'Param') values.set(t.id, Float64Array.from(g.initOf(t.name as string)));
    else if (c.feeds?.[t.name as string]) {
      const f = c.feeds[t.name as string];
      values.set(t.id, typeof f === 'function' ? f((t.shape as number[]).reduce((a, b) => a * b, 1), fr) : f);
    } else if (t.dtype === 'float64') values.set(t.id, Float64Array.from({ length: (t.shape as number[]).reduce((a, b) => a * b, 1) }, () => fr.normal()));
    else throw new Error(`checkGradients: no feed for ${t.describe()}`);
  }
  const run = async (fetchGrads: boolean) => {
    const feeds: Record<string, ort.Tensor> = {};
    for (const t of leaves) feeds[t.name as string] = new ort.Tensor(ortType(t), values.get(t.id) as HostData, dimsOf(t, values.get(t.id) as HostData));
    return session.run(feeds, fetchGrads ? ['obj', ...grads.map((_, i) => `grad${i}`)] : ['obj']);
  };
  const first = await run(true);
  const perTensor: Record<string, number> = {};
  let maxRel = 0;
  let evaluations = 1;
  for (let i = 0; i < wrt.length; i++) {
    const analytic = first[`grad${i}`].data as Float64Array;
    const x = values.get(wrt[i].id) as Float64Array;
    const fd = new Float64Array(x.length);
    for (let j = 0; j < x.length; j++) {
      const x0 = x[j];
      const h = (c.h ?? 1e-6) * Math.max(1, Math.abs(x0));
      x[j] = x0 + h;
      const fp = ((await run(false)).obj.data as Float64Array)[0];
      x[j] = x0 - h;
      const fm = ((await run(false)).obj.data as Float64Array)[0];
      x[j] = x0;
      fd[j] = (fp - fm) / (2 * h);
      evaluations += 2;
    }
    let scale = 0;
    for (let j = 0; j < x.length; j++) scale = Math.max(scale, Math.abs(fd[j]), Math.abs(analytic[j]));
    let rel = 0;
    for (let j = 0; j < x.length; j++) rel = Math.max(rel, Math.abs(analytic[j] - fd[j]) / Math.max(Math.abs(analytic[j]), Math.abs(fd[j]), 1e-3 * scale, 1e-12));
    perTensor[wrt[i].name ?? `#${wrt[i].id}`] = rel;
    maxRel = Math.max(maxRel, rel);
  }
  await session.release();
  return { maxRel, perTensor, evaluations };
}

/** Uniform values in ±[lo, hi] (away from zero), for ops with a kink or a pole at 0. */
export function awayFromZero(rng: Rng, n: number, lo = 0.2, hi = 1.5): Float64Array {
  return Float64Array.from({ length: n }, () => (rng.bernoulli(0.5) ? 1 : -1) * rng.uniform(lo, hi));
}

export function positive(rng: Rng, n: number, lo = 0.3, hi = 2): Float64Array {
  return Float64Array.from({ length: n }, () => rng.uniform(lo, hi));
}
