// Observation encoders: an Observation → a fixed-length Float32Array for neural policies.
import type { Observation } from '../../actors/acts.js';
import type { ScenarioContext } from '../../actors/episode-core.js';
import type { Encoder, EncoderKind } from './encoder.js';
import { structuredEncoder } from './structured.js';
import { textEncoder } from './text.js';

export type { Encoder, EncoderKind } from './encoder.js';
export { structuredEncoder } from './structured.js';
export type { FamilyFeatures } from './structured.js';
export { textEncoder, TEXT_HISTORY_BUCKETS, TEXT_LAST_BUCKETS } from './text.js';
export { PREFERENCE_USER_ACTS } from './preference.js';
export { TUTORING_USER_ACTS } from './tutoring.js';
export { GUESSING_USER_ACTS } from './guessing.js';

export const ENCODER_KINDS: readonly EncoderKind[] = ['structured', 'text'];

/**
 * An encoder for a scenario: `structured` (the family's view features) or `text` (hashed n-grams of
 * the transcript, any scenario). The size is fixed per scenario and kind.
 *
 * @example
 * const enc = makeEncoder('structured', makeContext(getScenario('travel-agent')));
 * const x = new Float32Array(enc.size);
 * enc.encode(observation, x);
 */
export function makeEncoder(kind: EncoderKind, ctx: ScenarioContext): Encoder {
  if (kind === 'structured') return structuredEncoder(ctx);
  if (kind === 'text') return textEncoder(ctx);
  throw new TypeError(`unknown encoder kind '${String(kind)}'; expected one of: ${ENCODER_KINDS.join(', ')}`);
}

/** Encodes a batch of observations into one row-major [observations.length, encoder.size] array. */
export function encodeBatch(encoder: Encoder, observations: readonly Observation[], out = new Float32Array(observations.length * encoder.size)): Float32Array {
  for (let i = 0; i < observations.length; i++) encoder.encode(observations[i], out, i * encoder.size);
  return out;
}
