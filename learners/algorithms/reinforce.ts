/**
 * REINFORCE with a learned baseline (Williams 1992; Sutton & Barto §13.4):
 *
 *   G_t   = Σ_k γ^k r_{t+k}   (bootstrapped with V(finalObs) when the turn limit cut the episode off)
 *   L_pi  = −mean((G_t − V(s_t)) · log π(a_t|s_t))     (the baseline term carries no gradient: it is an input)
 *   L_v   = ½·mean((V(s_t) − G_t)²)
 *   loss  = L_pi + c_v·L_v − c_e·H(π)
 *
 * On-policy: one pass over each iteration's steps by default. Policy and value are separate MLPs.
 */
import type { Trajectory } from '../../environments/online/types.js';
import { compileForward, compileTrainStep } from '../graph/compile.js';
import { ReinforceConfig } from './reinforce.config.js';
import { actorCritic, chosen, discountedReturns, maskedEntropy, maskedLogSoftmax, onlineOptimiser, parseOnlineConfig, type OnlineAlgorithm, type OnlineDims, type StepValues } from './online-common.js';
import type { OnlineBuildOptions } from './ppo.js';

export function reinforce(dims: OnlineDims, rawConfig: unknown, seed: number, o: OnlineBuildOptions = {}): OnlineAlgorithm {
  const config = parseOnlineConfig('reinforce', ReinforceConfig, rawConfig);
  const model = actorCritic(dims, { hidden: config.hidden, activation: config.activation, skip: config.skip, value: true, base: o.base ?? false });

  // ALGO LOGIC: score-function gradient weighted by (G − baseline), baseline by MSE
  const train = compileTrainStep(
    model,
    (g, out) => {
      const mask = g.input('mask', g.dtype, ['batch', dims.numActions]);
      const action = g.input('action', 'int64', ['batch']);
      const adv = g.input('adv', g.dtype, ['batch']);
      const ret = g.input('ret', g.dtype, ['batch']);
      const logp = maskedLogSoftmax(out.logits, mask);
      const lossPi = chosen(logp, action).mul(adv).mean().neg();
      const lossV = out.value.sub(ret).square().mean().mul(0.5);
      const ent = maskedEntropy(logp, mask).mean();
      const loss = lossPi.add(lossV.mul(config.vfCoef)).sub(ent.mul(config.entCoef));
      return { loss, metrics: { loss_pi: lossPi, loss_v: lossV, entropy: ent } };
    },
    onlineOptimiser(config.clipNorm),
    { seed },
  );

  return {
    name: 'reinforce',
    config,
    train,
    policy: compileForward(model, { seed, outputs: ['logits'] }),
    value: compileForward(model, { seed, outputs: ['value'] }),
    columns: ['x', 'mask', 'action', 'adv', 'ret', ...(o.base ? (['base'] as const) : [])],
    groupSize: 1,
    normaliseAdvantages: config.normAdv,
    advantages(trajs: readonly Trajectory[], values?: StepValues) {
      if (!values) throw new Error('reinforce: advantages need the baseline\'s values');
      const n = values.steps.length;
      const adv = new Float32Array(n);
      const ret = new Float32Array(n);
      let r = 0;
      trajs.forEach((t, i) => {
        const g = discountedReturns(t.rewards, config.gamma, t.truncated && !t.terminated ? values.final[i] : 0);
        ret.set(g, r);
        for (let k = 0; k < t.length; k++) adv[r + k] = g[k] - values.steps[r + k];
        r += t.length;
      });
      return { adv, ret };
    },
  };
}
