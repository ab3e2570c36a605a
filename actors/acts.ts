/** Dialogue acts and what the agent observes: the data shared by user, agent, verifier and policies. */

export type ArgValue = string | number | boolean;

/** A dialogue act, e.g. `{ type: 'ask', args: { attribute: 'budget' } }`. Rendered to text by the family's NLG. */
export interface Act {
  readonly type: string;
  readonly args?: Readonly<Record<string, ArgValue>>;
}

export type Speaker = 'agent' | 'user';

/** Why a conversation ended. */
export type EndReason = 'success' | 'failure' | 'agent-ended' | 'user-left' | 'turn-limit' | 'error';
export const END_REASONS = ['success', 'failure', 'agent-ended', 'user-left', 'turn-limit', 'error'] as const satisfies readonly EndReason[];

/** One visible utterance. */
export interface VisibleTurn {
  readonly speaker: Speaker;
  readonly act: Act;
  readonly text: string;
}

/**
 * What the agent sees when it must act. `view` is the family's structured summary of the visible
 * transcript (what the agent has learned so far); `mask[i]` says whether catalogue action i is valid now.
 * `privileged` is filled only for policies that declare `privileged: true` (the oracle: the upper bound).
 */
export interface Observation<V = unknown> {
  readonly scenarioId: string;
  readonly family: string;
  /** Agent turns taken so far (0 at the first decision). */
  readonly turn: number;
  readonly maxTurns: number;
  readonly history: readonly VisibleTurn[];
  readonly lastUserAct: Act | null;
  readonly view: V;
  readonly mask: readonly boolean[];
  readonly privileged?: { readonly persona: unknown; readonly state: unknown };
}
