import type { Rng } from '../scenarios/random.js';
import type { Act, EndReason, VisibleTurn } from './acts.js';
import type { Turn } from './episode.js';
import type { Decision } from './policy.js';

/**
 * The messages of one conversation. Each actor's events are named `<actor>.<verb>`; replies to the
 * conversation are named after their sender (`user.said`, `agent.said`, `verifier.judged`).
 */

/** Hidden persona and state, shown only to privileged policies (the oracle). */
export interface Privileged {
  readonly persona: unknown;
  readonly state: unknown;
}

// ---- to the imagined user -------------------------------------------------------------------
export type UserEvent =
  /** Draw the persona, start the hidden state, say the opening line. */
  | { type: 'user.open' }
  /** React to the agent's act. */
  | { type: 'user.hear'; act: Act };

// ---- to the agent ---------------------------------------------------------------------------
export type AgentEvent =
  /**
   * One visible exchange happened (`agent` null for the user's opening): fold it into the view,
   * then, if `decide`, ask the policy for the next act.
   */
  | { type: 'agent.observe'; agent: Act | null; user: VisibleTurn; decide: boolean; privileged?: Privileged }
  /** The batcher's answer to the decision request; `rng` is the policy stream to go on with. */
  | { type: 'agent.decided'; decision: Decision; rng: Rng }
  /** The policy failed for this episode. */
  | { type: 'agent.undecided'; error: unknown };

// ---- to the verifier ------------------------------------------------------------------------
export type VerifierEvent =
  | { type: 'verifier.judge'; persona: unknown; before: unknown; agent: Act; user: Act; after: unknown }
  | { type: 'verifier.finish'; persona: unknown; state: unknown; reason: EndReason };

// ---- to the conversation --------------------------------------------------------------------
export type ConversationEvent =
  /**
   * The user spoke. `persona` comes with the opening only. A failure to render the text is carried
   * in `textError` and raised after the verifier judged the exchange (the reference loop's order).
   */
  | {
      type: 'user.said';
      act: Act;
      text: string;
      textError?: unknown;
      left: boolean;
      before: unknown;
      after: unknown;
      persona?: unknown;
    }
  /** The agent acted; `turn` is its transcript entry (reward 0 until the verifier judges). */
  | { type: 'agent.said'; turn: Turn }
  | { type: 'verifier.judged'; reward: number; end?: 'success' | 'failure' | 'agent-ended' }
  | { type: 'verifier.finished'; reward: number; success: boolean; details?: Record<string, number | string | boolean> }
  /** A family or policy call threw inside a child: the episode ends as errored. */
  | { type: 'actor.failed'; role: 'user' | 'agent' | 'verifier'; error: unknown; persona?: unknown };
