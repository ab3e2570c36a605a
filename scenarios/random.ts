import { xoroshiro128plus, unsafeUniformIntDistribution } from 'pure-rand';
import type { RandomGenerator } from 'pure-rand';

/**
 * Seeded random numbers for everything in Reverie (never the global unseeded generator).
 * Streams are split by label with {@link Rng.fork}, so adding a draw in one part
 * (say the user's NLG) does not shift the draws of another (the policy).
 *
 * @example
 * const rng = Rng.from(42);
 * const user = rng.fork('user');
 * user.int(6); // 0..5
 */
export class Rng {
  private constructor(
    private readonly gen: RandomGenerator,
    /** The 32-bit seed this stream was made from (recorded, so a stream can be named and re-made). */
    readonly seed: number,
  ) {}

  static from(seed: number): Rng {
    if (!Number.isInteger(seed)) throw new TypeError(`seed must be an integer, got ${seed}`);
    const s = seed >>> 0;
    return new Rng(xoroshiro128plus(s), s);
  }

  /** Snapshot of the generator state, for checkpoints; restore with {@link Rng.fromState}. */
  state(): { seed: number; state: number[] } {
    return { seed: this.seed, state: [...this.gen.getState()] };
  }

  static fromState(s: { seed: number; state: readonly number[] }): Rng {
    return new Rng(xoroshiro128plus.fromState(s.state), s.seed);
  }

  /** An independent stream derived from this stream's seed and a label (not from its position). */
  fork(label: string | number): Rng {
    return Rng.from(deriveSeed(this.seed, label));
  }

  /** Uniform float in [0, 1) with 53 bits. */
  float(): number {
    const hi = this.gen.unsafeNext() >>> 5; // 27 bits
    const lo = this.gen.unsafeNext() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    if (!(Number.isInteger(n) && n > 0)) throw new RangeError(`int(n) needs a positive integer n, got ${n}`);
    return unsafeUniformIntDistribution(0, n - 1, this.gen);
  }

  /** Uniform integer in [lo, hi] (both inclusive). */
  intBetween(lo: number, hi: number): number {
    if (hi < lo) throw new RangeError(`intBetween: hi (${hi}) < lo (${lo})`);
    return unsafeUniformIntDistribution(lo, hi, this.gen);
  }

  /** Uniform float in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.float();
  }

  bernoulli(p: number): boolean {
    return this.float() < p;
  }

  /** Standard normal by Box-Muller (one value per call; simple over fast). */
  normal(mean = 0, std = 1): number {
    const u = 1 - this.float();
    const v = this.float();
    return mean + std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('pick() from an empty list');
    return items[this.int(items.length)];
  }

  /** Index drawn in proportion to non-negative weights. */
  weightedIndex(weights: readonly number[]): number {
    let total = 0;
    for (const w of weights) total += w;
    if (!(total > 0)) throw new RangeError('weightedIndex needs at least one positive weight');
    let r = this.float() * total;
    for (let i = 0; i < weights.length; i++) {
      r -= weights[i];
      if (r < 0) return i;
    }
    return weights.length - 1;
  }

  /** A shuffled copy (Fisher-Yates). */
  shuffle<T>(items: readonly T[]): T[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
  }

  /** k distinct items in random order. */
  sample<T>(items: readonly T[], k: number): T[] {
    return this.shuffle(items).slice(0, Math.min(k, items.length));
  }
}

/**
 * A 32-bit seed from a parent seed and a label: FNV-1a over the label's text mixed with
 * the parent, finished with murmur3's avalanche. Episode i of a run gets
 * `deriveSeed(runSeed, i)`, whatever worker runs it.
 */
export function deriveSeed(parent: number, label: string | number): number {
  let h = (0x811c9dc5 ^ (parent >>> 0)) >>> 0;
  const text = String(label);
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}
