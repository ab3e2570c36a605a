import type { ScenarioContext } from '../episode-core.js';
import type { Policy } from '../policy.js';
import { epsilonHeuristicPolicy, mixturePolicy } from './mixture.js';
import type { MixtureComponent } from './mixture.js';
import { randomPolicy } from './random.js';
import { heuristicPolicy, oraclePolicy } from './scripted.js';
import { infogainPolicy } from '../families/guessing/infogain.js';

export { heuristicPolicy, oraclePolicy } from './scripted.js';
export { randomPolicy, randomDecision } from './random.js';
export { epsilonHeuristicPolicy, mixturePolicy } from './mixture.js';
export type { MixtureComponent } from './mixture.js';

/** The names {@link policyByName} accepts, as shown in help and errors. */
export const POLICY_NAMES = ['random', 'heuristic', 'oracle', 'infogain', 'epsilon-heuristic', 'epsilon-heuristic:EPS', 'mix:NAME=WEIGHT,...'] as const;

/**
 * A scripted policy by name: `random`, `heuristic`, `oracle`, `infogain` (guessing scenarios only:
 * the information-gain questioner), `epsilon-heuristic` (ε = 0.2),
 * `epsilon-heuristic:0.3`, or `mix:random=1,heuristic=2` (one component per episode, by weight).
 *
 * @example
 * const policy = policyByName('epsilon-heuristic:0.1', makeContext(getScenario('teacher')));
 */
export function policyByName(name: string, ctx: ScenarioContext): Policy {
  const n = name.trim();
  if (n === 'random') return randomPolicy();
  if (n === 'heuristic') return heuristicPolicy(ctx);
  if (n === 'oracle') return oraclePolicy(ctx);
  if (n === 'infogain') return infogainPolicy(ctx);
  if (n === 'epsilon-heuristic') return epsilonHeuristicPolicy(ctx);
  if (n.startsWith('epsilon-heuristic:')) {
    const text = n.slice('epsilon-heuristic:'.length);
    const eps = Number(text);
    if (text === '' || !(eps >= 0 && eps <= 1)) throw new Error(`policy '${name}': epsilon must be a number in [0, 1], e.g. epsilon-heuristic:0.3`);
    return epsilonHeuristicPolicy(ctx, eps, n);
  }
  if (n.startsWith('mix:')) {
    const parts = n.slice(4).split(',').map((p) => p.trim()).filter(Boolean);
    if (parts.length === 0) throw new Error(`policy '${name}': a mixture lists components, e.g. mix:random=1,heuristic=2`);
    const components: MixtureComponent[] = parts.map((p) => {
      const eq = p.lastIndexOf('=');
      const sub = eq < 0 ? p : p.slice(0, eq);
      const weight = eq < 0 ? 1 : Number(p.slice(eq + 1));
      if (sub.startsWith('mix:')) throw new Error(`policy '${name}': mixtures cannot be nested`);
      if (!(weight >= 0) || !Number.isFinite(weight)) throw new Error(`policy '${name}': weight of '${sub}' must be a non-negative number, got '${p.slice(eq + 1)}'`);
      return { policy: policyByName(sub, ctx), weight };
    });
    return mixturePolicy(n, components);
  }
  throw new Error(`unknown policy '${name}'; expected one of: ${POLICY_NAMES.join(', ')}`);
}
