import type { Rng } from '../scenarios/random.js';
import type { Observation } from './acts.js';

/** One decision: an index into the scenario's action catalogue, with the behaviour log-probability when known. */
export interface Decision {
  readonly action: number;
  readonly logprob?: number;
}

/**
 * The Policy contract is batched: one call decides for every live episode of a worker tick.
 * `rngs[i]` is episode i's own policy stream, so a decision does not depend on batch composition
 * (the same dataset whatever the worker count).
 *
 * @example
 * const first: Policy = { name: 'first-valid', act: (obs) => obs.map((o) => ({ action: o.mask.indexOf(true) })) };
 */
export interface Policy {
  readonly name: string;
  /** When true, observations carry `privileged` (hidden persona and state). Only oracles set this. */
  readonly privileged?: boolean;
  act(observations: readonly Observation[], rngs: readonly Rng[]): readonly Decision[] | Promise<readonly Decision[]>;
  /**
   * The behaviour-policy name recorded in the Episode played with policy stream `rng` (its own
   * `policy` stream from `episodeStreams`). Mixtures report the component that played; without it,
   * episodes record `name`. Must not draw from `rng` (fork it instead).
   */
  nameFor?(rng: Rng): string;
  /** Release resources (ONNX sessions, connections). */
  close?(): Promise<void> | void;
}
