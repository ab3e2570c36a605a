/**
 * Trajectories and requests ⇄ protobuf messages, and the checks every message gets on arrival.
 * A check that fails throws a {@link ProtocolError} carrying the gRPC status to answer with and
 * what was wrong, naming the field.
 */
import { status } from '@grpc/grpc-js';
import type { EpisodeRequest, Trajectory } from '../online/types.js';
import { bytes, f32, i32, u16, type ActorMessage, type EpisodeRequestMsg, type HelloRequest, type InferRequestMsg, type ResultMsg, type TrajectoryMsg } from './proto.js';

/** An error to send as a gRPC status. */
export class ProtocolError extends Error {
  constructor(readonly code: status, message: string) {
    super(message);
    this.name = 'ProtocolError';
  }
}

const bad = (message: string) => new ProtocolError(status.INVALID_ARGUMENT, message);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

function uint(v: unknown, field: string, max = 0xffffffff): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) throw bad(`${field} must be an integer in [0, ${max}], got ${String(v)}`);
  return v;
}

function byteField(v: unknown, field: string, length: number): Uint8Array {
  if (!(v instanceof Uint8Array)) throw bad(`${field} must be bytes`);
  if (v.byteLength !== length) throw bad(`${field} has ${v.byteLength} bytes, expected ${length}`);
  return v;
}

function finite(a: Float32Array, field: string): void {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) throw bad(`${field}[${i}] is ${a[i]}, expected a finite number`);
}

export function toRequestMsg(r: EpisodeRequest): EpisodeRequestMsg {
  return { seed: r.seed, actionSeed: r.actionSeed, hasGroup: r.group !== undefined, group: r.group ?? 0 };
}

export function fromRequestMsg(m: EpisodeRequestMsg): EpisodeRequest {
  return { seed: m.seed, actionSeed: m.actionSeed, ...(m.hasGroup ? { group: m.group } : {}) };
}

/** `obsKept`: leave the observations out (the learner kept them from the episode's inference requests). */
export function toTrajectoryMsg(t: Trajectory, obsKept = false): TrajectoryMsg {
  return {
    seed: t.seed, actionSeed: t.actionSeed, hasGroup: t.group !== undefined, group: t.group ?? 0, policyVersion: t.policyVersion, length: t.length,
    obs: obsKept ? Buffer.alloc(0) : bytes(t.obs), mask: bytes(t.mask), actions: bytes(t.actions), logProbs: bytes(t.logProbs), rewards: bytes(t.rewards),
    terminated: t.terminated, truncated: t.truncated, finalObs: bytes(t.finalObs), episodeReturn: t.return, success: t.success, error: t.error ?? '', obsKept,
  };
}

export interface Dims {
  readonly obsSize: number;
  readonly numActions: number;
}

/**
 * Checks a trajectory message against the request it answers and the scenario's sizes, and turns
 * it into a Trajectory (arrays copied out of the message buffer, so nothing aliases gRPC's memory).
 * `kept`: the observation rows the learner kept from this episode's inference requests, used when
 * the message says `obsKept`.
 */
export function fromTrajectoryMsg(m: unknown, req: EpisodeRequest, dims: Dims, field: string, kept: readonly Float32Array[] = []): Trajectory {
  if (!isObject(m)) throw bad(`${field} is not a message`);
  const F = dims.obsSize;
  const A = dims.numActions;
  if (m.seed !== req.seed || m.actionSeed !== req.actionSeed) throw bad(`${field} is episode seed ${String(m.seed)} (actionSeed ${String(m.actionSeed)}), but the work asked for seed ${req.seed} (actionSeed ${req.actionSeed})`);
  const hasGroup = m.hasGroup === true;
  if (hasGroup !== (req.group !== undefined) || (hasGroup && m.group !== req.group)) throw bad(`${field}.group does not match the request's group`);
  const version = uint(m.policyVersion, `${field}.policyVersion`);
  const T = uint(m.length, `${field}.length`, 100_000);
  let obs: Float32Array;
  if (m.obsKept === true) {
    byteField(m.obs, `${field}.obs`, 0);
    if (kept.length < T) throw bad(`${field} has ${T} turn${T === 1 ? '' : 's'} and says the learner kept its observations, but its inference requests brought ${kept.length}`);
    obs = new Float32Array(T * F);
    for (let k = 0; k < T; k++) obs.set(kept[k], k * F);
  } else obs = f32(byteField(m.obs, `${field}.obs`, T * F * 4)).slice();
  const mask = byteField(m.mask, `${field}.mask`, T * A).slice();
  const actions = i32(byteField(m.actions, `${field}.actions`, T * 4)).slice();
  const logProbs = f32(byteField(m.logProbs, `${field}.logProbs`, T * 4)).slice();
  const rewards = f32(byteField(m.rewards, `${field}.rewards`, T * 4)).slice();
  const finalObs = f32(byteField(m.finalObs, `${field}.finalObs`, F * 4)).slice();
  if (m.obsKept !== true) finite(obs, `${field}.obs`);
  finite(rewards, `${field}.rewards`);
  finite(finalObs, `${field}.finalObs`);
  for (let i = 0; i < mask.length; i++) if (mask[i] > 1) throw bad(`${field}.mask[${i}] is ${mask[i]}, expected 0 or 1`);
  for (let k = 0; k < T; k++) {
    const a = actions[k];
    if (!(a >= 0 && a < A)) throw bad(`${field}.actions[${k}] is ${a}, expected an action index in [0, ${A})`);
    if (mask[k * A + a] !== 1) throw bad(`${field}.actions[${k}] is ${a}, which the mask of turn ${k} marks invalid`);
    if (!(logProbs[k] <= 0 && Number.isFinite(logProbs[k]))) throw bad(`${field}.logProbs[${k}] is ${logProbs[k]}, expected a finite log-probability ≤ 0`);
  }
  if (typeof m.terminated !== 'boolean' || typeof m.truncated !== 'boolean' || typeof m.success !== 'boolean') throw bad(`${field}: terminated, truncated and success must be booleans`);
  const error = typeof m.error === 'string' ? m.error : '';
  if (m.terminated && m.truncated) throw bad(`${field} is both terminated and truncated`);
  if (error && (m.terminated || m.truncated)) throw bad(`${field} has an error and is ${m.terminated ? 'terminated' : 'truncated'}`);
  const ret = m.episodeReturn;
  if (typeof ret !== 'number' || !Number.isFinite(ret)) throw bad(`${field}.episodeReturn is ${String(ret)}, expected a finite number`);
  return {
    seed: req.seed, actionSeed: req.actionSeed, ...(req.group !== undefined ? { group: req.group } : {}),
    policyVersion: version, length: T, obs, mask, actions, logProbs, rewards,
    terminated: m.terminated, truncated: m.truncated, finalObs, return: ret, success: m.success, ...(error ? { error } : {}),
  };
}

/** Rows written as their changes from each row's previous one (InferRequest.changes/indices/values). */
export interface RowChanges {
  readonly changes: Uint16Array;
  readonly indices: Uint16Array;
  readonly values: Float32Array;
}

/** `rows` rows of `obsSize` as changes from `previous(i)` (row i's episode's last row; undefined: zeros). obsSize must fit in 16 bits. */
export function toChanges(obs: Float32Array, rows: number, obsSize: number, previous: (i: number) => Float32Array | undefined): RowChanges {
  const changes = new Uint16Array(rows);
  if (scratch.indices.length < rows * obsSize) scratch = { indices: new Uint16Array(rows * obsSize), values: new Float32Array(rows * obsSize) };
  const { indices, values } = scratch;
  let n = 0;
  for (let i = 0; i < rows; i++) {
    const prev = previous(i);
    const at = i * obsSize;
    const before = n;
    for (let j = 0; j < obsSize; j++) {
      const v = obs[at + j];
      const p = prev ? prev[j] : 0;
      // -0 against 0 and NaN against anything count as changes, so the learner rebuilds the same bits
      if (v !== p || (v === 0 && 1 / v !== 1 / p)) {
        indices[n] = j;
        values[n++] = v;
      }
    }
    changes[i] = n - before;
  }
  return { changes, indices: indices.slice(0, n), values: values.slice(0, n) };
}

/** Room for the worst case (every feature changed), reused: a tick's changes are a fraction of it. */
let scratch = { indices: new Uint16Array(0), values: new Float32Array(0) };

/** Rebuilds the rows of an InferRequest sent as changes (see {@link toChanges}); throws a ProtocolError on anything inconsistent. */
export function fromChanges(m: InferRequestMsg, rows: number, obsSize: number, previous: (i: number) => Float32Array | undefined): Float32Array {
  const changes = u16(byteField(m.changes, 'InferRequest.changes', rows * 2));
  let total = 0;
  for (let i = 0; i < rows; i++) total += changes[i];
  const indices = u16(byteField(m.indices, 'InferRequest.indices', total * 2));
  const values = f32(byteField(m.values, 'InferRequest.values', total * 4));
  finite(values, 'InferRequest.values');
  byteField(m.obs, 'InferRequest.obs', 0);
  const obs = new Float32Array(rows * obsSize);
  let k = 0;
  for (let i = 0; i < rows; i++) {
    const prev = previous(i);
    if (prev) obs.set(prev, i * obsSize);
    let last = -1;
    for (const end = k + changes[i]; k < end; k++) {
      const j = indices[k];
      if (j <= last || j >= obsSize) throw bad(`InferRequest.indices[${k}] is ${j}; row ${i}'s indices must increase and be below ${obsSize}`);
      last = j;
      obs[i * obsSize + j] = values[k];
    }
  }
  return obs;
}

/**
 * Checks one Inference request; returns its observations (`positions`, when set, is checked against
 * the rows here and against the work item by the learner, which gives `previous` for rows sent as changes).
 */
export function checkInferRequest(m: InferRequestMsg, obsSize: number, maxRows: number, previous?: (i: number) => Float32Array | undefined): Float32Array {
  const id = m.id;
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 0) throw bad(`InferRequest.id must be a non-negative integer, got ${String(id)}`);
  const rows = m.rows;
  if (typeof rows !== 'number' || !Number.isInteger(rows) || rows < 1 || rows > maxRows) throw bad(`InferRequest.rows must be an integer in [1, ${maxRows}], got ${String(rows)}`);
  const positions = m.positions ?? [];
  if (!Array.isArray(positions) || (positions.length > 0 && positions.length !== rows)) throw bad(`InferRequest.positions must be empty or have one entry per row (${rows}), got ${Array.isArray(positions) ? positions.length : String(positions)}`);
  let obs: Float32Array;
  if (m.changes?.length) {
    if (!previous) throw bad('InferRequest.changes needs positions (the rows are changes from each episode\'s previous one)');
    // the previous rows were checked when they came: only the new values need it
    obs = fromChanges(m, rows, obsSize, previous);
  } else {
    obs = f32(byteField(m.obs, 'InferRequest.obs', rows * obsSize * 4)).slice();
    finite(obs, 'InferRequest.obs');
  }
  return obs;
}

export function checkHello(m: HelloRequest): void {
  uint(m.protocolVersion, 'HelloRequest.protocolVersion');
  if (typeof m.name !== 'string' || m.name.length > 256) throw bad('HelloRequest.name must be a string of at most 256 characters');
  if (m.hasScenario) {
    const s = m.scenario;
    if (!s || typeof s.id !== 'string' || !s.id || typeof s.version !== 'string' || typeof s.hash !== 'string') throw bad('HelloRequest.scenario must have an id, a version and a hash when hasScenario is set');
  }
  uint(m.capacity, 'HelloRequest.capacity', 1_000_000);
}

/** Credits one `ready` may carry (the learner clamps what an actor holds to its own maxSlots). */
export const MAX_READY = 1024;

/** The kind of an Experience message, checked. */
export function checkActorMessage(m: ActorMessage): { ready: number } | { result: ResultMsg } {
  if (m.kind === 'ready') {
    const n = uint(m.ready, 'ActorMessage.ready', MAX_READY);
    if (n < 1) throw bad('ActorMessage.ready must be at least 1');
    return { ready: n };
  }
  if (m.kind === 'result' && isObject(m.result)) {
    uint(m.result.workId, 'Result.workId', Number.MAX_SAFE_INTEGER);
    if (!Array.isArray(m.result.trajectories)) throw bad('Result.trajectories must be a list');
    const positions = m.result.positions ?? [];
    if (!Array.isArray(positions)) throw bad('Result.positions must be a list');
    if (positions.length > 0 && positions.length !== m.result.trajectories.length) throw bad(`Result has ${m.result.trajectories.length} trajectories and ${positions.length} positions; expected one position per trajectory (or none)`);
    return { result: m.result };
  }
  throw bad('ActorMessage must set ready or result');
}
