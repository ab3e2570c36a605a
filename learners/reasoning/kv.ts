/**
 * A KV-cache inference graph for the token policy, built inside this folder from the builder's
 * existing ops. The cache is a fixed-size buffer of the context length that the DECODER owns and
 * writes (decode.ts `decodeCached`); the graph only reads it and returns this token's k and v:
 *
 * inputs  `token` int64 [batch], `pos` int64 [batch] (0-based position of `token`),
 *         `past_k.<l>`, `past_v.<l>` float [batch, heads, seq, dh] for each layer l (slots < pos
 *         hold the row's earlier tokens; later slots are ignored, whatever they hold)
 * outputs `logits` [batch, vocab] (the next-token logits after `token`),
 *         `k.<l>`, `v.<l>` float [batch, heads, dh] (this token's key and value, for slot pos)
 *
 * Why read-only: an earlier version wrote the new k, v into the cache inside the graph
 * (`past·(1 − onehot(pos)) + onehot(pos)·k_new`, three passes over the whole cache per tensor) and
 * returned the whole cache as an output (a fresh copy per run); at batch ≥ 16 those writes and
 * copies were most of a step (bench/RESULTS.md, "decoding vs PyTorch"). Attention over the past and
 * the new token is one softmax over the concatenation of their scores, on a static axis (seq + 1),
 * since the builder cannot concatenate along a symbolic one.
 *
 * Parameters have the names and shapes of `policyModel`'s, so the trained weights of `policy.onnx`
 * bake straight in ({@link kvModelFromPolicy}). Per token this costs O(layers · d²) for projections
 * and O(layers · seq · d) for attention, instead of recomputing all seq positions.
 */
import onnxProto from 'onnx-proto';
import type { Model } from '../graph/compile.js';
import { compileForward } from '../graph/compile.js';
import type { Graph, Tensor } from '../graph/graph.js';
import { activate, embedding, layerNorm, linear } from '../models/layers.js';
import { bakeParameters, type HostArray } from '../runtime/onnx.js';
import type { PolicyConfig } from './policy.js';

const { onnx } = onnxProto;

export interface KvShape {
  readonly layers: number;
  readonly heads: number;
  readonly seq: number;
  readonly dh: number;
}

export function kvShape(config: PolicyConfig): KvShape {
  return { layers: config.layers, heads: config.heads, seq: config.seq, dh: config.dModel / config.heads };
}

/** The one-token step model reading a fixed-size KV cache (see the module comment). */
export function kvPolicyModel(config: PolicyConfig & { readonly vocab: number }): Model {
  const { vocab, dModel: d, heads, layers, seq } = config;
  const dMlp = config.dMlp ?? 4 * d;
  const dh = d / heads;
  return {
    name: 'reasoner_kv',
    build(g: Graph) {
      const token = g.input('token', 'int64', ['batch']);
      const pos = g.input('pos', 'int64', ['batch']);
      const wpe = g.param('wpe', [seq, d], { normal: 1 });
      let h = embedding(g, 'wte', token, vocab, d).add(wpe.gather(pos, 0)); // [B, d]
      const range = g.constant(Array.from({ length: seq }, (_, i) => i), [seq], 'int64');
      const maskPast = g.where(range.lt(pos.unsqueeze(-1)), 0, -1e9).reshape(['batch', 1, 1, seq]); // the cache slots before pos
      const outs: Record<string, Tensor> = {};
      for (let l = 0; l < layers; l++) {
        const x = layerNorm(g, `h${l}.ln1`, h);
        const heads4 = (t: Tensor) => t.reshape(['batch', heads, 1, dh]);
        const q = heads4(linear(g, `h${l}.attn.q`, x, d).mul(1 / Math.sqrt(dh)));
        const kNew = heads4(linear(g, `h${l}.attn.k`, x, d));
        const vNew = heads4(linear(g, `h${l}.attn.v`, x, d));
        outs[`k.${l}`] = kNew.reshape(['batch', heads, dh]);
        outs[`v.${l}`] = vNew.reshape(['batch', heads, dh]);
        const pastK = g.input(`past_k.${l}`, g.dtype, ['batch', heads, seq, dh]);
        const pastV = g.input(`past_v.${l}`, g.dtype, ['batch', heads, seq, dh]);
        const scores = g.concat([q.matmul(pastK.transpose([0, 1, 3, 2])).add(maskPast), q.mul(kNew).sum(-1, true)], -1); // [B, H, 1, seq + 1]
        const att = scores.softmax(-1);
        const o = att.slice(-1, 0, seq).matmul(pastV).add(att.slice(-1, seq, seq + 1).mul(vNew)).reshape(['batch', d]);
        h = h.add(linear(g, `h${l}.attn.proj`, o, d));
        const m = activate(linear(g, `h${l}.mlp.fc`, layerNorm(g, `h${l}.ln2`, h), dMlp), 'gelu');
        h = h.add(linear(g, `h${l}.mlp.proj`, m, d));
      }
      outs.logits = linear(g, 'head', layerNorm(g, 'lnf', h), vocab);
      return outs;
    },
  };
}

/** The trained weights held as initializers in an exported model (`policy.onnx`), by name. */
export function initializersOf(model: Uint8Array): Map<string, HostArray> {
  const m = onnx.ModelProto.decode(model);
  const out = new Map<string, HostArray>();
  for (const t of m.graph?.initializer ?? []) {
    if (t.dataType !== onnx.TensorProto.DataType.FLOAT || !t.rawData || !t.name) continue;
    const raw = t.rawData;
    out.set(t.name, new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength)));
  }
  return out;
}

/** The KV-cache step model with the weights of an exported policy baked in (plain ONNX). */
export function kvModelFromPolicy(policyOnnx: Uint8Array, config: PolicyConfig & { readonly vocab: number }): Uint8Array {
  const forward = compileForward(kvPolicyModel(config));
  const values = initializersOf(policyOnnx);
  return bakeParameters(forward.bytes, forward.params, values);
}
