import type { Rng } from '../../scenarios/random.js';
import type { Observation } from '../../actors/acts.js';
import type { Space } from './types.js';

/**
 * The integers `0 .. n-1`: the scenario's action catalogue (action i is `ctx.actions[i]`).
 * `sample(rng, mask)` draws uniformly among the valid actions, as Gymnasium's `Discrete.sample(mask)`.
 *
 * @example
 * const space = new Discrete(5);
 * space.sample(Rng.from(1), [false, true, false, true, false]); // 1 or 3
 */
export class Discrete implements Space<number> {
  constructor(readonly n: number) {
    if (!(Number.isInteger(n) && n > 0)) throw new RangeError(`Discrete(n) needs a positive integer n, got ${n}`);
  }

  get description(): string {
    return `Discrete(${this.n})`;
  }

  contains(x: unknown): x is number {
    return typeof x === 'number' && Number.isInteger(x) && x >= 0 && x < this.n;
  }

  sample(rng: Rng, mask?: readonly boolean[]): number {
    if (!mask) return rng.int(this.n);
    if (mask.length !== this.n) throw new RangeError(`${this.description}.sample: mask has length ${mask.length}, expected ${this.n}`);
    let valid = 0;
    for (const m of mask) if (m) valid++;
    if (valid === 0) throw new RangeError(`${this.description}.sample: the mask is all false; no action is valid`);
    let k = rng.int(valid);
    for (let a = 0; a < this.n; a++) if (mask[a] && k-- === 0) return a;
    throw new Error('unreachable');
  }
}

/**
 * Float vectors of a fixed length with elementwise bounds (Gymnasium's `Box`, one dimension):
 * the encoded observations. Unbounded sides sample from a standard normal, bounded ones uniformly.
 */
export class Box implements Space<Float32Array> {
  constructor(readonly size: number, readonly low = -Infinity, readonly high = Infinity) {
    if (!(Number.isInteger(size) && size > 0)) throw new RangeError(`Box needs a positive integer size, got ${size}`);
    if (!(low <= high)) throw new RangeError(`Box needs low <= high, got [${low}, ${high}]`);
  }

  get description(): string {
    const b = (x: number) => (x === Infinity ? 'inf' : x === -Infinity ? '-inf' : String(x));
    return `Box(${b(this.low)}, ${b(this.high)}, [${this.size}], float32)`;
  }

  contains(x: unknown): x is Float32Array {
    if (!(x instanceof Float32Array) || x.length !== this.size) return false;
    for (const v of x) if (Number.isNaN(v) || v < this.low || v > this.high) return false;
    return true;
  }

  sample(rng: Rng): Float32Array {
    const out = new Float32Array(this.size);
    const { low, high } = this;
    for (let i = 0; i < this.size; i++) {
      if (Number.isFinite(low) && Number.isFinite(high)) out[i] = rng.uniform(low, high);
      else if (Number.isFinite(low)) out[i] = low + Math.abs(rng.normal());
      else if (Number.isFinite(high)) out[i] = high - Math.abs(rng.normal());
      else out[i] = rng.normal();
    }
    return out;
  }
}

/**
 * The raw, structured observation of one scenario (`actors/acts.ts` `Observation`): the visible
 * transcript, the family's `view` (plain JSON), the turn counters and the action mask. It is not a
 * tensor space: a neural policy encodes it (the env's `encoded` option gives a {@link Box} instead).
 * `contains` checks the structure (scenario, turn range, mask length, transcript shape, JSON view);
 * `sample` returns an observation actually reachable in the scenario, by playing random valid
 * actions from a random seed for a random number of turns (the `sampler` the env passes in).
 */
export class DialogueObservationSpace implements Space<Observation> {
  constructor(
    readonly scenarioId: string,
    readonly family: string,
    readonly maxTurns: number,
    readonly nActions: number,
    private readonly sampler: (rng: Rng) => Observation,
  ) {}

  get description(): string {
    return `DialogueObservation(${this.scenarioId}: ${this.family}, ${this.nActions} actions, ${this.maxTurns} turns)`;
  }

  contains(x: unknown): x is Observation {
    if (typeof x !== 'object' || x === null) return false;
    const o = x as Record<string, unknown>;
    if (o.scenarioId !== this.scenarioId || o.family !== this.family || o.maxTurns !== this.maxTurns) return false;
    if (typeof o.turn !== 'number' || !Number.isInteger(o.turn) || o.turn < 0 || o.turn > this.maxTurns) return false;
    if (!Array.isArray(o.mask) || o.mask.length !== this.nActions || !o.mask.every((m) => typeof m === 'boolean')) return false;
    if (!Array.isArray(o.history) || !o.history.every(isVisibleTurn)) return false;
    if (o.lastUserAct !== null && !isAct(o.lastUserAct)) return false;
    return isJson(o.view, 0);
  }

  sample(rng: Rng): Observation {
    return this.sampler(rng);
  }
}

function isAct(x: unknown): boolean {
  if (typeof x !== 'object' || x === null) return false;
  const a = x as Record<string, unknown>;
  if (typeof a.type !== 'string') return false;
  if (a.args === undefined) return true;
  if (typeof a.args !== 'object' || a.args === null) return false;
  return Object.values(a.args).every((v) => typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v)));
}

function isVisibleTurn(x: unknown): boolean {
  if (typeof x !== 'object' || x === null) return false;
  const t = x as Record<string, unknown>;
  return (t.speaker === 'agent' || t.speaker === 'user') && typeof t.text === 'string' && isAct(t.act);
}

/** Plain JSON data: what a view must be (it crosses worker threads and lands in datasets). */
function isJson(x: unknown, depth: number): boolean {
  if (depth > 32) return false;
  if (x === null || typeof x === 'string' || typeof x === 'boolean') return true;
  if (typeof x === 'number') return Number.isFinite(x);
  if (Array.isArray(x)) return x.every((v) => isJson(v, depth + 1));
  if (typeof x === 'object') {
    const proto = Object.getPrototypeOf(x);
    return (proto === Object.prototype || proto === null) && Object.values(x).every((v) => isJson(v, depth + 1));
  }
  return false;
}
