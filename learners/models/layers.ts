/**
 * Building blocks shared by the models, with PyTorch's default initialisation so a PyTorch peer
 * built from the same config draws from the same distributions: Linear weight and bias
 * U(-1/√in, 1/√in) (Kaiming-uniform with a = √5), Embedding N(0, 1), LayerNorm weight 1, bias 0.
 * Weights are stored as PyTorch stores them ([out, in] for Linear).
 */
import type { Graph, Tensor } from '../graph/graph.js';

/** Linear layer `name` (parameters `<name>.weight` [out, in] and `<name>.bias` [out]) applied to the last axis of x. */
export function linear(g: Graph, name: string, x: Tensor, out: number, bias = true): Tensor {
  const fanIn = x.shape[x.rank - 1] as number;
  const bound = 1 / Math.sqrt(fanIn);
  const w = g.param(`${name}.weight`, [out, fanIn], { uniform: bound });
  const b = bias ? g.param(`${name}.bias`, [out], { uniform: bound }) : undefined;
  return x.linear(w, b);
}

/** LayerNorm over the last axis, composed from ReduceMean/Sub/Pow/Sqrt/Div (the pattern onnxruntime fuses in inference graphs). */
export function layerNorm(g: Graph, name: string, x: Tensor, eps = 1e-5): Tensor {
  const d = x.shape[x.rank - 1] as number;
  const gamma = g.param(`${name}.weight`, [d], 'ones');
  const beta = g.param(`${name}.bias`, [d], 'zeros');
  const xc = x.sub(x.mean(-1, true));
  const std = xc.pow(2).mean(-1, true).add(eps).sqrt();
  return xc.div(std).mul(gamma).add(beta);
}

/** Embedding table `name` [vocab, dim] looked up by integer ids. */
export function embedding(g: Graph, name: string, ids: Tensor, vocab: number, dim: number): Tensor {
  return g.param(name, [vocab, dim], { normal: 1 }).gather(ids, 0);
}

export type Activation = 'relu' | 'tanh' | 'gelu' | 'sigmoid';

export function activate(x: Tensor, a: Activation): Tensor {
  switch (a) {
    case 'relu': return x.relu();
    case 'tanh': return x.tanh();
    case 'gelu': return x.gelu();
    case 'sigmoid': return x.sigmoid();
  }
}

/** Additive causal mask [seq, seq]: 0 on and below the diagonal, a large negative number above it. */
export function causalMask(g: Graph, seq: number): Tensor {
  const values = new Array<number>(seq * seq);
  for (let i = 0; i < seq; i++) for (let j = 0; j < seq; j++) values[i * seq + j] = j <= i ? 0 : -1e9;
  return g.constant(values, [seq, seq]);
}

/**
 * Multi-head causal self-attention over x [N = batch·seq, d] (rows grouped by sequence):
 * separate q, k, v projections, softmax(q kᵀ/√dh + mask) v, output projection.
 */
export function causalSelfAttention(g: Graph, name: string, x: Tensor, seq: number, heads: number): Tensor {
  const d = x.shape[1] as number;
  if (d % heads !== 0) throw new RangeError(`attention '${name}': d_model ${d} is not divisible by ${heads} heads`);
  const dh = d / heads;
  const split = (t: Tensor, perm: readonly number[]) => t.reshape([-1, seq, heads, dh]).transpose(perm);
  const q = split(linear(g, `${name}.q`, x, d).mul(1 / Math.sqrt(dh)), [0, 2, 1, 3]); // [B, H, T, dh]
  const kT = split(linear(g, `${name}.k`, x, d), [0, 2, 3, 1]); // [B, H, dh, T]
  const v = split(linear(g, `${name}.v`, x, d), [0, 2, 1, 3]); // [B, H, T, dh]
  const att = q.matmul(kT).add(causalMask(g, seq)).softmax(-1);
  const o = att.matmul(v).transpose([0, 2, 1, 3]).reshape([-1, d]);
  return linear(g, `${name}.proj`, o, d);
}
