import type { Rng } from '../../scenarios/random.js';
import type { Observation } from '../acts.js';
import type { Decision, Policy } from '../policy.js';

/** Uniform over the actions valid now (the mask); reports the exact behaviour log-probability. */
export function randomPolicy(): Policy {
  return {
    name: 'random',
    act(observations: readonly Observation[], rngs: readonly Rng[]): Decision[] {
      return observations.map((o, i) => randomDecision(o.mask, rngs[i]));
    },
  };
}

/** One uniform draw among the true entries of a mask. */
export function randomDecision(mask: readonly boolean[], rng: Rng): Decision {
  let valid = 0;
  for (const m of mask) if (m) valid++;
  if (valid === 0) throw new Error('no valid action: the mask is all false');
  let k = rng.int(valid);
  for (let a = 0; a < mask.length; a++) {
    if (mask[a] && k-- === 0) return { action: a, logprob: -Math.log(valid) };
  }
  throw new Error('unreachable');
}
