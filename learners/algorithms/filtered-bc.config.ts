import { z } from 'zod';

/**
 * Filtered behaviour cloning ("%BC"): imitate only the episodes whose return is in the top
 * `fraction` of the dataset; otherwise the same network and loss as BC.
 */
export const FilteredBcConfig = z.strictObject({
  fraction: z.number().gt(0).max(1).default(0.1).describe('share of episodes kept, best returns first (default 0.1)'),
  steps: z.int().positive().default(3000).describe('gradient steps (default 3000)'),
  batchSize: z.int().positive().default(256).describe('transitions per minibatch, drawn with replacement (default 256)'),
  lr: z.number().positive().default(1e-3).describe('Adam learning rate (default 1e-3)'),
  hidden: z.array(z.int().positive()).min(1).default([256, 256]).describe('hidden layer widths of the MLP (default [256, 256])'),
  activation: z.enum(['relu', 'tanh', 'gelu']).default('relu').describe('hidden activation (default relu)'),
  weightDecay: z.number().nonnegative().default(0).describe('AdamW decoupled weight decay; 0 = plain Adam (default 0)'),
  clipNorm: z.number().positive().default(10).describe('global gradient-norm clip (default 10)'),
});
export type FilteredBcConfig = z.infer<typeof FilteredBcConfig>;
