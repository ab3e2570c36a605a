import type { TutoringScenario } from '../../../scenarios/families/tutoring.js';
import type { Rng } from '../../../scenarios/random.js';
import type { Act, ArgValue } from '../../acts.js';
import type { TutoringPersona, TutoringState } from './persona.js';
import {
  KNOW_IT, STRONG, WEAK, compile, conceptOf, exerciseGain, exerciseTooHard, explainGain, fittingLevel, levelOf, pCorrect, prereqFactor,
} from './model.js';
import type { Compiled } from './model.js';

/**
 * The imagined student. Acts it speaks:
 * - `greet` (opening), `answer {concept, right, of}` (a quick quiz of `of` questions), `unsure {concept}`,
 *   `react {concept, reaction: got-it|ok|bored|confused|know-it}`, `exercise-result {concept, correct}`,
 *   `bye` (after the tutor ends), `leave` (out of patience);
 * - any act may carry `weak: <concept>` / `strong: <concept>` (volunteered) and `restless: true`.
 */
export type Reaction = 'got-it' | 'ok' | 'bored' | 'confused' | 'know-it';

/** The student speaks first: a greeting, often with something volunteered ("I never understood fractions"). */
export function open(s: TutoringScenario, p: TutoringPersona, st: TutoringState, rng: Rng): { state: TutoringState; act: Act } {
  const args: Record<string, ArgValue> = {};
  const told = volunteer(s, st.mastery, st.told, Math.min(1, 2 * s.user.volunteer), rng, args);
  return { state: told === st.told ? st : { ...st, told }, act: { type: 'greet', args } };
}

export function respond(s: TutoringScenario, p: TutoringPersona, st: TutoringState, act: Act, rng: Rng): { state: TutoringState; act: Act; left?: boolean } {
  if (act.type === 'end') return { state: st, act: { type: 'bye' } };
  const c = compile(s);
  const i = conceptOf(c, act);
  const m = st.mastery[i];
  const rate = p.learningRate * prereqFactor(s, c, i, st.mastery);
  let patience = st.patience - (act.type === 'quiz' ? s.student.quizPatience : 1);
  let quizzes = st.quizzes;
  let gain = 0;
  let reply: Act;
  switch (act.type) {
    case 'quiz': {
      gain = rate * s.student.quizGain * (1 - m);
      if (st.quizzes[i] >= 2) patience -= 0.5; // "you asked me that already"
      const q = st.quizzes.slice();
      q[i]++;
      quizzes = q;
      // People who do not know are vaguer: P(unsure) is `vagueness` at mastery 0.5.
      if (rng.bernoulli(Math.min(0.9, 2 * s.user.vagueness * (1 - m)))) {
        reply = { type: 'unsure', args: { concept: act.args!.concept } };
      } else {
        const n = s.student.quizQuestions;
        let right = 0;
        for (let k = 0; k < n; k++) if (rng.bernoulli(pCorrect(s, m, c.quizDifficulty[k])) !== rng.bernoulli(s.user.noise)) right++;
        reply = { type: 'answer', args: { concept: act.args!.concept, right, of: n } };
      }
      break;
    }
    case 'explain': {
      const level = levelOf(c, act);
      gain = explainGain(s, c, m, level, p.levelShift, rate);
      const d = level - fittingLevel(c, m, p.levelShift);
      // Students are polite: a lost or bored one says so only with probability `candour`, else nods
      // ("okay", sometimes even "got it"); one who is taught at the right level usually says it clicked.
      const candid = rng.bernoulli(s.student.candour);
      const nod: Reaction = rng.bernoulli(0.5) ? 'ok' : 'got-it';
      let reaction: Reaction;
      if (m >= KNOW_IT && d <= 0) { reaction = 'know-it'; patience -= s.student.boredom; }
      else if (d < 0) { reaction = candid ? 'bored' : nod; patience -= s.student.boredom; }
      else if (d > 0) { reaction = candid ? 'confused' : nod; patience -= s.student.frustration; }
      else reaction = rng.bernoulli(0.7) ? 'got-it' : 'ok';
      reply = { type: 'react', args: { concept: act.args!.concept, reaction } };
      break;
    }
    case 'exercise': {
      gain = exerciseGain(s, m, rate);
      if (exerciseTooHard(s, m)) patience -= s.student.frustration;
      reply = { type: 'exercise-result', args: { concept: act.args!.concept, correct: rng.bernoulli(pCorrect(s, m, s.student.exercise.peak)) } };
      break;
    }
    default:
      throw new Error(`tutoring: unknown agent act '${act.type}'; expected quiz, explain, exercise or end`);
  }
  let mastery = st.mastery;
  if (gain > 0) {
    const next = mastery.slice();
    next[i] = m + gain;
    mastery = next;
  }
  if (patience <= 0) {
    return { state: { mastery, patience, quizzes, told: st.told }, act: { type: 'leave' }, left: true };
  }
  const args = { ...reply.args } as Record<string, ArgValue>;
  const told = volunteer(s, mastery, st.told, s.user.volunteer, rng, args);
  if (patience <= s.student.restlessAt && rng.bernoulli(0.75)) args.restless = true;
  return { state: { mastery, patience, quizzes, told }, act: { type: reply.type, args } };
}

/**
 * With probability `p`, the student mentions a concept they have not mentioned yet: one they are
 * weak at ("I never understood X") or, less often, strong at. Adds `weak`/`strong` to args.
 */
function volunteer(s: TutoringScenario, mastery: readonly number[], told: number, p: number, rng: Rng, args: Record<string, ArgValue>): number {
  if (!rng.bernoulli(p)) return told;
  const c: Compiled = compile(s);
  const weak: number[] = [];
  const strong: number[] = [];
  for (let i = 0; i < c.K; i++) {
    if (told & (1 << i)) continue;
    if (mastery[i] < WEAK) weak.push(i);
    else if (mastery[i] > STRONG) strong.push(i);
  }
  const pool = weak.length > 0 && (strong.length === 0 || rng.bernoulli(0.75)) ? weak : strong;
  if (pool.length === 0) return told;
  const i = rng.pick(pool);
  args[pool === weak ? 'weak' : 'strong'] = s.concepts[i].name;
  return told | (1 << i);
}
