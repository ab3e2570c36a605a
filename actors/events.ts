import type { Rng } from '../scenarios/random.js';
import type { Act, EndReason, VisibleTurn } from './acts.js';
import type { EpisodeSpec, EpisodeStreams } from './episode-core.js';
import type { Episode, Turn } from './episode.js';
import type { Decision } from './policy.js';

/**
 * The messages of one conversation, named `<receiver>.<verb>` for commands and `<sender>.<verb>`
 * for reports. An exchange goes round the three children without the conversation machine, which
 * sees only an episode's start and end (its statechart transitions cost more than a light
 * family's whole turn):
 *
 *   verifier ──agent.observe──▶ agent ──(decision request, batched)──▶ agent.decided
 *   agent ──user.hear──▶ user ──verifier.judge──▶ verifier (records, judges, applies the end rules)
 *   … at the end: verifier ──agent.observe(decide: false)──▶ agent ──agent.ready──▶ verifier ──verifier.finished──▶ conversation
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
/**
 * The record of one episode, owned by the conversation and handed to the verifier, which appends
 * each judged exchange in place (no copy per turn); the conversation reads it at the end or on a failure.
 */
export interface Transcript {
  readonly turns: Turn[];
  /** The hidden persona once the user has drawn it. */
  persona: unknown;
}

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
  /** A new episode: the transcript to keep and the episode's `verifier` stream (for `finish`). */
  | { type: 'verifier.start'; transcript: Transcript; rng: Rng }
  /** The user's opening line, with the persona and hidden state it was drawn with. */
  | { type: 'verifier.opening'; act: Act; text: string; persona: unknown; state: unknown }
  | ({ type: 'verifier.judge'; persona: unknown } & UserReply)
  /** The agent folded in the last exchange (asked with `decide: false`): time for the final judgement. */
  | { type: 'agent.ready' };

// ---- to the conversation --------------------------------------------------------------------
export type ConversationEvent =
  /** Play one episode (the conversation is reused, episode after episode). */
  | { type: 'conversation.play'; spec: EpisodeSpec; label: string; streams: EpisodeStreams }
  /** The episode is over: why, and the verifier's final judgement. */
  | { type: 'verifier.finished'; reason: EndReason; reward: number; success: boolean; details?: Record<string, number | string | boolean> }
  /**
   * A family or policy call threw inside a child: the episode ends as errored. `persona` when it was
   * drawn before the failure (and is not in the transcript yet); `turn` the agent turn in flight
   * when it is not in the transcript yet (it belongs there).
   */
  | { type: 'actor.failed'; role: 'user' | 'agent' | 'verifier'; error: unknown; persona?: unknown; turn?: Turn };

/** What a conversation emits when an episode ends. */
export interface EpisodeEmitted {
  readonly type: 'episode';
  readonly episode: Episode;
}
