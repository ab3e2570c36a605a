/**
 * The contract between online-RL learners (learners/algorithms) and the experience sources that
 * play episodes for them (this folder): in-process, or Piscina workers with central inference or
 * local copies of the policy. Environments cannot import learners, so the learner hands in what
 * runs the policy: an {@link InferFn} (central inference) or a module URL (local copies).
 */
import type { EncoderKind } from '../encoding/encoder.js';

/**
 * One episode to play. `seed` picks the persona and the user's behaviour (as everywhere in
 * Reverie); `actionSeed` seeds the stream the actions are sampled from, so GRPO can play the same
 * seed G times with G different action streams, and any source gives the same trajectory for the
 * same request and policy (whatever the worker count or batch composition).
 */
export interface EpisodeRequest {
  readonly seed: number;
  readonly actionSeed: number;
  /** The learner's label (e.g. the GRPO group); copied into the trajectory. */
  readonly group?: number;
}

/**
 * One played episode as flat arrays, T = agent turns. Rewards are the Episode record's per agent
 * turn rewards (the final reward on the last turn), so they sum to `return`.
 */
export interface Trajectory {
  readonly seed: number;
  readonly actionSeed: number;
  readonly group?: number;
  /** The version of the weights that chose the actions (the oldest one if it changed mid-episode). */
  readonly policyVersion: number;
  readonly length: number;
  /** [T * obsSize] encoded observation before each agent turn */
  readonly obs: Float32Array;
  /** [T * numActions] 1 = valid action */
  readonly mask: Uint8Array;
  /** [T] action index into the scenario's catalogue */
  readonly actions: Int32Array;
  /** [T] log π_behaviour(a_t | s_t) of the sampled action (over the valid actions) */
  readonly logProbs: Float32Array;
  /** [T] */
  readonly rewards: Float32Array;
  /** The task reached an end state (no bootstrap). */
  readonly terminated: boolean;
  /** Cut off by the turn limit: bootstrap from `finalObs`. */
  readonly truncated: boolean;
  /** [obsSize] the observation after the last turn (zeros when terminated). */
  readonly finalObs: Float32Array;
  readonly return: number;
  readonly success: boolean;
  /** Set when family logic failed (the episode is recorded, the learner should drop it). */
  readonly error?: string;
}

/**
 * Central inference: the learner's forward pass. `obs` is [rows * obsSize]; resolves with the
 * policy's logits [rows * numActions] (unmasked; the source masks and samples) and the version
 * of the weights that produced them.
 */
export type InferFn = (obs: Float32Array, rows: number) => Promise<{ readonly logits: Float32Array; readonly version: number }>;

/** Called with each trajectory of a collect as it is played; `index` is its request's position. */
export type OnTrajectory = (index: number, trajectory: Trajectory) => void;

/** What every source is built from. */
export interface SourceOptions {
  /** The scenario data (a parsed Scenario). */
  readonly scenario: { readonly id: string; readonly version: string } & Record<string, unknown>;
  readonly encoder: EncoderKind;
  /** Episodes alive at once per worker (or in-process); their decisions share one forward. */
  readonly concurrency?: number;
}

export interface ExperienceSource {
  /**
   * Plays the requests with the current policy; resolves with one trajectory per request, in request
   * order. `onTrajectory`, when given, also gets each trajectory (with its request's index) as soon
   * as the source has it, in completion order, so a caller can pass it on while the rest play.
   */
  collect(requests: readonly EpisodeRequest[], onTrajectory?: OnTrajectory): Promise<Trajectory[]>;
  /**
   * Makes `model` (an inference ONNX model: input `x` [batch, obsSize] → output `logits`
   * [batch, numActions]) version `version`. Local copies reload it in every worker before the next
   * episode they start; central inference ignores the bytes (its InferFn owns the weights) but
   * records the version.
   */
  publish(version: number, model: Uint8Array): Promise<void>;
  close(): Promise<void>;
}
