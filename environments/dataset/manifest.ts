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

/** What decides a dataset's bytes: the same plan gives the same episode files, whatever the worker count. */
export const DatasetPlan = z.object({
  scenario: z.object({ id: z.string(), version: z.string(), hash: z.string(), family: z.string() }),
  policy: z.string().min(1),
  seed: z.int().min(0).max(0xffffffff),
  episodes: z.int().positive(),
  shardSize: z.int().positive(),
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

/** The manifest object with its keys in a fixed order (its bytes are part of the determinism contract). */
export function manifestOf(plan: DatasetPlan, complete: boolean, shards: ShardEntry[], summary?: Manifest['summary']): Manifest {
  return {
    format: DATASET_FORMAT,
    formatVersion: 1,
    complete,
    scenario: { id: plan.scenario.id, version: plan.scenario.version, hash: plan.scenario.hash, family: plan.scenario.family },
    policy: plan.policy,
    seed: plan.seed,
    episodes: plan.episodes,
    shardSize: plan.shardSize,
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
  ];
  for (const [name, x, y] of pairs) if (x !== y) out.push(`${name}: ${String(x)} vs ${String(y)}`);
  return out;
}
