/**
 * PPO with the clipped surrogate (Schulman et al. 2017), as in cleanrl's ppo.py:
 *
 *   A_t   = GAE(λ) of r_t + γ·V(s_{t+1}) − V(s_t)   (V(finalObs) after a truncated episode, 0 after a terminated one)
 *   L_pi  = −mean(min(r·Â, clip(r, 1−ε, 1+ε)·Â)),  r = π(a|s) / π_behaviour(a|s),  Â normalised
 *   L_v   = ½·mean((V(s) − (A + V_old))²)            (optionally clipped around V_old)
 *   loss  = L_pi + c_v·L_v − c_e·H(π)                (H over the valid actions)
 *
 * The policy and the value function are two MLPs (no shared trunk). Epochs of shuffled minibatches
 * stop early when a minibatch's approximate KL to the behaviour policy exceeds `targetKl`.
 */
import type { Trajectory } from '../../environments/online/types.js';
import { compileForward, compileTrainStep } from '../graph/compile.js';
import { maskedMean } from '../graph/losses.js';
import { PpoConfig } from './ppo.config.js';
import { actorCritic, chosen, clippedSurrogate, gae, maskedEntropy, maskedLogSoftmax, onlineOptimiser, parseOnlineConfig, type OnlineAlgorithm, type OnlineDims, type StepValues } from './online-common.js';

export interface OnlineBuildOptions {
  /** logits = base + f(x): start from an `--init` checkpoint's scores (fed as input `base`). */
  readonly base?: boolean;
}

/**
 * PPO for a scenario's dimensions.
 *
 * @example
 * const algo = ppo({ obsSize: 128, numActions: 12 }, { lr: 3e-4 }, 1);
 */
export function ppo(dims: OnlineDims, rawConfig: unknown, seed: number, o: OnlineBuildOptions = {}): OnlineAlgorithm {
  const config = parseOnlineConfig('ppo', PpoConfig, rawConfig);
  const model = actorCritic(dims, { hidden: config.hidden, activation: config.activation, skip: config.skip, value: true, base: o.base ?? false });

  // ALGO LOGIC: clipped surrogate + value loss − entropy bonus, one compiled step
  const train = compileTrainStep(
    model,
    (g, out) => {
      const mask = g.input('mask', g.dtype, ['batch', dims.numActions]);
      const action = g.input('action', 'int64', ['batch']);
      const logpOld = g.input('logp_old', g.dtype, ['batch']);
      const adv = g.input('adv', g.dtype, ['batch']);
      const ret = g.input('ret', g.dtype, ['batch']);
      const vOld = g.input('v_old', g.dtype, ['batch']);
      const logp = maskedLogSoftmax(out.logits, mask);
      const { loss: lossPi, approxKl, clipFrac } = clippedSurrogate(chosen(logp, action), logpOld, adv, config.clip);
      const v = out.value;
      let lossV = maskedMean(v.sub(ret).square()).mul(0.5);
      if (config.clipValue) {
        const vClipped = vOld.add(v.sub(vOld).clip(-config.clip, config.clip));
        lossV = v.sub(ret).square().max(vClipped.sub(ret).square()).mean().mul(0.5);
      }
      const ent = maskedEntropy(logp, mask).mean();
      const loss = lossPi.add(lossV.mul(config.vfCoef)).sub(ent.mul(config.entCoef));
      return { loss, metrics: { loss_pi: lossPi, loss_v: lossV, entropy: ent, approx_kl: approxKl, clip_frac: clipFrac } };
    },
    onlineOptimiser(config.clipNorm),
    { seed },
  );

  return {
    name: 'ppo',
    config,
    train,
    policy: compileForward(model, { seed, outputs: ['logits'] }),
    value: compileForward(model, { seed, outputs: ['value'] }),
    columns: ['x', 'mask', 'action', 'logp_old', 'adv', 'ret', ...(config.clipValue ? (['v_old'] as const) : []), ...(o.base ? (['base'] as const) : [])],
    groupSize: 1,
    normaliseAdvantages: config.normAdv,
    targetKl: config.targetKl ?? undefined,
    advantages(trajs: readonly Trajectory[], values?: StepValues) {
      if (!values) throw new Error('ppo: advantages need the critic\'s values');
      const n = values.steps.length;
      const adv = new Float32Array(n);
      const ret = new Float32Array(n);
      let r = 0;
      trajs.forEach((t, i) => {
        const e = gae(t.rewards, values.steps.subarray(r, r + t.length), values.final[i], t.truncated && !t.terminated, config.gamma, config.lambda);
        adv.set(e.adv, r);
        ret.set(e.ret, r);
        r += t.length;
      });
      return { adv, ret };
    },
  };
}
