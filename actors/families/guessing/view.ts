import type { GuessingScenario } from '../../../scenarios/families/guessing.js';
import type { Act } from '../../acts.js';
import { attributeOf, compile, itemOf } from './model.js';

/**
 * What the agent knows, as flat JSON for an encoder: one number per attribute and per item.
 * Built from the visible transcript only.
 */
export interface GuessingView {
  /** Per attribute (scenario order): +1 the user said yes, -1 no, 0 not known (never said, or only vaguely). The latest clear statement wins. */
  readonly answers: readonly number[];
  /** Per attribute: how many times the agent asked it. */
  readonly asked: readonly number[];
  /** Per item (scenario order): 1 when guessed and rejected, else 0. */
  readonly guessed: readonly number[];
  /** The user has urged a guess (their patience is nearly gone). */
  readonly restless: boolean;
}

/** How many times an attribute may be asked (a second time only after a vague answer). */
export const MAX_ASKS = 2;

export function initialView(s: GuessingScenario): GuessingView {
  const c = compile(s);
  return { answers: new Array<number>(c.nAttr).fill(0), asked: new Array<number>(c.nAttr).fill(0), guessed: new Array<number>(c.nItems).fill(0), restless: false };
}

/** Folds one exchange in; copies only the arrays that change. */
export function updateView(s: GuessingScenario, view: GuessingView, agent: Act | null, user: Act): GuessingView {
  const c = compile(s);
  let { answers, asked, guessed, restless } = view;
  if (agent?.type === 'ask') {
    const a = attributeOf(c, agent);
    asked = asked.slice();
    (asked as number[])[a]++;
    const value = user.type === 'answer' ? user.args?.value : undefined;
    if (value === 'yes' || value === 'no') {
      answers = answers.slice();
      (answers as number[])[a] = value === 'yes' ? 1 : -1;
    }
  } else if (agent?.type === 'guess' && user.type === 'reject') {
    guessed = guessed.slice();
    (guessed as number[])[itemOf(c, agent)] = 1;
  }
  const also = user.args?.also;
  if (typeof also === 'string') {
    const a = attributeOf(c, { args: { attribute: also } });
    if (answers === view.answers) answers = answers.slice();
    (answers as number[])[a] = user.args?.alsoValue === 'no' ? -1 : 1;
  }
  if (user.args?.hurry === true) restless = true;
  return { answers, asked, guessed, restless };
}

/**
 * Valid actions: ask(attribute) while the user has not answered it clearly and it was asked fewer
 * than {@link MAX_ASKS} times; guess(item) unless already guessed (and rejected).
 */
export function mask(s: GuessingScenario, view: GuessingView): boolean[] {
  const c = compile(s);
  const out = new Array<boolean>(c.nAttr + c.nItems);
  for (let a = 0; a < c.nAttr; a++) out[a] = view.answers[a] === 0 && view.asked[a] < MAX_ASKS;
  for (let i = 0; i < c.nItems; i++) out[c.nAttr + i] = view.guessed[i] === 0;
  return out;
}
