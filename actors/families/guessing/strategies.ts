import type { GuessingScenario } from '../../../scenarios/families/guessing.js';
import type { Observation } from '../../acts.js';
import { compile } from './model.js';
import type { GuessingPersona } from './model.js';
import type { GuessingView } from './view.js';

/**
 * Scripted strategies. The heuristic is a sensible player, deliberately not the
 * information-optimal one: it asks questions in one fixed order (the attribute that splits the
 * prior most evenly first), skips questions on which every plausible item agrees, and guesses the
 * most likely item once it is confident, the user grows restless or turns run short.
 */

/** Posterior probability above which the heuristic guesses. */
export const CONFIDENT = 0.6;
/** An item below this posterior is not plausible (its answers do not make a question worth asking). */
const PLAUSIBLE = 0.01;
/** A question is worth asking when both answers keep at least this much plausible mass. */
const MIN_SPLIT = 0.05;

/**
 * The probability of each item given the view: prior popularity times, per clear answer, 1 - e
 * when it matches the item, e when not, 1/2 when the attribute only partly holds. Guessed items
 * get 0. e is the scenario's declared noise (kept in [0.02, 0.45]). Into `out` when given (one
 * slot per item at least; a Float64Array per call was a large part of the cost).
 */
export function posterior(s: GuessingScenario, view: GuessingView, out?: Float64Array): Float64Array {
  const c = compile(s);
  const e = Math.min(0.45, Math.max(0.02, s.user.noise));
  const match = Math.log(1 - e);
  const miss = Math.log(e);
  const half = Math.log(0.5);
  const logp = out ?? new Float64Array(c.nItems);
  let top = -Infinity;
  for (let i = 0; i < c.nItems; i++) {
    if (view.guessed[i] !== 0) { logp[i] = -Infinity; continue; }
    let l = c.logPrior[i];
    const row = i * c.nAttr;
    for (let a = 0; a < c.nAttr; a++) {
      const v = view.answers[a];
      if (v === 0) continue;
      const t = c.truth[row + a];
      l += t === 0 ? half : t === v ? match : miss;
    }
    logp[i] = l;
    if (l > top) top = l;
  }
  let total = 0;
  for (let i = 0; i < c.nItems; i++) total += logp[i] = Math.exp(logp[i] - top);
  for (let i = 0; i < c.nItems; i++) logp[i] /= total;
  return logp;
}

/** The heuristic's posterior, reused: it is read before the next call. */
let POST = new Float64Array(64);

export function heuristic(s: GuessingScenario, obs: Observation<GuessingView>): number {
  const c = compile(s);
  const v = obs.view;
  if (POST.length < c.nItems) POST = new Float64Array(c.nItems);
  const post = posterior(s, v, POST);
  let best = -1;
  for (let i = 0; i < c.nItems; i++) if (obs.mask[c.nAttr + i] && (best < 0 || post[i] > post[best])) best = i;
  const turnsLeft = obs.maxTurns - obs.turn;
  if (post[best] >= CONFIDENT || v.restless || turnsLeft <= 2) return c.nAttr + best;
  for (const a of c.askOrder) {
    if (!obs.mask[a] || v.asked[a] > 0) continue; // asked once already: the answer was vague, move on
    let yes = 0;
    let no = 0;
    for (let i = 0; i < c.nItems; i++) {
      if (post[i] < PLAUSIBLE) continue;
      const t = c.truth[i * c.nAttr + a];
      if (t >= 0) yes += post[i];
      if (t <= 0) no += post[i];
    }
    if (yes >= MIN_SPLIT && no >= MIN_SPLIT) return a;
  }
  return c.nAttr + best;
}

/** The upper bound: names the item at once. */
export function oracle(s: GuessingScenario, obs: Observation<GuessingView>, persona: GuessingPersona): number {
  const c = compile(s);
  const i = c.itemIndex.get(persona.item);
  if (i === undefined) throw new Error(`persona item '${persona.item}' is not an item of scenario '${s.id}'`);
  return obs.mask[c.nAttr + i] ? c.nAttr + i : heuristic(s, obs);
}
