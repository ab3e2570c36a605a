import type { TutoringScenario } from '../../../scenarios/families/tutoring.js';
import type { Act } from '../../acts.js';

/**
 * The student model's arithmetic, shared by the imagined student, the verifier and the
 * strategies: answer probabilities (slip/guess), the fitting explanation level, and how much
 * an explanation, exercise or quiz teaches. All pure, all cheap.
 */

/** Per-scenario lookups computed once (the scenario object is immutable once parsed). */
export interface Compiled {
  /** Number of concepts and of levels. */
  readonly K: number;
  readonly L: number;
  /** Catalogue slots per concept: quiz, one explain per level, exercise. */
  readonly span: number;
  readonly conceptIndex: ReadonlyMap<string, number>;
  readonly levelIndex: ReadonlyMap<string, number>;
  readonly labels: readonly string[];
  /** Prerequisite concept indices per concept. */
  readonly prereqs: readonly (readonly number[])[];
  /** Level upper bounds (`upTo`), from simplest to most advanced. */
  readonly upTo: readonly number[];
  readonly actions: readonly Act[];
  /** Index of the `end` action (the last one). */
  readonly endIndex: number;
  /**
   * Difficulties of a quiz's questions: a quick quiz probes the level boundaries (question j sits at
   * levels[j mod (L-1)].upTo), the way a tutor places a student. The post-test's spread evenly: (j + 0.5) / n.
   */
  readonly quizDifficulty: readonly number[];
  readonly testDifficulty: readonly number[];
  /** testScore tabulated on [0, 1] in SCORE_STEPS steps (strategies call it often). */
  readonly scoreTable: Float64Array;
}

const SCORE_STEPS = 200;

/** n question difficulties spread evenly over [0, 1]. */
function spread(n: number): number[] {
  return Array.from({ length: n }, (_, j) => (j + 0.5) / n);
}

const cache = new WeakMap<TutoringScenario, Compiled>();

export function compile(s: TutoringScenario): Compiled {
  let c = cache.get(s);
  if (c) return c;
  const K = s.concepts.length;
  const L = s.levels.length;
  const conceptIndex = new Map(s.concepts.map((x, i) => [x.name, i]));
  const actions: Act[] = [];
  for (const x of s.concepts) {
    actions.push({ type: 'quiz', args: { concept: x.name } });
    for (const l of s.levels) actions.push({ type: 'explain', args: { concept: x.name, level: l.name } });
    actions.push({ type: 'exercise', args: { concept: x.name } });
  }
  actions.push({ type: 'end' });
  c = {
    K,
    L,
    span: L + 2,
    conceptIndex,
    levelIndex: new Map(s.levels.map((l, i) => [l.name, i])),
    labels: s.concepts.map((x) => x.label ?? x.name),
    prereqs: s.concepts.map((x) => x.prerequisites.map((p) => conceptIndex.get(p)).filter((i): i is number => i !== undefined)),
    upTo: s.levels.map((l) => l.upTo),
    actions,
    endIndex: actions.length - 1,
    quizDifficulty: Array.from({ length: s.student.quizQuestions }, (_, j) => s.levels[j % (L - 1)].upTo),
    testDifficulty: spread(s.verifier.postTestQuestions),
    scoreTable: new Float64Array(SCORE_STEPS + 1),
  };
  for (let k = 0; k <= SCORE_STEPS; k++) c.scoreTable[k] = testScore(s, c, k / SCORE_STEPS);
  cache.set(s, c);
  return c;
}

/** The concept index an act names; throws with the valid names when it names none. */
export function conceptOf(c: Compiled, act: Act): number {
  const name = act.args?.concept;
  const i = typeof name === 'string' ? c.conceptIndex.get(name) : undefined;
  if (i === undefined) throw new Error(`tutoring: act '${act.type}' names unknown concept ${JSON.stringify(name)}; expected one of ${[...c.conceptIndex.keys()].join(', ')}`);
  return i;
}

export function levelOf(c: Compiled, act: Act): number {
  const name = act.args?.level;
  const i = typeof name === 'string' ? c.levelIndex.get(name) : undefined;
  if (i === undefined) throw new Error(`tutoring: explain act names unknown level ${JSON.stringify(name)}; expected one of ${[...c.levelIndex.keys()].join(', ')}`);
  return i;
}

/**
 * Probability of answering a question of the given difficulty right at mastery m: a student well
 * above the difficulty answers right unless they slip, one well below only by a guess; in between
 * a logistic curve of slope `discrimination` (item response theory).
 */
export function pCorrect(s: TutoringScenario, m: number, difficulty: number): number {
  const known = 1 / (1 + Math.exp(-s.student.discrimination * (m - difficulty)));
  return s.student.guess + (1 - s.student.slip - s.student.guess) * known;
}

/** testScore by linear interpolation in the table: for strategies, which evaluate it many times per decision. */
export function fastScore(c: Compiled, m: number): number {
  const x = (m < 0 ? 0 : m > 1 ? 1 : m) * SCORE_STEPS;
  const k = Math.min(SCORE_STEPS - 1, Math.floor(x));
  return c.scoreTable[k] + (c.scoreTable[k + 1] - c.scoreTable[k]) * (x - k);
}

/** Expected post-test score (fraction right) of one concept at mastery m. */
export function testScore(s: TutoringScenario, c: Compiled, m: number): number {
  let sum = 0;
  for (const d of c.testDifficulty) sum += pCorrect(s, m, d);
  return sum / c.testDifficulty.length;
}

/** The level whose mastery band holds m, moved by the student's level preference, within range. */
export function fittingLevel(c: Compiled, m: number, shift: number): number {
  let l = 0;
  while (l < c.L - 1 && m >= c.upTo[l]) l++;
  l += shift;
  return l < 0 ? 0 : l >= c.L ? c.L - 1 : l;
}

/** Learning is damped while a prerequisite is weak (floor 0.35 when it is unknown). */
export function prereqFactor(s: TutoringScenario, c: Compiled, concept: number, mastery: readonly number[]): number {
  let f = 1;
  const need = s.student.prerequisiteMastery;
  for (const p of c.prereqs[concept]) {
    const r = need > 0 ? Math.min(1, mastery[p] / need) : 1;
    f *= 0.35 + 0.65 * r;
  }
  return f;
}

/** How much an explanation at `level` raises mastery (before the prerequisite factor). */
export function explainGain(s: TutoringScenario, c: Compiled, m: number, level: number, shift: number, rate: number): number {
  const d = Math.abs(level - fittingLevel(c, m, shift));
  return rate * s.student.levelFit[d] * (1 - m);
}

/** Exercises help when mastery is moderate: a bump around `peak` of half-width `width`. */
export function exerciseGain(s: TutoringScenario, m: number, rate: number): number {
  const e = s.student.exercise;
  const bump = 1 - Math.abs(m - e.peak) / e.width;
  return bump > 0 ? rate * e.gain * bump * (1 - m) : 0;
}

/** An exercise is too hard (frustrating) when mastery is below the bump. */
export function exerciseTooHard(s: TutoringScenario, m: number): boolean {
  return m < s.student.exercise.peak - s.student.exercise.width;
}

/** Mastery above which the student says "I know this already" to an explanation not above their level. */
export const KNOW_IT = 0.85;
/** Volunteering thresholds: "I never understood X" below WEAK, "I'm fine with X" above STRONG. */
export const WEAK = 0.3;
export const STRONG = 0.75;

export function clamp01(x: number): number {
  return x < 0.02 ? 0.02 : x > 0.98 ? 0.98 : x;
}
