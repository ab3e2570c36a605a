import { z } from 'zod';
import { OnlineBaseConfig } from './online.config.js';

/**
 * PPO (clip): GAE(λ) advantages from a learned value function, clipped surrogate, value loss,
 * entropy bonus, minibatch epochs, approximate-KL early stop. Defaults follow cleanrl's ppo.py
 * scaled to dialogue episodes (a few turns each).
 */
export const PpoConfig = z.strictObject({
  ...OnlineBaseConfig,
  lambda: z.number().min(0).max(1).default(0.95).describe('GAE λ (default 0.95)'),
  clip: z.number().positive().default(0.2).describe('surrogate clip ε: ratios outside [1−ε, 1+ε] give no gradient on the clipped side (default 0.2)'),
  vfCoef: z.number().nonnegative().default(0.5).describe('value-loss weight (default 0.5)'),
  clipValue: z.boolean().default(false).describe('clip the value update to ±clip around the old value (default false)'),
  normAdv: z.boolean().default(true).describe('normalise advantages over the iteration\'s steps (default true)'),
  targetKl: z.number().positive().nullable().default(0.05).describe('stop the iteration\'s epochs when a minibatch\'s approximate KL exceeds this; null: never (default 0.05)'),
});
export type PpoConfig = z.infer<typeof PpoConfig>;
