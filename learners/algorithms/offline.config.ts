import { z } from 'zod';

/** Fields every offline algorithm config ends with (each `<algo>.config.ts` spreads these last, so the key order of saved configs is unchanged). */
export const OfflineBaseConfig = {
  steps: z.int().positive().default(3000).describe('gradient steps (default 3000)'),
  batchSize: z.int().positive().default(256).describe('transitions per minibatch, drawn with replacement (default 256)'),
  lr: z.number().positive().default(1e-3).describe('Adam learning rate (default 1e-3)'),
  hidden: z.array(z.int().positive()).min(1).default([256, 256]).describe('hidden layer widths of the MLP trunk (default [256, 256])'),
  activation: z.enum(['relu', 'tanh', 'gelu']).default('relu').describe('hidden activation (default relu)'),
  weightDecay: z.number().nonnegative().default(0).describe('AdamW decoupled weight decay; 0 = plain Adam (default 0)'),
  clipNorm: z.number().positive().default(10).describe('global gradient-norm clip (default 10)'),
};
