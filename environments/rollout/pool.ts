import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { contentHash } from '../../scenarios/hash.js';
import { deriveSeed } from '../../scenarios/random.js';
import { tuneEpisodeHeaps } from '../heap.js';
import type { EpisodeSummary } from '../stats.js';
import type { EpisodeChunk } from '../dataset/writer.js';
import { FLAG_ERRORED, FLAG_SUCCESS, RolloutResult, WorkerConfig, episodeId, type RolloutTask } from './protocol.js';

export interface RolloutPoolOptions {
  /** The scenario data (a parsed Scenario); workers receive it whole. */
  readonly scenario: { readonly id: string; readonly version: string } & Record<string, unknown>;
  readonly policy: string;
  /** A module whose `createPolicy(name, ctx)` the workers use to build the policy (e.g. checkpoints); see WorkerConfig. */
  readonly policyModule?: string | URL;
  /** Worker threads (default: the available cores). */
  readonly workers?: number;
  /** Episodes played at once inside one worker (default 32). */
  readonly concurrency?: number;
  /** Attempts after a task fails as a whole before its episodes are recorded as errored (default 2). */
  readonly retries?: number;
  /** The worker module (default `./worker.js`); tests and benchmarks pass their own. */
  readonly workerFile?: string | URL;
  /** Scenario reference written into errored records; default id, version and content hash of `scenario`. */
  readonly ref?: { readonly id: string; readonly version: string; readonly hash: string };
}

export interface RunRange {
  readonly runSeed: number;
  /** First episode index (default 0). */
  readonly start?: number;
  /** One past the last episode index. */
  readonly end: number;
  /** Episodes per task (default 256). */
  readonly taskSize?: number;
  /** Tasks never cross a multiple of this (the shard size), so each chunk fits in one shard. */
  readonly alignTo?: number;
  /** 'lines' (default) returns episodes as JSON lines; 'summary' only their statistics. */
  readonly emit?: 'lines' | 'summary';
  /** Tasks submitted but not yet consumed, at most (default 2 per worker + 1): the backpressure bound. */
  readonly maxInFlight?: number;
  /**
   * Hand each chunk's memory back to the workers when the next chunk is asked for, so that a
   * chunk's `bytes` are valid only until then. Without it, the main thread, which allocates
   * little, collected the dead chunks rarely: they held tens of MB.
   */
  readonly recycle?: boolean;
}

/** A chunk of consecutive episodes, in index order, as the pool yields them. */
export interface RolloutChunk extends EpisodeChunk {
  readonly count: number;
  /** Worker time of the task in ms (0 when it failed). */
  readonly ms: number;
  /** Set when the task failed as a whole on every attempt; its episodes are recorded as errored. */
  readonly failed?: string;
}

/**
 * Tasks a worker is given at once: it plays one and holds the next (the worker runs them one after
 * the other), so it never waits for the main thread between tasks (2 workers were idle 3–9% of the time).
 */
const TASKS_PER_WORKER = 2;

function positiveInt(name: string, v: number | undefined, dflt: number): number {
  const x = v ?? dflt;
  if (!Number.isInteger(x) || x < 1) throw new TypeError(`options.${name} must be a positive integer, got ${String(v)}`);
  return x;
}

/**
 * Runs episodes on Piscina worker threads. A task is a contiguous range of episode indices;
 * each worker plays its task's episodes K at a time with the agent decisions batched. The
 * results come back in index order whatever finishes first, with a bounded number of tasks
 * in flight, so a consumer that writes slowly holds back the workers instead of piling up memory.
 *
 * @example
 * const pool = new RolloutPool({ scenario, policy: 'heuristic', workers: 2 });
 * for await (const chunk of pool.run({ runSeed: 0, end: 1000 })) process.stdout.write(chunk.bytes);
 * await pool.close();
 */
export class RolloutPool {
  readonly workers: number;
  readonly concurrency: number;
  private readonly retries: number;
  private readonly piscina: Piscina<RolloutTask, unknown>;
  private readonly ref: { id: string; version: string; hash: string };
  private closed = false;
  private pendingTasks = 0;

  constructor(private readonly opts: RolloutPoolOptions) {
    this.workers = positiveInt('workers', opts.workers, availableParallelism());
    this.concurrency = positiveInt('concurrency', opts.concurrency, 32);
    this.retries = opts.retries ?? 2;
    const config: WorkerConfig = WorkerConfig.parse({
      scenario: opts.scenario, policy: opts.policy, concurrency: this.concurrency,
      ...(opts.policyModule !== undefined ? { policyModule: String(opts.policyModule) } : {}),
    });
    const file = opts.workerFile ?? new URL('./worker.js', import.meta.url);
    tuneEpisodeHeaps();
    this.piscina = new Piscina({
      filename: file instanceof URL ? file.href : file,
      minThreads: this.workers,
      maxThreads: this.workers,
      idleTimeout: 60_000,
      concurrentTasksPerWorker: TASKS_PER_WORKER,
      workerData: config,
    });
    this.ref = opts.ref ? { ...opts.ref } : { id: opts.scenario.id, version: opts.scenario.version, hash: contentHash(opts.scenario) };
  }

  /** Tasks submitted by {@link RolloutPool.run} and not yet consumed. */
  get inFlight(): number {
    return this.pendingTasks;
  }

  /** Plays episodes [start, end) of a run and yields them in index order. */
  async *run(range: RunRange): AsyncGenerator<RolloutChunk> {
    const start = range.start ?? 0;
    const taskSize = positiveInt('taskSize', range.taskSize, 256);
    const alignTo = range.alignTo ?? Number.MAX_SAFE_INTEGER;
    const maxInFlight = positiveInt('maxInFlight', range.maxInFlight, 2 * this.workers + 1);
    const emit = range.emit ?? 'lines';
    const pending: Promise<RolloutChunk>[] = [];
    const spare: ArrayBuffer[] = [];
    let cursor = start;
    const submit = (): boolean => {
      if (cursor >= range.end) return false;
      const left = range.end - cursor;
      // Near the end tasks shrink (to K episodes at least), so that no worker idles while another
      // plays a full task.
      const share = Math.max(this.concurrency, Math.ceil(left / (TASKS_PER_WORKER * this.workers)));
      const count = Math.min(taskSize, left, share, alignTo - (cursor % alignTo));
      pending.push(this.runTask({ runSeed: range.runSeed, start: cursor, count, emit }, spare.pop()));
      this.pendingTasks++;
      cursor += count;
      return true;
    };
    while (pending.length < maxInFlight && submit());
    while (pending.length > 0) {
      const chunk = await (pending.shift() as Promise<RolloutChunk>);
      this.pendingTasks--;
      submit();
      yield chunk;
      // The consumer is done with it: a worker writes the next chunk into the same memory.
      if (range.recycle && !chunk.failed && chunk.bytes.byteLength > 0) spare.push(chunk.bytes.buffer as ArrayBuffer);
    }
  }

  /** One task, retried when it fails as a whole; never rejects (the last resort records the episodes as errored). */
  private async runTask(task: RolloutTask, buffer?: ArrayBuffer): Promise<RolloutChunk> {
    let lastError = '';
    for (let attempt = 0; attempt <= this.retries && !this.closed; attempt++) {
      try {
        // The buffer moves to the worker on the first attempt only (after that it is detached here).
        const r = RolloutResult.parse(await (attempt === 0 && buffer ? this.piscina.run({ ...task, buffer }, { transferList: [buffer] }) : this.piscina.run(task)));
        if (r.start !== task.start || r.count !== task.count) throw new Error(`worker answered episodes [${r.start}, ${r.start + r.count}) for [${task.start}, ${task.start + task.count})`);
        const summaries: EpisodeSummary[] = [];
        for (let j = 0; j < r.count; j++) {
          summaries.push({ return: r.returns[j], agentTurns: r.agentTurns[j], success: (r.flags[j] & FLAG_SUCCESS) !== 0, errored: (r.flags[j] & FLAG_ERRORED) !== 0 });
        }
        return { start: r.start, count: r.count, bytes: r.bytes, summaries, ms: r.ms };
      } catch (err) {
        lastError = err instanceof Error ? err.message : String(err);
      }
    }
    return this.failedChunk(task, lastError || 'the pool was closed');
  }

  /** Errored records for a task that failed on every attempt, so the run goes on and says what failed. */
  private failedChunk(task: RolloutTask, message: string): RolloutChunk {
    let lines = '';
    const summaries: EpisodeSummary[] = [];
    const error = `worker task for episodes [${task.start}, ${task.start + task.count}) failed ${this.retries + 1} times: ${message}`;
    for (let i = task.start; i < task.start + task.count; i++) {
      const ep = {
        id: episodeId(this.ref.id, task.runSeed, i),
        index: i,
        scenario: this.ref,
        seed: deriveSeed(task.runSeed, i),
        policy: this.opts.policy,
        persona: null,
        turns: [],
        outcome: { reason: 'error', success: false, finalReward: 0, error },
        totals: { return: 0, agentTurns: 0, userTurns: 0 },
      };
      if (task.emit === 'lines') lines += JSON.stringify(ep) + '\n';
      summaries.push({ return: 0, agentTurns: 0, success: false, errored: true });
    }
    return { start: task.start, count: task.count, bytes: Buffer.from(lines, 'utf8'), summaries, ms: 0, failed: error };
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.piscina.destroy();
  }
}
