import type { MessagePort } from 'node:worker_threads';
import type { InferReply, InferRequest } from './protocol.js';
import type { InferFn } from './types.js';

/** What the central inference server did (main thread). */
export interface SeedStats {
  /** `infer` calls and the rows they carried. */
  calls: number;
  rows: number;
  maxRows: number;
  /** Calls that held requests of more than one worker task. */
  merged: number;
  /** Flushes that fired on the max-wait timer instead of every busy task having a request. */
  timedOut: number;
  /** Time inside `infer` (ms). */
  inferMs: number;
}

interface Pending {
  readonly port: MessagePort;
  readonly req: InferRequest;
}

/**
 * SEED RL's central inference: the observation batches of all busy worker tasks are merged into
 * one `infer` call. It flushes when every busy task has a request waiting, or `maxWaitMs` after the
 * first request came in (so a task stuck in its actors does not hold the others back for long).
 * One `infer` runs at a time; requests that arrive meanwhile wait for the next flush.
 */
export class SeedServer {
  private readonly attached = new Set<MessagePort>();
  /** Attached ports that have sent a request: the tasks a full flush waits for. */
  private readonly busy = new Set<MessagePort>();
  private pending: Pending[] = [];
  /** Cancels the pending max-wait flush. */
  private timer: (() => void) | null = null;
  private running = false;
  readonly stats: SeedStats = { calls: 0, rows: 0, maxRows: 0, merged: 0, timedOut: 0, inferMs: 0 };
  /** The first error `infer` threw (the source rejects collect with it rather than retrying). */
  error: unknown = null;

  constructor(
    private readonly infer: InferFn,
    private readonly obsSize: number,
    private readonly numActions: number,
    private readonly maxWaitMs: number,
  ) {}

  /**
   * A task was submitted: its port's requests join the batches. Full flushes wait for it once its
   * first request came (a task still queued in Piscina, or not yet at its first decision, is not waited for).
   */
  attach(port: MessagePort): void {
    this.attached.add(port);
    port.on('message', (req: InferRequest) => {
      this.busy.add(port);
      this.pending.push({ port, req });
      this.schedule();
    });
  }

  /** A task ended (or its worker died): its requests are dropped and flushes stop waiting for it. */
  detach(port: MessagePort): void {
    this.attached.delete(port);
    this.busy.delete(port);
    this.pending = this.pending.filter((p) => p.port !== port);
    port.close();
    this.schedule();
  }

  private schedule(): void {
    if (this.running || this.pending.length === 0) return;
    const waiting = new Set(this.pending.map((p) => p.port)).size;
    if (waiting >= this.busy.size) {
      void this.flush(false);
      return;
    }
    if (this.timer) return;
    const fire = () => {
      this.timer = null;
      void this.flush(true);
    };
    if (this.maxWaitMs > 0) {
      const t = setTimeout(fire, this.maxWaitMs);
      this.timer = () => clearTimeout(t);
    } else {
      const t = setImmediate(fire);
      this.timer = () => clearImmediate(t);
    }
  }

  private async flush(timedOut: boolean): Promise<void> {
    this.timer?.();
    this.timer = null;
    if (this.running || this.pending.length === 0) return;
    this.running = true;
    const batch = this.pending;
    this.pending = [];
    const F = this.obsSize;
    const A = this.numActions;
    let rows = 0;
    for (const p of batch) rows += p.req.rows;
    const obs = batch.length === 1 ? batch[0].req.obs : new Float32Array(rows * F);
    if (batch.length > 1) {
      let at = 0;
      for (const p of batch) {
        obs.set(p.req.obs, at * F);
        at += p.req.rows;
      }
    }
    const s = this.stats;
    s.calls++;
    s.rows += rows;
    s.maxRows = Math.max(s.maxRows, rows);
    if (new Set(batch.map((p) => p.port)).size > 1) s.merged++;
    if (timedOut) s.timedOut++;
    const t0 = performance.now();
    try {
      const { logits, version } = await this.infer(obs, rows);
      if (logits.length !== rows * A) throw new Error(`infer returned ${logits.length} logits for ${rows} rows of ${A} actions; expected ${rows * A}`);
      let at = 0;
      for (const p of batch) {
        const part = logits.slice(at * A, (at + p.req.rows) * A);
        at += p.req.rows;
        const reply: InferReply = { id: p.req.id, logits: part, version };
        if (this.attached.has(p.port)) p.port.postMessage(reply, [part.buffer]);
      }
    } catch (err) {
      this.error ??= err;
      const message = `central inference failed: ${err instanceof Error ? err.message : String(err)}`;
      for (const p of batch) if (this.attached.has(p.port)) p.port.postMessage({ id: p.req.id, error: message } satisfies InferReply);
    } finally {
      s.inferMs += performance.now() - t0;
      this.running = false;
    }
    this.schedule();
  }

  close(): void {
    this.timer?.();
    this.timer = null;
    for (const port of this.attached) port.close();
    this.attached.clear();
    this.busy.clear();
    this.pending = [];
  }
}
