import { createActor } from 'xstate';
import { TickBatcher } from '../batcher.js';
import { Rng } from '../../scenarios/random.js';
import type { ReasoningContext, ReasoningSpec } from './context.js';
import { reasoningRecord, reasoningStreams } from './context.js';
import type { ReasoningEpisode } from './episode.js';
import { reasoningEpisode, type WriteSource } from './machine.js';
import type { ReasoningPolicy, WriteRequest, Written } from './policy.js';

export interface ReasoningRunOptions {
  /** Episodes alive at once (K); their write requests share one `policy.write` call per tick. Default 16. */
  readonly concurrency?: number;
  /** Called as each episode ends (in completion order). A throw stops the run. */
  readonly onEpisode?: (episode: ReasoningEpisode) => void;
  /** Filled with the batcher's counts when given. */
  readonly stats?: WriteStats;
}

export interface WriteStats {
  /** `policy.write` calls for full batches (isolating retries are counted apart). */
  calls: number;
  requests: number;
  maxBatch: number;
  retries: number;
}

type Reply = (r: { written: Written; rng: Rng } | { error: unknown }) => void;

type Pending = { req: WriteRequest; reply: Reply };

/**
 * Gathers the write requests of the live episodes and answers them with one `policy.write` per
 * tick (the dialogue batcher's ticks, {@link TickBatcher}). A failing batch is retried one request
 * at a time from each episode's stream state before the batch, so only the culprit errors (the
 * same rule as the dialogue `Batcher`).
 */
class WriteBatcher extends TickBatcher<Pending> implements WriteSource {
  readonly stats: WriteStats = { calls: 0, requests: 0, maxBatch: 0, retries: 0 };

  constructor(private readonly policy: ReasoningPolicy) {
    super();
  }

  request(req: WriteRequest, reply: Reply): void {
    this.enqueue({ req, reply });
  }

  protected async decide(batch: Pending[]): Promise<void> {
    const saved = batch.map((b) => b.req.rng.state());
    this.stats.calls++;
    this.stats.requests += batch.length;
    this.stats.maxBatch = Math.max(this.stats.maxBatch, batch.length);
    try {
      const out = await this.policy.write(batch.map((b) => b.req));
      if (!Array.isArray(out) || out.length !== batch.length) throw new Error(`policy '${this.policy.name}' answered ${Array.isArray(out) ? out.length : typeof out} requests of ${batch.length}`);
      batch.forEach((b, i) => b.reply({ written: out[i], rng: b.req.rng }));
    } catch (err) {
      if (batch.length === 1) {
        batch[0].reply({ error: err });
        return;
      }
      for (let i = 0; i < batch.length; i++) {
        this.stats.retries++;
        const b = batch[i];
        const req = { ...b.req, rng: Rng.fromState(saved[i]) };
        try {
          const [w] = await this.policy.write([req]);
          b.reply({ written: w, rng: req.rng }); // the episode goes on with the retry's stream
        } catch (error) {
          b.reply({ error });
        }
      }
    }
  }
}

/**
 * Plays reasoning episodes as XState actors (`machine.ts`), up to `concurrency` at once, batching
 * the write requests of all live episodes into one `policy.write` per tick; results in spec order.
 * Each episode is a pure function of (scenario, policy, spec.seed): its problem and the policy's
 * stream derive from its seed alone, so K and the batch make-up do not change it.
 *
 * @example
 * const ctx = makeReasoningContext(loadReasoningScenario('addition'));
 * const specs = reasoningSpecs(ctx, 7, 0, 100, [{ level: 2, weight: 1 }]);
 * const eps = await runReasoningEpisodes(ctx, scriptedReasoner(ctx.task), specs, { concurrency: 32 });
 */
export function runReasoningEpisodes(ctx: ReasoningContext, policy: ReasoningPolicy, specs: readonly ReasoningSpec[], opts: ReasoningRunOptions = {}): Promise<ReasoningEpisode[]> {
  const k = opts.concurrency ?? 16;
  if (!(Number.isInteger(k) && k >= 1)) throw new TypeError(`options.concurrency must be a positive integer, got ${k}`);
  const results = new Array<ReasoningEpisode>(specs.length);
  if (specs.length === 0) return Promise.resolve(results);
  const batcher = new WriteBatcher(policy);
  return new Promise((resolve, reject) => {
    let next = 0;
    let done = 0;
    let stopped = false;
    const finish = (i: number, ep: ReasoningEpisode) => {
      results[i] = ep;
      done++;
      batcher.leave();
      try {
        opts.onEpisode?.(ep);
      } catch (err) {
        stopped = true;
        reject(err);
        return;
      }
      if (done === specs.length) {
        if (opts.stats) Object.assign(opts.stats, batcher.stats);
        resolve(results);
      } else if (!stopped && next < specs.length) start();
    };
    const start = () => {
      const i = next++;
      const spec = specs[i];
      batcher.join();
      const streams = reasoningStreams(spec.seed);
      let problem;
      try {
        problem = ctx.task.generate(streams.problem, spec.level);
      } catch (err) {
        queueMicrotask(() => finish(i, reasoningRecord(ctx, spec, policy.name, null, [], null, 'error', null, err)));
        return;
      }
      const actor = createActor(reasoningEpisode, { input: { ctx, spec, problem, rng: streams.policy, policyName: policy.name, writes: batcher } });
      actor.subscribe({
        complete: () => finish(i, actor.getSnapshot().output as ReasoningEpisode),
        error: (err) => finish(i, reasoningRecord(ctx, spec, policy.name, problem, [], null, 'error', null, err)),
      });
      actor.start();
    };
    for (let s = 0; s < Math.min(k, specs.length); s++) start();
  });
}
