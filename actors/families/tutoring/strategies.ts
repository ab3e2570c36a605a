import type { TutoringScenario } from '../../../scenarios/families/tutoring.js';
import type { Rng } from '../../../scenarios/random.js';
import type { Observation } from '../../acts.js';
import type { TutoringPersona, TutoringState } from './persona.js';
import type { TutoringView } from './view.js';
import {
  KNOW_IT, STRONG, WEAK, compile, fastScore, exerciseGain, exerciseTooHard, explainGain, fittingLevel, pCorrect, prereqFactor,
} from './model.js';
import type { Compiled } from './model.js';

/** Expected reward of raising one concept's mastery from m by gain: its share of the post-test gain. */
function value(s: TutoringScenario, c: Compiled, m: number, gain: number): number {
  return gain > 0 ? (s.verifier.gainScale / c.K) * (fastScore(c, m + gain) - fastScore(c, m)) : 0;
}

// ---------------------------------------------------------------------------------------------
// Heuristic: sees only the view. Quiz every concept the student has not talked about, keep a
// posterior over each concept's mastery on a grid, then explain at the level that posterior says
// fits (moved by the student's reactions: bored -> higher, confused -> lower), or set an exercise
// when mastery looks moderate; end when nothing is worth a turn or the student grows restless.
// ---------------------------------------------------------------------------------------------

const GRID = 15;
const GRID_M = Array.from({ length: GRID }, (_, g) => (g + 0.5) / GRID);

/** Posterior weights of each concept's initial mastery on GRID_M, from quiz answers and what the student said. */
const posteriors = new WeakMap<TutoringScenario, Map<number | string, readonly number[]>>();

/** {@link computePosterior}, memoised per scenario on what it depends on (few distinct keys per scenario). */
function posterior(s: TutoringScenario, c: Compiled, v: TutoringView, i: number): readonly number[] {
  let memo = posteriors.get(s);
  if (!memo) { memo = new Map(); posteriors.set(s, memo); }
  const r = v.quizRight[i];
  const wr = v.quizWrong[i];
  const u = v.quizUnsure[i];
  const said = (v.saidWeak[i] ? 2 : 0) + (v.saidStrong[i] ? 1 : 0);
  // A small integer while the counts fit (any real episode): building a string key per call was a
  // tenth of this family's allocation.
  const key = i < 64 && r < 128 && wr < 128 && u < 128 ? (((i * 128 + r) * 128 + wr) * 128 + u) * 4 + said : `${i},${r},${wr},${u},${said}`;
  let w = memo.get(key);
  if (!w) {
    w = computePosterior(s, c, v, i);
    if (memo.size > 20000) memo.clear();
    memo.set(key, w);
  }
  return w;
}

function computePosterior(s: TutoringScenario, c: Compiled, v: TutoringView, i: number): number[] {
  const answered = v.quizRight[i] + v.quizWrong[i];
  const quizzes = Math.round(answered / c.quizDifficulty.length);
  const dist = s.concepts[i].mastery;
  const parts = Array.isArray(dist) ? dist : [{ ...dist, weight: 1 }];
  const a2 = s.student.ability * s.student.ability;
  const w = new Array<number>(GRID);
  let total = 0;
  for (let g = 0; g < GRID; g++) {
    const m = GRID_M[g];
    let p = 0;
    for (const d of parts) {
      const sd = Math.max(0.05, Math.sqrt(d.sd * d.sd + a2));
      const z = (m - d.mean) / sd;
      p += (d.weight / sd) * Math.exp(-0.5 * z * z);
    }
    const u = Math.min(0.9, 2 * s.user.vagueness * (1 - m));
    p *= u ** v.quizUnsure[i];
    if (answered > 0) p *= (1 - u) ** quizzes * countLikelihood(s, c, m, quizzes, v.quizRight[i]);
    if (v.saidWeak[i]) p *= m < WEAK ? 1 : 0.05;
    if (v.saidStrong[i]) p *= m > STRONG ? 1 : 0.05;
    w[g] = p;
    total += p;
  }
  for (let g = 0; g < GRID; g++) w[g] /= total;
  return w;
}

/** Heuristic knobs, for experiments and tests (the family's `heuristic` uses the defaults). */
export interface HeuristicOptions {
  /** false: never quiz, teach from the prior and the student's reactions alone. */
  readonly ask?: boolean;
  /** Value-of-information studies only: the true initial mastery replaces the posterior (privileged). */
  readonly knownMastery?: readonly number[];
}

/** P(`right` questions right over `quizzes` quizzes | mastery m): a Poisson-binomial, by dynamic programming. */
function countLikelihood(s: TutoringScenario, c: Compiled, m: number, quizzes: number, right: number): number {
  const n = c.quizDifficulty.length;
  const noise = s.user.noise;
  const dp = [1];
  for (let q = 0; q < quizzes; q++) {
    for (let j = 0; j < n; j++) {
      const pc = pCorrect(s, m, c.quizDifficulty[j]);
      const r = noise * (1 - pc) + (1 - noise) * pc;
      dp.push(0);
      for (let k = dp.length - 1; k >= 0; k--) dp[k] = dp[k] * (1 - r) + (k > 0 ? dp[k - 1] * r : 0);
    }
  }
  return dp[right] ?? 0;
}

// The grid loops of `heuristic`, each in a function of its own: there V8 inlines the model's
// arithmetic, while in `heuristic` its inlining budget runs out and every call boxes its result
// (most of this policy's allocation). Results go into Float64Arrays, unboxed.

/** Scratch for `heuristic` (synchronous, so one of each is enough). */
const MT = new Float64Array(GRID);
const SUMS = new Float64Array(2);

/** The learning rate the heuristic assumes. Each helper computes it (a double argument would be boxed per call). */
function meanRate(s: TutoringScenario): number {
  return (s.student.learningRate.min + s.student.learningRate.max) / 2;
}

/** What the teaching so far has done to each possible mastery (order unknown: simplest first), into `mt`. */
function taught(s: TutoringScenario, c: Compiled, v: TutoringView, i: number, shift: number, mt: Float64Array): void {
  const rate = meanRate(s);
  for (let g = 0; g < GRID; g++) {
    let m = GRID_M[g];
    for (let l = 0; l < c.L; l++) {
      for (let k = v.explained[i * c.L + l]; k > 0; k--) m += explainGain(s, c, m, l, shift, rate);
    }
    for (let k = v.exerciseRight[i] + v.exerciseWrong[i]; k > 0; k--) m += exerciseGain(s, m, rate);
    mt[g] = m;
  }
}

/** Expected value of explaining at level l, and the weight of the masteries it fits: `out` = [value, fits]. */
function explainValue(s: TutoringScenario, c: Compiled, w: readonly number[], mt: Float64Array, l: number, shift: number, out: Float64Array): void {
  const rate = meanRate(s);
  let e = 0;
  let fits = 0;
  for (let g = 0; g < GRID; g++) {
    e += w[g] * value(s, c, mt[g], explainGain(s, c, mt[g], l, shift, rate));
    if (fittingLevel(c, mt[g], shift) === l) fits += w[g];
  }
  out[0] = e;
  out[1] = fits;
}

/** Expected value of an exercise, and the weight of the masteries it is too hard for: `out` = [value, tooHard]. */
function exerciseValue(s: TutoringScenario, c: Compiled, w: readonly number[], mt: Float64Array, out: Float64Array): void {
  const rate = meanRate(s);
  let e = 0;
  let tooHard = 0;
  for (let g = 0; g < GRID; g++) {
    e += w[g] * value(s, c, mt[g], exerciseGain(s, mt[g], rate));
    if (exerciseTooHard(s, mt[g])) tooHard += w[g];
  }
  out[0] = e;
  out[1] = tooHard;
}

export function heuristic(s: TutoringScenario, obs: Observation<TutoringView>, opts: HeuristicOptions = {}): number {
  const c = compile(s);
  const v = obs.view;
  const canEnd = obs.mask[c.endIndex];
  if (v.restless && canEnd) return c.endIndex;
  let boredSum = 0;
  let confusedSum = 0;
  for (let i = 0; i < c.K; i++) { boredSum += v.bored[i]; confusedSum += v.confused[i]; }
  const diff = boredSum - confusedSum;
  const shift = diff >= 2 ? 1 : diff <= -2 ? -1 : 0;
  let best = -1;
  let bestValue = 0;
  let bestFit = 1;
  for (let i = 0; i < c.K; i++) {
    let w: readonly number[] = posterior(s, c, v, i);
    if (opts.knownMastery) { w = GRID_M.map((m) => Math.abs(m - opts.knownMastery![i]) <= 0.5 / GRID ? 1 : 0); }
    taught(s, c, v, i, shift, MT);
    const last = v.lastLevel[i];
    const react = v.lastReaction[i];
    for (let l = 0; l < c.L; l++) {
      if (last >= 0 && ((react < 0 && l <= last) || (react > 0 && l >= last))) continue;
      explainValue(s, c, w, MT, l, shift, SUMS);
      if (SUMS[0] > bestValue) { bestValue = SUMS[0]; best = i * c.span + 1 + l; bestFit = SUMS[1]; }
    }
    exerciseValue(s, c, w, MT, SUMS);
    const tooHard = SUMS[1];
    if (tooHard < 0.3 && SUMS[0] > bestValue) { bestValue = SUMS[0]; best = i * c.span + c.L + 1; bestFit = 1 - tooHard; }
  }
  if (canEnd && (best < 0 || bestValue < 1.5 * s.verifier.turnCost)) return c.endIndex;
  if (best < 0) return 0;
  // Ask before acting: before teaching a concept the student has said nothing about, quiz it; quiz it
  // again while unsure which level fits (a vague answer tells nothing).
  const i = Math.floor(best / c.span);
  const untaught = v.lastLevel[i] < 0 && v.exerciseRight[i] + v.exerciseWrong[i] === 0;
  const quizzes = (v.quizRight[i] + v.quizWrong[i]) / c.quizDifficulty.length;
  if (opts.ask !== false && untaught && !v.saidWeak[i] && !v.saidStrong[i] && v.quizUnsure[i] < 2) {
    if (quizzes === 0 || (quizzes < 2 && bestFit < 0.6)) return i * c.span;
  }
  return best;
}

// ---------------------------------------------------------------------------------------------
// Oracle: reads the hidden mastery, learning rate, level preference and patience. Greedy: the
// act with the largest expected post-test gain per turn that does not exhaust the student's
// patience; end when no act is worth its turn cost.
// ---------------------------------------------------------------------------------------------

export function oracle(s: TutoringScenario, obs: Observation<TutoringView>, p: TutoringPersona, st: TutoringState): number {
  const c = compile(s);
  let best = -1;
  let bestValue = -Infinity;
  const consider = (action: number, m: number, gain: number, cost: number) => {
    // Worth its turn, and the most reward per unit of the student's patience (the scarce resource).
    const r = value(s, c, m, gain);
    if (st.patience - cost <= 0 || r <= s.verifier.turnCost) return;
    if (r / cost > bestValue) { bestValue = r / cost; best = action; }
  };
  for (let i = 0; i < c.K; i++) {
    const m = st.mastery[i];
    const rate = p.learningRate * prereqFactor(s, c, i, st.mastery);
    const fit = fittingLevel(c, m, p.levelShift);
    for (let l = 0; l < c.L; l++) {
      const extra = l < fit || (m >= KNOW_IT && l === fit) ? s.student.boredom : l > fit ? s.student.frustration : 0;
      consider(i * c.span + 1 + l, m, explainGain(s, c, m, l, p.levelShift, rate), 1 + extra);
    }
    consider(i * c.span + c.L + 1, m, exerciseGain(s, m, rate), 1 + (exerciseTooHard(s, m) ? s.student.frustration : 0));
  }
  if (best < 0) return obs.mask[c.endIndex] ? c.endIndex : obs.mask.indexOf(true);
  return best;
}

/** The random strategy a generic policy plays: uniform over the valid actions (here for tests and tools). */
export function randomValid(obs: Observation<TutoringView>, rng: Rng): number {
  let n = 0;
  for (const ok of obs.mask) if (ok) n++;
  let k = rng.int(n);
  for (let i = 0; i < obs.mask.length; i++) if (obs.mask[i] && k-- === 0) return i;
  return obs.mask.indexOf(true);
}
