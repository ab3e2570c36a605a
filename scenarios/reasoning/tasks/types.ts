import type { Rng } from '../../random.js';

/** One generated problem: the prompt's symbols, the canonical answer's symbols and task data. */
export interface Problem<M = unknown> {
  readonly prompt: readonly string[];
  /** One correct answer (countdown accepts others too: the verifier evaluates). */
  readonly answer: readonly string[];
  readonly meta: M;
}

/** The verifier's judgement of an answer. */
export interface Verdict {
  readonly correct: boolean;
  /** In [0, 1]: 1 when correct; partial credit where the task has it (digits, positions), else 0. */
  readonly score: number;
  /** Whether the answer is well formed for the task (digits only, a list, a parsable expression...). */
  readonly formatOk: boolean;
  /** Why it is not correct, for people. */
  readonly reason?: string;
}

/** One step as the reasoner writes it, and the state it leads to. */
export interface Step<S> {
  readonly tokens: readonly string[];
  readonly next: S;
}

/**
 * A task's correct reasoning as a chain of steps over a state. `wrong` gives a plausible wrong
 * version of a step whose wrong result flows into the next state (so a slip carries on to the
 * answer), or null where the step cannot go wrong.
 */
export interface Trace<S> {
  readonly start: S;
  readonly steps: number;
  step(state: S, i: number): Step<S>;
  wrong(state: S, i: number, rng: Rng): Step<S> | null;
  answer(state: S): string[];
  /** False where later steps do not follow from a wrong step (then a mistake is checked at once). */
  readonly propagates: boolean;
}

/** A task family: generator, scripted reasoning and verifier. */
export interface TaskModule<L, M> {
  generate(rng: Rng, level: L): Problem<M>;
  trace(problem: Problem<M>): Trace<unknown>;
  verify(problem: Problem<M>, answer: readonly string[]): Verdict;
}

/** `1 2 3` → 123, or NaN unless every symbol is a digit (and there is one). */
export function digitsToNumber(symbols: readonly string[]): number {
  if (symbols.length === 0 || symbols.some((s) => !/^[0-9]$/.test(s))) return NaN;
  return Number(symbols.join(''));
}

/** 123 → ['1', '2', '3']. */
export function numberToDigits(n: number): string[] {
  return String(n).split('');
}

/** A list of numbers as symbols: `1 2 , 7 , 3`. */
export function listSymbols(values: readonly number[]): string[] {
  return values.flatMap((v, i) => (i ? [',', ...numberToDigits(v)] : numberToDigits(v)));
}

/** `1 2 , 7` → [12, 7], or null when it is not a comma-separated list of numbers without leading zeros. */
export function parseList(symbols: readonly string[]): number[] | null {
  if (symbols.length === 0) return [];
  const out: number[] = [];
  let cur: string[] = [];
  for (const s of [...symbols, ',']) {
    if (s === ',') {
      const n = digitsToNumber(cur);
      if (Number.isNaN(n) || (cur.length > 1 && cur[0] === '0')) return null;
      out.push(n);
      cur = [];
    } else cur.push(s);
  }
  return out;
}
