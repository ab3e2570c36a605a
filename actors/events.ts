import type { Rng } from '../scenarios/random.js';
import type { Act, EndReason, VisibleTurn } from './acts.js';
import type { EpisodeSpec, EpisodeStreams } from './episode-core.js';
import type { Episode, Turn } from './episode.js';
import type { Decision } from './policy.js';

/**
 * The messages of one conversation, named `<receiver>.<verb>` for commands and `<sender>.<verb>`
 * for reports. One exchange flows agent → user → verifier → conversation:
 *
 *   conversation ──agent.observe──▶ agent ──(decision request, batched)──▶ agent.decided
 *   agent ──user.hear──▶ user ──verifier.judge──▶ verifier ──verifier.judged──▶ conversation
 */

/** Hidden persona and state, shown only to privileged policies (the oracle). */
export interface Privileged {
  readonly persona: unknown;
  readonly state: unknown;
}

// ---- to the imagined user -------------------------------------------------------------------
export type UserEvent =
  /** A new episode: draw the persona, start the hidden state, say the opening line. */
  | { type: 'user.open'; rngPersona: Rng; rng: Rng; rngText: Rng }
  /** React to the agent's turn (its `reward` is filled in by the conversation once judged). */
  | { type: 'user.hear'; turn: Turn };

// ---- to the agent ---------------------------------------------------------------------------
export type AgentEvent =
  /** A new episode: fresh view and transcript, the episode's policy and wording streams. */
  | { type: 'agent.start'; rng: Rng; rngText: Rng }
  /**
   * One visible exchange happened (`agent` null for the user's opening): fold it into the view,
   * then, if `decide`, ask the policy for the next act; else answer `agent.ready`.
   */
  | { type: 'agent.observe'; agent: Act | null; user: VisibleTurn; decide: boolean; privileged?: Privileged }
  /** The batcher's answer to the decision request; `rng` is the policy stream to go on with. */
  | { type: 'agent.decided'; decision: Decision; rng: Rng }
  /** The policy failed for this episode. */
  | { type: 'agent.undecided'; error: unknown };

// ---- to the verifier ------------------------------------------------------------------------
export interface UserReply {
  /** The agent's turn this replies to. */
  readonly turn: Turn;
  readonly act: Act;
  readonly text: string;
  /** renderUser failed: raised once the exchange is judged (the reference loop's order). */
  readonly textError?: unknown;
  readonly left: boolean;
  readonly before: unknown;
  readonly after: unknown;
}

export type VerifierEvent =
  | ({ type: 'verifier.judge'; persona: unknown } & UserReply)
  | { type: 'verifier.finish'; persona: unknown; state: unknown; reason: EndReason; rng: Rng };

// ---- to the conversation --------------------------------------------------------------------
export type ConversationEvent =
  /** Play one episode (the conversation is reused, episode after episode). */
  | { type: 'conversation.play'; spec: EpisodeSpec; label: string; streams: EpisodeStreams }
  | { type: 'user.opened'; act: Act; text: string; persona: unknown; state: unknown }
  /** A judged exchange: the agent's turn, the user's reply, the verifier's reward and verdict. */
  | ({ type: 'verifier.judged'; reward: number; end?: 'success' | 'failure' | 'agent-ended' } & UserReply)
  | { type: 'verifier.finished'; reward: number; success: boolean; details?: Record<string, number | string | boolean> }
  /** The agent folded in the last exchange (asked with `decide: false`). */
  | { type: 'agent.ready' }
  /**
   * A family or policy call threw inside a child: the episode ends as errored. `persona` when it was
   * drawn before the failure; `turn` the agent turn in flight (it belongs to the transcript).
   */
  | { type: 'actor.failed'; role: 'user' | 'agent' | 'verifier'; error: unknown; persona?: unknown; turn?: Turn };

/** What a conversation emits when an episode ends. */
export interface EpisodeEmitted {
  readonly type: 'episode';
  readonly episode: Episode;
}
