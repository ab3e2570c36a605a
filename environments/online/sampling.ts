import { deriveSeed, Rng } from '../../scenarios/random.js';

/** One sampled decision: the catalogue index and its log-probability under the masked softmax. */
export interface Sampled {
  readonly action: number;
  readonly logProb: number;
}

/**
 * The stream an episode's actions are drawn from: made from the request's `actionSeed` alone
 * (forked under a label, so it is not the root stream of an episode seeded with the same number).
 * One per episode, never shared: a trajectory does not depend on which episodes share its batches.
 */
export function actionStream(actionSeed: number): Rng {
  return Rng.from(deriveSeed(actionSeed, 'online-actions'));
}

type Mask = ArrayLike<boolean> | ArrayLike<number>;

/**
 * log softmax of `logits[offset .. offset + n)` over the valid actions only (float64 math); masked
 * actions get -Infinity. Throws when no action is valid or a valid action's logit is not finite
 * (`who` names the episode in the message).
 */
export function maskedLogSoftmax(logits: ArrayLike<number>, offset: number, n: number, mask: Mask, who: string, out: Float64Array = new Float64Array(n)): Float64Array {
  let max = -Infinity;
  let valid = 0;
  for (let a = 0; a < n; a++) {
    if (!mask[a]) continue;
    const l = logits[offset + a];
    if (!Number.isFinite(l)) throw new Error(`${who}: the policy's logit for valid action ${a} is ${l}; the model produced non-finite logits`);
    valid++;
    if (l > max) max = l;
  }
  if (valid === 0) throw new Error(`${who}: no action is valid (the mask is all false); cannot sample`);
  let sum = 0;
  for (let a = 0; a < n; a++) if (mask[a]) sum += Math.exp(logits[offset + a] - max);
  const logZ = max + Math.log(sum);
  for (let a = 0; a < n; a++) out[a] = mask[a] ? logits[offset + a] - logZ : -Infinity;
  return out;
}

/**
 * Samples an action from row `offset / n` of `logits` restricted to the valid actions, with one
 * uniform draw from `rng` (the episode's {@link actionStream}); returns it with its log-probability.
 *
 * @example
 * const rng = actionStream(req.actionSeed);
 * const { action, logProb } = sampleMasked(logits, row * numActions, numActions, obs.mask, rng, `episode seed ${req.seed}`);
 */
export function sampleMasked(logits: ArrayLike<number>, offset: number, n: number, mask: Mask, rng: Rng, who: string, scratch?: Float64Array): Sampled {
  return sampleLogProbs(maskedLogSoftmax(logits, offset, n, mask, who, scratch), 0, n, rng);
}

/** Samples from log-probabilities already masked by {@link maskedLogSoftmax} (row at `offset`), with one draw. */
export function sampleLogProbs(logp: ArrayLike<number>, offset: number, n: number, rng: Rng): Sampled {
  let r = rng.float();
  let last = -1;
  for (let a = 0; a < n; a++) {
    const lp = logp[offset + a];
    if (lp === -Infinity) continue;
    last = a;
    r -= Math.exp(lp);
    if (r < 0) return { action: a, logProb: lp };
  }
  if (last < 0) throw new Error('sampleLogProbs: no action has a finite log-probability');
  // r left over only through rounding (the probabilities sum to 1 - ε): the last valid action.
  return { action: last, logProb: logp[offset + last] };
}
