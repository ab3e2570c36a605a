import { z } from 'zod';
import { OfflineBaseConfig } from './offline.config.js';

/**
 * Implicit Language Q-Learning at the utterance level (Snell et al. 2023, as used by Hong et al.
 * 2023): one action = one dialogue act of the scenario's catalogue. Defaults are tuned on the
 * built-in scenarios (see bench/RESULTS.md, "Offline RL (issue 5): training").
 */
export const IlqlConfig = z.strictObject({
  gamma: z.number().min(0).max(1).default(0.99).describe('discount of the Bellman target r + γ(1 − done)V(s′) (default 0.99)'),
  tau: z.number().gt(0).lt(1).default(0.7).describe('expectile of V against min(Q1, Q2) of the target network; 0.5 = SARSA mean, → 1 = max (default 0.7)'),
  beta: z.number().nonnegative().default(4).describe('decoding: π(a|s) ∝ π_BC(a|s)·exp(β(Q(s,a) − V(s))) over the valid actions (default 4)'),
  cqlWeight: z.number().nonnegative().default(0.5).describe('weight of the conservative term logsumexp_valid Q(s,·) − Q(s,a), per Q head (default 0.5)'),
  targetRate: z.number().gt(0).max(1).default(0.01).describe('Polyak rate of the target Q network: θ′ ← (1 − rate)θ′ + rate·θ each step (default 0.01)'),
  separatePolicy: z.boolean().default(true).describe('π_BC on its own MLP trunk (true), or sharing the Q/V trunk (false) (default true)'),
  bcWeight: z.number().nonnegative().default(1).describe('weight of the π_BC cross-entropy head (default 1)'),
  rewardScale: z.number().positive().default(1).describe('rewards are multiplied by this before the Bellman target (default 1)'),
  ...OfflineBaseConfig,
});
export type IlqlConfig = z.infer<typeof IlqlConfig>;
