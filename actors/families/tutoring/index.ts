import type { TutoringScenario } from '../../../scenarios/families/tutoring.js';
import type { Family } from '../../family.js';
import { compile } from './model.js';
import { initState, samplePersona } from './persona.js';
import type { TutoringPersona, TutoringState } from './persona.js';
import { open, respond } from './student.js';
import { finish, judge } from './verifier.js';
import { initialView, mask, updateView } from './view.js';
import type { TutoringView } from './view.js';
import { renderAgent, renderUser } from './nlg.js';
import { heuristic, oracle } from './strategies.js';

export type { TutoringPersona, TutoringState } from './persona.js';
export type { TutoringView } from './view.js';
export { heuristic as tutoringHeuristic, oracle as tutoringOracle, randomValid } from './strategies.js';
export type { HeuristicOptions } from './strategies.js';

/**
 * Tutoring: a student with hidden per-concept mastery, learning rate and level preference.
 * Catalogue, per concept in scenario order: quiz, explain at each level, exercise; then `end`.
 */
export const tutoringFamily: Family<TutoringScenario, TutoringPersona, TutoringState, TutoringView> = {
  name: 'tutoring',
  actions: (s) => compile(s).actions,
  samplePersona,
  init: (s, p) => initState(s, p),
  open,
  respond,
  judge: (s, p, before, agent) => judge(s, p, before, agent),
  finish,
  initialView,
  updateView,
  mask,
  renderAgent,
  renderUser,
  heuristic: (s, obs) => heuristic(s, obs),
  oracle: (s, obs, p, st) => oracle(s, obs, p, st),
};
