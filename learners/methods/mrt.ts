/**
 * MRT (Qu et al. 2025, "Optimizing test-time compute via meta reinforcement fine-tuning") as a
 * {@link Shaper} of the token-level GRPO, and its evaluation metric, cumulative regret.
 *
 * **Progress** (`variant: 'progress'`): each sampled thought is split into episodes z_0..z_{k−1}
 * at the separator (at most `maxEpisodes`, consecutive segments merged beyond that); the
 * meta-prover (meta-prover.ts) estimates J_e = P(correct | answer forced after episode e) from
 * `samples` forced answers, e = −1 being the empty thought. The progress of episode e is
 * J_e − J_{e−1} (Definition 6.1), and α·progress is added to the advantage of episode e's tokens
 * (its leading separator included: the choice to start another episode) after GRPO's group
 * normalisation of the outcome reward. Why leading: a trailing separator would pay a solving
 * episode's progress also on the `<sep>` that opens one more (possibly useless) episode, but not
 * on the `</think>` that stops: a bias towards writing on after solving (seen in our first full
 * run: MRT kept checks GRPO dropped). With the leading one, stopping and continuing after an
 * episode are paid alike, and what follows is paid by the progress it makes.
 * Why per token: the sum of an episode's progress over the trace telescopes to J_{k−1} − J_{−1},
 * so adding Σ progress to the outcome reward (`placement: 'reward'`, kept as an option) only
 * rewards the last forced answer and loses the per-episode credit the paper is after.
 *
 * **Termination baseline** (`variant: 'termination'`, the paper's RL variant): for each sample a
 * random episode boundary e* ∈ {−1, …, k−2} is drawn; the terminate-now value there is
 * J_{e*} (the mean reward of `samples` forced answers) and every token after the prefix gets
 * α·(R − J_{e*}), the advantage of continuing over stopping. Ours: the authors restart fresh
 * continuations from a stale prefix; we score the on-policy sample's own continuation, and keep
 * GRPO's group advantage on the whole completion (the bonus is added to it).
 *
 * Constants: α = 1 is the authors' code (the paper gives none); temperature 0.7 and top-p 0.95 of
 * the forced answers are the authors' code; `samples` 4 (authors: 8), `maxEpisodes` 6 (the
 * authors' online variant) and `answerTokens` 8 are ours.
 */
import { z } from 'zod';
import { Rng, deriveSeed } from '../../scenarios/random.js';
import type { Span } from '../../scenarios/reasoning/index.js';
import type { Shaper } from '../reasoning/grpo.js';
import { episodes, estimateJ, prefixThrough, querySeed, type PrefixQuery } from './meta-prover.js';

export const MrtConfig = z.strictObject({
  variant: z.enum(['progress', 'termination']).default('progress'),
  /** Weight α of the progress (or termination) bonus (authors' code: 1.0; the paper gives none). */
  alpha: z.number().min(0).default(1),
  /** 'tokens': α·progress on each episode's tokens (default); 'reward': α·Σ progress added to the outcome reward (see the module comment). Progress variant only. */
  placement: z.enum(['tokens', 'reward']).default('tokens'),
  /** Forced answers per prefix, m (ours: 4; authors: 8). */
  samples: z.number().int().positive().default(4),
  /** Episodes per thought at most; more segments are merged into this many runs (ours, after the authors' ≤ 6). */
  maxEpisodes: z.number().int().positive().default(6),
  /** Sampling of the forced answers (authors' code: 0.7, top-p 0.95). */
  temperature: z.number().min(0).default(0.7),
  topP: z.number().gt(0).max(1).default(0.95),
  /** Most tokens of a forced answer (ours). */
  answerTokens: z.number().int().positive().default(8),
});
export type MrtConfig = z.infer<typeof MrtConfig>;
export type MrtConfigInput = z.input<typeof MrtConfig>;

/**
 * Per-token bonus of a completion of `length` tokens: α·(J_e − J_{e−1}) on the tokens of episode e,
 * which run from the previous episode's end (the separator that opens e included; the first from
 * its start) to its own end. `j[0]` is J of the empty thought, `j[e + 1]` J after episode e. Other
 * tokens (`<think>`, and `</think>` and the answer after the last episode) get 0.
 */
export function progressBonus(j: readonly number[], eps: readonly Span[], length: number, alpha: number): number[] {
  if (j.length !== eps.length + 1) throw new RangeError(`progressBonus: ${eps.length} episodes need ${eps.length + 1} J values, got ${j.length}`);
  const bonus = new Array<number>(length).fill(0);
  eps.forEach((ep, e) => {
    const from = e > 0 ? eps[e - 1].end : ep.start;
    for (let t = from; t < Math.min(ep.end, length); t++) bonus[t] = alpha * (j[e + 1] - j[e]);
  });
  return bonus;
}

/** One point of an anytime curve: J after `t` completion tokens. */
export interface CurvePoint {
  readonly t: number;
  readonly j: number;
}

/**
 * The anytime curve of a completion: (0, J_{−1}) and (end of episode e, J_e) for each episode; J
 * is piecewise linear between points and stays at the last value after it (the policy stopped).
 */
export function anytimeCurve(j: readonly number[], eps: readonly Span[]): CurvePoint[] {
  if (j.length !== eps.length + 1) throw new RangeError(`anytimeCurve: ${eps.length} episodes need ${eps.length + 1} J values, got ${j.length}`);
  return [{ t: 0, j: j[0] }, ...eps.map((ep, e) => ({ t: ep.end, j: j[e + 1] }))];
}

/** ∫_0^{C0} J(t) dt of a curve (points in increasing t; before the first point J is the first value). */
export function curveIntegral(points: readonly CurvePoint[], budget: number): number {
  if (!(budget > 0)) throw new RangeError(`curveIntegral: the budget must be positive, got ${budget}`);
  if (points.length === 0) throw new RangeError('curveIntegral: the curve has no points');
  let area = Math.min(points[0].t, budget) * points[0].j;
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1];
    const b = points[i];
    if (b.t < a.t) throw new RangeError(`curveIntegral: points must be in increasing t (${a.t} then ${b.t})`);
    if (a.t >= budget) break;
    const end = Math.min(b.t, budget);
    const jEnd = b.t === a.t ? b.j : a.j + ((b.j - a.j) * (end - a.t)) / (b.t - a.t);
    area += ((a.j + jEnd) / 2) * (end - a.t);
  }
  const last = points[points.length - 1];
  if (last.t < budget) area += (budget - last.t) * last.j;
  return area;
}

/** Normalised regret at token budget C0 against an oracle with J* = 1: 1 − (1/C0)∫_0^{C0} J(t) dt. */
export function normalisedRegret(points: readonly CurvePoint[], budget: number): number {
  return 1 - curveIntegral(points, budget) / budget;
}

/** Tokens written after the first prefix whose J is 1 (null when no prefix reaches it). */
export function tokensAfterSolved(points: readonly CurvePoint[], length: number): number | null {
  const first = points.find((p) => p.j >= 1);
  return first ? Math.max(0, length - first.t) : null;
}

/**
 * MRT as a GRPO shaper (see the module comment). Metrics: `mrt_j_empty`, `mrt_j_final` (mean J
 * of the empty and of the whole thought), `mrt_progress` (mean progress per episode),
 * `mrt_episodes`, `mrt_bonus` (mean |bonus| over completion tokens), `mrt_solved_tokens` (mean
 * tokens after the first prefix with J = 1, 0 when none), `mrt_meta_tokens` (tokens the meta-prover decoded), `mrt_meta_seconds`; termination: `mrt_j_cut`.
 */
export function mrtShaper(input: MrtConfigInput = {}): Shaper {
  const config = MrtConfig.parse(input);
  return {
    id: { method: 'mrt', ...config },
    async shape(groups, ctx) {
      const started = Date.now();
      const stats = { runs: 0, tokens: 0, seconds: 0 };
      const meta = { samples: config.samples, sampling: { temperature: config.temperature, topP: config.topP }, answerTokens: config.answerTokens, seq: ctx.seq, batchSize: ctx.decodeBatch };
      const label = `mrt:${ctx.iteration}`;
      // what to ask the meta-prover, sample by sample
      const plans = groups.map((g, gi) =>
        g.samples.map((s, si) => {
          const eps = episodes(s.completion, ctx.task, config.maxEpisodes);
          const at = config.variant === 'progress' ? Array.from({ length: eps.length + 1 }, (_, i) => i - 1) : eps.length === 0 ? [] : [Rng.from(deriveSeed(g.prompt.seed, `${label}:cut:${si}`)).int(eps.length) - 1];
          const queries: PrefixQuery[] = at.map((e) => {
            const prefix = prefixThrough(s.completion, eps, e, ctx.task);
            return { problem: g.prompt.problem, prefix, seed: querySeed(g.prompt.seed, label, prefix) };
          });
          return { gi, si, eps, at, queries };
        }),
      );
      const flat = plans.flat();
      const js = await estimateJ(ctx.task, ctx.kv, flat.flatMap((p) => p.queries), meta, stats);
      let cursor = 0;
      const sums = { empty: 0, final: 0, progress: 0, episodes: 0, bonus: 0, tokens: 0, solved: 0, n: 0, nEp: 0 };
      const rewards: number[][] = groups.map((g) => g.samples.map((s) => s.reward));
      const bonus: (number[] | undefined)[][] = groups.map((g) => g.samples.map(() => undefined));
      for (const p of flat) {
        const j = js.slice(cursor, cursor + p.queries.length);
        cursor += p.queries.length;
        const s = groups[p.gi].samples[p.si];
        const n = s.completion.length;
        sums.n++;
        sums.episodes += p.eps.length;
        sums.tokens += n;
        let b: number[];
        if (config.variant === 'progress') {
          sums.empty += j[0];
          sums.final += j[j.length - 1];
          sums.progress += j[j.length - 1] - j[0];
          sums.nEp += p.eps.length;
          sums.solved += tokensAfterSolved(anytimeCurve(j, p.eps), n) ?? 0;
          if (config.placement === 'reward') {
            rewards[p.gi][p.si] += config.alpha * (j[j.length - 1] - j[0]);
            continue;
          }
          b = progressBonus(j, p.eps, n, config.alpha);
        } else {
          b = new Array<number>(n).fill(0);
          if (p.at.length === 1) {
            const cut = p.at[0];
            const from = cut < 0 ? (s.completion[0] === ctx.task.tokenizer.think ? 1 : 0) : p.eps[cut].end;
            for (let t = from; t < n; t++) b[t] = config.alpha * (s.reward - j[0]);
            sums.empty += j[0];
          }
        }
        sums.bonus += b.reduce((a, x) => a + Math.abs(x), 0);
        bonus[p.gi][p.si] = b;
      }
      const d = Math.max(1, sums.n);
      const metrics: Record<string, number> = {
        mrt_episodes: sums.episodes / d,
        mrt_bonus: sums.tokens > 0 ? sums.bonus / sums.tokens : 0,
        mrt_meta_tokens: stats.tokens,
        mrt_meta_seconds: (Date.now() - started) / 1000,
      };
      if (config.variant === 'progress') {
        metrics.mrt_j_empty = sums.empty / d;
        metrics.mrt_j_final = sums.final / d;
        metrics.mrt_progress = sums.nEp > 0 ? sums.progress / sums.nEp : 0;
        metrics.mrt_solved_tokens = sums.solved / d;
      } else metrics.mrt_j_cut = sums.empty / d;
      return config.placement === 'reward' && config.variant === 'progress' ? { rewards, metrics } : { rewards, bonus, metrics };
    },
  };
}
