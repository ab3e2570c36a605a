import { z } from 'zod';
import { OnlineBaseConfig } from './online.config.js';

/**
 * GRPO: groups of G episodes played from the same seed (same persona and user) with different
 * action streams; every step of an episode gets its group-normalised return as advantage; clipped
 * surrogate; no critic; optional KL penalty to the initial (reference) policy.
 */
export const GrpoConfig = z.strictObject({
  ...OnlineBaseConfig,
  groupSize: z.int().min(2).default(8).describe('episodes per group (same seed, different action streams; default 8)'),
  clip: z.number().positive().default(0.2).describe('surrogate clip ε (default 0.2)'),
  klCoef: z.number().nonnegative().default(0).describe('weight of the k3 KL penalty to the reference (initial) policy; 0 = none (default 0)'),
  epsStd: z.number().positive().default(1e-4).describe('added to the group standard deviation (default 1e-4)'),
});
export type GrpoConfig = z.infer<typeof GrpoConfig>;
