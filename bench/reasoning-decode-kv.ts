/**
 * A PROTOTYPE for learners/reasoning/kv.ts + decode.ts (measured by bench/reasoning-decode.bench.ts
 * as `reverie-kv-readonly`; not used by the library): a KV-cache step model whose cache is a
 * read-only input. kv.ts's step model rewrites the whole fixed-size cache every token
 * (`past·(1 − onehot) + onehot·k_new`: three passes over [batch, heads, seq, dh] per tensor) and
 * hands it back as an output (a fresh copy per run); the profile shows those writes and copies are
 * most of a step at batch ≥ 16. Here the graph reads the cache and returns only this token's k and
 * v ([batch, heads, dh]); the decoder writes them into its own cache buffers in place. Attention
 * over the past and the new token is one softmax over the concatenation of their scores (a
 * static axis: seq + 1), so the builder needs no symbolic concat.
 */
import * as ort from 'onnxruntime-node';
import { compileForward, type Model } from '../learners/graph/compile.js';
import type { Graph, Tensor } from '../learners/graph/graph.js';
import { activate, embedding, layerNorm, linear } from '../learners/models/layers.js';
import type { DecodeOptions, Decoded, DecodeStats } from '../learners/reasoning/decode.js';
import { sampleToken } from '../learners/reasoning/decode.js';
import { initializersOf } from '../learners/reasoning/kv.js';
import type { PolicyConfig } from '../learners/reasoning/policy.js';
import { bakeParameters } from '../learners/runtime/onnx.js';
import type { DeviceSession } from '../learners/runtime/session.js';

export function readonlyKvModel(config: PolicyConfig & { readonly vocab: number }): Model {
  const { vocab, dModel: d, heads, layers, seq } = config;
  const dMlp = config.dMlp ?? 4 * d;
  const dh = d / heads;
  return {
    name: 'reasoner_kv_ro',
    build(g: Graph) {
      const token = g.input('token', 'int64', ['batch']);
      const pos = g.input('pos', 'int64', ['batch']);
      const wpe = g.param('wpe', [seq, d], { normal: 1 });
      let h = embedding(g, 'wte', token, vocab, d).add(wpe.gather(pos, 0));
      const range = g.constant(Array.from({ length: seq }, (_, i) => i), [seq], 'int64');
      const maskPast = g.where(range.lt(pos.unsqueeze(-1)), 0, -1e9).reshape(['batch', 1, 1, seq]); // cache slots before pos
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
        const scores = g.concat([q.matmul(pastK.transpose([0, 1, 3, 2])).add(maskPast), q.mul(kNew).sum(-1, true)], -1).softmax(-1); // [B, H, 1, seq+1]
        const o = scores.slice(-1, 0, seq).matmul(pastV).add(scores.slice(-1, seq, seq + 1).mul(vNew)).reshape(['batch', d]);
        h = h.add(linear(g, `h${l}.attn.proj`, o, d));
        const m = activate(linear(g, `h${l}.mlp.fc`, layerNorm(g, `h${l}.ln2`, h), dMlp), 'gelu');
        h = h.add(linear(g, `h${l}.mlp.proj`, m, d));
      }
      outs.logits = linear(g, 'head', layerNorm(g, 'lnf', h), vocab);
      return outs;
    },
  };
}

export function readonlyKvFromPolicy(policyOnnx: Uint8Array, config: PolicyConfig & { readonly vocab: number }): Uint8Array {
  const forward = compileForward(readonlyKvModel(config));
  return bakeParameters(forward.bytes, forward.params, initializersOf(policyOnnx));
}

/** decodeCached's loop on the read-only-cache model: the decoder owns the cache and writes each token's k, v in place. */
export async function decodeReadonlyKv(session: DeviceSession, cache: { layers: number; heads: number; dh: number }, prompts: readonly (readonly number[])[], options: DecodeOptions, stats?: DecodeStats): Promise<Decoded[]> {
  const { seq, eos } = options;
  const maxNew = options.maxNewTokens ?? Infinity;
  const { heads, dh } = cache;
  const per = heads * seq * dh;
  const names = Array.from({ length: cache.layers }, (_, l) => [`k.${l}`, `v.${l}`]).flat();
  const started = Date.now();
  const seqs = prompts.map((p) => [...p]);
  const fed = prompts.map(() => 0);
  const stop: (Decoded['stop'] | undefined)[] = prompts.map(() => undefined);
  let rows = prompts.map((_, j) => j);
  const buffers = new Map(names.map((n) => [n, new Float32Array(rows.length * per)]));
  while (rows.length > 0) {
    const n = rows.length;
    const feeds: Record<string, ort.Tensor> = {
      token: new ort.Tensor('int64', BigInt64Array.from(rows, (j) => BigInt(seqs[j][fed[j]])), [n]),
      pos: new ort.Tensor('int64', BigInt64Array.from(rows, (j) => BigInt(fed[j])), [n]),
    };
    for (const name of names) feeds[`past_${name}`] = new ort.Tensor('float32', (buffers.get(name) as Float32Array).subarray(0, n * per), [n, heads, seq, dh]);
    const out = await session.run(feeds);
    if (stats) stats.runs++;
    for (const name of names) {
      const fresh = out[name].data as Float32Array; // [n, H, dh]
      const buf = buffers.get(name) as Float32Array;
      rows.forEach((j, r) => {
        for (let hh = 0; hh < heads; hh++) buf.set(fresh.subarray((r * heads + hh) * dh, (r * heads + hh + 1) * dh), r * per + (hh * seq + fed[j]) * dh);
      });
    }
    const logits = out.logits.data as Float32Array;
    const vocab = logits.length / n;
    rows.forEach((j, r) => {
      fed[j]++;
      const s = seqs[j];
      if (fed[j] < s.length) return;
      const next = sampleToken(logits.subarray(r * vocab, (r + 1) * vocab), options, options.rngs?.[j]);
      s.push(next);
      if (stats) stats.tokens++;
      if (next === eos) stop[j] = 'eos';
      else if (s.length - prompts[j].length >= maxNew) stop[j] = 'length';
      else if (s.length > seq) stop[j] = 'context';
    });
    const keep = rows.map((j, r) => [j, r] as const).filter(([j]) => stop[j] === undefined);
    if (keep.length < n) {
      // compact in place: row r moves to slot i ≤ r
      for (const name of names) {
        const buf = buffers.get(name) as Float32Array;
        keep.forEach(([, r], i) => { if (r !== i) buf.copyWithin(i * per, r * per, (r + 1) * per); });
      }
      rows = keep.map(([j]) => j);
    }
  }
  if (stats) stats.seconds += (Date.now() - started) / 1000;
  return prompts.map((p, i) => ({ completion: seqs[i].slice(p.length), stop: stop[i] as Decoded['stop'] }));
}
