import { z } from 'zod';

/**
 * Behaviour cloning: imitate every action of the dataset (masked softmax cross-entropy over the
 * valid actions). Defaults suit the built-in scenarios on a laptop CPU.
 */
export const BcConfig = z.strictObject({
  steps: z.int().positive().default(3000).describe('gradient steps (default 3000)'),
  batchSize: z.int().positive().default(256).describe('transitions per minibatch, drawn with replacement (default 256)'),
  lr: z.number().positive().default(1e-3).describe('Adam learning rate (default 1e-3)'),
  hidden: z.array(z.int().positive()).min(1).default([256, 256]).describe('hidden layer widths of the MLP (default [256, 256])'),
  activation: z.enum(['relu', 'tanh', 'gelu']).default('relu').describe('hidden activation (default relu)'),
  weightDecay: z.number().nonnegative().default(0).describe('AdamW decoupled weight decay; 0 = plain Adam (default 0)'),
  clipNorm: z.number().positive().default(10).describe('global gradient-norm clip (default 10)'),
});
export type BcConfig = z.infer<typeof BcConfig>;
