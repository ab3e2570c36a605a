import type { Rng } from '../../random.js';
import type { CountdownLevel } from '../schema.js';
import { ExpressionError, combine, evaluate, leaf } from './expression.js';
import type { Node, Op } from './expression.js';
import { digitsToNumber, listSymbols, numberToDigits } from './types.js';
import type { Problem, TaskModule, Trace, Verdict } from './types.js';

export interface CountdownMeta {
  readonly numbers: readonly number[];
  readonly target: number;
  /** The scripted search's thought segments, written once at generation. */
  readonly search: readonly (readonly string[])[];
}

/** Results above this are not explored (they only lead away from targets of the sizes we draw). */
const CAP = 99_999;
const OPS: readonly Op[] = ['+', '*', '-'];

/** The children of a state: every pair with every useful operation, closest to the target first. */
function children(state: readonly Node[], target: number): { i: number; j: number; node: Node }[] {
  const out: { i: number; j: number; node: Node }[] = [];
  for (let i = 0; i < state.length; i++) {
    for (let j = i + 1; j < state.length; j++) {
      const [x, y] = state[i].value >= state[j].value ? [state[i], state[j]] : [state[j], state[i]];
      for (const op of OPS) {
        if (op === '*' && y.value === 1) continue; // changes nothing
        if (op === '-' && x.value === y.value) continue; // zero helps no target
        const node = combine(x, op, y);
        if (node.value <= CAP) out.push({ i, j, node });
      }
    }
  }
  // Stable sort: ties keep the pair/operation order, so the search is deterministic.
  return out.map((c, k) => ({ c, k })).sort((p, q) => Math.abs(p.c.node.value - target) - Math.abs(q.c.node.value - target) || p.k - q.k).map((p) => p.c);
}

/**
 * A depth-first search, closest results first, written as it goes: each move is a segment
 * `2 5 * 4 = 1 0 0 : 3 , 7 , 1 0 0` (the operation, then the numbers left), a dead end is
 * `<back> : 3 , 7 , 2 5 , 4` (the numbers returned to). Returns the segments and the expression
 * found, or null when the budget of segments runs out first.
 */
export function searchCountdown(numbers: readonly number[], target: number, budget: number): { segments: string[][]; found: Node } | null {
  const segments: string[][] = [];
  const values = (s: readonly Node[]) => listSymbols(s.map((n) => n.value));
  const dfs = (state: readonly Node[]): Node | null => {
    for (const c of children(state, target)) {
      if (segments.length >= budget) return null;
      const next = [...state.filter((_, k) => k !== c.i && k !== c.j), c.node];
      const [x, y] = state[c.i].value >= state[c.j].value ? [state[c.i], state[c.j]] : [state[c.j], state[c.i]];
      segments.push([...numberToDigits(x.value), c.node.op!, ...numberToDigits(y.value), '=', ...numberToDigits(c.node.value), ':', ...values(next)]);
      if (c.node.value === target) return c.node;
      if (next.length > 1) {
        const found = dfs(next);
        if (found) return found;
        if (segments.length >= budget) return null;
      }
      segments.push(['<back>', ':', ...values(state)]);
    }
    return null;
  };
  const found = dfs(numbers.map(leaf));
  return found ? { segments, found } : null;
}

/** Whether some expression with at most `ops` operations reaches the target (exhaustive, for small `ops`). */
export function solvableWithin(numbers: readonly number[], target: number, ops: number): boolean {
  if (numbers.includes(target)) return true;
  if (ops === 0 || numbers.length < 2) return false;
  for (let i = 0; i < numbers.length; i++) {
    for (let j = i + 1; j < numbers.length; j++) {
      const [x, y] = numbers[i] >= numbers[j] ? [numbers[i], numbers[j]] : [numbers[j], numbers[i]];
      const rest = numbers.filter((_, k) => k !== i && k !== j);
      for (const v of [x + y, x * y, x - y]) if (solvableWithin([...rest, v], target, ops - 1)) return true;
    }
  }
  return false;
}

/** A target reachable from `numbers`: a random subset (of at least `least`) combined in random order with random operations. */
function drawTarget(rng: Rng, numbers: readonly number[], least: number): number {
  let pool = rng.sample(numbers, rng.intBetween(Math.min(least, numbers.length), numbers.length));
  while (pool.length > 1) {
    const [x, y, ...rest] = rng.shuffle(pool);
    const op = rng.pick(OPS);
    const v = op === '+' ? x + y : op === '*' ? x * y : Math.abs(x - y);
    pool = [...rest, v];
  }
  return pool[0];
}

const MAX_DRAWS = 10_000;

/**
 * Countdown: reach the target with some of the given numbers, each at most once, and + − ×
 * (`3 , 7 , 2 5 , 4 = 8 7`). Any expression that evaluates to the target is correct: the verifier
 * parses and evaluates it (no partial credit). Problems are solvable by construction, need at least
 * `minSteps` operations, and the scripted search solves them within `searchBudget` segments.
 */
export const countdown: TaskModule<CountdownLevel, CountdownMeta> = {
  generate(rng, level) {
    for (let attempt = 0; attempt < MAX_DRAWS; attempt++) {
      const numbers = Array.from({ length: level.numbers }, () => rng.intBetween(level.values.min, level.values.max));
      const target = drawTarget(rng, numbers, Math.max(2, level.minSteps + 1));
      if (target < level.target.min || target > level.target.max || numbers.includes(target)) continue;
      // Too easy for this level: a shorter solution than it asks for exists.
      if (level.minSteps > 1 && solvableWithin(numbers, target, level.minSteps - 1)) continue;
      const found = searchCountdown(numbers, target, level.searchBudget);
      if (!found) continue;
      return {
        prompt: [...listSymbols(numbers), '=', ...numberToDigits(target)],
        answer: [...found.found.symbols],
        meta: { numbers, target, search: found.segments },
      };
    }
    throw new RangeError(`countdown: no problem found in ${MAX_DRAWS} draws for level ${JSON.stringify(level)}; widen the target range, raise searchBudget or lower minSteps`);
  },

  trace(problem: Problem<CountdownMeta>): Trace<null> {
    const { search } = problem.meta;
    return {
      start: null,
      steps: search.length,
      // The search does not depend on a wrongly written result: mistakes are checked at once.
      propagates: false,
      step: (_s, i) => ({ tokens: search[i], next: null }),
      wrong: (_s, i, rng) => {
        const seg = search[i];
        const eq = seg.indexOf('=');
        if (seg[0] === '<back>' || eq < 0) return null;
        const colon = seg.indexOf(':');
        const right = digitsToNumber(seg.slice(eq + 1, colon));
        const bad = right + rng.pick([-2, -1, 1, 2, 10]);
        if (bad < 0) return null;
        const rest = seg.slice(colon + 1);
        // The wrong result also appears last in the list of numbers left.
        const lastComma = rest.lastIndexOf(',');
        const kept = lastComma < 0 ? [] : rest.slice(0, lastComma + 1);
        return { tokens: [...seg.slice(0, eq + 1), ...numberToDigits(bad), ':', ...kept, ...numberToDigits(bad)], next: null };
      },
      answer: () => [...problem.answer],
    };
  },

  verify(problem, answer): Verdict {
    let ev;
    try {
      ev = evaluate(answer);
    } catch (err) {
      if (err instanceof ExpressionError) return { correct: false, score: 0, formatOk: false, reason: err.message };
      throw err;
    }
    const left = new Map<number, number>();
    for (const n of problem.meta.numbers) left.set(n, (left.get(n) ?? 0) + 1);
    for (const n of ev.numbers) {
      const k = left.get(n) ?? 0;
      if (k === 0) {
        const reason = problem.meta.numbers.includes(n) ? `uses ${n} more often than it is given` : `${n} is not one of the given numbers`;
        return { correct: false, score: 0, formatOk: true, reason };
      }
      left.set(n, k - 1);
    }
    const correct = ev.value === problem.meta.target;
    return { correct, score: correct ? 1 : 0, formatOk: true, ...(correct ? {} : { reason: `evaluates to ${ev.value}, not the target ${problem.meta.target}` }) };
  },
};
