import { contentHash } from '../../scenarios/hash.js';
import { Rng, deriveSeed } from '../../scenarios/random.js';
import { ReasoningTask } from '../../scenarios/reasoning/index.js';
import type { Graded, ReasoningProblem, ReasoningScenario } from '../../scenarios/reasoning/index.js';
import type { ReasoningEpisode } from './episode.js';

/** A reasoning scenario with what the runner needs beside it: the task (tokenizer, generator, grader) and the content hash. */
export interface ReasoningContext {
  readonly scenario: ReasoningScenario;
  readonly task: ReasoningTask;
  readonly hash: string;
}

export function makeReasoningContext(scenario: ReasoningScenario): ReasoningContext {
  return { scenario, task: new ReasoningTask(scenario), hash: contentHash(scenario) };
}

/** Which episode to play: its index in the run, its own seed, its id and its difficulty level (1-based). */
export interface ReasoningSpec {
  readonly index: number;
  readonly seed: number;
  readonly id: string;
  readonly level: number;
}

/**
 * Specs of episodes `start..end-1` of a run: episode i has seed `deriveSeed(runSeed, i)`, id
 * `${scenario}-${runSeed}-${i}`, and a level drawn from the mixture `levels` with its own stream.
 */
export function reasoningSpecs(ctx: ReasoningContext, runSeed: number, start: number, end: number, levels: readonly { level: number; weight: number }[] = [{ level: 1, weight: 1 }]): ReasoningSpec[] {
  for (const l of levels) if (!(Number.isInteger(l.level) && l.level >= 1 && l.level <= ctx.task.levels)) throw new RangeError(`level ${l.level}: scenario '${ctx.scenario.id}' has levels 1 to ${ctx.task.levels}`);
  return Array.from({ length: Math.max(0, end - start) }, (_, k) => {
    const index = start + k;
    const seed = deriveSeed(runSeed, index);
    const level = levels.length === 1 ? levels[0].level : levels[Rng.from(seed).fork('level').weightedIndex(levels.map((l) => l.weight))].level;
    return { index, seed, id: `${ctx.scenario.id}-${runSeed}-${index}`, level };
  });
}

/** An episode's random streams, split by role: the problem does not depend on the policy. */
export function reasoningStreams(seed: number): { problem: Rng; policy: Rng } {
  const root = Rng.from(seed);
  return { problem: root.fork('problem'), policy: root.fork('policy') };
}

export type ReasoningStop = ReasoningEpisode['stop'];

/** The record of a finished (or errored: `graded` null, `error` set) episode. */
export function reasoningRecord(
  ctx: ReasoningContext, spec: ReasoningSpec, policy: string, problem: ReasoningProblem | null,
  completion: readonly number[], logProbs: readonly number[] | null, stop: ReasoningStop, graded: Graded | null, error?: unknown,
): ReasoningEpisode {
  const tok = ctx.task.tokenizer;
  const prompt = problem?.prompt ?? [];
  const tokens = [...prompt, ...completion];
  const answerSpan = graded?.answer ?? null;
  const correct = graded?.correct ?? false;
  const score = graded?.score ?? 0;
  const message = error === undefined ? undefined : error instanceof Error ? error.message : String(error);
  const promptText = tok.decode(prompt);
  const completionText = tok.decode(completion);
  return {
    kind: 'reasoning',
    id: spec.id,
    index: spec.index,
    scenario: { id: ctx.scenario.id, version: ctx.scenario.version, hash: ctx.hash },
    task: ctx.scenario.task,
    seed: spec.seed,
    level: spec.level,
    policy,
    prompt: promptText,
    completion: completionText,
    promptLength: prompt.length,
    tokens,
    mask: tokens.map((_, t) => (t < prompt.length ? 0 : 1)),
    logProbs: logProbs ? [...logProbs] : null,
    segments: graded ? graded.segments.map((s) => ({ start: s.start, end: s.end })) : [],
    answerSpan: answerSpan ? { start: answerSpan.start, end: answerSpan.end } : null,
    answer: answerSpan ? tok.decode(completion.slice(answerSpan.start, answerSpan.end)) : null,
    reference: problem ? tok.decode(problem.answer) : '',
    correct,
    score,
    formatOk: graded?.formatOk ?? false,
    length: graded?.length ?? completion.length,
    stop: message === undefined ? stop : 'error',
    ...(message !== undefined ? { reason: message } : graded?.reason && !correct ? { reason: graded.reason } : {}),
    persona: null,
    turns: [
      { speaker: 'user', act: { type: 'prompt' }, text: promptText, reward: 0 },
      ...(completion.length || message === undefined ? [{ speaker: 'agent' as const, act: { type: 'completion' }, text: completionText, reward: score }] : []),
    ],
    outcome: { reason: message !== undefined ? 'error' : correct ? 'success' : 'failure', success: correct, finalReward: score, ...(message !== undefined ? { error: message } : {}) },
    totals: { return: score, agentTurns: completion.length || message === undefined ? 1 : 0, userTurns: 1 },
  };
}
