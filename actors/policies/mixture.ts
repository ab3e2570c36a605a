import type { Rng } from '../../scenarios/random.js';
import type { Observation } from '../acts.js';
import type { ScenarioContext } from '../episode-core.js';
import type { Decision, Policy } from '../policy.js';
import { randomDecision } from './random.js';

/**
 * Per decision: with probability `epsilon` a uniform valid action, else the family's heuristic.
 * The coin is drawn first, then the chosen strategy draws from the same stream.
 */
export function epsilonHeuristicPolicy(ctx: ScenarioContext, epsilon = 0.2, name = epsilon === 0.2 ? 'epsilon-heuristic' : `epsilon-heuristic:${epsilon}`): Policy {
  if (!(epsilon >= 0 && epsilon <= 1)) throw new RangeError(`epsilon must be in [0, 1], got ${epsilon}`);
  const { family, scenario } = ctx;
  return {
    name,
    act(observations: readonly Observation[], rngs: readonly Rng[]): Decision[] {
      return observations.map((o, i) => {
        const rng = rngs[i];
        if (rng.float() < epsilon) return { action: randomDecision(o.mask, rng).action };
        return { action: family.heuristic(scenario, o, rng) };
      });
    },
  };
}

export interface MixtureComponent {
  readonly policy: Policy;
  readonly weight: number;
}

/**
 * One component per episode, drawn by weight from a fork of the episode's policy stream (so the
 * draw does not depend on the position in the stream, and the same episode always gets the same
 * component). Each episode records the component that played (`nameFor`).
 */
export function mixturePolicy(name: string, components: readonly MixtureComponent[]): Policy {
  if (components.length === 0) throw new Error('a mixture needs at least one component');
  const weights = components.map((c) => c.weight);
  if (!weights.every((w) => w >= 0 && Number.isFinite(w)) || !weights.some((w) => w > 0)) {
    throw new RangeError(`mixture weights must be non-negative numbers, at least one positive; got ${weights.join(', ')}`);
  }
  const chosen = new WeakMap<Rng, number>();
  const pick = (rng: Rng): number => {
    let k = chosen.get(rng);
    if (k === undefined) {
      k = rng.fork('mixture').weightedIndex(weights);
      chosen.set(rng, k);
    }
    return k;
  };
  return {
    name,
    privileged: components.some((c) => c.policy.privileged),
    nameFor: (rng: Rng) => components[pick(rng)].policy.name,
    act(observations: readonly Observation[], rngs: readonly Rng[]) {
      // Group the batch by component, ask each component once, scatter the decisions back.
      const groups = components.map(() => [] as number[]);
      rngs.forEach((r, i) => groups[pick(r)].push(i));
      const out = new Array<Decision>(observations.length);
      const pending: Promise<void>[] = [];
      groups.forEach((idx, k) => {
        if (idx.length === 0) return;
        const { policy } = components[k];
        const obs = idx.map((i) => (policy.privileged ? observations[i] : withoutPrivileged(observations[i])));
        const res = policy.act(obs, idx.map((i) => rngs[i]));
        const put = (ds: readonly Decision[]) => {
          if (ds.length !== idx.length) throw new Error(`policy '${policy.name}' returned ${ds.length} decisions for ${idx.length} observations`);
          idx.forEach((i, j) => { out[i] = ds[j]; });
        };
        if (res instanceof Promise) pending.push(res.then(put));
        else put(res);
      });
      return pending.length ? Promise.all(pending).then(() => out) : out;
    },
    async close() {
      for (const c of components) await c.policy.close?.();
    },
  };
}

function withoutPrivileged(o: Observation): Observation {
  if (!o.privileged) return o;
  const { privileged: _p, ...rest } = o;
  return rest;
}
