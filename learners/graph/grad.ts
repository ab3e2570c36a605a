/**
 * Reverse-mode autodiff. {@link GRAD_RULES} holds one rule per operator (tinygrad's
 * `pm_gradient`): given the node, the gradient of its output and which inputs need gradients,
 * it returns the gradient of each input. {@link gradients} walks the nodes in reverse
 * topological order, reduces each contribution over broadcast axes (ReduceSum + Reshape) and
 * sums fan-in. Gradients may stay broadcastable (a [n, 1] gradient of a [n, d] node) until an
 * operator needs the full shape, which saves Expand nodes.
 */
import { dimProduct, isStatic, numel, sameShape } from './dims.js';
import { GraphError } from './errors.js';
import type { Graph, Tensor } from './graph.js';
import { isFloat, sliceBounds, type Op } from './ops.js';

export interface GradContext {
  readonly g: Graph;
  /** The node whose output gradient is `dy`. */
  readonly node: Tensor;
  /** d(loss)/d(node): node's shape, or broadcastable to it for elementwise rules. */
  readonly dy: Tensor;
  /** Which inputs need a gradient (rules skip the others). */
  readonly wants: readonly boolean[];
}

/** Gradients of the node's inputs, in input order; null where none is needed or it is zero. */
export type GradRule = (ctx: GradContext) => readonly (Tensor | null)[];

const SQRT1_2 = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);
const GELU_K = Math.sqrt(2 / Math.PI);
const GELU_C = 0.044715;

/**
 * t (the reduction's output or its gradient, possibly broadcastable to it) with the reduced
 * axes put back as 1s, so that it broadcasts against the reduction's input.
 */
function kept(t: Tensor, node: Tensor): Tensor {
  if (node.attrs.keepdims === 1) return t;
  const axes = node.attrs.axes as readonly number[];
  const own = [...new Array<number>(node.rank - t.rank).fill(1), ...t.shape];
  const shape: (string | number)[] = [];
  let j = 0;
  for (let i = 0; i < node.inputs[0].rank; i++) shape.push(axes.includes(i) ? 1 : own[j++]);
  return t.reshape(shape);
}

/** Number of elements a reduction folds into one, as a scalar (at run time when symbolic). */
function reducedCount(g: Graph, node: Tensor): Tensor {
  const x = node.inputs[0];
  const axes = node.attrs.axes as readonly number[];
  const dims = axes.map((a) => x.shape[a]);
  const n = dimProduct(dims);
  if (typeof n === 'number') return g.scalar(n, x.dtype);
  return g.count(x, x.dtype).div(g.count(node, x.dtype));
}

function invertPerm(perm: readonly number[]): number[] {
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => (inv[p] = i));
  return inv;
}

const only = (wants: readonly boolean[], i: number, f: () => Tensor): Tensor | null => (wants[i] ? f() : null);

export const GRAD_RULES: Partial<Record<Op, GradRule>> = {
  // --- elementwise arithmetic
  Add: ({ dy }) => [dy, dy],
  Sub: ({ dy, wants }) => [dy, only(wants, 1, () => dy.neg())],
  Mul: ({ node, dy, wants }) => {
    const [a, b] = node.inputs;
    return [only(wants, 0, () => dy.mul(b)), only(wants, 1, () => dy.mul(a))];
  },
  Div: ({ node, dy, wants }) => {
    const b = node.inputs[1];
    const da = dy.div(b);
    return [wants[0] ? da : null, only(wants, 1, () => da.mul(node).neg())];
  },
  Pow: ({ node, dy, wants }) => {
    const [a, b] = node.inputs;
    return [only(wants, 0, () => dy.mul(b.mul(a.pow(b.sub(1))))), only(wants, 1, () => dy.mul(node).mul(a.log()))];
  },
  Neg: ({ dy }) => [dy.neg()],
  Min: ({ g, node, dy, wants }) => {
    const [a, b] = node.inputs;
    const first = a.le(b);
    return [only(wants, 0, () => g.where(first, dy, 0)), only(wants, 1, () => g.where(first, 0, dy))];
  },
  Max: ({ g, node, dy, wants }) => {
    const [a, b] = node.inputs;
    const first = a.ge(b);
    return [only(wants, 0, () => g.where(first, dy, 0)), only(wants, 1, () => g.where(first, 0, dy))];
  },
  Where: ({ g, node, dy, wants }) => {
    const c = node.inputs[0];
    return [null, only(wants, 1, () => g.where(c, dy, 0)), only(wants, 2, () => g.where(c, 0, dy))];
  },
  Clip: ({ g, node, dy }) => {
    const x = node.inputs[0];
    const lo = node.attrs.min as number;
    const hi = node.attrs.max as number;
    const inside = lo > -Infinity && hi < Infinity ? x.ge(lo).and(x.le(hi)) : lo > -Infinity ? x.ge(lo) : hi < Infinity ? x.le(hi) : undefined;
    return [inside ? g.where(inside, dy, 0) : dy];
  },
  Cast: ({ node, dy }) => [isFloat(node.inputs[0].dtype) ? dy.cast(node.inputs[0].dtype) : null],
  // a leaf of the autodiff: its input gets nothing from it (see BLOCKS_GRADIENT)
  StopGradient: () => [null],

  // --- elementwise functions
  Sqrt: ({ node, dy }) => [dy.div(node).mul(0.5)],
  Exp: ({ node, dy }) => [dy.mul(node)],
  Log: ({ node, dy }) => [dy.div(node.inputs[0])],
  Reciprocal: ({ node, dy }) => [dy.mul(node.square()).neg()],
  Tanh: ({ g, node, dy }) => [dy.mul(g.scalar(1, node.dtype).sub(node.square()))],
  Sigmoid: ({ g, node, dy }) => [dy.mul(node.mul(g.scalar(1, node.dtype).sub(node)))],
  Relu: ({ g, node, dy }) => [g.where(node.gt(0), dy, 0)],
  Abs: ({ node, dy }) => [dy.mul(node.inputs[0].sign())],
  Sign: () => [null],
  Erf: ({ node, dy }) => {
    const x = node.inputs[0];
    return [dy.mul(x.square().neg().exp().mul(TWO_OVER_SQRT_PI))];
  },
  Gelu: ({ g, node, dy }) => {
    const x = node.inputs[0];
    if (node.attrs.approximate === 'tanh') {
      // y = x/2 (1 + t), t = tanh(k (x + c x³)); y' = (1 + t)/2 + x/2 (1 - t²) k (1 + 3c x²)
      const x2 = x.square();
      const t = x.add(x.mul(x2).mul(GELU_C)).mul(GELU_K).tanh();
      const inner = g.scalar(1, x.dtype).sub(t.square()).mul(x2.mul(3 * GELU_C).add(1)).mul(x).mul(0.5 * GELU_K);
      return [dy.mul(t.add(1).mul(0.5).add(inner))];
    }
    // y = x Φ(x); y' = Φ(x) + x φ(x)
    const cdf = x.mul(SQRT1_2).erf().add(1).mul(0.5);
    const pdf = x.square().mul(-0.5).exp().mul(INV_SQRT_2PI);
    return [dy.mul(cdf.add(x.mul(pdf)))];
  },

  // --- linear algebra
  MatMul: ({ g, node, dy, wants }) => {
    const [a, b] = node.inputs;
    if (a.rank === 2 && b.rank === 2) return [only(wants, 0, () => g.gemm(dy, b, false, true)), only(wants, 1, () => g.gemm(a, dy, true, false))];
    const k = a.shape[a.rank - 1];
    const n = b.shape[b.rank - 1];
    return [
      only(wants, 0, () => dy.matmul(b.mT())),
      only(wants, 1, () => (b.rank === 2 ? g.gemm(a.reshape([-1, k]), dy.reshape([-1, n]), true, false) : a.mT().matmul(dy))),
    ];
  },
  Gemm: ({ g, node, dy, wants }) => {
    const [a, b] = node.inputs;
    const tA = node.attrs.transA === 1;
    const tB = node.attrs.transB === 1;
    const alpha = (node.attrs.alpha as number | undefined) ?? 1;
    return [
      only(wants, 0, () => (tA ? g.gemm(b, dy, tB, true, undefined, alpha) : g.gemm(dy, b, false, !tB, undefined, alpha))),
      only(wants, 1, () => (tB ? g.gemm(dy, a, true, tA, undefined, alpha) : g.gemm(a, dy, !tA, false, undefined, alpha))),
      node.inputs.length > 2 ? dy : null,
    ];
  },

  // --- reductions and normalisers
  ReduceSum: ({ node, dy }) => [kept(dy, node)],
  ReduceMean: ({ g, node, dy }) => [kept(dy, node).div(reducedCount(g, node))],
  ReduceSumSquare: ({ node, dy }) => [node.inputs[0].mul(kept(dy, node).mul(2))],
  ReduceMax: ({ node, dy }) => {
    const x = node.inputs[0];
    const axes = node.attrs.axes as readonly number[];
    const mask = x.eq(kept(node, node)).cast(x.dtype);
    return [mask.mul(kept(dy, node).div(mask.sum(axes, true)))];
  },
  ReduceLogSumExp: ({ node, dy }) => {
    const x = node.inputs[0];
    return [x.sub(kept(node, node)).exp().mul(kept(dy, node))];
  },
  Softmax: ({ node, dy }) => {
    const axis = node.attrs.axis as number;
    return [node.mul(dy.sub(dy.mul(node).sum(axis, true)))];
  },
  LogSoftmax: ({ node, dy }) => {
    const axis = node.attrs.axis as number;
    return [dy.sub(node.exp().mul(dy.sum(axis, true)))];
  },

  // --- data movement
  Reshape: ({ node, dy }) => [dy.reshape(node.inputs[0].shape)],
  Transpose: ({ node, dy }) => [dy.transpose(invertPerm(node.attrs.perm as readonly number[]))],
  Expand: ({ dy }) => [dy, null],
  Concat: ({ node, dy, wants }) => {
    const axis = node.attrs.axis as number;
    let offset = 0;
    return node.inputs.map((x, i) => {
      const size = x.shape[axis] as number;
      const part = wants[i] ? dy.slice(axis, offset, offset + size) : null;
      offset += size;
      return part;
    });
  },
  Slice: ({ g, node, dy }) => {
    const x = node.inputs[0];
    const r = x.rank;
    const pads = new Array<number>(2 * r).fill(0);
    const axes = node.attrs.axes as readonly number[];
    axes.forEach((a, i) => {
      const d = x.shape[a] as number;
      const [s, e] = sliceBounds((node.attrs.starts as readonly number[])[i], (node.attrs.ends as readonly number[])[i], d);
      pads[a] = s;
      pads[a + r] = d - Math.max(s, e);
    });
    return [g.node('Pad', [dy], { pads })];
  },
  Pad: ({ g, node, dy }) => {
    const x = node.inputs[0];
    const r = x.rank;
    const pads = node.attrs.pads as readonly number[];
    const axes: number[] = [];
    const starts: number[] = [];
    const ends: number[] = [];
    for (let i = 0; i < r; i++) {
      if (pads[i] === 0 && pads[i + r] === 0) continue;
      axes.push(i);
      starts.push(pads[i]);
      ends.push(pads[i] + (x.shape[i] as number));
    }
    return [g.node('Slice', [dy], { starts, ends, axes })];
  },
  Gather: ({ g, node, dy }) => {
    const [data, indices] = node.inputs;
    if (node.attrs.axis !== 0) throw new GraphError('unsupported', `Gather: gradients only along axis 0 (embeddings), got axis ${String(node.attrs.axis)} at ${node.describe()}`);
    if (!isStatic(data.shape)) throw new GraphError('unsupported', `Gather: the table ${data.describe()} needs a fixed shape for its gradient`);
    const vocab = data.shape[0];
    const rest = numel(data.shape.slice(1));
    // one-hot MatMul: [N, V]ᵀ @ [N, R] — on CPU faster than ScatterND for small vocabularies
    const hot = g.oneHot(indices.reshape([-1]), vocab, data.dtype);
    return [g.gemm(hot, dy.reshape([-1, rest]), true, false).reshape(data.shape), null];
  },
};

/**
 * Operators that no gradient crosses: nothing upstream of them is marked as needing a gradient
 * on their account, so no backward nodes are built for that path.
 */
const BLOCKS_GRADIENT = new Set<Op>(['StopGradient']);

/** Rules that need the incoming gradient at the node's full shape (the rest broadcast it). */
const NEEDS_FULL_DY = new Set<Op>(['MatMul', 'Gemm', 'Reshape', 'Transpose', 'Concat', 'Slice', 'Pad', 'Gather', 'Softmax', 'LogSoftmax']);

/** Broadcasts t to the shape of `like` (a node of the graph, whose run-time shape fills symbolic sizes). */
export function expandLike(t: Tensor, like: Tensor): Tensor {
  if (sameShape(t.shape, like.shape)) return t;
  return t.graph.node('Expand', [t, like], { shape: [...like.shape] });
}

/**
 * Sums a gradient over the axes along which `target` was broadcast, so that the result is
 * broadcastable to (and no larger than) target's shape.
 */
export function reduceTo(t: Tensor, target: Tensor): Tensor {
  if (sameShape(t.shape, target.shape)) return t;
  const lead = t.rank - target.rank;
  const axes: number[] = [];
  t.shape.forEach((d, i) => {
    const j = i - lead;
    if (j < 0 || (target.shape[j] === 1 && d !== 1)) axes.push(i);
  });
  let r = t;
  if (axes.length > 0) {
    const onlyLeading = axes.every((a) => a < lead) && axes.length === lead;
    r = onlyLeading ? r.sum(axes, false) : r.sum(axes, true);
    if (r.rank > target.rank) r = r.reshape(r.shape.slice(r.rank - target.rank));
  }
  return r;
}

/**
 * Gradients of `loss` with respect to each tensor of `wrt`, as nodes of the same graph (each
 * with exactly the shape of its `wrt` tensor; zeros where the loss does not depend on it).
 *
 * @param seed d(out)/d(loss); a scalar 1 when not given.
 */
export function gradients(loss: Tensor, wrt: readonly Tensor[], seed?: Tensor): Tensor[] {
  const g = loss.graph;
  const wrtIds = new Set(wrt.map((w) => w.id));
  for (const w of wrt) {
    if (!isFloat(w.dtype)) throw new GraphError('not-differentiable', `gradient asked for ${w.describe()}, which is not a float tensor`);
  }
  // reachable nodes in topological (id) order
  const seen = new Set<number>();
  const order: Tensor[] = [];
  const stack = [loss];
  while (stack.length) {
    const t = stack.pop() as Tensor;
    if (seen.has(t.id)) continue;
    seen.add(t.id);
    order.push(t);
    for (const x of t.inputs) stack.push(x);
  }
  order.sort((a, b) => a.id - b.id);
  const needs = new Set<number>();
  for (const t of order) {
    if (wrtIds.has(t.id) || (isFloat(t.dtype) && !BLOCKS_GRADIENT.has(t.op) && t.inputs.some((x) => needs.has(x.id)))) needs.add(t.id);
  }
  const grads = new Map<number, Tensor>();
  grads.set(loss.id, seed ?? g.scalar(1, loss.dtype));
  for (let k = order.length - 1; k >= 0; k--) {
    const node = order[k];
    let dy = grads.get(node.id);
    if (!dy || !needs.has(node.id) || node.inputs.length === 0) continue;
    const wants = node.inputs.map((x) => needs.has(x.id) && isFloat(x.dtype));
    if (!wants.some(Boolean)) continue;
    const rule = GRAD_RULES[node.op];
    if (!rule) throw new GraphError('no-grad-rule', `no gradient rule for operator ${node.op} (node ${node.describe()}); add one to GRAD_RULES or build the value from differentiable operators`);
    if (NEEDS_FULL_DY.has(node.op)) dy = expandLike(dy, node);
    const parts = rule({ g, node, dy, wants });
    node.inputs.forEach((x, i) => {
      const part = parts[i];
      if (!wants[i] || !part) return;
      const r = reduceTo(part, x);
      const prev = grads.get(x.id);
      grads.set(x.id, prev ? prev.add(r) : r);
    });
  }
  return wrt.map((w) => {
    const d = grads.get(w.id);
    if (!d) return expandLike(g.scalar(0, w.dtype), w);
    return expandLike(d, w);
  });
}
