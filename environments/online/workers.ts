import { availableParallelism } from 'node:os';
import { BroadcastChannel, MessageChannel, type MessagePort } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import { Piscina } from 'piscina';
import { checkRequests, checkVersion, positiveInt, sourceSetup } from './options.js';
import { addPlayStats, emptyPlayStats, type PlayStats } from './player.js';
import type { ModelMessage, OnlineResult, OnlineTask, OnlineWorkerConfig } from './protocol.js';
import { tuneEpisodeHeaps } from '../heap.js';
import { SeedServer, type SeedStats } from './seed.js';
import type { EpisodeRequest, ExperienceSource, InferFn, OnTrajectory, SourceOptions, Trajectory } from './types.js';

export interface WorkerSourceOptions extends SourceOptions {
  /** Piscina worker threads (default: the available cores). */
  readonly workers?: number;
  /** Requests per task (default: an even split over the workers). */
  readonly taskSize?: number;
  /** The worker module (default `./worker.js`); tests pass one that crashes on cue. */
  readonly workerFile?: string | URL;
}

export interface CentralSourceOptions extends WorkerSourceOptions {
  /** Longest a request waits for the other busy workers' before `infer` runs without them (ms, default 1; 0 = next macrotask). */
  readonly maxWaitMs?: number;
  /**
   * Tick groups per worker task (default 1): each has K / pipelines episodes and its own port, so
   * a worker steps one group while another waits for logits (SEED's answer to inference latency;
   * pair it with `maxWaitMs: 0`). The trajectories do not depend on it.
   */
  readonly pipelines?: number;
}

/** Counts and times of a worker-backed source since it was made. */
export interface WorkerSourceStats {
  tasks: number;
  /** Tasks run again after a worker failed them. */
  retries: number;
  /** The workers' own accounts, summed over tasks (forwardMs: waiting for logits, central; running the model, local). */
  play: PlayStats;
  /** Local copies: ms the workers spent loading published models. */
  loadMs: number;
  /** Wall time inside collect (ms). */
  collectMs: number;
  /** Central inference: the server's batching. */
  seed?: SeedStats;
}

export interface WorkerSource extends ExperienceSource {
  readonly workers: number;
  readonly obsSize: number;
  readonly numActions: number;
  readonly stats: WorkerSourceStats;
  /** The last version published (-1 before the first). */
  readonly version: number;
}

/**
 * SEED RL style: Piscina workers play the episodes (K per worker, one forward per tick) and send each
 * tick's observations to this thread, which merges the pending batches of all workers into one
 * `infer` call (see {@link SeedServer}) and sends back the logits; workers sample with the same code
 * as the in-process source, so the trajectories are the same for the same requests and weights.
 *
 * @example
 * const source = createCentralSource({ scenario, encoder: 'structured', workers: 2 }, learner.infer);
 * const trajectories = await source.collect(requests);
 * await source.close();
 */
export function createCentralSource(opts: CentralSourceOptions, infer: InferFn): WorkerSource {
  const maxWaitMs = opts.maxWaitMs ?? 1;
  if (!(maxWaitMs >= 0 && Number.isFinite(maxWaitMs))) throw new TypeError(`options.maxWaitMs must be a non-negative number, got ${maxWaitMs}`);
  const pipelines = positiveInt('pipelines', opts.pipelines, 1);
  return new PooledSource(opts, { mode: 'central', infer, maxWaitMs, pipelines });
}

/**
 * Each worker runs its own copy of the policy (an onnxruntime session, one intra-op thread).
 * `publish(version, model)` sends the model to every worker; a worker swaps weights before the next
 * episode it starts, so each episode is played by one version (recorded in its trajectory).
 * `collect` before the first `publish` rejects.
 */
export function createLocalCopiesSource(opts: WorkerSourceOptions): WorkerSource {
  return new PooledSource(opts, { mode: 'local' });
}

let channels = 0;
type PiscinaTransfer = NonNullable<Parameters<Piscina['run']>[1]>['transferList'];

class PooledSource implements WorkerSource {
  readonly workers: number;
  readonly obsSize: number;
  readonly numActions: number;
  readonly stats: WorkerSourceStats = { tasks: 0, retries: 0, play: emptyPlayStats(), loadMs: 0, collectMs: 0 };
  private readonly piscina: Piscina<unknown, unknown>;
  private readonly taskSize: number | undefined;
  private readonly seed: SeedServer | null = null;
  private readonly channel: BroadcastChannel | null = null;
  private model: ModelMessage | null = null;
  private published = -1;
  private closed = false;

  constructor(opts: WorkerSourceOptions, private readonly how: { mode: 'central'; infer: InferFn; maxWaitMs: number; pipelines: number } | { mode: 'local' }) {
    this.workers = positiveInt('workers', opts.workers, availableParallelism());
    const concurrency = positiveInt('concurrency', opts.concurrency, 32);
    this.taskSize = opts.taskSize === undefined ? undefined : positiveInt('taskSize', opts.taskSize, 1);
    const { ctx, encoder } = sourceSetup(opts);
    this.obsSize = encoder.size;
    this.numActions = ctx.actions.length;
    const config: OnlineWorkerConfig = { scenario: opts.scenario, encoder: opts.encoder, concurrency, mode: how.mode };
    if (how.mode === 'central') {
      config.pipelines = how.pipelines;
      this.seed = new SeedServer(how.infer, this.obsSize, this.numActions, how.maxWaitMs);
      this.stats.seed = this.seed.stats;
    } else {
      config.channel = `reverie-online-${process.pid}-${channels++}-${Date.now()}`;
      this.channel = new BroadcastChannel(config.channel);
    }
    const file = opts.workerFile ?? new URL('./worker.js', import.meta.url);
    tuneEpisodeHeaps();
    this.piscina = new Piscina({ filename: file instanceof URL ? file.href : file, minThreads: this.workers, maxThreads: this.workers, idleTimeout: 60_000, workerData: config });
  }

  /** The last version published (-1 before the first). */
  get version(): number {
    return this.published;
  }

  async collect(requests: readonly EpisodeRequest[], onTrajectory?: OnTrajectory): Promise<Trajectory[]> {
    if (this.closed) throw new Error('collect() after close(): this experience source is closed');
    checkRequests(requests);
    if (this.how.mode === 'local' && !this.model) throw new Error('local copies: collect() before the first publish(version, model); publish the policy\'s inference model first');
    if (requests.length === 0) return [];
    const t0 = performance.now();
    const size = this.taskSize ?? Math.ceil(requests.length / this.workers);
    const tasks: Promise<OnlineResult>[] = [];
    for (let start = 0; start < requests.length; start += size) {
      const task = this.runTask(start, requests.slice(start, start + size));
      // a worker hands its trajectories back when its whole task is done
      tasks.push(onTrajectory ? task.then((r) => { r.trajectories.forEach((t, k) => onTrajectory(start + k, t)); return r; }) : task);
    }
    const results = await Promise.all(tasks);
    const out: Trajectory[] = [];
    for (const r of results) {
      addPlayStats(this.stats.play, r.stats);
      this.stats.loadMs += r.loadMs;
      out.push(...r.trajectories);
    }
    this.stats.collectMs += performance.now() - t0;
    return out;
  }

  /** One range of requests; retried once when the worker fails it, then the collect rejects. */
  private async runTask(start: number, requests: EpisodeRequest[]): Promise<OnlineResult> {
    let last: unknown = null;
    for (let attempt = 0; attempt < 2; attempt++) {
      if (this.closed) break;
      if (attempt > 0) this.stats.retries++;
      this.stats.tasks++;
      const task: OnlineTask = { start, requests };
      let done = () => {};
      const transferList: MessagePort[] = [];
      if (this.seed && this.how.mode === 'central') {
        const seed = this.seed;
        const channels = Array.from({ length: this.how.pipelines }, () => new MessageChannel());
        for (const c of channels) seed.attach(c.port1);
        done = () => { for (const c of channels) seed.detach(c.port1); };
        task.ports = channels.map((c) => c.port2);
        transferList.push(...task.ports);
      } else task.model = this.model!;
      try {
        const r = (await this.piscina.run(task, { transferList: transferList as unknown as PiscinaTransfer })) as OnlineResult;
        if (r.start !== start || r.trajectories.length !== requests.length) throw new Error(`worker answered ${r.trajectories.length} trajectories from ${r.start} for ${requests.length} from ${start}`);
        return r;
      } catch (err) {
        last = err;
        // a failed infer is the learner's error, not the worker's: no retry
        if (this.seed?.error) throw this.seed.error;
      } finally {
        done();
      }
    }
    if (this.closed) throw new Error(`online source: closed while requests [${start}, ${start + requests.length}) were being played`);
    const why = last instanceof Error ? last.message : String(last);
    throw new Error(`online source: the worker task for requests [${start}, ${start + requests.length}) failed twice (a worker crashed or threw): ${why}`);
  }

  async publish(version: number, model: Uint8Array): Promise<void> {
    checkVersion(version);
    if (this.how.mode === 'central') {
      this.published = version;
      return;
    }
    if (this.model && version <= this.model.version) throw new RangeError(`publish: version ${version} is not newer than the published version ${this.model.version}`);
    if (!(model instanceof Uint8Array) || model.length === 0) throw new TypeError('publish: model must be the inference ONNX model bytes (a non-empty Uint8Array)');
    await this.checkModel(model);
    // One shared copy: tasks and the broadcast pass a reference, not the bytes.
    const bytes = new Uint8Array(new SharedArrayBuffer(model.length));
    bytes.set(model);
    this.model = { version, bytes };
    this.published = version;
    this.channel!.postMessage(this.model);
  }

  /** Loads the model once here so that a wrong one fails publish, not every worker. */
  private async checkModel(model: Uint8Array): Promise<void> {
    const session = await ort.InferenceSession.create(model, { intraOpNumThreads: 1, interOpNumThreads: 1, executionProviders: ['cpu'] });
    try {
      if (!session.inputNames.includes('x') || !session.outputNames.includes('logits')) {
        throw new Error(`publish: the model has inputs [${session.inputNames.join(', ')}] and outputs [${session.outputNames.join(', ')}]; expected input 'x' and output 'logits'`);
      }
      let out: ort.InferenceSession.OnnxValueMapType;
      try {
        out = await session.run({ x: new ort.Tensor('float32', new Float32Array(this.obsSize), [1, this.obsSize]) });
      } catch (err) {
        throw new Error(`publish: the model does not run on an observation of shape [1, ${this.obsSize}] (the encoder's size): ${err instanceof Error ? err.message : String(err)}`);
      }
      if (out.logits.data.length !== this.numActions) throw new Error(`publish: the model gives ${out.logits.data.length} logits per row; the scenario has ${this.numActions} actions`);
    } finally {
      await session.release();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.seed?.close();
    this.channel?.close();
    await this.piscina.destroy();
  }
}
