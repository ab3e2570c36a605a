import type { PreferenceScenario } from '../../../scenarios/families/preference.js';
import type { Family } from '../../family.js';
import { unfinishedFamily } from '../unfinished.js';

// Placeholder until the preference-elicitation family is written.
export const preferenceFamily: Family<PreferenceScenario> = unfinishedFamily('preference-elicitation');
