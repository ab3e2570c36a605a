import type { Rng } from '../random.js';
import { formatCompletion, parseCompletion } from './format.js';
import type { ParsedCompletion } from './format.js';
import { reason } from './reasoner.js';
import type { Reasoning } from './reasoner.js';
import type { ReasonerSettings, ReasoningScenario, TaskName } from './schema.js';
import { TASKS } from './tasks/index.js';
import type { Problem, TaskModule } from './tasks/types.js';
import { Tokenizer } from './tokenizer.js';

/** A problem with its level and its prompt and reference answer as token ids. */
export interface ReasoningProblem {
  readonly task: TaskName;
  /** 1-based difficulty level. */
  readonly level: number;
  readonly problem: Problem;
  readonly prompt: readonly number[];
  readonly answer: readonly number[];
}

/** The scripted reasoner's completion: token ids (`<think>` through `<eos>`) and how it was written. */
export interface ScriptedSolution {
  readonly completion: number[];
  readonly reasoning: Reasoning;
}

/** A completion graded: format, verifier and the thought's segment spans. */
export interface Graded extends ParsedCompletion {
  /** Correct only when the format is ok and the verifier accepts the answer. */
  readonly correct: boolean;
  readonly score: number;
  /** Whether the answer itself is well formed for the task (the completion's format is `formatOk`). */
  readonly answerOk: boolean;
  readonly reason?: string;
}

/**
 * A reasoning scenario made usable: token ids in, token ids out.
 *
 * @example
 * const task = new ReasoningTask(loadReasoningScenario('addition'));
 * const p = task.generate(Rng.from(1), 2);            // level 2
 * const { completion } = task.solve(p, Rng.from(2)); // the scripted reasoner
 * task.grade(p, completion).correct;                 // true
 */
export class ReasoningTask {
  readonly tokenizer: Tokenizer;
  private readonly module: TaskModule<never, unknown>;

  constructor(readonly scenario: ReasoningScenario) {
    this.tokenizer = new Tokenizer(scenario.vocabulary);
    this.module = TASKS[scenario.task];
  }

  /** How many difficulty levels the scenario has (levels are 1..levels). */
  get levels(): number {
    return this.scenario.difficulty.length;
  }

  /** A problem at a level (1-based), drawn from `rng` alone. */
  generate(rng: Rng, level: number): ReasoningProblem {
    if (!Number.isInteger(level) || level < 1 || level > this.levels) throw new RangeError(`level must be a whole number from 1 to ${this.levels}, got ${level}`);
    const problem = this.module.generate(rng, this.scenario.difficulty[level - 1] as never);
    return { task: this.scenario.task, level, problem, prompt: this.tokenizer.encode(problem.prompt), answer: this.tokenizer.encode(problem.answer) };
  }

  /** The scripted reasoner's completion, with the scenario's reasoner settings unless others are given. */
  solve(p: ReasoningProblem, rng: Rng, settings: ReasonerSettings = this.scenario.reasoner): ScriptedSolution {
    const reasoning = reason(this.module.trace(p.problem), settings, rng);
    const symbols = formatCompletion(reasoning.segments, reasoning.answer, this.scenario.vocabulary.separator);
    return { completion: this.tokenizer.encode(symbols), reasoning };
  }

  /** Grades completion ids (anything a policy wrote, padding allowed after `<eos>`). */
  grade(p: ReasoningProblem, completion: readonly number[]): Graded {
    const parsed = parseCompletion(completion, this.tokenizer);
    if (!parsed.answer) return { ...parsed, correct: false, score: 0, answerOk: false, reason: parsed.problems.join('; ') };
    const verdict = this.module.verify(p.problem, this.tokenizer.symbols(completion.slice(parsed.answer.start, parsed.answer.end)));
    const correct = parsed.formatOk && verdict.correct;
    const reason = [...parsed.problems, ...(verdict.reason ? [verdict.reason] : [])].join('; ');
    return { ...parsed, correct, score: parsed.formatOk ? verdict.score : 0, answerOk: verdict.formatOk, ...(reason ? { reason } : {}) };
  }
}
