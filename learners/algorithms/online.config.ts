import { z } from 'zod';

/** Fields every online algorithm config has (each `<algo>.config.ts` extends these). */
export const OnlineBaseConfig = {
  lr: z.number().positive().default(1e-3).describe('Adam learning rate (default 1e-3; 3e-4 learned several times slower on travel-agent; use 3e-4 to fine-tune an --init checkpoint)'),
  episodesPerIteration: z.int().positive().default(128).describe('episodes collected with one policy version before the update (default 128; 64 gave noisier updates and lower returns on teacher and twenty-questions)'),
  epochs: z.int().positive().default(4).describe('passes over the collected steps per iteration (default 4)'),
  minibatchSize: z.int().positive().default(128).describe('steps per gradient step (default 128)'),
  hidden: z.array(z.int().positive()).min(1).default([128, 128]).describe('hidden widths of the policy MLP and of the value MLP (default [128, 128])'),
  activation: z.enum(['relu', 'tanh', 'gelu']).default('tanh').describe('hidden activation (default tanh, as in most PPO baselines)'),
  skip: z.boolean().default(true).describe('add a linear map from the observation to the logits (and the value), zero at the start, beside the MLP (default true: it learned faster on all three dialogue scenarios)'),
  gamma: z.number().min(0).max(1).default(1).describe('discount (default 1: episodes are short and the return is what is evaluated)'),
  clipNorm: z.number().positive().default(0.5).describe('global gradient-norm clip (default 0.5)'),
  entCoef: z.number().nonnegative().default(0.01).describe('entropy bonus weight (default 0.01 with 128 episodes per iteration; 0.05 kept the teacher policy near uniform, 0.01 with 64 episodes collapsed early on travel-agent)'),
  maxPolicyLag: z.int().nonnegative().default(1).describe('drop trajectories whose policy version is older than the current one by more than this (default 1; the synchronous loop has lag 0)'),
};
