/**
 * pass@1 and pass@k of a reasoner over fixed-seed problems, by level: greedy pass@1 with a
 * Wilson 95% interval; from n samples per problem (temperature > 0) pass@k with the unbiased
 * estimator 1 − C(n−c, k)/C(n, k) averaged over problems (95% normal interval over problems);
 * format-error rate and mean generated tokens. Decodes with the KV-cache model when the reasoner
 * has one (same tokens as full recomputation; tested), else by full recomputation. Problem j of a level is
 * `generate(Rng.from(evalProblemSeed(evalSeed, level·1e6 + j)), level)` — the `eval:` seed
 * namespace, disjoint from the SFT data's `sft:` one.
 *
 * @example
 * const report = await evaluateReasoner(reasoner, { levels: [1], problems: 1000 });
 * report.levels[0].pass1.rate; // greedy pass@1
 */
import { Rng, deriveSeed } from '../../scenarios/random.js';
import type { ReasoningProblem, ReasoningTask } from '../../scenarios/reasoning/index.js';
import type { DeviceSession } from '../runtime/session.js';
import { evalProblemSeed } from './data.js';
import { decode, decodeCached, type CacheShape, type DecodeOptions, type DecodeStats, type Decoded, type SamplingOptions } from './decode.js';

export interface Interval {
  readonly rate: number;
  readonly lo: number;
  readonly hi: number;
}

export interface EvalOptions {
  readonly levels: readonly number[];
  /** Problems per level. */
  readonly problems: number;
  readonly evalSeed?: number;
  /** Samples per problem for pass@k (0: greedy pass@1 only). */
  readonly samples?: number;
  /** The k of pass@k (each ≤ samples); default [1, samples]. */
  readonly ks?: readonly number[];
  /** Sampling for pass@k; default temperature 1. */
  readonly sampling?: SamplingOptions;
  readonly maxNewTokens?: number;
  /** Rows per model run; default 64. */
  readonly batchSize?: number;
}

export interface LevelReport {
  readonly level: number;
  readonly problems: number;
  /** Greedy pass@1 with its Wilson 95% interval. */
  readonly pass1: Interval;
  /** Share of greedy completions whose format is broken. */
  readonly formatErrorRate: number;
  /** Mean generated tokens (greedy). */
  readonly meanTokens: number;
  /** Mean partial-credit score (greedy). */
  readonly meanScore: number;
  /** pass@k from `samples` samples per problem, by k. */
  readonly passK?: Readonly<Record<string, Interval>>;
  readonly samples?: number;
}

export interface EvalReport {
  readonly levels: readonly LevelReport[];
  readonly decode: DecodeStats;
}

/** Wilson score interval (95%) for c successes out of n. */
export function wilson(c: number, n: number, z = 1.959964): Interval {
  if (n === 0) return { rate: NaN, lo: 0, hi: 1 };
  const p = c / n;
  const d = 1 + (z * z) / n;
  const centre = (p + (z * z) / (2 * n)) / d;
  const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / d;
  return { rate: p, lo: Math.max(0, centre - half), hi: Math.min(1, centre + half) };
}

/** Unbiased pass@k from n samples with c correct: 1 − C(n−c, k)/C(n, k), as a stable product. */
export function passAtK(n: number, c: number, k: number): number {
  if (!(Number.isInteger(n) && Number.isInteger(c) && Number.isInteger(k)) || k < 1 || k > n || c < 0 || c > n) throw new RangeError(`passAtK: need integers 0 ≤ c ≤ n and 1 ≤ k ≤ n, got n=${n} c=${c} k=${k}`);
  if (n - c < k) return 1;
  let fail = 1;
  for (let i = n - c + 1; i <= n; i++) fail *= 1 - k / i;
  return 1 - fail;
}

/** Mean of per-problem values with a 95% normal interval, clipped to [0, 1]. */
export function meanInterval(values: readonly number[], z = 1.959964): Interval {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const variance = n > 1 ? values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1) : 0;
  const half = z * Math.sqrt(variance / n);
  return { rate: mean, lo: Math.max(0, mean - half), hi: Math.min(1, mean + half) };
}

/** The evaluation problems of a level: fixed seeds in the `eval:` namespace. */
export function evalProblems(task: ReasoningTask, level: number, count: number, evalSeed = 7): { problem: ReasoningProblem; seed: number }[] {
  return Array.from({ length: count }, (_, j) => {
    const seed = evalProblemSeed(evalSeed, level * 1_000_000 + j);
    return { problem: task.generate(Rng.from(seed), level), seed };
  });
}

/** Evaluates a policy session on a task (see the module comment). */
export async function evaluateReasoner(
  reasoner: { readonly session: DeviceSession; readonly task: ReasoningTask; readonly spec: { readonly contextLength: number }; readonly kv?: { readonly session: DeviceSession; readonly cache: CacheShape } },
  options: EvalOptions,
): Promise<EvalReport> {
  const { task, session } = reasoner;
  const seq = reasoner.spec.contextLength;
  const base = { seq, eos: task.tokenizer.eos, pad: task.tokenizer.pad, maxNewTokens: options.maxNewTokens, batchSize: options.batchSize ?? 64 };
  const stats: DecodeStats = { runs: 0, tokens: 0, seconds: 0 };
  const kv = reasoner.kv;
  const run = (prompts: readonly (readonly number[])[], o: DecodeOptions): Promise<Decoded[]> => (kv ? decodeCached(kv.session, kv.cache, prompts, o, stats) : decode(session, prompts, o, stats));
  const samples = options.samples ?? 0;
  const ks = options.ks ?? (samples > 0 ? [...new Set([1, samples])] : []);
  for (const k of ks) if (k > samples) throw new RangeError(`pass@${k} needs at least ${k} samples per problem, got ${samples}`);
  const levels: LevelReport[] = [];
  for (const level of options.levels) {
    const problems = evalProblems(task, level, options.problems, options.evalSeed);
    const prompts = problems.map((p) => p.problem.prompt);
    const greedy = await run(prompts, { ...base, temperature: 0 });
    let correct = 0;
    let formatErrors = 0;
    let tokens = 0;
    let score = 0;
    greedy.forEach((d, i) => {
      const g = task.grade(problems[i].problem, d.completion);
      if (g.correct) correct++;
      if (!g.formatOk) formatErrors++;
      tokens += d.completion.length;
      score += g.score;
    });
    const report: { -readonly [K in keyof LevelReport]: LevelReport[K] } = {
      level,
      problems: problems.length,
      pass1: wilson(correct, problems.length),
      formatErrorRate: formatErrors / problems.length,
      meanTokens: tokens / problems.length,
      meanScore: score / problems.length,
    };
    if (samples > 0) {
      const rows = problems.flatMap((p) => Array.from({ length: samples }, (_, s) => ({ p, rng: Rng.from(deriveSeed(p.seed, `sample:${s}`)) })));
      const sampled = await run(rows.map((r) => r.p.problem.prompt), { ...base, ...(options.sampling ?? { temperature: 1 }), rngs: rows.map((r) => r.rng) });
      const counts = problems.map((_, i) => sampled.slice(i * samples, (i + 1) * samples).filter((d) => task.grade(problems[i].problem, d.completion).correct).length);
      report.samples = samples;
      report.passK = Object.fromEntries(ks.map((k) => [String(k), meanInterval(counts.map((c) => passAtK(samples, c, k)))]));
    }
    levels.push(report);
  }
  return { levels, decode: stats };
}
