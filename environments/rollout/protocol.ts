import { z } from 'zod';

/**
 * The contract between the rollout pool (main thread) and its Piscina workers.
 *
 * - {@link WorkerConfig} travels once per worker as `workerData`: the scenario data itself (so
 *   scenarios read from files work), the policy name and how many episodes run at once.
 * - {@link RolloutTask} is one task: a contiguous range of episode indices of one run.
 * - {@link RolloutResult} comes back: the episodes as UTF-8 JSON lines in one byte array,
 *   transferred (not copied) to the main thread, which writes it as is; and, in parallel arrays,
 *   the numbers the statistics need.
 */
export const WorkerConfig = z.object({
  /** The scenario data (validated again by the worker's runtime). */
  scenario: z.record(z.string(), z.unknown()),
  policy: z.string().min(1),
  /** Episodes played at once in one worker; their agent decisions are batched into one `act` per tick. */
  concurrency: z.int().positive(),
  /**
   * URL of a module exporting `createPolicy(name, ctx): Policy | Promise<Policy>`, imported by each
   * worker to build the policy instead of the runtime's `policyByName` (learners/policies passes its
   * own for checkpoint directories; environments cannot import learners).
   */
  policyModule: z.string().min(1).optional(),
});
export type WorkerConfig = z.infer<typeof WorkerConfig>;

export const RolloutTask = z.object({
  /** The run seed: episode i's seed is `deriveSeed(runSeed, i)`. */
  runSeed: z.int().min(0).max(0xffffffff),
  /** First episode index. */
  start: z.int().nonnegative(),
  count: z.int().positive(),
  /** 'lines': send the episodes back as JSON lines; 'summary': only the statistics (eval). */
  emit: z.enum(['lines', 'summary']),
  /** Memory of an earlier chunk the main thread is done with: the lines are written into it when they fit. */
  buffer: z.instanceof(ArrayBuffer).optional(),
});
export type RolloutTask = z.infer<typeof RolloutTask>;

/** Bits of {@link RolloutResult.flags}. */
export const FLAG_SUCCESS = 1;
export const FLAG_ERRORED = 2;

export const RolloutResult = z.object({
  start: z.int().nonnegative(),
  count: z.int().positive(),
  /** The episodes as UTF-8 JSON lines, in index order; empty when the task asked for 'summary'. */
  bytes: z.instanceof(Uint8Array),
  returns: z.array(z.number()),
  agentTurns: z.array(z.int().nonnegative()),
  /** Per episode: FLAG_SUCCESS | FLAG_ERRORED. */
  flags: z.array(z.int().nonnegative()),
  /** Wall time of the task inside the worker, in milliseconds. */
  ms: z.number().nonnegative(),
});
export type RolloutResult = z.infer<typeof RolloutResult>;

/** Episode i's id. */
export function episodeId(scenarioId: string, runSeed: number, index: number): string {
  return `${scenarioId}-${runSeed}-${index}`;
}
