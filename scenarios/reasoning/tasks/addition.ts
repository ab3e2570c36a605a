import type { Rng } from '../../random.js';
import type { AdditionLevel } from '../schema.js';
import { digitsToNumber } from './types.js';
import type { TaskModule, Trace, Verdict } from './types.js';

export interface AdditionMeta {
  readonly a: string;
  readonly b: string;
}

/** State: the digits written so far (least significant first) and the carry. */
interface State {
  readonly out: readonly number[];
  readonly carry: number;
}

/** A number of exactly `n` digits as a string (no leading zero unless n = 1); BigInt-free, so any length. */
function drawNumber(rng: Rng, n: number): string {
  let s = String(n === 1 ? rng.int(10) : 1 + rng.int(9));
  for (let i = 1; i < n; i++) s += String(rng.int(10));
  return s;
}

/** Decimal strings added digit by digit (operands may be longer than a double holds). */
export function addDecimal(a: string, b: string): string {
  let out = '';
  let carry = 0;
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const s = Number(a[a.length - 1 - i] ?? 0) + Number(b[b.length - 1 - i] ?? 0) + carry;
    out = String(s % 10) + out;
    carry = s >= 10 ? 1 : 0;
  }
  return carry ? '1' + out : out;
}

/**
 * Multi-digit addition `a + b =`. The thought adds one column per step, right to left:
 * `7 + 5 + 0 = 1 2` (digit of a, digit of b, carry in, two-digit column sum); the answer digits
 * are the sums' last digits, with the final carry in front. Partial credit per digit (right-aligned).
 */
export const addition: TaskModule<AdditionLevel, AdditionMeta> = {
  generate(rng, level) {
    const a = drawNumber(rng, rng.intBetween(level.digits.min, level.digits.max));
    const b = drawNumber(rng, rng.intBetween(level.digits.min, level.digits.max));
    return { prompt: [...a, '+', ...b, '='], answer: [...addDecimal(a, b)], meta: { a, b } };
  },

  trace(problem): Trace<State> {
    const { a, b } = problem.meta;
    const n = Math.max(a.length, b.length);
    const col = (i: number) => [Number(a[a.length - 1 - i] ?? 0), Number(b[b.length - 1 - i] ?? 0)];
    const write = (s: State, i: number, sum: number): { tokens: string[]; next: State } => {
      const [x, y] = col(i);
      return {
        tokens: [String(x), '+', String(y), '+', String(s.carry), '=', String(Math.floor(sum / 10)), String(sum % 10)],
        next: { out: [...s.out, sum % 10], carry: sum >= 10 ? 1 : 0 },
      };
    };
    return {
      start: { out: [], carry: 0 },
      steps: n,
      propagates: true,
      step: (s, i) => write(s, i, col(i)[0] + col(i)[1] + s.carry),
      wrong: (s, i, rng) => {
        const sum = col(i)[0] + col(i)[1] + s.carry;
        // Off by one, or the carry forgotten / doubled: the slips people make.
        const options = [sum - 1, sum + 1, sum + 10, sum - 10].filter((v) => v >= 0 && v <= 19);
        return write(s, i, rng.pick(options));
      },
      answer: (s) => [...(s.carry ? ['1'] : []), ...[...s.out].reverse().map(String)],
    };
  },

  verify(problem, answer): Verdict {
    const expected = problem.answer;
    if (Number.isNaN(digitsToNumber(answer))) return { correct: false, score: 0, formatOk: false, reason: 'the answer must be digits only' };
    let same = 0;
    for (let i = 1; i <= Math.min(expected.length, answer.length); i++) if (expected[expected.length - i] === answer[answer.length - i]) same++;
    const correct = same === expected.length && answer.length === expected.length;
    return { correct, score: correct ? 1 : same / Math.max(expected.length, answer.length), formatOk: true, ...(correct ? {} : { reason: `expected ${expected.join('')}, got ${answer.join('')}` }) };
  },
};
