import { tuneEpisodeHeaps } from '../heap.js';
import { emptyPlayStats, playRequests, type PlayStats } from './player.js';
import { checkRequests, checkVersion, positiveInt, sourceSetup } from './options.js';
import type { EpisodeRequest, ExperienceSource, InferFn, OnTrajectory, SourceOptions, Trajectory } from './types.js';

/** An experience source that also reports where its time went. */
export interface InProcessSource extends ExperienceSource {
  /** Size of one encoded observation and of the action catalogue. */
  readonly obsSize: number;
  readonly numActions: number;
  /** Counts and times since the source was made (or `stats` was reset by assigning fresh zeros). */
  readonly stats: PlayStats;
}

/**
 * Plays episodes in this thread: runEpisodes with K = `concurrency` (default 32) episodes alive, all
 * their decisions encoded into one [B, obsSize] array per tick and sent to `infer` (the learner's
 * forward), actions sampled from each request's own action stream (see {@link actionStream}).
 * `publish` only records the version (the InferFn owns the weights; its answers carry the version
 * each row used).
 *
 * @example
 * const source = createInProcessSource({ scenario: getScenario('teacher'), encoder: 'structured' }, infer);
 * const trajectories = await source.collect([{ seed: 1, actionSeed: 1 }, { seed: 1, actionSeed: 2 }]);
 */
export function createInProcessSource(opts: SourceOptions, infer: InferFn): InProcessSource {
  const concurrency = positiveInt('concurrency', opts.concurrency, 32);
  const { ctx, encoder } = sourceSetup(opts);
  tuneEpisodeHeaps();
  let version = 0;
  let closed = false;
  const stats = emptyPlayStats();
  const forward = {
    forward: (obs: Float32Array, rows: number) => infer(obs, rows),
    fallbackVersion: () => version,
  };
  return {
    obsSize: encoder.size,
    numActions: ctx.actions.length,
    stats,
    async collect(requests: readonly EpisodeRequest[], onTrajectory?: OnTrajectory): Promise<Trajectory[]> {
      if (closed) throw new Error('collect() after close(): this experience source is closed');
      checkRequests(requests);
      return await playRequests(ctx, encoder, requests, concurrency, forward, { stats, onTrajectory });
    },
    publish(v: number): Promise<void> {
      checkVersion(v);
      version = v;
      return Promise.resolve();
    },
    close(): Promise<void> {
      closed = true;
      return Promise.resolve();
    },
  };
}
