/**
 * RLSP (Ye et al. 2025, "On the emergence of thinking in LLMs I"): the verifier's outcome reward
 * plus a decoupled **exploration** term that rewards longer thoughts, as a {@link Shaper} of the
 * token-level GRPO (learners/reasoning/grpo.ts). As in the authors' reward server
 * (`orm_server_efficient.py`):
 *
 *   r = noAnswer                          when the completion gives no answer
 *     = 1[correct]                        otherwise                         (the verifier)
 *   r ← r − C / L                         L = thought length in tokens (everything before
 *                                         `<answer>`; the whole completion when there is none)
 *   r ← (1 − judge)·r + judge·effort      optional; the paper mixes 0.8·r + 0.2·(LLM effort grade)
 *
 * −C/L is ≤ 0 and rises with L but saturates: it punishes short thoughts hard and pays little for
 * very long ones, so at long lengths the verifier dominates (how the paper keeps the exploration
 * term from being hacked). Modes: 'rlsp' (all of the above), 'verifier' (C and the judge off: the
 * baseline), 'exploration' (the length term and the no-answer penalty without the verifier: the
 * reward-hacking arm).
 *
 * Under GRPO (not the paper's PPO) rewards are normalised within each prompt's group: in a group
 * whose samples are all right or all wrong, the −C/L differences alone set the advantages, scaled
 * to unit spread, so the exploration term weighs far more than its size suggests.
 *
 * Constants: noAnswer −0.5 is the authors' code. C = 8 is ours (the code used 0 or 1000 on
 * characters/4 ≈ tokens of math chains thousands of tokens long; our thoughts are 10–60 tokens,
 * and C = 8 makes the term 0.1–0.8, the share of the verifier's 1 that C = 1000 has at 1–10k
 * tokens). The effort judge is ours too: the paper's is GPT-4o-mini grading "thinking effort"
 * (diversity, depth, persistence, never correctness); {@link effortScore} is a scripted stand-in
 * reading only the thought's structure.
 *
 * @example
 * await runGrpo({ scenario: 'digit-sum', init: 'runs/sft', out: 'runs/rlsp', levels: [{ level: 3, weight: 1 }] },
 *               { shaper: rlspShaper({ C: 8 }) });
 */
import { z } from 'zod';
import { parseCompletion, type Tokenizer } from '../../scenarios/reasoning/index.js';
import type { Shaper } from '../reasoning/grpo.js';

export const RlspConfig = z.strictObject({
  /** 'rlsp': verifier − C/L (+ judge); 'verifier': the outcome alone (baseline); 'exploration': −C/L without the verifier (the reward-hacking arm). */
  mode: z.enum(['rlsp', 'verifier', 'exploration']).default('rlsp'),
  /** The length coefficient C of −C/L, L in tokens (ours: 8; see the module comment). */
  C: z.number().min(0).default(8),
  /** Reward of a completion without an answer (authors' code: −0.5). */
  noAnswer: z.number().default(-0.5),
  /** Weight of the effort judge in (1 − judge)·r + judge·effort (paper: 0.2 with its LLM judge; 0 = off, the default). */
  judge: z.number().min(0).max(1).default(0),
  /** Distinct thought segments at which the stand-in judge's breadth part saturates (ours). */
  judgeSegments: z.number().int().positive().default(8),
});
export type RlspConfig = z.infer<typeof RlspConfig>;
export type RlspConfigInput = z.input<typeof RlspConfig>;

/** What the reward reads of one completion. */
export interface RlspInput {
  /** Whether the completion gives an answer (an `<answer> … </answer>` span that is not empty). */
  readonly answered: boolean;
  /** Whether the verifier accepts it (well-formed and right). */
  readonly correct: boolean;
  /** Thought length L in tokens (clamped to ≥ 1 by the reward). */
  readonly length: number;
  /** The effort judge's grade in [0, 1] (used only when `judge` > 0). */
  readonly effort?: number;
}

/** The RLSP reward of one completion (see the module comment). */
export function rlspReward(input: RlspInput, config: RlspConfig): number {
  const verifier = input.answered ? (input.correct ? 1 : 0) : config.noAnswer;
  if (config.mode === 'verifier') return verifier;
  const base = config.mode === 'exploration' ? (input.answered ? 0 : config.noAnswer) : verifier;
  const r = base - config.C / Math.max(1, input.length);
  if (config.judge === 0 || config.mode === 'exploration') return r;
  const effort = input.effort ?? 0;
  if (!(effort >= 0 && effort <= 1)) throw new RangeError(`rlspReward: the effort grade must be in [0, 1], got ${effort}`);
  return (1 - config.judge) * r + config.judge * effort;
}

/** The thought's structure: segments, distinct segments, and whether it checks (`<check>`) or backtracks (`<back>`). */
export interface ThoughtStats {
  readonly answered: boolean;
  /** Tokens before `<answer>` (the whole completion, up to `<eos>`, when there is no answer). */
  readonly length: number;
  readonly segments: number;
  readonly distinct: number;
  readonly checks: number;
  readonly backs: number;
}

/** Reads a completion's thought (ids as the policy wrote them). */
export function thoughtStats(completion: readonly number[], tok: Tokenizer): ThoughtStats {
  const parsed = parseCompletion(completion, tok);
  const answered = parsed.answer !== null && parsed.answer.end > parsed.answer.start;
  const length = answered && parsed.answer ? parsed.answer.start - 1 : parsed.length;
  const texts = parsed.segments.map((s) => completion.slice(s.start, s.end).join(' '));
  const check = tok.has('<check>') ? tok.id('<check>') : -1;
  const back = tok.has('<back>') ? tok.id('<back>') : -1;
  const thought = completion.slice(0, length);
  return {
    answered,
    length,
    segments: texts.length,
    distinct: new Set(texts).size,
    checks: thought.filter((x) => x === check).length,
    backs: thought.filter((x) => x === back).length,
  };
}

/**
 * The stand-in effort judge (ours, not the paper's LLM): 0.6·min(1, distinct segments /
 * `saturate`) + 0.2·[the thought checks a step] + 0.2·[it backtracks]. It reads only the structure
 * of the thought, never the answer, as the paper's judge prompt demands.
 */
export function effortScore(stats: Pick<ThoughtStats, 'distinct' | 'checks' | 'backs'>, saturate: number): number {
  return 0.6 * Math.min(1, stats.distinct / saturate) + (stats.checks > 0 ? 0.2 : 0) + (stats.backs > 0 ? 0.2 : 0);
}

/**
 * The RLSP reward as a GRPO shaper. Metrics (means over the iteration's samples): `rlsp_length`
 * (L), `rlsp_answered`, `rlsp_check_rate` and `rlsp_back_rate` (share of thoughts with a `<check>`
 * / `<back>`), `rlsp_length_term` (−C/L), and `rlsp_effort` when the judge is on.
 */
export function rlspShaper(input: RlspConfigInput = {}): Shaper {
  const config = RlspConfig.parse(input);
  return {
    id: { method: 'rlsp', ...config },
    async shape(groups, ctx) {
      const tok = ctx.task.tokenizer;
      const sums = { length: 0, answered: 0, check: 0, back: 0, term: 0, effort: 0 };
      let n = 0;
      const rewards = groups.map((g) =>
        g.samples.map((s) => {
          const st = thoughtStats(s.completion, tok);
          const effort = effortScore(st, config.judgeSegments);
          n++;
          sums.length += st.length;
          sums.answered += st.answered ? 1 : 0;
          sums.check += st.checks > 0 ? 1 : 0;
          sums.back += st.backs > 0 ? 1 : 0;
          sums.term += config.mode === 'verifier' ? 0 : -config.C / Math.max(1, st.length);
          sums.effort += effort;
          return rlspReward({ answered: st.answered, correct: s.correct, length: st.length, effort }, config);
        }),
      );
      const d = Math.max(1, n);
      const metrics: Record<string, number> = {
        rlsp_length: sums.length / d,
        rlsp_answered: sums.answered / d,
        rlsp_check_rate: sums.check / d,
        rlsp_back_rate: sums.back / d,
        rlsp_length_term: sums.term / d,
      };
      if (config.judge > 0) metrics.rlsp_effort = sums.effort / d;
      return { rewards, metrics };
    },
  };
}
