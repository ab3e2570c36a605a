import type { GuessingScenario } from '../../../scenarios/families/guessing.js';
import type { Family } from '../../family.js';
import { compile } from './model.js';
import type { GuessingPersona, GuessingState } from './model.js';
import { samplePersona } from './persona.js';
import { init, open, respond } from './answerer.js';
import { finish, judge } from './verifier.js';
import { initialView, mask, updateView } from './view.js';
import type { GuessingView } from './view.js';
import { renderAgent, renderUser } from './nlg.js';
import { heuristic, oracle } from './strategies.js';

/**
 * Guessing (e.g. the built-in twenty-questions): the user thinks of an item; the agent has
 * ask(attribute) for each attribute, then guess(item) for each item, in scenario order. Answers
 * are noisy and sometimes vague; a wrong guess goes on (the user says no and loses more patience),
 * a right one ends the game.
 *
 * @example
 * const acts = guessingFamily.actions(scenario); // [{type:'ask',args:{attribute:'alive'}}, ..., {type:'guess',args:{item:'dog'}}, ...]
 */
export const guessingFamily: Family<GuessingScenario, GuessingPersona, GuessingState, GuessingView> = {
  name: 'guessing',
  actions: (s) => compile(s).actions,
  samplePersona,
  init: (s, p) => init(s, p),
  open,
  respond,
  judge: (s, _p, _before, _agent, user) => judge(s, user),
  finish: (s, p, st, reason) => finish(s, p, st, reason),
  initialView,
  updateView,
  mask: (s, view) => mask(s, view),
  renderAgent,
  renderUser,
  heuristic: (s, obs) => heuristic(s, obs),
  oracle: (s, obs, p) => oracle(s, obs, p),
};

export type { GuessingPersona, GuessingState, Answer } from './model.js';
export type { GuessingView } from './view.js';
export { posterior } from './strategies.js';
export { answer } from './answerer.js';
