import type { GuessingScenario } from '../../../scenarios/families/guessing.js';
import type { Family } from '../../family.js';
import { unfinishedFamily } from '../unfinished.js';

// Placeholder until the guessing family is written.
export const guessingFamily: Family<GuessingScenario> = unfinishedFamily('guessing');
