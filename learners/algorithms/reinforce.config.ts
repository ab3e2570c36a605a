import { z } from 'zod';
import { OnlineBaseConfig } from './online.config.js';

/**
 * REINFORCE with a learned baseline: ∇ = E[(G_t − V(s_t)) ∇log π(a_t|s_t)], G_t the discounted
 * return-to-go; V fitted by MSE to G_t. One pass over each batch (on-policy; epochs = 1).
 */
export const ReinforceConfig = z.strictObject({
  ...OnlineBaseConfig,
  epochs: z.int().positive().default(1).describe('passes per iteration (default 1: the estimator is on-policy)'),
  minibatchSize: z.int().positive().default(4096).describe('steps per gradient step (default 4096: the whole iteration at once)'),
  vfCoef: z.number().nonnegative().default(0.5).describe('baseline (value) loss weight (default 0.5)'),
  normAdv: z.boolean().default(true).describe('normalise G − V over the iteration\'s steps (default true)'),
});
export type ReinforceConfig = z.infer<typeof ReinforceConfig>;
