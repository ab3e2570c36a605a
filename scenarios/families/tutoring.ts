import { z } from 'zod';
import { ScenarioBase } from '../base.js';

// Placeholder: the tutoring family owner replaces this with the full data schema.
export const TutoringScenario = ScenarioBase.extend({
  family: z.literal('tutoring'),
});
export type TutoringScenario = z.infer<typeof TutoringScenario>;
