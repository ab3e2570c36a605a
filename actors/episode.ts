import { z } from 'zod';
import { END_REASONS } from './acts.js';

const ArgValue = z.union([z.string(), z.number(), z.boolean()]);
export const ActSchema = z.object({ type: z.string(), args: z.record(z.string(), ArgValue).optional() });

export const TurnSchema = z.object({
  speaker: z.enum(['agent', 'user']),
  act: ActSchema,
  text: z.string(),
  /** Reward of an agent turn (the verifier's judgement, the final reward added to the last one); 0 for user turns. */
  reward: z.number(),
  /** Agent turns: index into the action catalogue. */
  action: z.int().nonnegative().optional(),
  /** Agent turns: behaviour log-probability when the policy reports one. */
  logprob: z.number().optional(),
});
export type Turn = z.infer<typeof TurnSchema>;

/** What one rollout produces and a dataset stores, one JSON line per episode. */
export const EpisodeSchema = z.object({
  id: z.string(),
  index: z.int().nonnegative(),
  scenario: z.object({ id: z.string(), version: z.string(), hash: z.string() }),
  /** The episode's own seed, derived from the run seed and index. */
  seed: z.int().nonnegative(),
  policy: z.string(),
  /** The hidden persona (never shown to the agent; kept for analysis and the oracle). */
  persona: z.unknown(),
  turns: z.array(TurnSchema),
  outcome: z.object({
    reason: z.enum(END_REASONS),
    success: z.boolean(),
    /** The verifier's final reward (already included in the last agent turn's reward). */
    finalReward: z.number(),
    details: z.record(z.string(), z.union([z.number(), z.string(), z.boolean()])).optional(),
    /** Set when the episode errored: the message, so the pool goes on and the dataset says what failed. */
    error: z.string().optional(),
  }),
  totals: z.object({ return: z.number(), agentTurns: z.int().nonnegative(), userTurns: z.int().nonnegative() }),
});
export type Episode = z.infer<typeof EpisodeSchema>;
