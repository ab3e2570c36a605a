import type { UserStyle } from '../../../scenarios/base.js';
import type { TutoringScenario } from '../../../scenarios/families/tutoring.js';
import type { Rng } from '../../../scenarios/random.js';
import { clamp01 } from './model.js';

/** The hidden student: never shown to the agent (only the oracle reads it). Plain JSON. */
export interface TutoringPersona {
  readonly style: UserStyle;
  /** Agent turns' worth of patience; boredom and frustration use it up faster. */
  readonly patience: number;
  /** Fraction of the remaining gap a perfectly fitting explanation closes. */
  readonly learningRate: number;
  /** Level preference: moves the fitting explanation level (-1 likes simpler talk, +1 more formal). */
  readonly levelShift: number;
  /** Initial mastery per concept, in the scenario's concept order. */
  readonly mastery: readonly number[];
}

/** The student's evolving hidden state. Replaced, never mutated. */
export interface TutoringState {
  /** Current mastery per concept (starts at the persona's). */
  readonly mastery: readonly number[];
  /** Patience left; the student walks out when it reaches 0. */
  readonly patience: number;
  /** Times each concept was quizzed (being asked the same thing again and again is boring). */
  readonly quizzes: readonly number[];
  /** Bit i set: the student already volunteered something about concept i. */
  readonly told: number;
}

export function samplePersona(s: TutoringScenario, rng: Rng): TutoringPersona {
  const style = s.user.styles[rng.weightedIndex(s.user.styles.map((x) => x.weight))].name;
  const patience = rng.intBetween(s.user.patience.min, s.user.patience.max);
  const learningRate = rng.uniform(s.student.learningRate.min, s.student.learningRate.max);
  const levelShift = s.student.levelShift[rng.weightedIndex(s.student.levelShift.map((x) => x.weight))].shift;
  const ability = s.student.ability > 0 ? rng.normal(0, s.student.ability) : 0;
  const mastery = s.concepts.map((c) => {
    const d = Array.isArray(c.mastery) ? c.mastery[rng.weightedIndex(c.mastery.map((x) => x.weight))] : c.mastery;
    return round3(clamp01(rng.normal(d.mean, d.sd) + ability));
  });
  return { style, patience, learningRate: round3(learningRate), levelShift, mastery };
}

export function initState(_s: TutoringScenario, p: TutoringPersona): TutoringState {
  return { mastery: p.mastery, patience: p.patience, quizzes: p.mastery.map(() => 0), told: 0 };
}

/** Personas land in datasets: three decimals are plenty and keep the JSON short. */
function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
