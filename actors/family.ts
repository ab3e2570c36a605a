import type { Rng } from '../scenarios/random.js';
import type { Scenario } from '../scenarios/schema.js';
import type { Act, EndReason, Observation } from './acts.js';

/**
 * The logic of one scenario family, written once and driven by each scenario's data.
 * Every function is pure: state in, state out, randomness only from the `rng` passed in.
 * The XState actors (user, agent, verifier, conversation) and the plain reference loop
 * (`plain.ts`) call exactly these functions, in the same order, so both give the same episode.
 *
 * Type parameters: S the family's scenario type, P the hidden persona, St the hidden episode
 * state (user's evolving state: patience left, mastery...), V the agent's view.
 * P, St and V must be plain JSON data (they cross worker threads and land in datasets).
 */
export interface Family<S extends Scenario = Scenario, P = unknown, St = unknown, V = unknown> {
  readonly name: S['family'];

  /** The agent's action catalogue; index i is discrete action i for RL. Stable for a scenario. */
  actions(s: S): readonly Act[];

  /** Draw a hidden persona from the distributions the scenario declares. */
  samplePersona(s: S, rng: Rng): P;

  /** Hidden state at the start of the episode. */
  init(s: S, persona: P, rng: Rng): St;

  /** The user's opening act (the user speaks first). */
  open(s: S, persona: P, state: St, rng: Rng): { state: St; act: Act };

  /** The imagined user's reaction to the agent's act. `left`: the user ends the conversation. */
  respond(s: S, persona: P, state: St, act: Act, rng: Rng): { state: St; act: Act; left?: boolean };

  /** Verifier, per exchange: the agent act's reward and whether the episode ends here. */
  judge(s: S, persona: P, before: St, agent: Act, user: Act, after: St): { reward: number; end?: 'success' | 'failure' | 'agent-ended' };

  /** Verifier, at the end (e.g. a post-test): a final reward added to the last agent turn, and success. */
  finish(s: S, persona: P, state: St, reason: EndReason, rng: Rng): { reward: number; success: boolean; details?: Record<string, number | string | boolean> };

  /** The agent's knowledge before anything was said. */
  initialView(s: S): V;

  /** Fold one visible exchange into the view (`agent` is null for the user's opening act). */
  updateView(s: S, view: V, agent: Act | null, user: Act): V;

  /** Valid actions now, in catalogue order (at least one must be true). */
  mask(s: S, view: V, turn: number): boolean[];

  /** Natural-language text of an agent act (several paraphrases, drawn with rng). */
  renderAgent(s: S, act: Act, rng: Rng): string;

  /** Natural-language text of a user act, in the persona's style. */
  renderUser(s: S, persona: P, act: Act, rng: Rng): string;

  /** A sensible hand-written strategy that sees only the observation. Returns an action index. */
  heuristic(s: S, obs: Observation<V>, rng: Rng): number;

  /** The upper bound: reads the hidden persona and state. Returns an action index. */
  oracle(s: S, obs: Observation<V>, persona: P, state: St, rng: Rng): number;
}

/** A family with its type parameters erased, as the registry holds it. */
export type AnyFamily = Family<Scenario, unknown, unknown, unknown>;
