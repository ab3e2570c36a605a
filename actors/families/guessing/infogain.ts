import type { GuessingScenario } from '../../../scenarios/families/guessing.js';
import type { Observation } from '../../acts.js';
import type { ScenarioContext } from '../../episode-core.js';
import type { Decision, Policy } from '../../policy.js';
import { compile } from './model.js';
import type { Compiled } from './model.js';
import type { GuessingView } from './view.js';

/**
 * The information-gain questioner: the reference a reader expects for twenty questions. Each turn
 * it computes the posterior over items from everything said so far, under the family's own user
 * model, and either guesses the most probable item or asks the attribute whose answer is expected
 * to tell the most about the hidden item (the mutual information between the answer and the item).
 *
 * The user model (`answerer.ts`), with the scenario's declared means for the persona's rates:
 * - an attribute the item has or lacks: vague (`maybe`) with probability v = `user.vagueness`,
 *   else the true answer with probability 1 - e (e = `user.noise`), the wrong one with e;
 * - an attribute that only partly holds: `maybe` with probability `reactions.partlyVague`, else yes
 *   or no evenly;
 * - volunteered hints are true facts about attributes that fully hold or not; a rejected guess rules
 *   the item out; the prior is the items' popularity weights.
 * Unlike the view's posterior (`strategies.ts`), vague answers count: they point to items for which
 * the attribute only partly holds.
 *
 * It guesses when the best item's posterior reaches `confident`, when the user urges a guess,
 * when at most `lastTurns` turns are left, or when no question is worth asking.
 */

export interface InfogainOptions {
  /** Posterior of the best item at which it guesses. Default {@link INFOGAIN_CONFIDENT}. */
  readonly confident?: number;
  /** Guess when this many turns or fewer are left. Default 1. */
  readonly lastTurns?: number;
  /** Guess when no question's expected information gain reaches this many nats. Default 0.01. */
  readonly minGain?: number;
}

/**
 * Low on purpose: a wrong guess costs a turn but also rules the item out. Chosen on twenty-questions
 * with seeds apart from the tests' (mean return peaks between 0.35 and 0.5; 0.7 asks about one turn more).
 */
export const INFOGAIN_CONFIDENT = 0.4;

/** Likelihood of a hint that contradicts the item's data (hints are true; kept above 0 for robustness). */
const HINT_MISS = 1e-4;

/** P(answer | truth) for one question: rows truth -1 (lacks), 0 (partly), 1 (has); columns yes, no, maybe. */
function answerModel(s: GuessingScenario): readonly (readonly [number, number, number])[] {
  const e = Math.min(0.45, Math.max(0.001, s.user.noise));
  const v = Math.min(0.95, Math.max(0.001, s.user.vagueness));
  const pv = Math.min(0.95, Math.max(0.001, s.reactions.partlyVague));
  return [
    [(1 - v) * e, (1 - v) * (1 - e), v],
    [(1 - pv) / 2, (1 - pv) / 2, pv],
    [(1 - v) * (1 - e), (1 - v) * e, v],
  ];
}

const ANSWER_COLUMN: Readonly<Record<string, number>> = { yes: 0, no: 1, maybe: 2 };

/** The posterior over items (scenario order) given the visible transcript. */
export function beliefs(s: GuessingScenario, obs: Observation<GuessingView>): Float64Array {
  const c = compile(s);
  const model = answerModel(s);
  const logp = Float64Array.from(c.logPrior);
  const hint = (attr: unknown, value: unknown) => {
    const a = typeof attr === 'string' ? c.attrIndex.get(attr) : undefined;
    if (a === undefined || (value !== 'yes' && value !== 'no')) return;
    const want = value === 'yes' ? 1 : -1;
    for (let i = 0; i < c.nItems; i++) if (c.truth[i * c.nAttr + a] !== want) logp[i] += Math.log(HINT_MISS);
  };
  const h = obs.history;
  for (let k = 0; k < h.length; k++) {
    const turn = h[k];
    if (turn.speaker !== 'user') continue;
    const user = turn.act;
    const agent = k > 0 && h[k - 1].speaker === 'agent' ? h[k - 1].act : null;
    if (agent?.type === 'ask' && user.type === 'answer') {
      const a = c.attrIndex.get(String(agent.args?.attribute));
      const col = ANSWER_COLUMN[String(user.args?.value)];
      if (a !== undefined && col !== undefined) {
        for (let i = 0; i < c.nItems; i++) logp[i] += Math.log(model[c.truth[i * c.nAttr + a] + 1][col]);
      }
    } else if (agent?.type === 'guess' && user.type === 'reject') {
      const i = c.itemIndex.get(String(agent.args?.item));
      if (i !== undefined) logp[i] = -Infinity;
    }
    hint(user.args?.also, user.args?.alsoValue);
  }
  // Items the view marks as guessed are out, whatever the transcript shows.
  obs.view.guessed.forEach((g, i) => { if (g !== 0) logp[i] = -Infinity; });
  return normalise(logp);
}

function normalise(logp: Float64Array): Float64Array {
  let top = -Infinity;
  for (const l of logp) if (l > top) top = l;
  if (top === -Infinity) return logp.fill(1 / logp.length);
  let total = 0;
  for (let i = 0; i < logp.length; i++) total += logp[i] = Math.exp(logp[i] - top);
  for (let i = 0; i < logp.length; i++) logp[i] /= total;
  return logp;
}

/** Expected information gain (nats) about the item from asking attribute `a`: I(answer; item). */
export function expectedGain(c: Compiled, model: readonly (readonly number[])[], post: Float64Array, a: number): number {
  const pAnswer = [0, 0, 0];
  let conditional = 0; // Σ_i p_i Σ_o L(o|i) log L(o|i)
  for (let i = 0; i < c.nItems; i++) {
    const p = post[i];
    if (p === 0) continue;
    const row = model[c.truth[i * c.nAttr + a] + 1];
    for (let o = 0; o < 3; o++) {
      pAnswer[o] += p * row[o];
      conditional += p * row[o] * Math.log(row[o]);
    }
  }
  let marginal = 0;
  for (const q of pAnswer) if (q > 0) marginal += q * Math.log(q);
  return conditional - marginal;
}

/** The questioner's action for one observation (ties go to the lower catalogue index). */
export function infogain(s: GuessingScenario, obs: Observation<GuessingView>, opts: InfogainOptions = {}): number {
  const c = compile(s);
  const post = beliefs(s, obs);
  let best = -1;
  for (let i = 0; i < c.nItems; i++) if (obs.mask[c.nAttr + i] && (best < 0 || post[i] > post[best])) best = i;
  const turnsLeft = obs.maxTurns - obs.turn;
  const guess = best >= 0 ? c.nAttr + best : -1;
  if (guess >= 0 && (post[best] >= (opts.confident ?? INFOGAIN_CONFIDENT) || obs.view.restless || turnsLeft <= (opts.lastTurns ?? 1))) return guess;
  const model = answerModel(s);
  let ask = -1;
  let gain = opts.minGain ?? 0.01;
  for (let a = 0; a < c.nAttr; a++) {
    if (!obs.mask[a]) continue;
    const g = expectedGain(c, model, post, a);
    if (g > gain) { gain = g; ask = a; }
  }
  if (ask >= 0) return ask;
  if (guess >= 0) return guess;
  const first = obs.mask.indexOf(true);
  if (first < 0) throw new Error('infogain: no valid action (the mask is all false)');
  return first;
}

/**
 * The questioner as a Policy (deterministic; it draws nothing from its stream). For guessing
 * scenarios only; other families get an error that says so.
 *
 * @example
 * const p = infogainPolicy(makeContext(getScenario('twenty-questions')));
 */
export function infogainPolicy(ctx: ScenarioContext, opts: InfogainOptions = {}, name = 'infogain'): Policy {
  const s = ctx.scenario;
  if (s.family !== 'guessing') {
    throw new Error(`policy '${name}' is the information-gain questioner of the guessing family (e.g. twenty-questions); scenario '${s.id}' is a ${s.family} scenario: use heuristic, oracle or random there`);
  }
  return {
    name,
    act(observations: readonly Observation[]): Decision[] {
      return observations.map((o) => ({ action: infogain(s, o as Observation<GuessingView>, opts) }));
    },
  };
}
