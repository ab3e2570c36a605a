/**
 * GRPO rollouts on the token policy: prompts from the `grpo:` seed namespace, G sampled
 * completions per prompt (KV-cache decoding, one seeded stream per sequence, behaviour
 * log-probs recorded per generated token), verifier rewards, group-relative advantages, and
 * the packing of groups into train rows with the loss mask on the policy's tokens only.
 *
 * Seeds: prompt k (0-based over the whole run) of data seed d has problem seed
 * `deriveSeed(d, 'grpo:' + k)` (a label that neither `sft:` nor `eval:` derivations use); its
 * level is drawn from the iteration's level weights with that seed's `level` fork, and sample j
 * of its group decodes with `Rng.from(deriveSeed(seed, 'sample:' + j))`. A rollout is a pure
 * function of (policy weights, config, k), so a resumed run samples what a straight one would.
 *
 * @example
 * const prompts = grpoPrompts(task, { dataSeed: 1, first: 0, count: 16 }, [{ level: 2, weight: 1 }]);
 * const groups = await rollout(task, kv, prompts, { seq: 64, groupSize: 8 });
 * const adv = groupAdvantages(groups.map((g) => g.rewards));
 */
import { Rng, deriveSeed } from '../../scenarios/random.js';
import type { ReasoningProblem, ReasoningTask } from '../../scenarios/reasoning/index.js';
import type { DeviceSession } from '../runtime/session.js';
import { levelOf, type LevelWeight } from './data.js';
import { decodeCached, type CacheShape, type DecodeStats, type SamplingOptions } from './decode.js';

/** The problem seed of GRPO prompt `index` (disjoint label from `sft:` and `eval:`). */
export function grpoProblemSeed(dataSeed: number, index: number): number {
  return deriveSeed(dataSeed, `grpo:${index}`);
}

export interface GrpoPrompt {
  readonly index: number;
  readonly seed: number;
  readonly problem: ReasoningProblem;
}

/** Prompts `first` … `first + count − 1` of the stream, levels drawn from `levels`. */
export function grpoPrompts(task: ReasoningTask, at: { readonly dataSeed: number; readonly first: number; readonly count: number }, levels: readonly LevelWeight[]): GrpoPrompt[] {
  return Array.from({ length: at.count }, (_, i) => {
    const index = at.first + i;
    const seed = grpoProblemSeed(at.dataSeed, index);
    const root = Rng.from(seed);
    const level = levelOf(levels, root.fork('level'));
    return { index, seed, problem: task.generate(root.fork('problem'), level) };
  });
}

/** One sampled completion, graded. */
export interface Sample {
  readonly completion: readonly number[];
  /** Behaviour log-probs of the completion's tokens (same length as `completion`). */
  readonly logProbs: readonly number[];
  readonly reward: number;
  readonly correct: boolean;
  readonly formatOk: boolean;
}

/** G samples of one prompt. */
export interface Group {
  readonly prompt: GrpoPrompt;
  readonly samples: readonly Sample[];
}

export interface RolloutOptions {
  /** The model's context length. */
  readonly seq: number;
  /** Samples per prompt (G). */
  readonly groupSize: number;
  readonly sampling?: SamplingOptions;
  /** 'correct': 1 when the verifier accepts a well-formed answer, else 0; 'score': the verifier's partial credit (0 when the format is broken). */
  readonly reward?: 'correct' | 'score';
  /** Subtracted from the reward of a completion whose format is broken. */
  readonly formatPenalty?: number;
  /** Rows per decoder run. */
  readonly batchSize?: number;
  /** Most tokens generated per completion (default: until the context is full). */
  readonly maxNewTokens?: number;
}

/** Samples and grades G completions of each prompt with the KV-cache step model. */
export async function rollout(task: ReasoningTask, kv: { readonly session: DeviceSession; readonly cache: CacheShape }, prompts: readonly GrpoPrompt[], o: RolloutOptions, stats?: DecodeStats): Promise<Group[]> {
  const rows = prompts.flatMap((p) => Array.from({ length: o.groupSize }, (_, j) => ({ p, rng: Rng.from(deriveSeed(p.seed, `sample:${j}`)) })));
  const decoded = await decodeCached(
    kv.session,
    kv.cache,
    rows.map((r) => r.p.problem.prompt),
    { seq: o.seq, eos: task.tokenizer.eos, pad: task.tokenizer.pad, ...(o.sampling ?? { temperature: 1 }), rngs: rows.map((r) => r.rng), logProbs: true, batchSize: o.batchSize, maxNewTokens: o.maxNewTokens },
    stats,
  );
  return prompts.map((p, i) => ({
    prompt: p,
    samples: decoded.slice(i * o.groupSize, (i + 1) * o.groupSize).map((d) => {
      const g = task.grade(p.problem, d.completion);
      const base = (o.reward ?? 'correct') === 'correct' ? (g.correct ? 1 : 0) : g.score;
      return { completion: d.completion, logProbs: d.logProbs ?? [], reward: base - (g.formatOk ? 0 : (o.formatPenalty ?? 0)), correct: g.correct, formatOk: g.formatOk };
    }),
  }));
}

/**
 * How a group's rewards become advantages: 'std' is GRPO's (R − mean) / (std + eps); 'mean' is
 * R − mean without the std division (Dr. GRPO, Liu et al. 2025), so a group whose rewards differ
 * only a little (e.g. by a small length term) gets small advantages instead of unit-spread ones.
 */
export type AdvantageMode = 'std' | 'mean';

/**
 * The advantages of one group (population std): see {@link AdvantageMode}. A group whose rewards
 * are all equal gets advantage 0 for every sample: it carries no learning signal (counted as a
 * zero-std group).
 */
export function groupAdvantages(rewards: readonly number[], eps = 1e-6, mode: AdvantageMode = 'std'): { adv: number[]; zeroStd: boolean } {
  const n = rewards.length;
  const mean = rewards.reduce((a, b) => a + b, 0) / n;
  const std = Math.sqrt(rewards.reduce((a, b) => a + (b - mean) ** 2, 0) / n);
  if (!(std > 1e-12)) return { adv: rewards.map(() => 0), zeroStd: true };
  if (mode === 'mean') return { adv: rewards.map((r) => r - mean), zeroStd: false };
  return { adv: rewards.map((r) => (r - mean) / (std + eps)), zeroStd: false };
}

/** One train row: a prompt + its sampled completion, with per-position feeds. */
export interface GrpoRow {
  /** prompt + completion ids. */
  readonly sequence: readonly number[];
  readonly promptLength: number;
  readonly logProbs: readonly number[];
  readonly advantage: number;
  /** Added to `advantage` at each completion token (a dense bonus, e.g. MRT's progress); same length as the completion. */
  readonly bonus?: readonly number[];
}

/** Train rows of groups (one per sample, group after group); `bonus[i][j]`, when given, is sample j of group i's per-token bonus. */
export function groupRows(groups: readonly Group[], advantages: readonly (readonly number[])[], bonus?: readonly (readonly (readonly number[] | undefined)[])[]): GrpoRow[] {
  return groups.flatMap((g, i) =>
    g.samples.map((s, j) => {
      const b = bonus?.[i]?.[j];
      if (b && b.length !== s.completion.length) throw new RangeError(`groupRows: the bonus of group ${i} sample ${j} has ${b.length} values for ${s.completion.length} completion tokens`);
      return { sequence: [...g.prompt.problem.prompt, ...s.completion], promptLength: g.prompt.problem.prompt.length, logProbs: s.logProbs, advantage: advantages[i][j], ...(b ? { bonus: b } : {}) };
    }),
  );
}

/** The feeds of a minibatch (all [size, seq], by row). */
export interface PackedRows {
  readonly size: number;
  readonly seq: number;
  readonly tokens: BigInt64Array;
  readonly targets: BigInt64Array;
  /** 1 where the target is a policy (completion) token, 0 on prompt targets and padding. */
  readonly mask: Float32Array;
  /** Behaviour log-prob of each target (0 where mask is 0). */
  readonly logpOld: Float32Array;
  /** The row's advantage (plus its per-token bonus) at its policy positions (0 where mask is 0). */
  readonly adv: Float32Array;
}

/**
 * Rows packed like SFT's (data.ts): tokens = sequence[t], target = sequence[t + 1]; position t
 * is a policy position when t + 1 ≥ the prompt length, i.e. its target was sampled by the policy.
 */
export function packRows(rows: readonly GrpoRow[], seq: number, pad = 0): PackedRows {
  const n = rows.length;
  const tokens = new BigInt64Array(n * seq).fill(BigInt(pad));
  const targets = new BigInt64Array(n * seq).fill(BigInt(pad));
  const mask = new Float32Array(n * seq);
  const logpOld = new Float32Array(n * seq);
  const adv = new Float32Array(n * seq);
  rows.forEach((r, b) => {
    const s = r.sequence;
    if (s.length > seq + 1) throw new RangeError(`packRows: row ${b} has ${s.length} tokens; the context holds ${seq + 1}`);
    for (let t = 0; t < seq; t++) {
      if (t < s.length) tokens[b * seq + t] = BigInt(s[t]);
      if (t + 1 < s.length) {
        targets[b * seq + t] = BigInt(s[t + 1]);
        if (t + 1 >= r.promptLength) {
          mask[b * seq + t] = 1;
          logpOld[b * seq + t] = r.logProbs[t + 1 - r.promptLength];
          adv[b * seq + t] = r.advantage + (r.bonus?.[t + 1 - r.promptLength] ?? 0);
        }
      }
    }
  });
  return { size: n, seq, tokens, targets, mask, logpOld, adv };
}

/**
 * The per-position loss weights from the mask: 'token' divides by the minibatch's policy tokens
 * (every token counts the same, as Dr. GRPO), 'sequence' by each row's own policy tokens and the
 * number of rows (per-sequence mean, then mean over sequences, as the GRPO paper). Weights sum to 1.
 */
export function lossWeights(mask: Float32Array, size: number, seq: number, mode: 'token' | 'sequence'): Float32Array {
  const w = new Float32Array(mask.length);
  if (mode === 'token') {
    let total = 0;
    for (const m of mask) total += m;
    if (total > 0) for (let i = 0; i < mask.length; i++) w[i] = mask[i] / total;
    return w;
  }
  const rows = Array.from({ length: size }, (_, b) => mask.subarray(b * seq, (b + 1) * seq).reduce((a, m) => a + m, 0));
  const live = rows.filter((n) => n > 0).length;
  for (let b = 0; b < size; b++) for (let t = 0; t < seq; t++) if (rows[b] > 0) w[b * seq + t] = mask[b * seq + t] / (rows[b] * live);
  return w;
}
