import type { PreferenceScenario } from '../../../scenarios/families/preference.js';
import type { Family } from '../../family.js';
import { compile } from './model.js';
import type { PreferencePersona, PreferenceState } from './model.js';
import { samplePersona } from './persona.js';
import { init, open, respond } from './user.js';
import { finish, judge } from './verifier.js';
import { initialView, mask, updateView } from './view.js';
import type { PreferenceView } from './view.js';
import { renderAgent, renderUser } from './nlg.js';
import { heuristic, oracle } from './strategies.js';

/**
 * Preference elicitation (e.g. the built-in travel-agent): ask(attribute) for each askable
 * attribute or trait, recommend(item) for each item. A hidden persona has weighted preferences,
 * hard constraints and traits; the user accepts an item that meets them and is near their best.
 *
 * @example
 * const acts = preferenceFamily.actions(scenario); // [{type:'ask',args:{attribute:'climate'}}, ..., {type:'recommend',args:{item:'Kyoto temples'}}, ...]
 */
export const preferenceFamily: Family<PreferenceScenario, PreferencePersona, PreferenceState, PreferenceView> = {
  name: 'preference-elicitation',
  actions: (s) => compile(s).actions,
  samplePersona,
  init: (s, p) => init(s, p),
  open,
  respond,
  judge: (s, p, before, agent, user) => judge(s, p, before, agent, user),
  finish: (s, p, st, reason) => finish(s, p, st, reason),
  initialView,
  updateView,
  mask: (s, view) => mask(s, view),
  renderAgent,
  renderUser,
  heuristic: (s, obs) => heuristic(s, obs),
  oracle: (s, obs, p) => oracle(s, obs, p),
};

export type { PreferencePersona, PreferenceState, Constraint, Preference, Stance, RejectReason } from './model.js';
export type { PreferenceView } from './view.js';
export { scoreItems } from './strategies.js';
