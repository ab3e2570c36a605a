import { Rng } from '../scenarios/random.js';
import type { Observation } from './acts.js';
import type { DecisionReply, DecisionSource } from './agent.js';
import type { Decision, Policy } from './policy.js';

interface Request {
  readonly obs: Observation;
  readonly rng: Rng;
  readonly reply: (r: DecisionReply) => void;
}

/** Counts of what the batcher did: one `act` call per tick. */
export interface BatchStats {
  /** `policy.act` calls for full batches (isolating retries are counted apart). */
  calls: number;
  decisions: number;
  maxBatch: number;
  /** Single-episode retries after a batch failed. */
  retries: number;
}

/**
 * The tick logic both batchers share: requests of the live episodes gather until every live
 * episode waits (flushed on a microtask; with synchronous episode logic this is the common case),
 * or else whatever waits on the next macrotask (`setImmediate`). The flush is a loop, not a
 * recursion: answering a request runs that episode up to its next one, which joins the next batch.
 */
export abstract class TickBatcher<R> {
  private pending: R[] = [];
  private live = 0;
  private busy = false;
  private scheduled = false;

  /** An episode started: the next full tick waits for its request too. */
  join(): void {
    this.live++;
  }

  /** An episode ended. */
  leave(): void {
    this.live--;
    this.schedule();
  }

  protected enqueue(r: R): void {
    this.pending.push(r);
    this.schedule();
  }

  /** Answers every request of one batch; a Promise when the answers come later. */
  protected abstract decide(batch: R[]): Promise<void> | undefined;

  private schedule(): void {
    if (this.busy || this.scheduled || this.pending.length === 0) return;
    this.scheduled = true;
    if (this.pending.length >= this.live) queueMicrotask(this.run);
    else setImmediate(this.run);
  }

  private readonly run = (): void => {
    this.scheduled = false;
    if (this.busy || this.pending.length === 0) return;
    this.busy = true;
    this.loop(true);
  };

  /** Decide full ticks until one is not full (or an answer is pending). */
  private loop(force: boolean): void {
    while (this.pending.length > 0 && (force || this.pending.length >= this.live)) {
      force = false;
      const batch = this.pending;
      this.pending = [];
      const waiting = this.decide(batch);
      if (waiting) {
        waiting.then(() => this.loop(false), () => this.loop(false));
        return;
      }
    }
    this.busy = false;
    this.schedule();
  }
}

/**
 * Gathers the decision requests of all live episodes and answers them with ONE `policy.act` call
 * per tick (see {@link TickBatcher}).
 *
 * If a batch fails (the policy throws or rejects), each of its episodes is retried alone from its
 * policy stream's state before the batch, so only the failing episode errors and the others get the
 * decisions a one-episode batch would have given them.
 */
export class Batcher extends TickBatcher<Request> implements DecisionSource {
  readonly stats: BatchStats = { calls: 0, decisions: 0, maxBatch: 0, retries: 0 };

  constructor(private readonly policy: Policy) {
    super();
  }

  request(obs: Observation, rng: Rng, reply: (r: DecisionReply) => void): void {
    this.enqueue({ obs, rng, reply });
  }

  /** One `act` call for the batch; a Promise when the policy is async. */
  protected decide(batch: Request[]): Promise<void> | undefined {
    const obs = batch.map((r) => r.obs);
    const rngs = batch.map((r) => r.rng);
    const saved = batch.length > 1 ? rngs.map((r) => r.state()) : null;
    this.stats.calls++;
    this.stats.decisions += batch.length;
    if (batch.length > this.stats.maxBatch) this.stats.maxBatch = batch.length;
    let out: readonly Decision[] | Promise<readonly Decision[]>;
    try {
      out = this.policy.act(obs, rngs);
    } catch (err) {
      return this.failed(batch, saved, err);
    }
    if (isPromise(out)) {
      return out.then((ds) => this.deliver(batch, saved, ds), (err: unknown) => this.failed(batch, saved, err));
    }
    return this.deliver(batch, saved, out);
  }

  private deliver(batch: Request[], saved: ReturnType<Rng['state']>[] | null, ds: readonly Decision[]): Promise<void> | undefined {
    if (!Array.isArray(ds) || ds.length !== batch.length) {
      const n = Array.isArray(ds) ? ds.length : typeof ds;
      return this.failed(batch, saved, new Error(`policy '${this.policy.name}' returned ${n} decisions for ${batch.length} observations; expected one per observation`));
    }
    for (let i = 0; i < batch.length; i++) batch[i].reply({ decision: ds[i], rng: batch[i].rng });
    return undefined;
  }

  /** A failed batch: one episode alone fails with the error; several are retried one by one. */
  private failed(batch: Request[], saved: ReturnType<Rng['state']>[] | null, err: unknown): Promise<void> | undefined {
    if (!saved) {
      batch[0].reply({ error: err });
      return undefined;
    }
    const waits: Promise<void>[] = [];
    batch.forEach((r, i) => {
      const w = this.alone(r, Rng.fromState(saved[i]));
      if (w) waits.push(w);
    });
    return waits.length ? Promise.all(waits).then(() => undefined) : undefined;
  }

  private alone(r: Request, rng: Rng): Promise<void> | undefined {
    this.stats.retries++;
    const give = (ds: readonly Decision[]) => {
      if (!Array.isArray(ds) || ds.length !== 1) {
        r.reply({ error: new Error(`policy '${this.policy.name}' returned ${Array.isArray(ds) ? ds.length : typeof ds} decisions for 1 observation`) });
      } else r.reply({ decision: ds[0], rng });
    };
    let out: readonly Decision[] | Promise<readonly Decision[]>;
    try {
      out = this.policy.act([r.obs], [rng]);
    } catch (error) {
      r.reply({ error });
      return undefined;
    }
    if (isPromise(out)) return out.then(give, (error: unknown) => r.reply({ error }));
    give(out);
    return undefined;
  }
}

function isPromise<T>(x: T | Promise<T>): x is Promise<T> {
  return typeof (x as { then?: unknown })?.then === 'function';
}
