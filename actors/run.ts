import { createActor } from 'xstate';
import { Batcher } from './batcher.js';
import type { BatchStats } from './batcher.js';
import { conversation } from './conversation.js';
import { episodeStreams, erroredEpisode } from './episode-core.js';
import type { EpisodeSpec, ScenarioContext } from './episode-core.js';
import type { Episode } from './episode.js';
import type { Policy } from './policy.js';

export interface RunOptions {
  /** Episodes alive at once (K); their agent decisions share one `act` call per tick. Default 16. */
  readonly concurrency?: number;
  /** Called as each episode ends (in completion order), e.g. to stream it to a file. */
  readonly onEpisode?: (episode: Episode) => void;
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
  const results = new Array<Episode>(specs.length);
  if (specs.length === 0) return Promise.resolve(results);
  const batcher = new Batcher(policy);
  return new Promise<Episode[]>((resolve, reject) => {
    let next = 0;
    let done = 0;
    let live = 0;
    let failed = false;

    const fill = () => {
      while (!failed && live < k && next < specs.length) launch(next++);
    };

    const launch = (i: number) => {
      const spec = specs[i];
      const streams = episodeStreams(spec.seed);
      let label = policy.name;
      try { label = policy.nameFor?.(streams.policy) ?? policy.name; } catch { /* recorded under the policy's name */ }
      let ended = false;
      const end = (episode: Episode) => {
        if (ended) return;
        ended = true;
        results[i] = episode;
        live--;
        done++;
        batcher.leave();
        try {
          opts.onEpisode?.(episode);
        } catch (err) {
          failed = true;
          reject(err);
          return;
        }
        if (done === specs.length) {
          if (opts.stats) Object.assign(opts.stats, batcher.stats);
          resolve(results);
        } else fill();
      };
      live++;
      batcher.join();
      const actor = createActor(conversation, {
        input: { ctx, spec, decisions: batcher, policyName: policy.name, label, privileged: policy.privileged === true, streams },
      });
      actor.subscribe({
        complete: () => end(actor.getSnapshot().output ?? erroredEpisode(ctx, spec, label, null, [], new Error('conversation ended without an episode'))),
        error: (err) => end(erroredEpisode(ctx, spec, label, null, [], err)),
      });
      actor.start();
    };

    fill();
  });
}
