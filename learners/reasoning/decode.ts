/**
 * Batched autoregressive decoding on the ONNX inference graph of the token policy.
 *
 * B prompts are decoded together: each step runs the model on the rows still generating
 * ([active, seq] int64 tokens, `<pad>` after each row's end; the causal mask keeps padding from
 * reaching earlier positions) and reads each row's logits at its own last position. Sampling
 * (temperature, top-k, top-p) uses one seeded {@link Rng} per sequence, so a sequence's tokens do
 * not depend on which other sequences share its batch; temperature 0 is greedy (argmax, lowest id
 * on ties). A row stops at `<eos>`, after `maxNewTokens`, or when it fills the context
 * (seq + 1 tokens: the model reads at most seq).
 *
 * `decode` has no KV cache: the inference graph is the fixed-length training graph, and every step
 * recomputes all `seq` positions; {@link decodeCached} runs kv.ts's step model instead, one token per
 * row per step (README: "Decoding cost").
 *
 * @example
 * const out = await decode(reasoner.session, prompts, { seq: 64, eos: 1, pad: 0, temperature: 0 });
 * out[0].completion; // ids after the prompt, <eos> included when reached
 */
import * as ort from 'onnxruntime-node';
import { Rng } from '../../scenarios/random.js';
import type { DeviceSession } from '../runtime/session.js';
import { TOKENS_FEED } from './policy.js';

export interface SamplingOptions {
  /** 0 = greedy; default 1. */
  readonly temperature?: number;
  /** Keep the k most likely tokens (0 or absent: all). */
  readonly topK?: number;
  /** Keep the smallest set of most likely tokens whose probability reaches p (1 or absent: all). */
  readonly topP?: number;
}

export interface DecodeOptions extends SamplingOptions {
  /** The model's context length. */
  readonly seq: number;
  readonly eos: number;
  readonly pad: number;
  /** Most tokens generated per sequence; default: until the context is full. */
  readonly maxNewTokens?: number;
  /** One stream per prompt (needed unless temperature is 0). */
  readonly rngs?: readonly Rng[];
  /** Rows per model run (default: all prompts at once). */
  readonly batchSize?: number;
  /** Also return each generated token's log-probability under the model (softmax of the raw logits, temperature 1). */
  readonly logProbs?: boolean;
}

export interface Decoded {
  /** Generated ids (without the prompt), `<eos>` included when reached. */
  readonly completion: number[];
  /** Why it stopped. */
  readonly stop: 'eos' | 'length' | 'context';
  /** log π(token | prefix) of each generated token under the unmodified model (with `logProbs`). */
  readonly logProbs?: number[];
}

export interface DecodeStats {
  /** Model runs (one per generated position of the longest row in each chunk). */
  runs: number;
  /** Tokens generated. */
  tokens: number;
  seconds: number;
}

/**
 * Picks a token from logits: greedy at temperature 0, else a draw from softmax(logits / T)
 * restricted to the top-k and the top-p nucleus.
 */
export function sampleToken(logits: ArrayLike<number>, options: SamplingOptions, rng?: Rng): number {
  const n = logits.length;
  const temperature = options.temperature ?? 1;
  if (temperature === 0) {
    let best = 0;
    for (let i = 1; i < n; i++) if (logits[i] > logits[best]) best = i;
    return best;
  }
  if (!(temperature > 0)) throw new RangeError(`temperature must be ≥ 0, got ${temperature}`);
  if (!rng) throw new Error('sampling at a temperature above 0 needs an rng per sequence');
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => logits[b] - logits[a] || a - b);
  const k = options.topK && options.topK > 0 ? Math.min(options.topK, n) : n;
  const max = logits[order[0]];
  const kept: number[] = [];
  const weights: number[] = [];
  let total = 0;
  for (let r = 0; r < k; r++) {
    const w = Math.exp((logits[order[r]] - max) / temperature);
    kept.push(order[r]);
    weights.push(w);
    total += w;
  }
  const p = options.topP ?? 1;
  if (!(p > 0 && p <= 1)) throw new RangeError(`topP must be in (0, 1], got ${p}`);
  if (p < 1) {
    let cum = 0;
    let cut = kept.length;
    for (let r = 0; r < kept.length; r++) {
      cum += weights[r] / total;
      if (cum >= p) {
        cut = r + 1;
        break;
      }
    }
    kept.length = cut;
    weights.length = cut;
  }
  return kept[rng.weightedIndex(weights)];
}

/** log softmax(logits)[token], computed stably in float64. */
export function logProbOf(logits: ArrayLike<number>, token: number): number {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i] > max) max = logits[i];
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp(logits[i] - max);
  return logits[token] - max - Math.log(sum);
}

/** The settings both decoders share, checked once (sampling needs one rng per prompt): the new-token limit and the chunk size. */
function plan(prompts: readonly (readonly number[])[], options: DecodeOptions): { maxNew: number; chunk: number } {
  const greedy = (options.temperature ?? 1) === 0;
  if (!greedy && (!options.rngs || options.rngs.length !== prompts.length)) throw new Error(`decode: sampling needs one rng per prompt (${prompts.length}), got ${options.rngs?.length ?? 0}`);
  return { maxNew: options.maxNewTokens ?? Infinity, chunk: options.batchSize ?? Math.max(1, prompts.length) };
}

/** The prompt indices of the chunk starting at `c0`, and copies of their prompts (checked against the context `seq`). */
function chunkOf(prompts: readonly (readonly number[])[], c0: number, chunk: number, seq: number): { ids: number[]; seqs: number[][] } {
  const ids = Array.from({ length: Math.min(chunk, prompts.length - c0) }, (_, i) => c0 + i);
  const seqs = ids.map((i) => {
    const p = prompts[i];
    if (p.length < 1 || p.length > seq) throw new RangeError(`decode: prompt ${i} has ${p.length} tokens; it needs 1 to ${seq} (the context)`);
    return [...p];
  });
  return { ids, seqs };
}

/** Decodes every prompt (see the module comment); `stats`, when given, is filled in. */
export async function decode(session: DeviceSession, prompts: readonly (readonly number[])[], options: DecodeOptions, stats?: DecodeStats): Promise<Decoded[]> {
  const { seq, eos, pad } = options;
  const { maxNew, chunk } = plan(prompts, options);
  const started = Date.now();
  const results: Decoded[] = new Array(prompts.length);
  for (let c0 = 0; c0 < prompts.length; c0 += chunk) {
    const { ids, seqs } = chunkOf(prompts, c0, chunk, seq);
    const stop: (Decoded['stop'] | undefined)[] = ids.map(() => undefined);
    const lps: number[][] = ids.map(() => []);
    for (;;) {
      const active = ids.map((_, j) => j).filter((j) => stop[j] === undefined);
      if (active.length === 0) break;
      const tokens = new BigInt64Array(active.length * seq).fill(BigInt(pad));
      active.forEach((j, r) => seqs[j].forEach((t, k) => (tokens[r * seq + k] = BigInt(t))));
      const out = await session.run({ [TOKENS_FEED]: new ort.Tensor('int64', tokens, [active.length, seq]) }, ['logits']);
      const logits = out.logits.data as Float32Array;
      const vocab = logits.length / (active.length * seq);
      if (stats) stats.runs++;
      active.forEach((j, r) => {
        const s = seqs[j];
        const at = (r * seq + s.length - 1) * vocab;
        const row = logits.subarray(at, at + vocab);
        const next = sampleToken(row, options, options.rngs?.[ids[j]]);
        if (options.logProbs) lps[j].push(logProbOf(row, next));
        s.push(next);
        if (stats) stats.tokens++;
        const generated = s.length - prompts[ids[j]].length;
        if (next === eos) stop[j] = 'eos';
        else if (generated >= maxNew) stop[j] = 'length';
        else if (s.length > seq) stop[j] = 'context';
      });
      out.logits.dispose();
    }
    ids.forEach((i, j) => (results[i] = { completion: seqs[j].slice(prompts[i].length), stop: stop[j] as Decoded['stop'], ...(options.logProbs ? { logProbs: lps[j] } : {}) }));
  }
  if (stats) stats.seconds += (Date.now() - started) / 1000;
  return results;
}

/** The cache layout of a KV step model (see kv.ts). */
export interface CacheShape {
  readonly layers: number;
  readonly heads: number;
  readonly dh: number;
}

/**
 * {@link decode} on the KV-cache step model of kv.ts: one token per row per run, prompts fed
 * token by token (each row at its own position). The decoder owns the cache (one buffer per layer
 * and K/V, [rows, heads, seq, dh]): the model only reads it and returns the new token's k, v, which
 * are written here into slot `pos` of each row, in place; rows that stop are compacted away in
 * place. Same stopping rules and sampling streams as {@link decode}, hence the same tokens.
 */
export async function decodeCached(session: DeviceSession, cache: CacheShape, prompts: readonly (readonly number[])[], options: DecodeOptions, stats?: DecodeStats): Promise<Decoded[]> {
  const { seq, eos } = options;
  const { maxNew, chunk } = plan(prompts, options);
  const { heads, dh } = cache;
  const per = heads * seq * dh; // one row of one cache tensor
  const names = Array.from({ length: cache.layers }, (_, l) => [`k.${l}`, `v.${l}`]).flat();
  const started = Date.now();
  const results: Decoded[] = new Array(prompts.length);
  // One set of buffers for every chunk: a row reads only the slots it has written (the model masks
  // slots ≥ pos), so what an earlier row left behind never matters.
  const buffers = new Map(names.map((n) => [n, new Float32Array(Math.min(chunk, prompts.length) * per)]));
  for (let c0 = 0; c0 < prompts.length; c0 += chunk) {
    const { ids, seqs } = chunkOf(prompts, c0, chunk, seq);
    const fed = ids.map(() => 0);
    const stop: (Decoded['stop'] | undefined)[] = ids.map(() => undefined);
    const lps: number[][] = ids.map(() => []);
    let rows = ids.map((_, j) => j); // row r of the cache holds sequence rows[r]
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
        const fresh = out[name].data as Float32Array; // [n, heads, dh]
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
        if (fed[j] < s.length) return; // still reading the prompt
        const row = logits.subarray(r * vocab, (r + 1) * vocab);
        const next = sampleToken(row, options, options.rngs?.[ids[j]]);
        if (options.logProbs) lps[j].push(logProbOf(row, next));
        s.push(next);
        if (stats) stats.tokens++;
        const generated = s.length - prompts[ids[j]].length;
        if (next === eos) stop[j] = 'eos';
        else if (generated >= maxNew) stop[j] = 'length';
        else if (s.length > seq) stop[j] = 'context';
      });
      const keep = rows.map((j, r) => [j, r] as const).filter(([j]) => stop[j] === undefined);
      if (keep.length < n) {
        // compact in place: row r moves down to slot i ≤ r, so nothing is overwritten before it is moved
        for (const buf of buffers.values()) keep.forEach(([, r], i) => r !== i && buf.copyWithin(i * per, r * per, (r + 1) * per));
        rows = keep.map(([j]) => j);
      }
    }
    ids.forEach((i, j) => (results[i] = { completion: seqs[j].slice(prompts[i].length), stop: stop[j] as Decoded['stop'], ...(options.logProbs ? { logProbs: lps[j] } : {}) }));
  }
  if (stats) stats.seconds += (Date.now() - started) / 1000;
  return results;
}
