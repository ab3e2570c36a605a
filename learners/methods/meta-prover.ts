/**
 * MRT's meta-prover μ (Qu et al. 2025): the policy itself, stopped after a prefix of its thought
 * and forced to answer. For a prefix (the completion's tokens up to the end of an episode), the
 * decoder is fed prompt + prefix + `</think> <answer>` and samples the answer `samples` times;
 * J(prefix) is the share of those forced completions the task's verifier accepts. The thought is
 * split into episodes at the scenario's separator (`parseCompletion`'s segments).
 *
 * Identical (problem, prefix, seed) queries are decoded once: callers derive a query's seed from
 * the prefix's content, so the G samples of a prompt share the estimate of the empty thought.
 */
import { Rng, deriveSeed } from '../../scenarios/random.js';
import { parseCompletion, type ReasoningProblem, type ReasoningTask, type Span } from '../../scenarios/reasoning/index.js';
import { decodeCached, type CacheShape, type DecodeStats, type SamplingOptions } from '../reasoning/decode.js';
import type { DeviceSession } from '../runtime/session.js';

/** One J(prefix) to estimate. */
export interface PrefixQuery {
  readonly problem: ReasoningProblem;
  /** Completion tokens before the forced `</think>` (starting with `<think>`). */
  readonly prefix: readonly number[];
  /** Seed of the query's answer streams (answer d samples with `deriveSeed(seed, 'answer:' + d)`). */
  readonly seed: number;
}

export interface MetaProverOptions {
  /** Forced answers per prefix (m). */
  readonly samples: number;
  readonly sampling: SamplingOptions;
  /** Most tokens of a forced answer (answer, `</answer>` and `<eos>` included). */
  readonly answerTokens: number;
  /** The model's context length. */
  readonly seq: number;
  /** Rows per decoder run. */
  readonly batchSize?: number;
}

/**
 * The episodes of a completion's thought: the separator-delimited segments, merged into at most
 * `maxEpisodes` consecutive runs when there are more (the authors merge every few paragraphs).
 */
export function episodes(completion: readonly number[], task: ReasoningTask, maxEpisodes = Infinity): Span[] {
  const segs = parseCompletion(completion, task.tokenizer).segments;
  const k = segs.length;
  if (k <= maxEpisodes) return [...segs];
  if (!(Number.isInteger(maxEpisodes) && maxEpisodes >= 1)) throw new RangeError(`maxEpisodes must be a positive integer, got ${maxEpisodes}`);
  return Array.from({ length: maxEpisodes }, (_, c) => {
    const a = Math.floor((c * k) / maxEpisodes);
    const b = Math.floor(((c + 1) * k) / maxEpisodes);
    return { start: segs[a].start, end: segs[b - 1].end };
  });
}

/** The thought prefix through episode `e` (−1: the empty thought), starting with `<think>`. */
export function prefixThrough(completion: readonly number[], eps: readonly Span[], e: number, task: ReasoningTask): number[] {
  const think = task.tokenizer.think;
  const end = e < 0 ? (completion[0] === think ? 1 : 0) : eps[e].end;
  const body = completion.slice(0, end);
  return body[0] === think ? body : [think, ...body];
}

/** The seed of a query: the caller's base seed and label, and the prefix's tokens (equal prefixes, equal seeds). */
export function querySeed(base: number, label: string, prefix: readonly number[]): number {
  return deriveSeed(base, `${label}|${prefix.join(' ')}`);
}

/**
 * J of every query (the share of `samples` forced answers that verify). A prefix that leaves no
 * room in the context for `</think> <answer>` and a one-token answer gets J = 0.
 */
export async function estimateJ(
  task: ReasoningTask,
  kv: { readonly session: DeviceSession; readonly cache: CacheShape },
  queries: readonly PrefixQuery[],
  o: MetaProverOptions,
  stats?: DecodeStats,
): Promise<number[]> {
  if (!(Number.isInteger(o.samples) && o.samples >= 1)) throw new RangeError(`meta-prover: samples must be a positive integer, got ${o.samples}`);
  const tok = task.tokenizer;
  const keyOf = (q: PrefixQuery) => `${q.seed}|${q.problem.prompt.join(' ')}|${q.prefix.join(' ')}`;
  const unique = new Map<string, { q: PrefixQuery; forced: number[] }>();
  for (const q of queries) {
    const k = keyOf(q);
    if (unique.has(k)) continue;
    const forced = [...q.prefix, tok.thinkEnd, tok.answer];
    // room for the prompt, the forced prefix and at least answer, </answer>, <eos>
    if (q.problem.prompt.length + forced.length + 3 > o.seq + 1) continue;
    unique.set(k, { q, forced });
  }
  const items = [...unique.values()];
  const rows = items.flatMap((it) => Array.from({ length: o.samples }, (_, d) => ({ it, rng: Rng.from(deriveSeed(it.q.seed, `answer:${d}`)) })));
  const decoded = rows.length
    ? await decodeCached(
        kv.session,
        kv.cache,
        rows.map((r) => [...r.it.q.problem.prompt, ...r.it.forced]),
        { seq: o.seq, eos: tok.eos, pad: tok.pad, ...o.sampling, rngs: rows.map((r) => r.rng), maxNewTokens: o.answerTokens, batchSize: o.batchSize },
        stats,
      )
    : [];
  const j = new Map<string, number>();
  items.forEach((it, i) => {
    let right = 0;
    for (let d = 0; d < o.samples; d++) if (task.grade(it.q.problem, [...it.forced, ...decoded[i * o.samples + d].completion]).correct) right++;
    j.set(keyOf(it.q), right / o.samples);
  });
  return queries.map((q) => j.get(keyOf(q)) ?? 0);
}
