import type { Episode } from '../../actors/episode.js';
import type { EpisodeSpec, ScenarioContext } from '../../actors/episode-core.js';
import type { Policy } from '../../actors/policy.js';
import { makeContext } from '../../actors/context.js';
import { policyByName } from '../../actors/policies/index.js';
import { runEpisodes } from '../../actors/run.js';
import { Scenario } from '../../scenarios/schema.js';

/**
 * What a rollout worker needs of the actors layer: a context from scenario data, a policy by
 * name, and a runner of K episodes at once. The default is the XState actors; tests and
 * benchmarks pass their own (a toy family, a failing runner, the plain loop).
 */
export interface Runtime {
  context(scenario: unknown): ScenarioContext;
  policy(name: string, ctx: ScenarioContext): Policy;
  /** Plays `specs`, handing each episode to `onEpisode` as it ends (in any order) and keeping none. */
  run(ctx: ScenarioContext, policy: Policy, specs: readonly EpisodeSpec[], opts: { concurrency: number; onEpisode: (episode: Episode) => void }): Promise<void>;
}

export const defaultRuntime: Runtime = {
  context: (data) => makeContext(Scenario.parse(data)),
  policy: policyByName,
  run: async (ctx, policy, specs, opts) => {
    await runEpisodes(ctx, policy, specs, { ...opts, keep: false });
  },
};
