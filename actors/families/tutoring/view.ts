import type { TutoringScenario } from '../../../scenarios/families/tutoring.js';
import type { Act } from '../../acts.js';
import { compile, conceptOf, levelOf } from './model.js';

/**
 * What the tutor knows: counts per concept (concept order of the scenario), flat so a structured
 * encoder can turn it into a vector. `explained` is flat too: index `concept * levels + level`.
 */
export interface TutoringView {
  /** Quiz questions answered right, wrong, and quizzes answered vaguely, per concept. */
  readonly quizRight: readonly number[];
  readonly quizWrong: readonly number[];
  readonly quizUnsure: readonly number[];
  readonly exerciseRight: readonly number[];
  readonly exerciseWrong: readonly number[];
  /** Explanations given, at `concept * levels + level`. */
  readonly explained: readonly number[];
  /** Level of the last explanation of each concept, -1 before any. */
  readonly lastLevel: readonly number[];
  /** The student's reaction to that explanation: -1 too easy (bored, knew it), 0 fine or unclear, +1 too hard (confused). */
  readonly lastReaction: readonly number[];
  /** Counts of reactions per concept. */
  readonly gotIt: readonly number[];
  readonly bored: readonly number[];
  readonly confused: readonly number[];
  /** What the student volunteered: weak at ("I never understood X"), strong at. */
  readonly saidWeak: readonly boolean[];
  readonly saidStrong: readonly boolean[];
  /** The student has shown impatience. */
  readonly restless: boolean;
}

export function initialView(s: TutoringScenario): TutoringView {
  const K = s.concepts.length;
  const zeros = new Array<number>(K).fill(0);
  const no = new Array<boolean>(K).fill(false);
  return {
    quizRight: zeros, quizWrong: zeros, quizUnsure: zeros, exerciseRight: zeros, exerciseWrong: zeros,
    explained: new Array<number>(K * s.levels.length).fill(0),
    lastLevel: new Array<number>(K).fill(-1), lastReaction: zeros,
    gotIt: zeros, bored: zeros, confused: zeros, saidWeak: no, saidStrong: no, restless: false,
  };
}

/** A copy of `xs` with `xs[i]` set to `v` (views are replaced, never mutated). */
function put<T>(xs: readonly T[], i: number, v: T): readonly T[] {
  const out = xs.slice();
  out[i] = v;
  return out;
}

export function updateView(s: TutoringScenario, view: TutoringView, agent: Act | null, user: Act): TutoringView {
  const c = compile(s);
  const v: { -readonly [K in keyof TutoringView]: TutoringView[K] } = { ...view };
  const a = user.args;
  if (a) {
    if (typeof a.weak === 'string') { const i = c.conceptIndex.get(a.weak); if (i !== undefined) v.saidWeak = put(v.saidWeak, i, true); }
    if (typeof a.strong === 'string') { const i = c.conceptIndex.get(a.strong); if (i !== undefined) v.saidStrong = put(v.saidStrong, i, true); }
    if (a.restless === true) v.restless = true;
  }
  if (agent === null || agent.type === 'end') return v;
  const i = conceptOf(c, agent);
  if (agent.type === 'explain') {
    const l = levelOf(c, agent);
    v.explained = put(v.explained, i * c.L + l, v.explained[i * c.L + l] + 1);
    v.lastLevel = put(v.lastLevel, i, l);
  }
  switch (user.type) {
    case 'answer': {
      const right = Number(a?.right ?? 0);
      const wrong = Number(a?.of ?? 0) - right;
      if (right > 0) v.quizRight = put(v.quizRight, i, v.quizRight[i] + right);
      if (wrong > 0) v.quizWrong = put(v.quizWrong, i, v.quizWrong[i] + wrong);
      break;
    }
    case 'unsure':
      v.quizUnsure = put(v.quizUnsure, i, v.quizUnsure[i] + 1);
      break;
    case 'exercise-result':
      if (a?.correct === true) v.exerciseRight = put(v.exerciseRight, i, v.exerciseRight[i] + 1);
      else v.exerciseWrong = put(v.exerciseWrong, i, v.exerciseWrong[i] + 1);
      break;
    case 'react': {
      const r = a?.reaction;
      if (r === 'got-it') v.gotIt = put(v.gotIt, i, v.gotIt[i] + 1);
      if (r === 'bored' || r === 'know-it') v.bored = put(v.bored, i, v.bored[i] + 1);
      if (r === 'confused') v.confused = put(v.confused, i, v.confused[i] + 1);
      const code = r === 'bored' || r === 'know-it' ? -1 : r === 'confused' ? 1 : 0;
      if (v.lastReaction[i] !== code) v.lastReaction = put(v.lastReaction, i, code);
      break;
    }
  }
  return v;
}

/** Every teaching act is always valid; `end` only once at least one turn was taken. */
export function mask(s: TutoringScenario, _view: TutoringView, turn: number): boolean[] {
  const n = compile(s).actions.length;
  const m = new Array<boolean>(n).fill(true);
  if (turn < 1) m[n - 1] = false;
  return m;
}
