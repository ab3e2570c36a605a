import { z } from 'zod';
import { TurnSchema } from '../episode.js';

const Span = z.object({ start: z.int().nonnegative(), end: z.int().nonnegative() });

/** Why the policy stopped writing. */
export const REASONING_STOPS = ['eos', 'length', 'error'] as const;

/**
 * What one reasoning episode produces and a dataset stores, one JSON line per episode.
 *
 * Token layout: `tokens` = prompt ids then completion ids; `mask[t]` = 1 where `tokens[t]` was
 * written by the policy (t ≥ promptLength), 0 on the prompt (environment tokens). `logProbs[k]`
 * is the behaviour log-probability of `tokens[promptLength + k]` (null for the scripted reasoner).
 * `segments` and `answerSpan` index the *completion* (`tokens[promptLength + i]`), exactly as
 * `parseCompletion` returns them.
 *
 * The record also carries the dialogue Episode's envelope (`turns`: the prompt as the user's
 * turn, the completion as the agent's; `outcome`; `totals`), so it is a valid dialogue `Episode`
 * too: the dataset writer's resume check, `inspect` and the dataset statistics read it unchanged.
 */
export const ReasoningEpisodeSchema = z.object({
  kind: z.literal('reasoning'),
  id: z.string(),
  index: z.int().nonnegative(),
  scenario: z.object({ id: z.string(), version: z.string(), hash: z.string() }),
  task: z.string(),
  /** The episode's own seed: the problem and the policy's stream derive from it. */
  seed: z.int().nonnegative(),
  /** 1-based difficulty level. */
  level: z.int().positive(),
  /** The behaviour policy. */
  policy: z.string(),
  /** The problem's prompt as text (tokens joined by spaces). */
  prompt: z.string(),
  /** The completion as text. */
  completion: z.string(),
  promptLength: z.int().nonnegative(),
  /** Prompt + completion ids. */
  tokens: z.array(z.int().nonnegative()),
  /** Per token of `tokens`: 1 = written by the policy (trained on), 0 = prompt/environment. */
  mask: z.array(z.union([z.literal(0), z.literal(1)])),
  /** Behaviour log-prob per completion token; null when the policy has none (scripted). */
  logProbs: z.array(z.number()).nullable(),
  /** The thought's segments (episodes of reasoning), completion token ranges [start, end). */
  segments: z.array(Span),
  /** The answer's completion token range, when both answer tags are there. */
  answerSpan: Span.nullable(),
  /** The answer as text (null when there is no answer span). */
  answer: z.string().nullable(),
  /** The reference answer as text. */
  reference: z.string(),
  correct: z.boolean(),
  /** The verifier's score (partial credit where the task has it; 0 when the format is broken). */
  score: z.number(),
  formatOk: z.boolean(),
  /** Completion tokens written (through `<eos>`). */
  length: z.int().nonnegative(),
  stop: z.enum(REASONING_STOPS),
  /** What broke the format or the answer (absent when correct). */
  reason: z.string().optional(),
  // The dialogue envelope (see above).
  persona: z.null(),
  turns: z.array(TurnSchema),
  outcome: z.object({
    reason: z.enum(['success', 'failure', 'error']),
    success: z.boolean(),
    finalReward: z.number(),
    error: z.string().optional(),
  }),
  totals: z.object({ return: z.number(), agentTurns: z.int().nonnegative(), userTurns: z.int().nonnegative() }),
});
export type ReasoningEpisode = z.infer<typeof ReasoningEpisodeSchema>;

/** A reasoning episode as a prompt/completion pair (plus the same as chat messages) for SFT pipelines. */
export interface PromptCompletion {
  readonly prompt: string;
  readonly completion: string;
  readonly messages: readonly [{ readonly role: 'user'; readonly content: string }, { readonly role: 'assistant'; readonly content: string }];
  readonly id: string;
  readonly scenario: string;
  readonly level: number;
  readonly correct: boolean;
  readonly score: number;
}

export function toPromptCompletion(ep: ReasoningEpisode): PromptCompletion {
  return {
    prompt: ep.prompt,
    completion: ep.completion,
    messages: [{ role: 'user', content: ep.prompt }, { role: 'assistant', content: ep.completion }],
    id: ep.id,
    scenario: ep.scenario.id,
    level: ep.level,
    correct: ep.correct,
    score: ep.score,
  };
}
