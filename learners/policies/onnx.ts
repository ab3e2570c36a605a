/**
 * A Policy backed by an ONNX inference model: one forward per batch of live episodes.
 */
import * as ort from 'onnxruntime-node';
import type { Observation } from '../../actors/acts.js';
import type { Decision, Policy } from '../../actors/policy.js';
import type { Encoder } from '../../environments/encoding/encoder.js';
import type { Rng } from '../../scenarios/random.js';
import type { DeviceSession } from '../runtime/session.js';
import type { PolicySpec } from './checkpoint.js';

/** 'greedy': the best valid action (deterministic); 'sample': a draw from softmax(scores / temperature). */
export type DecodeMode = 'greedy' | 'sample';

export interface OnnxPolicyParts {
  readonly name: string;
  readonly session: DeviceSession;
  readonly encoder: Encoder;
  readonly spec: Pick<PolicySpec, 'model' | 'scores'>;
  readonly mode: DecodeMode;
  readonly temperature: number;
  readonly numActions: number;
}

/**
 * Batched by design: `act` encodes every observation into one [B, obsSize] tensor, runs ONE
 * forward, combines the score outputs (Σ weight × output), removes masked actions and picks an
 * action per row. Greedy decisions report logprob 0 (the behaviour is deterministic); sampled
 * ones report log softmax(scores / temperature) over the valid actions at the chosen one, drawn
 * with the episode's own policy stream (so a decision does not depend on the batch it was in).
 * Use {@link loadPolicy} to build one from a checkpoint directory.
 */
export class OnnxPolicy implements Policy {
  readonly name: string;
  readonly mode: DecodeMode;
  readonly temperature: number;
  readonly encoder: Encoder;
  /** Forward calls and rows so far (the benchmark and tests read them). */
  readonly stats = { calls: 0, rows: 0, maxBatch: 0 };
  private readonly session: DeviceSession;
  private readonly spec: OnnxPolicyParts['spec'];
  private readonly numActions: number;
  private readonly fetches: string[];
  private closed = false;

  constructor(p: OnnxPolicyParts) {
    this.name = p.name;
    this.session = p.session;
    this.encoder = p.encoder;
    this.spec = p.spec;
    this.mode = p.mode;
    this.temperature = p.temperature;
    this.numActions = p.numActions;
    this.fetches = [...new Set(p.spec.scores.map((t) => t.output))];
  }

  async act(observations: readonly Observation[], rngs: readonly Rng[]): Promise<readonly Decision[]> {
    if (this.closed) throw new Error(`policy '${this.name}' is closed`);
    const B = observations.length;
    if (B === 0) return [];
    const scores = await this.scores(observations);
    const A = this.numActions;
    const out: Decision[] = new Array(B);
    for (let b = 0; b < B; b++) {
      const mask = observations[b].mask;
      out[b] = this.mode === 'greedy' ? greedy(scores, b * A, A, mask) : sample(scores, b * A, A, mask, this.temperature, rngs[b]);
      if (out[b].action < 0) throw new Error(`policy '${this.name}': observation ${b} (turn ${observations[b].turn}) has no valid action`);
    }
    return out;
  }

  /** The action scores [B × numActions] of a batch (before masking): one forward. */
  async scores(observations: readonly Observation[]): Promise<Float32Array> {
    const B = observations.length;
    const D = this.encoder.size;
    const A = this.numActions;
    const x = new Float32Array(B * D);
    for (let b = 0; b < B; b++) this.encoder.encode(observations[b], x, b * D);
    const feeds = { [this.spec.model.input]: new ort.Tensor('float32', x, [B, D]) };
    const res = await this.session.run(feeds, this.fetches);
    this.stats.calls++;
    this.stats.rows += B;
    if (B > this.stats.maxBatch) this.stats.maxBatch = B;
    const scores = new Float32Array(B * A);
    for (const term of this.spec.scores) {
      const t = res[term.output];
      const data = t.data as Float32Array;
      const w = term.weight;
      if (t.type !== 'float32') throw new Error(`policy '${this.name}': output '${term.output}' is ${t.type}, expected float32`);
      if (data.length === B * A) {
        for (let i = 0; i < B * A; i++) scores[i] += w * data[i];
      } else if (data.length === B) {
        for (let b = 0; b < B; b++) for (let a = 0; a < A; a++) scores[b * A + a] += w * data[b];
      } else {
        throw new Error(`policy '${this.name}': output '${term.output}' has shape [${t.dims.join(', ')}]; expected [${B}, ${A}] or [${B}]`);
      }
    }
    for (const t of Object.values(res)) t.dispose();
    return scores;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.session.dispose();
  }
}

/** The best valid action (the lowest index among ties); -1 when none is valid. */
function greedy(scores: Float32Array, at: number, A: number, mask: readonly boolean[]): Decision {
  let best = -1;
  let top = -Infinity;
  for (let a = 0; a < A; a++) {
    if (!mask[a]) continue;
    const s = scores[at + a];
    if (best < 0 || s > top) { best = a; top = s; }
  }
  return { action: best, logprob: 0 };
}

/** A draw from softmax(scores / T) over the valid actions, with its log-probability. */
function sample(scores: Float32Array, at: number, A: number, mask: readonly boolean[], T: number, rng: Rng): Decision {
  let top = -Infinity;
  let valid = -1;
  for (let a = 0; a < A; a++) if (mask[a]) { valid = a; if (scores[at + a] / T > top) top = scores[at + a] / T; }
  if (valid < 0) return { action: -1 };
  if (!Number.isFinite(top)) return { action: valid, logprob: 0 };
  let total = 0;
  for (let a = 0; a < A; a++) if (mask[a]) total += Math.exp(scores[at + a] / T - top);
  let u = rng.float() * total;
  let chosen = valid;
  for (let a = 0; a < A; a++) {
    if (!mask[a]) continue;
    u -= Math.exp(scores[at + a] / T - top);
    if (u <= 0) { chosen = a; break; }
  }
  return { action: chosen, logprob: scores[at + chosen] / T - top - Math.log(total) };
}
