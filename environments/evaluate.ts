import { RolloutPool } from './rollout/pool.js';
import { EpisodeStats, Histogram, type Summary } from './stats.js';

export interface EvaluateOptions {
  readonly scenario: { readonly id: string; readonly version: string } & Record<string, unknown>;
  readonly policy: string;
  /** See RolloutPoolOptions.policyModule (policies the workers cannot build by name, e.g. checkpoints). */
  readonly policyModule?: string | URL;
  readonly episodes: number;
  readonly seed: number;
  readonly workers?: number;
  readonly concurrency?: number;
  readonly taskSize?: number;
  readonly onProgress?: (done: number, total: number) => void;
  readonly workerFile?: string | URL;
}

export interface EvaluateReport {
  readonly summary: Summary;
  /** `[agent turns, episodes]` pairs. */
  readonly turnLengths: [number, number][];
  readonly seconds: number;
  readonly failedTasks: number;
}

/**
 * Plays episodes without writing them (workers send back only the numbers) and summarises:
 * success rate, mean return with its 95% CI, mean turns, errored count.
 *
 * @example
 * const { summary } = await evaluatePolicy({ scenario, policy: 'oracle', episodes: 2000, seed: 1 });
 */
export async function evaluatePolicy(o: EvaluateOptions): Promise<EvaluateReport> {
  const t0 = performance.now();
  const stats = new EpisodeStats();
  const turns = new Histogram();
  let failedTasks = 0;
  const pool = new RolloutPool({ scenario: o.scenario, policy: o.policy, policyModule: o.policyModule, workers: o.workers, concurrency: o.concurrency, workerFile: o.workerFile });
  try {
    for await (const chunk of pool.run({ runSeed: o.seed, end: o.episodes, taskSize: o.taskSize, emit: 'summary' })) {
      if (chunk.failed) failedTasks++;
      for (const s of chunk.summaries) {
        stats.add(s);
        turns.add(s.agentTurns);
      }
      o.onProgress?.(stats.episodes, o.episodes);
    }
  } finally {
    await pool.close();
  }
  return { summary: stats.summary(), turnLengths: turns.entries(), seconds: (performance.now() - t0) / 1000, failedTasks };
}
