/**
 * One finite-difference check per gradient rule (float64, onnxruntime CPU), on random small
 * shapes that include broadcasting. Each title names the rule; the measured max relative error
 * is logged (`npx ava --verbose`).
 */
import test from 'ava';
import type { ExecutionContext } from 'ava';
import type { Rng } from '../../../scenarios/random.js';
import type { Graph, Tensor } from '../../../learners/graph/index.js';
import { awayFromZero, checkGradients, positive, type CheckCase } from './helpers/fd.js';

const TOL = 1e-6;

const check = test.macro({
  async exec(t: ExecutionContext, c: CheckCase) {
    const r = await checkGradients(c);
    t.log(`max rel err ${r.maxRel.toExponential(2)} (${r.evaluations} runs)`);
    const tol = c.tol ?? TOL;
    t.true(r.maxRel < tol, `max relative error ${r.maxRel} ≥ ${tol}: ${JSON.stringify(r.perTensor)}`);
  },
  title: (rule = '') => `gradient of ${rule} matches finite differences`,
});

const dim = (rng: Rng) => rng.intBetween(2, 4);
const x = (g: Graph, name: string, shape: number[]) => g.input(name, 'float64', shape);

/** Binary elementwise rule on a random broadcasting pair of shapes. */
function binary(f: (a: Tensor, b: Tensor) => Tensor, feeds?: CheckCase['feeds']): CheckCase {
  return {
    build(g, rng) {
      const [p, q, r] = [dim(rng), dim(rng), dim(rng)];
      const a = x(g, 'a', [p, 1, r]);
      const b = x(g, 'b', [q, r]);
      return { out: f(a, b), wrt: [a, b] };
    },
    feeds,
  };
}

function unary(f: (a: Tensor) => Tensor, feed?: (n: number, rng: Rng) => Float64Array): CheckCase {
  return {
    build(g, rng) {
      const a = x(g, 'a', [dim(rng), dim(rng)]);
      return { out: f(a), wrt: [a] };
    },
    feeds: feed ? { a: feed } : undefined,
  };
}

function reduction(f: (a: Tensor) => Tensor, feed?: (n: number, rng: Rng) => Float64Array): CheckCase {
  return {
    build(g, rng) {
      const a = x(g, 'a', [dim(rng), dim(rng), dim(rng)]);
      return { out: f(a), wrt: [a] };
    },
    feeds: feed ? { a: feed } : undefined,
  };
}

test('Add', check, binary((a, b) => a.add(b)));
test('Sub', check, binary((a, b) => a.sub(b)));
test('Mul', check, binary((a, b) => a.mul(b)));
test('Div', check, binary((a, b) => a.div(b), { b: (n, rng) => awayFromZero(rng, n, 0.5, 2) }));
test('Pow', check, binary((a, b) => a.pow(b), { a: (n, rng) => positive(rng, n) }));
test('Pow (constant exponent)', check, unary((a) => a.pow(3)));
test('Min', check, binary((a, b) => a.min(b)));
test('Max', check, binary((a, b) => a.max(b)));
test('Neg', check, unary((a) => a.neg()));
test('Sqrt', check, unary((a) => a.sqrt(), (n, rng) => positive(rng, n)));
test('Exp', check, unary((a) => a.exp()));
test('Log', check, unary((a) => a.log(), (n, rng) => positive(rng, n)));
test('Reciprocal', check, unary((a) => a.reciprocal(), (n, rng) => awayFromZero(rng, n, 0.5, 2)));
test('Tanh', check, unary((a) => a.tanh()));
test('Sigmoid', check, unary((a) => a.sigmoid()));
test('Relu', check, unary((a) => a.relu(), (n, rng) => awayFromZero(rng, n)));
test('Abs', check, unary((a) => a.abs(), (n, rng) => awayFromZero(rng, n)));
test('Erf', check, unary((a) => a.erf(), (n, rng) => Float64Array.from({ length: n }, () => rng.uniform(-3.5, 3.5))));
test('Gelu (erf)', check, unary((a) => a.gelu(), (n, rng) => Float64Array.from({ length: n }, () => rng.uniform(-4, 4))));
test('Gelu (tanh)', check, unary((a) => a.gelu('tanh'), (n, rng) => Float64Array.from({ length: n }, () => rng.uniform(-4, 4))));
test('Clip', check, unary((a) => a.clip(-0.5, 0.7), (n, rng) => Float64Array.from({ length: n }, (_, i) => [-1.2, -0.2, 0.3, 1.1][i % 4] + rng.uniform(-0.05, 0.05))));
test('Cast', check, {
  build(g, rng) {
    const a = x(g, 'a', [dim(rng), dim(rng)]);
    // down to float32 and back: the derivative is 1 up to float32 rounding, hence the wide step
    return { out: a.cast('float32').mul(g.scalar(3, 'float32')).cast('float64'), wrt: [a] };
  },
  h: 1e-2,
  tol: 1e-4,
});
test('Where', check, {
  build(g, rng) {
    const [p, q] = [dim(rng), dim(rng)];
    const c = g.constant(Array.from({ length: p * q }, () => (rng.bernoulli(0.5) ? 1 : 0)), [p, q], 'bool');
    const a = x(g, 'a', [p, q]);
    const b = x(g, 'b', [q]);
    return { out: g.where(c, a, b), wrt: [a, b] };
  },
});
test('Expand', check, {
  build(g, rng) {
    const a = x(g, 'a', [dim(rng), 1]);
    return { out: a.expand([dim(rng), a.shape[0], dim(rng)]), wrt: [a] };
  },
});
test('MatMul (2-D)', check, {
  build(g, rng) {
    const a = x(g, 'a', [dim(rng), 3]);
    const b = x(g, 'b', [3, dim(rng)]);
    return { out: a.matmul(b), wrt: [a, b] };
  },
});
test('MatMul (batched, broadcast)', check, {
  build(g, rng) {
    const a = x(g, 'a', [2, 1, dim(rng), 3]);
    const b = x(g, 'b', [dim(rng), 3, 2]);
    const c = x(g, 'c', [4, 5]);
    const d = x(g, 'd', [2, 3, 4]);
    return { out: a.matmul(b).sum().add(d.matmul(c).sum()), wrt: [a, b, c, d] };
  },
});
for (const [tA, tB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
  test(`Gemm (transA ${Number(tA)}, transB ${Number(tB)}, bias)`, check, {
    build(g, rng) {
      const [m, k, n] = [dim(rng), dim(rng), dim(rng)];
      const a = x(g, 'a', tA ? [k, m] : [m, k]);
      const b = x(g, 'b', tB ? [n, k] : [k, n]);
      const c = x(g, 'c', [n]);
      return { out: g.gemm(a, b, tA, tB, c), wrt: [a, b, c] };
    },
  });
}
for (const [tA, tB] of [[false, true], [true, false]]) {
  // alpha 0.375 is exact in float32, the precision ONNX stores it in
  test(`Gemm (transA ${Number(tA)}, transB ${Number(tB)}, alpha 0.375)`, check, {
    build(g, rng) {
      const [m, k, n] = [dim(rng), dim(rng), dim(rng)];
      const a = x(g, 'a', tA ? [k, m] : [m, k]);
      const b = x(g, 'b', tB ? [n, k] : [k, n]);
      return { out: g.gemm(a, b, tA, tB, undefined, 0.375), wrt: [a, b] };
    },
  });
}
test('ReduceSum', check, reduction((a) => a.sum([0, 2])));
test('ReduceMean', check, reduction((a) => a.mean(1, true)));
test('ReduceMean (symbolic batch)', check, {
  build(g) {
    const a = g.input('a', 'float64', ['batch', 3]);
    return { out: a.mean(0).reshape([1, 3]), wrt: [a] };
  },
  feeds: { a: Float64Array.from([0.3, -1, 2, 0.5, 0.1, -0.7, 1.5, 0.2, 0.4, -0.9, 1.1, 0.6]) },
});
test('ReduceMax', check, reduction((a) => a.maxOver(-1), (n, rng) => Float64Array.from({ length: n }, (_, i) => i * 0.37 + rng.uniform(0, 0.1)).sort(() => (rng.bernoulli(0.5) ? 1 : -1))));
test('ReduceLogSumExp', check, reduction((a) => a.logSumExp([1, 2])));
test('ReduceSumSquare', check, reduction((a) => a.sumSquares(0, true)));
test('Softmax', check, reduction((a) => a.softmax(1)));
test('LogSoftmax', check, reduction((a) => a.logSoftmax(-1)));
test('Reshape', check, reduction((a) => a.reshape([-1, a.shape[2]]).mul(a.reshape([-1, a.shape[2]]))));
test('Transpose', check, reduction((a) => a.transpose([2, 0, 1]).exp()));
test('Concat', check, {
  build(g, rng) {
    const p = dim(rng);
    const a = x(g, 'a', [p, 1]);
    const b = x(g, 'b', [p, 3]);
    const c = x(g, 'c', [p, 2]);
    return { out: g.concat([a, b, c], 1).tanh(), wrt: [a, b, c] };
  },
});
test('Slice', check, reduction((a) => a.slice(-1, 1, a.shape[2] as number).slice(0, -1, 99).tanh()));
test('Pad', check, reduction((a) => a.graph.node('Pad', [a], { pads: [1, 0, 0, 0, 2, 1] }).tanh()));
test('Gather (embedding lookup)', check, {
  build(g, rng) {
    const table = x(g, 'table', [5, dim(rng)]);
    const ids = g.input('ids', 'int64', [2, 4]);
    return { out: table.gather(ids, 0), wrt: [table] };
  },
  feeds: { ids: BigInt64Array.from([0, 3, 3, 4, 1, 0, 2, 3].map(BigInt)) },
});
