import type { Rng } from '../../scenarios/random.js';
import type { Observation } from '../acts.js';
import type { ScenarioContext } from '../episode-core.js';
import type { Decision, Policy } from '../policy.js';

/**
 * The family's hand-written strategy: sees only the observation, like any agent.
 *
 * @example
 * const p = heuristicPolicy(ctx);
 * p.act([obs], [rng]); // [{ action: 3 }]
 */
export function heuristicPolicy(ctx: ScenarioContext): Policy {
  const { family, scenario } = ctx;
  return {
    name: 'heuristic',
    act(observations: readonly Observation[], rngs: readonly Rng[]): Decision[] {
      return observations.map((o, i) => ({ action: family.heuristic(scenario, o, rngs[i]) }));
    },
  };
}

/** The upper bound: reads the hidden persona and state (its observations carry `privileged`). */
export function oraclePolicy(ctx: ScenarioContext): Policy {
  const { family, scenario } = ctx;
  return {
    name: 'oracle',
    privileged: true,
    act(observations: readonly Observation[], rngs: readonly Rng[]): Decision[] {
      return observations.map((o, i) => {
        if (!o.privileged) throw new Error("the oracle policy needs privileged observations; the runner must honour 'privileged: true'");
        return { action: family.oracle(scenario, o, o.privileged.persona, o.privileged.state, rngs[i]) };
      });
    },
  };
}
