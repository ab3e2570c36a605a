import { z } from 'zod';
import type { Episode } from '../actors/episode.js';

/**
 * Summary statistics of a stream of episodes, in bounded memory: running mean and variance
 * (Welford), success counts, a turn-length histogram and distinct-utterance counters.
 * Everything is accumulated in episode-index order, so the same episodes give the same
 * numbers bit for bit (a resumed dataset has the same manifest as an uninterrupted one).
 */

/** What the statistics need of one episode (workers send these beside the JSON lines). */
export interface EpisodeSummary {
  readonly return: number;
  readonly agentTurns: number;
  readonly success: boolean;
  readonly errored: boolean;
}

export function summarizeEpisode(ep: Episode): EpisodeSummary {
  return {
    return: ep.totals.return,
    agentTurns: ep.totals.agentTurns,
    success: ep.outcome.success,
    errored: ep.outcome.reason === 'error',
  };
}

/** Running mean and variance (Welford's algorithm). */
export class RunningStats {
  n = 0;
  mean = 0;
  private m2 = 0;

  push(x: number): void {
    this.n++;
    const d = x - this.mean;
    this.mean += d / this.n;
    this.m2 += d * (x - this.mean);
  }

  /** Sample variance (n - 1 in the denominator); 0 below two values. */
  get variance(): number {
    return this.n > 1 ? this.m2 / (this.n - 1) : 0;
  }

  get std(): number {
    return Math.sqrt(this.variance);
  }

  /** 95% confidence interval of the mean (Student t for small n, normal beyond 30). */
  ci95(): [number, number] {
    if (this.n === 0) return [0, 0];
    if (this.n === 1) return [this.mean, this.mean];
    const half = tCritical95(this.n - 1) * this.std / Math.sqrt(this.n);
    return [this.mean - half, this.mean + half];
  }
}

// Two-sided 95% critical values of Student's t for 1..30 degrees of freedom.
const T95 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131,
  2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042];

export function tCritical95(df: number): number {
  return df >= 1 && df <= 30 ? T95[df - 1] : 1.96;
}

/** Wilson score interval of a proportion at 95%. */
export function wilson95(successes: number, n: number): [number, number] {
  if (n === 0) return [0, 0];
  const z = 1.959964;
  const p = successes / n;
  const den = 1 + (z * z) / n;
  const centre = (p + (z * z) / (2 * n)) / den;
  const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / den;
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

export const SummarySchema = z.object({
  episodes: z.int().nonnegative(),
  successes: z.int().nonnegative(),
  errored: z.int().nonnegative(),
  successRate: z.number(),
  successRateCI95: z.tuple([z.number(), z.number()]),
  meanReturn: z.number(),
  stdReturn: z.number(),
  returnCI95: z.tuple([z.number(), z.number()]),
  meanTurns: z.number(),
  /** Agent decisions in all episodes (= the sum of agent turns). */
  decisions: z.int().nonnegative(),
});
export type Summary = z.infer<typeof SummarySchema>;

/** Success rate, mean return with 95% CI, mean turns and errored count of a stream of episodes. */
export class EpisodeStats {
  episodes = 0;
  successes = 0;
  errored = 0;
  decisions = 0;
  readonly returns = new RunningStats();
  readonly turns = new RunningStats();

  add(s: EpisodeSummary): void {
    this.episodes++;
    if (s.success) this.successes++;
    if (s.errored) this.errored++;
    this.decisions += s.agentTurns;
    this.returns.push(s.return);
    this.turns.push(s.agentTurns);
  }

  summary(): Summary {
    return {
      episodes: this.episodes,
      successes: this.successes,
      errored: this.errored,
      successRate: this.episodes ? this.successes / this.episodes : 0,
      successRateCI95: wilson95(this.successes, this.episodes),
      meanReturn: this.returns.mean,
      stdReturn: this.returns.std,
      returnCI95: this.returns.ci95(),
      meanTurns: this.turns.mean,
      decisions: this.decisions,
    };
  }
}

/** Counts per value (turn lengths are small integers: at most the scenario's maxTurns). */
export class Histogram {
  private readonly counts = new Map<number, number>();

  add(value: number): void {
    this.counts.set(value, (this.counts.get(value) ?? 0) + 1);
  }

  /** `[value, count]` pairs in increasing value order. */
  entries(): [number, number][] {
    return [...this.counts.entries()].sort((a, b) => a[0] - b[0]);
  }

  /** The smallest value v such that at least q of the mass is ≤ v. */
  quantile(q: number): number {
    const e = this.entries();
    const total = e.reduce((s, [, c]) => s + c, 0);
    let acc = 0;
    for (const [v, c] of e) {
      acc += c;
      if (acc >= q * total) return v;
    }
    return e.length ? e[e.length - 1][0] : 0;
  }
}

/**
 * 53-bit string hash (cyrb53, public domain): cheap, well mixed, collisions negligible
 * for the millions of distinct utterances a dataset may hold.
 */
export function hash53(text: string, seed = 0): number {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/**
 * Distinct-value counter in bounded memory: exact (a set of 53-bit hashes) up to `exactLimit`
 * distinct values, then a HyperLogLog estimate (2^14 registers, about 0.8% standard error).
 */
export class DistinctCounter {
  private exact: Set<number> | null = new Set();
  private readonly registers = new Uint8Array(1 << 14);

  constructor(private readonly exactLimit = 200_000) {}

  add(text: string): void {
    const h = hash53(text);
    if (this.exact) {
      this.exact.add(h);
      if (this.exact.size > this.exactLimit) this.exact = null;
    }
    // HLL: low 14 bits pick the register, the next 32 bits give the rank.
    const idx = h & 0x3fff;
    const rest = Math.floor(h / 16384) >>> 0;
    const rank = rest === 0 ? 33 : Math.clz32(rest) + 1;
    if (rank > this.registers[idx]) this.registers[idx] = rank;
  }

  /** The count, and whether it is an estimate. */
  count(): { count: number; approximate: boolean } {
    if (this.exact) return { count: this.exact.size, approximate: false };
    const m = this.registers.length;
    let sum = 0;
    let zeros = 0;
    for (const r of this.registers) {
      sum += 2 ** -r;
      if (r === 0) zeros++;
    }
    const alpha = 0.7213 / (1 + 1.079 / m);
    let e = (alpha * m * m) / sum;
    if (e <= 2.5 * m && zeros > 0) e = m * Math.log(m / zeros);
    return { count: Math.round(e), approximate: true };
  }
}
