import type { TutoringScenario } from '../../../scenarios/families/tutoring.js';
import type { Family } from '../../family.js';
import { unfinishedFamily } from '../unfinished.js';

// Placeholder until the tutoring family is written.
export const tutoringFamily: Family<TutoringScenario> = unfinishedFamily('tutoring');
