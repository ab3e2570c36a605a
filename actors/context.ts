import { contentHash } from '../scenarios/hash.js';
import type { Scenario } from '../scenarios/schema.js';
import type { AnyFamily } from './family.js';
import { familyOf } from './families/index.js';
import type { ScenarioContext } from './episode-core.js';

/**
 * What the runners need beside a scenario: its family's logic, the action catalogue (computed once)
 * and the content hash recorded in every episode.
 *
 * @example
 * const ctx = makeContext(getScenario('teacher'));
 * ctx.actions.length; // size of the discrete action space
 */
export function makeContext(scenario: Scenario, family: AnyFamily = familyOf(scenario.family)): ScenarioContext {
  const actions = family.actions(scenario);
  if (actions.length === 0) throw new Error(`family '${family.name}' gave scenario '${scenario.id}' an empty action catalogue`);
  return { scenario, family, actions, hash: contentHash(scenario) };
}
