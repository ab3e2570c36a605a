import { z } from 'zod';
import { PreferenceScenario } from './families/preference.js';
import { TutoringScenario } from './families/tutoring.js';
import { GuessingScenario } from './families/guessing.js';

/** The scenario file schema: the single source of truth (types and JSON Schema derive from it). */
export const Scenario = z.discriminatedUnion('family', [PreferenceScenario, TutoringScenario, GuessingScenario]);
export type Scenario = z.infer<typeof Scenario>;
export type FamilyName = Scenario['family'];
export const FAMILY_NAMES = ['preference-elicitation', 'tutoring', 'guessing'] as const satisfies readonly FamilyName[];

export { PreferenceScenario, TutoringScenario, GuessingScenario };
