import { z } from 'zod';
import { ScenarioBase } from '../base.js';

// Placeholder: the guessing family owner replaces this with the full data schema.
export const GuessingScenario = ScenarioBase.extend({
  family: z.literal('guessing'),
});
export type GuessingScenario = z.infer<typeof GuessingScenario>;
