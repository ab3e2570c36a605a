import { z } from 'zod';
import { ScenarioBase } from '../base.js';

// Placeholder: the preference-elicitation family owner replaces this with the full data schema.
export const PreferenceScenario = ScenarioBase.extend({
  family: z.literal('preference-elicitation'),
});
export type PreferenceScenario = z.infer<typeof PreferenceScenario>;
