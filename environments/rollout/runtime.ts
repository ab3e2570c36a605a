import type { Episode } from '../../actors/episode.js';
import type { EpisodeSpec, ScenarioContext } from '../../actors/episode-core.js';
import type { Policy } from '../../actors/policy.js';
import { familyOf } from '../../actors/families/index.js';
import { runEpisodePlain } from '../../actors/plain.js';
import { contentHash } from '../../scenarios/hash.js';
import { Scenario } from '../../scenarios/schema.js';

/**
 * What a rollout worker needs of the actors layer: a context from scenario data, a policy by
 * name, and a runner of K episodes at once. The default is the XState actors; tests and
 * benchmarks pass their own (a toy family, a failing runner, the plain loop).
 */
export interface Runtime {
  context(scenario: unknown): ScenarioContext;
  policy(name: string, ctx: ScenarioContext): Policy;
  run(ctx: ScenarioContext, policy: Policy, specs: readonly EpisodeSpec[], opts: { concurrency: number }): Promise<Episode[]>;
}

// Stand-in until actors/context.ts, actors/policies and actors/run.ts land.
export const defaultRuntime: Runtime = {
  context(data) {
    const scenario = Scenario.parse(data);
    const family = familyOf(scenario.family);
    return { scenario, family, actions: family.actions(scenario), hash: contentHash(scenario) };
  },
  policy(name) {
    if (name !== 'first-valid') throw new Error(`unknown policy '${name}'`);
    return { name, act: (obs) => obs.map((o) => ({ action: o.mask.indexOf(true) })) };
  },
  async run(ctx, policy, specs) {
    return specs.map((s) => runEpisodePlain(ctx, policy, s));
  },
};
