import { contentHash } from '../../scenarios/hash.js';
import { RolloutPool } from '../rollout/pool.js';
import { sliceOf, type DatasetPlan, type Manifest } from './manifest.js';
import { DatasetWriter, type WriteMode } from './writer.js';

export interface GenerateOptions {
  /** The scenario data (a parsed Scenario). */
  readonly scenario: { readonly id: string; readonly version: string; readonly family: string } & Record<string, unknown>;
  readonly policy: string;
  /** See RolloutPoolOptions.policyModule (policies the workers cannot build by name, e.g. checkpoints). */
  readonly policyModule?: string | URL;
  readonly episodes: number;
  readonly seed: number;
  /** Episodes per shard file (default 10,000). */
  readonly shardSize?: number;
  /**
   * Generate only slice `index` of `count` (0-based): a contiguous range of the episodes, written
   * with the whole run's shard names; `mergeDatasets` joins the slices into the whole run's bytes.
   */
  readonly slice?: { readonly index: number; readonly count: number };
  readonly out: string;
  /** 'fresh' refuses a non-empty directory; 'resume' continues; 'force' overwrites. */
  readonly mode?: WriteMode;
  readonly workers?: number;
  readonly concurrency?: number;
  /** Episodes per worker task (default 256). */
  readonly taskSize?: number;
  /** Called after each chunk is written: episodes done (including resumed ones) and the total. */
  readonly onProgress?: (done: number, total: number) => void;
  /** The worker module (tests). */
  readonly workerFile?: string | URL;
}

export interface GenerateReport {
  readonly manifest: Manifest;
  /** Episodes of the range (the run or its slice) already on disk when the run started (resume). */
  readonly resumedFrom: number;
  /** Episodes played by this run. */
  readonly generated: number;
  readonly seconds: number;
  /** Tasks that failed as a whole on every attempt (their episodes are recorded as errored). */
  readonly failedTasks: number;
}

/**
 * Generates a dataset: plays episodes on a worker pool and streams them, in index order, into
 * JSONL shards plus a manifest. Memory stays flat whatever the episode count (a bounded number
 * of tasks in flight); the files are the same bytes whatever the worker count; an interrupted
 * run continues with `mode: 'resume'`.
 *
 * @example
 * const { manifest } = await generateDataset({ scenario, policy: 'heuristic', episodes: 1000, seed: 0, out: 'data/travel' });
 */
export async function generateDataset(o: GenerateOptions): Promise<GenerateReport> {
  const t0 = performance.now();
  const plan: DatasetPlan = {
    scenario: { id: o.scenario.id, version: o.scenario.version, hash: contentHash(o.scenario), family: o.scenario.family },
    policy: o.policy,
    seed: o.seed,
    episodes: o.episodes,
    shardSize: o.shardSize ?? 10_000,
    ...(o.slice ? { slice: sliceOf(o.episodes, o.slice.index, o.slice.count) } : {}),
  };
  const writer = await DatasetWriter.open(o.out, plan, o.scenario, o.mode ?? 'fresh');
  const { first, end } = writer;
  const resumedFrom = writer.next - first;
  let failedTasks = 0;
  try {
    o.onProgress?.(writer.next - first, end - first);
    if (writer.next < end) {
      const pool = new RolloutPool({
        scenario: o.scenario, policy: o.policy, policyModule: o.policyModule, workers: o.workers, concurrency: o.concurrency,
        workerFile: o.workerFile, ref: { id: plan.scenario.id, version: plan.scenario.version, hash: plan.scenario.hash },
      });
      try {
        for await (const chunk of pool.run({ runSeed: plan.seed, start: writer.next, end, taskSize: o.taskSize, alignTo: plan.shardSize, recycle: true })) {
          if (chunk.failed) failedTasks++;
          await writer.write(chunk);
          o.onProgress?.(writer.next - first, end - first);
        }
      } finally {
        await pool.close();
      }
    }
    const manifest = await writer.finish();
    return { manifest, resumedFrom, generated: end - first - resumedFrom, seconds: (performance.now() - t0) / 1000, failedTasks };
  } finally {
    await writer.close();
  }
}
