import { makeContext } from '../../actors/context.js';
import type { ScenarioContext } from '../../actors/episode-core.js';
import { Scenario } from '../../scenarios/schema.js';
import { makeEncoder } from '../encoding/index.js';
import type { Encoder, EncoderKind } from '../encoding/encoder.js';
import type { EpisodeRequest } from './types.js';

export function positiveInt(name: string, v: number | undefined, dflt: number): number {
  const x = v ?? dflt;
  if (!Number.isInteger(x) || x < 1) throw new TypeError(`options.${name} must be a positive integer, got ${String(v)}`);
  return x;
}

/** The scenario context and encoder of a source (validates the scenario data). */
export function sourceSetup(opts: { readonly scenario: unknown; readonly encoder: EncoderKind }): { ctx: ScenarioContext; encoder: Encoder } {
  const ctx = makeContext(Scenario.parse(opts.scenario));
  return { ctx, encoder: makeEncoder(opts.encoder, ctx) };
}

/** Rejects requests a worker could not play, naming the first bad one. */
export function checkRequests(requests: readonly EpisodeRequest[]): void {
  requests.forEach((r, i) => {
    if (!Number.isInteger(r.seed) || r.seed < 0 || r.seed > 0xffffffff) throw new TypeError(`requests[${i}].seed must be an integer in [0, 2^32), got ${r.seed}`);
    if (!Number.isInteger(r.actionSeed)) throw new TypeError(`requests[${i}].actionSeed must be an integer, got ${r.actionSeed}`);
    if (r.group !== undefined && !Number.isFinite(r.group)) throw new TypeError(`requests[${i}].group must be a finite number, got ${r.group}`);
  });
}

export function checkVersion(version: number): void {
  if (!Number.isInteger(version) || version < 0) throw new TypeError(`version must be a non-negative integer, got ${version}`);
}
