import type { Observation } from '../../actors/acts.js';

/** The encoders Reverie ships: per-family structured features, or hashed n-grams of the transcript (any scenario). */
export type EncoderKind = 'structured' | 'text';

/**
 * Turns an observation into a fixed-length float vector for a neural policy.
 * Contract: deterministic, pure, and `size` is fixed for a scenario (a checkpoint records
 * the encoder kind and size, and refuses a scenario that gives another size).
 */
export interface Encoder {
  readonly kind: EncoderKind;
  /** Feature length. */
  readonly size: number;
  /** Writes the features of `obs` into `out[offset .. offset + size)` (overwriting every slot). */
  encode(obs: Observation, out: Float32Array, offset?: number): void;
}
