import type { ScenarioContext } from '../../actors/episode-core.js';
import { DatasetError } from '../dataset/files.js';
import type { Encoder } from '../encoding/encoder.js';
import { readDatasetEpisodes, type SourceOptions } from './source.js';
import { replayDecisions } from './replay.js';
import type { Transitions } from './transitions.js';

export interface LoadOptions extends SourceOptions {
  /** Stop after this many episodes (errored ones included); default all. */
  readonly maxEpisodes?: number;
}

/** What loading found beside the transitions. */
export interface LoadReport {
  /** Episodes read (errored ones included). */
  readonly episodes: number;
  /** Episodes that contributed transitions. */
  readonly used: number;
  /** Errored episodes (outcome.reason 'error'), skipped. */
  readonly errored: number;
  /** Complete episodes without a single agent turn (nothing to learn from). */
  readonly empty: number;
  /** Warnings (with allowPartial: the torn lines skipped, an unfinished dataset). */
  readonly warnings: readonly string[];
}

export interface LoadedTransitions extends Transitions {
  readonly encoder: { readonly kind: Encoder['kind']; readonly size: number };
  readonly report: LoadReport;
}

/** Typed arrays that grow by doubling (exact size when the manifest's decision count is known). */
class Rows {
  capacity: number;
  obs: Float32Array;
  nextObs: Float32Array;
  actions: Int32Array;
  rewards: Float32Array;
  done: Uint8Array;
  mask: Uint8Array;
  nextMask: Uint8Array;
  returnToGo: Float32Array;
  episodeReturn: Float32Array;
  episode: Int32Array;

  constructor(readonly D: number, readonly A: number, capacity: number) {
    this.capacity = Math.max(16, capacity);
    const c = this.capacity;
    this.obs = new Float32Array(c * D);
    this.nextObs = new Float32Array(c * D);
    this.actions = new Int32Array(c);
    this.rewards = new Float32Array(c);
    this.done = new Uint8Array(c);
    this.mask = new Uint8Array(c * A);
    this.nextMask = new Uint8Array(c * A);
    this.returnToGo = new Float32Array(c);
    this.episodeReturn = new Float32Array(c);
    this.episode = new Int32Array(c);
  }

  ensure(n: number): void {
    if (n <= this.capacity) return;
    let c = this.capacity;
    while (c < n) c *= 2;
    const grow = <T extends Float32Array | Int32Array | Uint8Array>(a: T, per: number): T => {
      const b = new (a.constructor as new (n: number) => T)(c * per);
      b.set(a);
      return b;
    };
    this.obs = grow(this.obs, this.D);
    this.nextObs = grow(this.nextObs, this.D);
    this.actions = grow(this.actions, 1);
    this.rewards = grow(this.rewards, 1);
    this.done = grow(this.done, 1);
    this.mask = grow(this.mask, this.A);
    this.nextMask = grow(this.nextMask, this.A);
    this.returnToGo = grow(this.returnToGo, 1);
    this.episodeReturn = grow(this.episodeReturn, 1);
    this.episode = grow(this.episode, 1);
    this.capacity = c;
  }
}

/**
 * Reads a dataset into flat arrays for offline RL: one row per agent decision, the observation
 * rebuilt by replaying the episode's visible turns through the family's view logic (exactly what
 * the agent saw), encoded by `encoder`. Errored episodes are skipped and counted.
 *
 * Refuses, naming both, a dataset of another scenario id, version or content hash; a damaged line
 * or a cut-off last line is an error naming the file and line (with `allowPartial` a cut-off last
 * line is reported in `report.warnings` and skipped, and an unfinished dataset is read as far as it goes).
 *
 * @example
 * const ctx = makeContext(getScenario('travel-agent'));
 * const t = await loadTransitions('data/travel', makeEncoder('structured', ctx), ctx);
 * t.count; // agent decisions
 */
export async function loadTransitions(dir: string, encoder: Encoder, ctx: ScenarioContext, opts: LoadOptions = {}): Promise<LoadedTransitions> {
  const D = encoder.size;
  const A = ctx.actions.length;
  const warnings: string[] = [];
  const onWarning = (m: string) => {
    warnings.push(m);
    opts.onWarning?.(m);
  };
  let rows: Rows | null = null;
  let count = 0;
  let episodes = 0;
  let used = 0;
  let errored = 0;
  let empty = 0;
  for await (const { episode: ep, file, line } of readDatasetEpisodes(dir, ctx, { allowPartial: opts.allowPartial, onWarning })) {
    if (opts.maxEpisodes !== undefined && episodes >= opts.maxEpisodes) break;
    episodes++;
    if (ep.outcome.reason === 'error') { errored++; continue; }
    let decisions;
    try {
      decisions = replayDecisions(ctx, ep);
    } catch (err) {
      throw new DatasetError(`${file}:${line}: ${(err as Error).message}`, file, line);
    }
    if (decisions.length === 0) { empty++; continue; }
    rows ??= new Rows(D, A, 4096);
    rows.ensure(count + decisions.length);
    const first = count;
    for (let k = 0; k < decisions.length; k++) {
      const r = first + k;
      const d = decisions[k];
      encoder.encode(d.obs, rows.obs, r * D);
      for (let a = 0; a < A; a++) rows.mask[r * A + a] = d.obs.mask[a] ? 1 : 0;
      rows.actions[r] = d.action;
      rows.rewards[r] = d.reward;
      rows.episode[r] = ep.index;
      rows.episodeReturn[r] = ep.totals.return;
      if (k > 0) {
        rows.nextObs.set(rows.obs.subarray(r * D, (r + 1) * D), (r - 1) * D);
        rows.nextMask.set(rows.mask.subarray(r * A, (r + 1) * A), (r - 1) * A);
      }
    }
    const last = first + decisions.length - 1;
    rows.done[last] = 1;
    rows.nextObs.fill(0, last * D, (last + 1) * D);
    rows.nextMask.fill(0, last * A, (last + 1) * A);
    let g = 0;
    for (let r = last; r >= first; r--) rows.returnToGo[r] = g += rows.rewards[r];
    count += decisions.length;
    used++;
  }
  rows ??= new Rows(D, A, 0);
  const cut = <T extends Float32Array | Int32Array | Uint8Array>(a: T, per: number): T => (a.length === count * per ? a : (a.slice(0, count * per) as T));
  return {
    count,
    obsSize: D,
    numActions: A,
    obs: cut(rows.obs, D),
    actions: cut(rows.actions, 1),
    rewards: cut(rows.rewards, 1),
    nextObs: cut(rows.nextObs, D),
    done: cut(rows.done, 1),
    mask: cut(rows.mask, A),
    nextMask: cut(rows.nextMask, A),
    returnToGo: cut(rows.returnToGo, 1),
    episodeReturn: cut(rows.episodeReturn, 1),
    episode: cut(rows.episode, 1),
    encoder: { kind: encoder.kind, size: D },
    report: { episodes, used, errored, empty, warnings },
  };
}
