import { Batcher } from './batcher.js';
import type { BatchStats } from './batcher.js';
import { takeSlot } from './slots.js';
import { episodeStreams, erroredEpisode } from './episode-core.js';
import type { EpisodeSpec, ScenarioContext } from './episode-core.js';
import type { Episode } from './episode.js';
import type { Policy } from './policy.js';

export interface RunOptions {
  /** Episodes alive at once (K); their agent decisions share one `act` call per tick. Default 16. */
  readonly concurrency?: number;
  /** Called as each episode ends (in completion order), e.g. to stream it out. A throw stops the run. */
  readonly onEpisode?: (episode: Episode) => void;
  /**
   * false: keep no episode; the promise resolves with an empty array and episodes go only to
   * `onEpisode`, so that they die young instead of living (and being promoted) until the run ends.
   */
  readonly keep?: boolean;
  /** Filled with the batcher's counts when given. */
  readonly stats?: BatchStats;
}

/**
 * Plays `specs` as XState conversations, up to `concurrency` at once, batching the agent decisions of
 * all live episodes into one `policy.act` per tick. Results come in spec order. An episode whose
 * family logic or policy throws comes back errored (`outcome.reason: 'error'`); the others go on.
 * For a synchronous policy each episode is byte-identical to `runEpisodePlain`'s, whatever K.
 *
 * @example
 * const ctx = makeContext(getScenario('teacher'));
 * const specs = [0, 1, 2].map((i) => ({ index: i, seed: deriveSeed(7, i), id: `ep-${i}` }));
 * const episodes = await runEpisodes(ctx, policyByName('heuristic', ctx), specs, { concurrency: 8 });
 */
export function runEpisodes(ctx: ScenarioContext, policy: Policy, specs: readonly EpisodeSpec[], opts: RunOptions = {}): Promise<Episode[]> {
  const k = opts.concurrency ?? 16;
  if (!(Number.isInteger(k) && k >= 1)) throw new TypeError(`options.concurrency must be a positive integer, got ${k}`);
  const keep = opts.keep ?? true;
  const results = new Array<Episode>(keep ? specs.length : 0);
  if (specs.length === 0) return Promise.resolve(results);
  const batcher = new Batcher(policy);

  return new Promise<Episode[]>((resolve, reject) => {
    let next = 0;
    let done = 0;
    let stopped = false;

    const finish = (i: number, episode: Episode) => {
      if (keep) results[i] = episode;
      done++;
      batcher.leave();
      try {
        opts.onEpisode?.(episode);
      } catch (err) {
        stopped = true;
        reject(err);
        return;
      }
      if (done === specs.length) {
        if (opts.stats) Object.assign(opts.stats, batcher.stats);
        resolve(results);
      }
    };

    /** Plays episodes one after another on a conversation slot, pulling them from the run's queue. */
    const openSlot = () => {
      // Positions (in `specs`) of the slot's episodes not yet emitted, oldest first: the next
      // episode is taken (inside the transition) before the previous one's record is delivered.
      const playing: number[] = [];
      const labels: string[] = [];
      takeSlot(ctx, policy).use({
        decisions: batcher,
        more: () => !stopped && next < specs.length,
        next: () => {
          const i = next++;
          const spec = specs[i];
          const streams = episodeStreams(spec.seed);
          let label = policy.name;
          try { label = policy.nameFor?.(streams.policy) ?? policy.name; } catch { /* recorded under the policy's name */ }
          playing.push(i);
          labels.push(label);
          batcher.join();
          return { spec, label, streams };
        },
        ended: (episode) => {
          labels.shift();
          finish(playing.shift()!, episode);
        },
        // Not expected (children catch family and policy errors); the slot is lost, the run goes on.
        crashed: (err) => {
          if (playing.length > 0) finish(playing[0], erroredEpisode(ctx, specs[playing[0]], labels[0], null, [], err));
          if (!stopped && next < specs.length) openSlot();
        },
      });
    };

    for (let s = 0; s < Math.min(k, specs.length); s++) openSlot();
  });
}
