import type { GuessingScenario } from '../../../scenarios/families/guessing.js';
import type { Rng } from '../../../scenarios/random.js';
import type { Act, ArgValue } from '../../acts.js';
import { attributeOf, compile, itemOf } from './model.js';
import type { Answer, Compiled, GuessingPersona, GuessingState } from './model.js';

/**
 * The imagined answerer. They answer a question truly, wrongly (`persona.noise`) or vaguely
 * (`persona.vagueness`; more often when the attribute only partly holds), sometimes add a true
 * hint nobody asked for (`persona.volunteer`), say no to a wrong guess, and spend patience on
 * every turn (wrong guesses cost more); near the end they urge a guess, then leave.
 *
 * User acts: `open {also?, alsoValue?}`, `answer {attribute, value: yes|no|maybe, also?, alsoValue?, hurry?}`,
 * `reject {item, also?, alsoValue?, hurry?}`, `confirm {item}`, `leave {item}` (they tell what it was).
 */

export function init(_s: GuessingScenario, persona: GuessingPersona): GuessingState {
  return { patience: persona.patience, questions: 0, wrongGuesses: 0, found: false, restless: false, said: [] };
}

export function open(s: GuessingScenario, persona: GuessingPersona, state: GuessingState, rng: Rng): { state: GuessingState; act: Act } {
  const c = compile(s);
  const args: Record<string, ArgValue> = {};
  const said = hint(s, c, persona, state.said, -1, args, rng);
  return { state: said === state.said ? state : { ...state, said }, act: { type: 'open', args } };
}

export function respond(
  s: GuessingScenario,
  persona: GuessingPersona,
  state: GuessingState,
  act: Act,
  rng: Rng,
): { state: GuessingState; act: Act; left?: boolean } {
  const c = compile(s);
  const target = c.itemIndex.get(persona.item) ?? -1;
  if (act.type === 'guess') {
    const guess = itemOf(c, act);
    if (guess === target) return { state: { ...state, found: true }, act: { type: 'confirm', args: { item: persona.item } } };
    const patience = state.patience - s.reactions.wrongGuessCost;
    const next = { ...state, patience, wrongGuesses: state.wrongGuesses + 1 };
    if (patience <= 0) return leave(next, persona);
    const args: Record<string, ArgValue> = { item: s.items[guess].name };
    return finishReply(s, c, persona, next, 'reject', args, -1, rng);
  }
  if (act.type === 'ask') {
    const a = attributeOf(c, act);
    const patience = state.patience - s.reactions.askCost;
    let next: GuessingState = { ...state, patience, questions: state.questions + 1 };
    if (patience <= 0) return leave(next, persona);
    const value = answer(s, persona, c.truth[target * c.nAttr + a], rng);
    if (value !== 'maybe' && !next.said.includes(a)) next = { ...next, said: [...next.said, a] };
    return finishReply(s, c, persona, next, 'answer', { attribute: s.attributes[a].name, value }, a, rng);
  }
  throw new Error(`the guessing family has no agent act '${act.type}'; expected ask or guess`);
}

/** What the user says to a yes/no question, given the truth (1 holds, -1 not, 0 partly). */
export function answer(s: GuessingScenario, persona: GuessingPersona, truth: number, rng: Rng): Answer {
  if (truth === 0) {
    if (rng.bernoulli(s.reactions.partlyVague)) return 'maybe';
    return rng.bernoulli(0.5) ? 'yes' : 'no';
  }
  if (rng.bernoulli(persona.vagueness)) return 'maybe';
  const right = !rng.bernoulli(persona.noise);
  return (truth > 0) === right ? 'yes' : 'no';
}

/** Adds a hint (maybe) and the urge to guess (once, when patience is low) to a reply. */
function finishReply(
  s: GuessingScenario,
  c: Compiled,
  persona: GuessingPersona,
  state: GuessingState,
  type: string,
  args: Record<string, ArgValue>,
  asked: number,
  rng: Rng,
): { state: GuessingState; act: Act } {
  let next = state;
  if (rng.bernoulli(persona.volunteer)) {
    const said = hint(s, c, persona, state.said, asked, args, rng, true);
    if (said !== state.said) next = { ...next, said };
  }
  if (!next.restless && next.patience <= s.reactions.restlessAt) {
    args.hurry = true;
    next = { ...next, restless: true };
  }
  return { state: next, act: { type, args } };
}

/**
 * Maybe volunteers one true fact not said yet (`also`, `alsoValue` in args); returns the new
 * `said` list, or the same array when nothing was added. `sure` skips the volunteering coin.
 */
function hint(
  s: GuessingScenario,
  c: Compiled,
  persona: GuessingPersona,
  said: readonly number[],
  asked: number,
  args: Record<string, ArgValue>,
  rng: Rng,
  sure = false,
): readonly number[] {
  if (!sure && !rng.bernoulli(persona.volunteer)) return said;
  const target = c.itemIndex.get(persona.item) ?? -1;
  const want = rng.bernoulli(s.reactions.volunteerYes) ? 1 : -1;
  const same: number[] = [];
  const other: number[] = [];
  for (let a = 0; a < c.nAttr; a++) {
    const t = c.truth[target * c.nAttr + a];
    if (t === 0 || a === asked || said.includes(a)) continue;
    (t === want ? same : other).push(a);
  }
  const pool = same.length ? same : other;
  if (pool.length === 0) return said;
  const a = rng.pick(pool);
  args.also = s.attributes[a].name;
  args.alsoValue = c.truth[target * c.nAttr + a] > 0 ? 'yes' : 'no';
  return [...said, a];
}

function leave(state: GuessingState, persona: GuessingPersona): { state: GuessingState; act: Act; left: true } {
  return { state, act: { type: 'leave', args: { item: persona.item } }, left: true };
}
