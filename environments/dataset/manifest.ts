import { z } from 'zod';
import { SummarySchema } from '../stats.js';

/**
 * A dataset directory:
 *
 * ```
 * manifest.json            what was generated and how; `complete: true` once every shard is final
 * scenario.json            the scenario data used (so file scenarios and resumes need nothing else)
 * episodes-00000.jsonl     one Episode per line, indices [0, shardSize)
 * episodes-00001.jsonl     ...
 * episodes-00002.jsonl.partial   the shard being written (resumable after a crash)
 * ```
 *
 * A slice (`reverie generate --shard I/N`) is the same layout for a contiguous range of the
 * episodes: its shard files keep the whole run's names and boundaries, so the first and last
 * may hold only part of their shard (`reverie merge` joins the parts).
 */
export const MANIFEST_FILE = 'manifest.json';
export const SCENARIO_FILE = 'scenario.json';
export const DATASET_FORMAT = 'reverie-dataset';

export function shardFile(k: number): string {
  return `episodes-${String(k).padStart(5, '0')}.jsonl`;
}
export const SHARD_RE = /^episodes-(\d{5,})\.jsonl$/;
export const PARTIAL_SUFFIX = '.partial';
export const TMP_SUFFIX = '.tmp';

export const ShardEntry = z.object({
  file: z.string(),
  /** Index of the first episode in the shard. */
  first: z.int().nonnegative(),
  episodes: z.int().positive(),
  /** sha256 of the file's bytes, hex. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});
export type ShardEntry = z.infer<typeof ShardEntry>;

/**
 * Slice `index` of `count` (`--shard index/count`, 0-based) of a run: episodes
 * [first, first + episodes), the contiguous range {@link sliceOf} gives.
 */
export const Slice = z.object({
  index: z.int().nonnegative(),
  count: z.int().positive(),
  first: z.int().nonnegative(),
  episodes: z.int().positive(),
});
export type Slice = z.infer<typeof Slice>;

/** What decides a dataset's bytes: the same plan gives the same episode files, whatever the worker count. */
export const DatasetPlan = z.object({
  scenario: z.object({ id: z.string(), version: z.string(), hash: z.string(), family: z.string() }),
  policy: z.string().min(1),
  seed: z.int().min(0).max(0xffffffff),
  /** Episodes of the whole run (a slice holds part of them). */
  episodes: z.int().positive(),
  shardSize: z.int().positive(),
  /** Present when only a slice of the run is generated. */
  slice: Slice.optional(),
});
export type DatasetPlan = z.infer<typeof DatasetPlan>;

export const Manifest = DatasetPlan.extend({
  format: z.literal(DATASET_FORMAT),
  formatVersion: z.literal(1),
  /** False while generating (the manifest is written first, so `--resume` knows the plan). */
  complete: z.boolean(),
  shards: z.array(ShardEntry),
  summary: SummarySchema.optional(),
});
export type Manifest = z.infer<typeof Manifest>;

export function shardCount(plan: Pick<DatasetPlan, 'episodes' | 'shardSize'>): number {
  return Math.ceil(plan.episodes / plan.shardSize);
}

/** Episodes in shard k. */
export function shardLength(plan: Pick<DatasetPlan, 'episodes' | 'shardSize'>, k: number): number {
  return Math.min(plan.shardSize, plan.episodes - k * plan.shardSize);
}

/**
 * Slice `index` of `count` of a run of `episodes`: balanced contiguous ranges, the first
 * `episodes % count` slices one episode longer. A pure function, so every process agrees.
 */
export function sliceOf(episodes: number, index: number, count: number): Slice {
  if (!(Number.isInteger(index) && Number.isInteger(count) && index >= 0 && index < count)) throw new RangeError(`slice ${index}/${count}: expected 0 ≤ index < count`);
  if (count > episodes) throw new RangeError(`${count} slices of ${episodes} episodes would leave some empty`);
  const base = Math.floor(episodes / count);
  const extra = episodes % count;
  return { index, count, first: index * base + Math.min(index, extra), episodes: base + (index < extra ? 1 : 0) };
}

/** The episode range [first, end) a plan writes: its slice, or the whole run. */
export function planRange(plan: Pick<DatasetPlan, 'episodes' | 'slice'>): { first: number; end: number } {
  return plan.slice ? { first: plan.slice.first, end: plan.slice.first + plan.slice.episodes } : { first: 0, end: plan.episodes };
}

/** A shard file's part in a plan's range: all of shard k for a whole run, maybe less at a slice's ends. */
export interface ShardPart {
  readonly k: number;
  readonly file: string;
  readonly first: number;
  readonly episodes: number;
}

/** The shard files a plan writes, in order, with the episodes of each that fall in its range. */
export function shardParts(plan: Pick<DatasetPlan, 'episodes' | 'shardSize' | 'slice'>): ShardPart[] {
  const { first, end } = planRange(plan);
  const out: ShardPart[] = [];
  for (let k = Math.floor(first / plan.shardSize); k * plan.shardSize < end; k++) {
    const lo = Math.max(first, k * plan.shardSize);
    const hi = Math.min(end, (k + 1) * plan.shardSize);
    out.push({ k, file: shardFile(k), first: lo, episodes: hi - lo });
  }
  return out;
}

/** The manifest object with its keys in a fixed order (its bytes are part of the determinism contract). */
export function manifestOf(plan: DatasetPlan, complete: boolean, shards: ShardEntry[], summary?: Manifest['summary']): Manifest {
  const s = plan.slice;
  return {
    format: DATASET_FORMAT,
    formatVersion: 1,
    complete,
    scenario: { id: plan.scenario.id, version: plan.scenario.version, hash: plan.scenario.hash, family: plan.scenario.family },
    policy: plan.policy,
    seed: plan.seed,
    episodes: plan.episodes,
    shardSize: plan.shardSize,
    ...(s ? { slice: { index: s.index, count: s.count, first: s.first, episodes: s.episodes } } : {}),
    shards,
    ...(summary ? { summary } : {}),
  };
}

/** The fields in which two plans differ, as `name: ours vs theirs`. */
export function planDifferences(a: DatasetPlan, b: DatasetPlan): string[] {
  const out: string[] = [];
  const pairs: [string, unknown, unknown][] = [
    ['scenario id', a.scenario.id, b.scenario.id],
    ['scenario version', a.scenario.version, b.scenario.version],
    ['scenario content hash', a.scenario.hash, b.scenario.hash],
    ['policy', a.policy, b.policy],
    ['seed', a.seed, b.seed],
    ['episodes', a.episodes, b.episodes],
    ['shard size', a.shardSize, b.shardSize],
    ['slice (--shard)', sliceName(a.slice), sliceName(b.slice)],
  ];
  for (const [name, x, y] of pairs) if (x !== y) out.push(`${name}: ${String(x)} vs ${String(y)}`);
  return out;
}

/** `I/N` for a slice, `none` for a whole run (in messages). */
export function sliceName(s: Slice | undefined): string {
  return s ? `${s.index}/${s.count}` : 'none';
}
