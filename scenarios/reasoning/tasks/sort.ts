import type { SortLevel } from '../schema.js';
import { listSymbols, numberToDigits, parseList } from './types.js';
import type { TaskModule, Trace, Verdict } from './types.js';

export interface SortMeta {
  readonly values: readonly number[];
  readonly sorted: readonly number[];
}

interface State {
  readonly rest: readonly number[];
  readonly out: readonly number[];
}

/**
 * Sort a list ascending, `3 1 , 7 , 1 2`, by repeated selection of the minimum: each step writes
 * the remaining list and the minimum it picks, `3 1 , 7 , 1 2 : 7`. Partial credit: the share of
 * positions that hold the right value.
 */
export const sort: TaskModule<SortLevel, SortMeta> = {
  generate(rng, level) {
    const n = rng.intBetween(level.length.min, level.length.max);
    const values = Array.from({ length: n }, () => rng.intBetween(level.values.min, level.values.max));
    const sorted = [...values].sort((x, y) => x - y);
    return { prompt: listSymbols(values), answer: listSymbols(sorted), meta: { values, sorted } };
  },

  trace(problem): Trace<State> {
    const take = (s: State, k: number) => ({
      tokens: [...listSymbols(s.rest), ':', ...numberToDigits(s.rest[k])],
      next: { rest: s.rest.filter((_, j) => j !== k), out: [...s.out, s.rest[k]] },
    });
    return {
      start: { rest: problem.meta.values, out: [] },
      steps: problem.meta.values.length,
      propagates: true,
      step: (s) => take(s, s.rest.indexOf(Math.min(...s.rest))),
      wrong: (s, _i, rng) => {
        const min = Math.min(...s.rest);
        const others = s.rest.map((v, k) => (v === min ? -1 : k)).filter((k) => k >= 0);
        return others.length ? take(s, rng.pick(others)) : null;
      },
      answer: (s) => listSymbols(s.out),
    };
  },

  verify(problem, answer): Verdict {
    const got = parseList(answer);
    if (!got || got.length === 0) return { correct: false, score: 0, formatOk: false, reason: 'the answer must be numbers separated by commas' };
    const want = problem.meta.sorted;
    const same = want.filter((v, i) => got[i] === v).length;
    const correct = same === want.length && got.length === want.length;
    return { correct, score: correct ? 1 : same / Math.max(want.length, got.length), formatOk: true, ...(correct ? {} : { reason: `expected ${want.join(',')}, got ${got.join(',')}` }) };
  },
};
