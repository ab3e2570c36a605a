// Tiny policy checkpoints for tests: an MLP compiled with compileForward, its initial (seeded)
// weights baked in, written with writePolicyCheckpoint.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ScenarioContext } from '../../../../actors/episode-core.js';
import { makeEncoder, type EncoderKind } from '../../../../environments/encoding/index.js';
import { compileForward } from '../../../../learners/graph/index.js';
import { mlp } from '../../../../learners/models/index.js';
import { writePolicyCheckpoint, type ScoreTerm } from '../../../../learners/policies/index.js';
import { bakeParameters } from '../../../../learners/runtime/index.js';

export interface TinyOptions {
  readonly kind?: EncoderKind;
  readonly hidden?: number;
  readonly seed?: number;
  /** ILQL-style heads (logits, q, value) scored as logits + β q − β value. */
  readonly ilqlBeta?: number;
  /** Replace parameter values (by name) before baking, e.g. to force a preference. */
  readonly override?: (name: string, init: Float32Array) => Float32Array;
}

export async function tinyCheckpoint(ctx: ScenarioContext, o: TinyOptions = {}): Promise<string> {
  const enc = makeEncoder(o.kind ?? 'structured', ctx);
  const A = ctx.actions.length;
  const model = o.ilqlBeta !== undefined
    ? mlp({ sizes: [enc.size, o.hidden ?? 16], heads: { policy: A, q: A, value: true } })
    : mlp({ sizes: [enc.size, o.hidden ?? 16, A] });
  const fwd = compileForward(model, { seed: o.seed ?? 1 });
  const values = new Map(fwd.params.map((p) => [p.name, o.override ? o.override(p.name, p.init as Float32Array) : p.init]));
  const bytes = bakeParameters(fwd.bytes, fwd.params, values);
  const dir = join(await mkdtemp(join(tmpdir(), 'reverie-ckpt-')), 'ckpt');
  const scores: ScoreTerm[] | undefined = o.ilqlBeta !== undefined
    ? [{ output: 'logits', weight: 1 }, { output: 'q', weight: o.ilqlBeta }, { output: 'value', weight: -o.ilqlBeta }]
    : undefined;
  writePolicyCheckpoint(dir, { algo: o.ilqlBeta !== undefined ? 'ilql' : 'bc', ctx, encoder: enc, model: bytes, scores, step: 0 });
  return dir;
}
