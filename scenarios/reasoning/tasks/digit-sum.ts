import type { DigitSumLevel } from '../schema.js';
import type { TaskModule, Trace, Verdict } from './types.js';

export interface DigitSumMeta {
  readonly digits: readonly number[];
}

/**
 * The sum mod 10 of n digits, `3 7 1 9 =`. The thought keeps a running partial sum mod 10, one
 * digit per step: `0 + 3 = 3`, `3 + 7 = 0`, ... The answer is one digit: no partial credit.
 */
export const digitSum: TaskModule<DigitSumLevel, DigitSumMeta> = {
  generate(rng, level) {
    const n = rng.intBetween(level.digits.min, level.digits.max);
    const digits = Array.from({ length: n }, () => rng.int(10));
    const sum = digits.reduce((s, d) => (s + d) % 10, 0);
    return { prompt: [...digits.map(String), '='], answer: [String(sum)], meta: { digits } };
  },

  trace(problem): Trace<number> {
    const { digits } = problem.meta;
    const write = (p: number, i: number, q: number) => ({ tokens: [String(p), '+', String(digits[i]), '=', String(q)], next: q });
    return {
      start: 0,
      steps: digits.length,
      propagates: true,
      step: (p, i) => write(p, i, (p + digits[i]) % 10),
      wrong: (p, i, rng) => write(p, i, (p + digits[i] + 1 + rng.int(9)) % 10),
      answer: (p) => [String(p)],
    };
  },

  verify(problem, answer): Verdict {
    if (answer.length !== 1 || !/^[0-9]$/.test(answer[0])) return { correct: false, score: 0, formatOk: false, reason: 'the answer must be one digit' };
    const correct = answer[0] === problem.answer[0];
    return { correct, score: correct ? 1 : 0, formatOk: true, ...(correct ? {} : { reason: `expected ${problem.answer[0]}, got ${answer[0]}` }) };
  },
};
