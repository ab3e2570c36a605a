import { Rng } from '../../scenarios/random.js';
import { ReasonerSettings } from '../../scenarios/reasoning/index.js';
import type { ReasoningProblem, ReasoningTask } from '../../scenarios/reasoning/index.js';

/** What an episode asks its policy for on a tick: the next tokens after what it has written. */
export interface WriteRequest {
  readonly problem: ReasoningProblem;
  /** Completion ids written so far (empty on the first tick). */
  readonly written: readonly number[];
  /** Most tokens the policy may still write (the scenario's `maxTokens` minus `written`). */
  readonly budget: number;
  /** The episode's seed (a policy that re-derives its draws from it stays stateless). */
  readonly seed: number;
  /** The episode's own policy stream, carried from tick to tick (sampling draws from it). */
  readonly rng: Rng;
}

/** Tokens written on one tick; `logProbs` (one per token) when the policy knows them. */
export interface Written {
  readonly tokens: readonly number[];
  readonly logProbs?: readonly number[];
  /** The policy can write no more (e.g. its context is full): the episode stops with `stop: 'length'`. */
  readonly end?: boolean;
}

/**
 * A reasoner policy, batched: one `write` call per tick answers every live episode that waits.
 * Each answer is a continuation of at least one token: one token (a token-level policy), a
 * segment, or the whole completion through `<eos>` (what the scripted reasoner and the learners'
 * KV-cache decoder do). The episode asks again until `<eos>` or its token budget is spent.
 * An answer must depend only on its request (and the request's rng), not on the batch.
 */
export interface ReasoningPolicy {
  readonly name: string;
  write(requests: readonly WriteRequest[]): readonly Written[] | Promise<readonly Written[]>;
}

/**
 * The scenario's scripted reasoner as a policy: the whole completion on the first tick, drawn
 * from the episode's policy stream (`settings` override the scenario's habits).
 *
 * @example
 * const policy = scriptedReasoner(task, { mistakeRate: 0 }); // name 'reasoner:clean'
 */
export function scriptedReasoner(task: ReasoningTask, settings?: Partial<ReasonerSettings>, name?: string): ReasoningPolicy {
  const habits = ReasonerSettings.parse({ ...task.scenario.reasoner, ...settings });
  return {
    name: name ?? (settings ? `reasoner:${Object.entries(settings).map(([k, v]) => `${k}=${String(v)}`).join(',')}` : 'reasoner'),
    write: (requests) => requests.map((r) => {
      if (r.written.length > 0) throw new Error('the scripted reasoner writes whole completions; it was asked to continue one');
      return { tokens: task.solve(r.problem, r.rng, habits).completion.slice(0, r.budget) };
    }),
  };
}

/** The scripted reasoner one token per tick (the same completion as {@link scriptedReasoner}): tests the per-tick loop. */
export function tokenByTokenReasoner(task: ReasoningTask, settings?: Partial<ReasonerSettings>): ReasoningPolicy {
  const habits = ReasonerSettings.parse({ ...task.scenario.reasoner, ...settings });
  return {
    name: 'reasoner-token',
    // Stateless: the whole solution is redrawn from the episode's policy stream's start each tick.
    write: (requests) => requests.map((r) => ({ tokens: [task.solve(r.problem, Rng.from(r.rng.seed), habits).completion[r.written.length]] })),
  };
}

const NAMES = ['reasoner', 'reasoner:clean'] as const;
export const REASONING_POLICY_NAMES: readonly string[] = NAMES;

/** `reasoner` (the scenario's habits) or `reasoner:clean` (no mistakes, checks or slips). */
export function reasoningPolicyByName(name: string, task: ReasoningTask): ReasoningPolicy {
  if (name === 'reasoner') return scriptedReasoner(task);
  if (name === 'reasoner:clean') return scriptedReasoner(task, { mistakeRate: 0, checkRate: 0, slipRate: 0 }, name);
  throw new Error(`unknown reasoning policy '${name}'; expected ${NAMES.join(' or ')} (or a checkpoint directory of \`reverie train --algo sft\`)`);
}
