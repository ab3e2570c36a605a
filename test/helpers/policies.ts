// Policy wrappers for tests: counting batch sizes, going async, failing on purpose.
import type { Observation } from '../../actors/acts.js';
import type { Decision, Policy } from '../../actors/policy.js';
import type { Rng } from '../../scenarios/random.js';
import type { EpisodeSpec } from '../../actors/episode-core.js';
import { deriveSeed } from '../../scenarios/random.js';

/** Records the size of every batch it is asked to decide. */
export function counting(inner: Policy): Policy & { batches: number[] } {
  const batches: number[] = [];
  return {
    ...inner,
    name: inner.name,
    batches,
    act(obs: readonly Observation[], rngs: readonly Rng[]) {
      batches.push(obs.length);
      return inner.act(obs, rngs);
    },
  };
}

/** The same decisions, answered later (after a macrotask). */
export function delayed(inner: Policy): Policy {
  return {
    ...inner,
    act(obs: readonly Observation[], rngs: readonly Rng[]): Promise<readonly Decision[]> {
      return new Promise((resolve, reject) => setImmediate(() => {
        try { resolve(inner.act(obs, rngs) as readonly Decision[]); } catch (e) { reject(e); }
      }));
    },
  };
}

/** Throws (or rejects, when async) for any observation that `when` picks. */
export function failing(inner: Policy, when: (o: Observation, rng: Rng) => boolean, async = false): Policy {
  const act = (obs: readonly Observation[], rngs: readonly Rng[]) => {
    obs.forEach((o, i) => { if (when(o, rngs[i])) throw new Error(`policy fault at turn ${o.turn}`); });
    return inner.act(obs, rngs) as readonly Decision[];
  };
  return {
    ...inner,
    act: async
      ? (obs: readonly Observation[], rngs: readonly Rng[]) => new Promise<readonly Decision[]>((resolve, reject) => setImmediate(() => { try { resolve(act(obs, rngs)); } catch (e) { reject(e); } }))
      : act,
  };
}

export function specs(n: number, seed = 1): EpisodeSpec[] {
  return Array.from({ length: n }, (_, i) => ({ index: i, seed: deriveSeed(seed, i), id: `ep-${i}` }));
}
