import { z } from 'zod';
import { OfflineBaseConfig } from './offline.config.js';

/**
 * IQL with advantage-weighted regression (Kostrikov et al. 2022; Peng et al. 2019): V and twin Q
 * by expectile and Bellman regression as in ILQL (without the conservative term), and a policy
 * head fitted to the data actions weighted by exp(β·A), clipped.
 */
export const AwrConfig = z.strictObject({
  gamma: z.number().min(0).max(1).default(0.99).describe('discount of the Bellman target r + γ(1 − done)V(s′) (default 0.99)'),
  tau: z.number().gt(0).lt(1).default(0.7).describe('expectile of V against min(Q1, Q2) of the target network (default 0.7)'),
  beta: z.number().nonnegative().default(2).describe('inverse temperature of the weights exp(β(Q̂(s,a) − V(s))) (default 2)'),
  maxWeight: z.number().positive().default(100).describe('the weights are clipped to at most this (default 100)'),
  separatePolicy: z.boolean().default(true).describe('the policy on its own MLP trunk (true), or sharing the Q/V trunk (false) (default true)'),
  targetRate: z.number().gt(0).max(1).default(0.01).describe('Polyak rate of the target Q network (default 0.01)'),
  rewardScale: z.number().positive().default(1).describe('rewards are multiplied by this before the Bellman target (default 1)'),
  ...OfflineBaseConfig,
});
export type AwrConfig = z.infer<typeof AwrConfig>;
