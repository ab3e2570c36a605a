import type { FamilyName } from '../../scenarios/schema.js';
import type { AnyFamily } from '../family.js';
import { preferenceFamily } from './preference/index.js';
import { tutoringFamily } from './tutoring/index.js';
import { guessingFamily } from './guessing/index.js';

/** Family logic by name: a scenario's `family` field picks one. */
export const FAMILIES: Record<FamilyName, AnyFamily> = {
  'preference-elicitation': preferenceFamily,
  tutoring: tutoringFamily,
  guessing: guessingFamily,
};

export function familyOf(name: FamilyName): AnyFamily {
  return FAMILIES[name];
}
