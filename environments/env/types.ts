import type { Rng } from '../../scenarios/random.js';
import type { EndReason } from '../../actors/acts.js';
import type { Episode } from '../../actors/episode.js';

/**
 * A set of values with a way to draw from it (Gymnasium's `Space`). `sample` draws only from the
 * `Rng` passed in; `contains` is a type guard that never throws.
 */
export interface Space<T> {
  /** A short description, e.g. `Discrete(75)` or `Box(-inf, inf, [128], float32)`. */
  readonly description: string;
  /** Whether `x` is a member of the space. */
  contains(x: unknown): x is T;
  /** A member drawn with `rng` (for Discrete: uniform, among the `mask`'s true entries when given). */
  sample(rng: Rng, mask?: readonly boolean[]): T;
}

/** `reset()`'s argument: the episode's seed (see README, "Seeds") and nothing else yet. */
export interface ResetOptions {
  readonly seed?: number;
}

/** What the env says beside each observation. */
export interface StepInfo {
  /** The episode's seed (the Episode record's `seed`). */
  readonly seed: number;
  /** Agent turns taken so far (0 after reset). */
  readonly turn: number;
  /** `mask[a]`: whether action a is valid now (all false once the episode is over). */
  readonly mask: readonly boolean[];
  /** Set on the last step: why the episode ended. */
  readonly reason?: EndReason;
  /** Set on the last step: the verifier's verdict. */
  readonly success?: boolean;
  /** Set on the last step: the verifier's final reward (already included in `reward`). */
  readonly finalReward?: number;
  /** Set on the last step: the whole Episode record, the same bytes `runEpisodes` gives. */
  readonly episode?: Episode;
  /** Set when family logic failed: the episode ended as errored (`reason: 'error'`). */
  readonly error?: string;
}

export interface ResetResult<O> {
  readonly observation: O;
  readonly info: StepInfo;
}

/**
 * One step's outcome. `terminated`: the episode reached an end state of the task (success,
 * failure, the agent ended it, the user left, or an error); `truncated`: it was cut off by the
 * turn limit, a time limit outside the task, so a learner should bootstrap from `observation`
 * instead of treating it as terminal (the reason Gymnasium split `done` in two).
 */
export interface StepResult<O> {
  readonly observation: O;
  readonly reward: number;
  readonly terminated: boolean;
  readonly truncated: boolean;
  readonly info: StepInfo;
}

/** The Gymnasium contract, in TypeScript: A the action type, O the observation type. */
export interface Env<O, A> {
  readonly actionSpace: Space<A>;
  readonly observationSpace: Space<O>;
  reset(options?: ResetOptions): ResetResult<O>;
  step(action: A): StepResult<O>;
  close(): void;
}

/**
 * Any observation encoder: a fixed `size` and a pure `encode` that fills `out[0..size)`.
 * `environments/encoding`'s `Encoder` fits (its `offset` argument is optional).
 */
export interface ObservationEncoder<Obs> {
  readonly size: number;
  encode(obs: Obs, out: Float32Array): void;
}
