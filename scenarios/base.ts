import { z } from 'zod';

/** How the imagined user behaves, whatever the family: people are noisy, vague, chatty and impatient. */
export const UserBehaviour = z
  .strictObject({
    patience: z
      .strictObject({
        min: z.int().min(1).describe('fewest agent turns a user tolerates before they may leave'),
        max: z.int().min(1).describe('most agent turns a user tolerates before they may leave'),
      })
      .refine((p) => p.max >= p.min, { message: 'patience.max must be at least patience.min' })
      .describe('each persona draws its patience uniformly from [min, max]'),
    noise: z.number().min(0).max(0.5).default(0.1).describe('probability that an answer is wrong'),
    vagueness: z.number().min(0).max(1).default(0.15).describe('probability that an answer is vague ("not sure")'),
    volunteer: z.number().min(0).max(1).default(0.1).describe('probability of volunteering an unasked fact'),
    styles: z
      .array(z.object({ name: z.enum(['terse', 'chatty', 'formal', 'casual']), weight: z.number().positive() }))
      .min(1)
      .default([{ name: 'casual', weight: 1 }])
      .describe('persona styles for the user\'s wording, drawn by weight'),
  })
  .describe('imagined-user behaviour shared by every family');
export type UserBehaviour = z.infer<typeof UserBehaviour>;
export type UserStyle = UserBehaviour['styles'][number]['name'];

/** Fields every scenario has; each family extends this with its own world data. */
export const ScenarioBase = z.strictObject({
  id: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]*$/, 'id must be lowercase letters, digits and dashes, e.g. "travel-agent"'),
  version: z.string().regex(/^\d+\.\d+\.\d+$/, 'version must look like 1.0.0'),
  title: z.string().min(1),
  description: z.string().default(''),
  maxTurns: z.int().min(1).max(200).describe('agent turns before the conversation is cut (turn-limit)'),
  user: UserBehaviour,
});
