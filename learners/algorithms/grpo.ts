/**
 * GRPO (Shao et al. 2024, DeepSeekMath), at the utterance level:
 *
 *   groups of G episodes from the same seed (same persona and user), different action streams
 *   Â_i   = (R_i − mean_group R) / (std_group R + eps)        for every step of episode i
 *   L_pi  = −mean(min(r·Â, clip(r, 1−ε, 1+ε)·Â)),  r = π(a|s) / π_behaviour(a|s)
 *   L_kl  = mean(π_ref/π − log(π_ref/π) − 1)                   (k3 estimator, at the taken action)
 *   loss  = L_pi + β·L_kl − c_e·H(π)
 *
 * No critic. The reference policy is the initial one; its log-probability of each taken action is
 * computed by a frozen forward (the initial inference model) and fed as `ref_logp`.
 */
import type { Trajectory } from '../../environments/online/types.js';
import { compileForward, compileTrainStep } from '../graph/compile.js';
import type { Tensor } from '../graph/graph.js';
import { ConfigError } from './common.js';
import { GrpoConfig } from './grpo.config.js';
import { actorCritic, chosen, clippedSurrogate, groupAdvantages, maskedEntropy, maskedLogSoftmax, onlineOptimiser, parseOnlineConfig, type OnlineAlgorithm, type OnlineDims } from './online-common.js';
import type { OnlineBuildOptions } from './ppo.js';

export function grpo(dims: OnlineDims, rawConfig: unknown, seed: number, o: OnlineBuildOptions = {}): OnlineAlgorithm {
  const config = parseOnlineConfig('grpo', GrpoConfig, rawConfig);
  if (config.episodesPerIteration % config.groupSize !== 0) {
    throw new ConfigError(`grpo config: episodesPerIteration (${config.episodesPerIteration}) must be a multiple of groupSize (${config.groupSize})`);
  }
  const model = actorCritic(dims, { hidden: config.hidden, activation: config.activation, skip: config.skip, value: false, base: o.base ?? false });
  const kl = config.klCoef > 0;

  // ALGO LOGIC: clipped surrogate on group-normalised returns (+ k3 KL to the reference policy)
  const train = compileTrainStep(
    model,
    (g, out) => {
      const mask = g.input('mask', g.dtype, ['batch', dims.numActions]);
      const action = g.input('action', 'int64', ['batch']);
      const logpOld = g.input('logp_old', g.dtype, ['batch']);
      const adv = g.input('adv', g.dtype, ['batch']);
      const logpAll = maskedLogSoftmax(out.logits, mask);
      const logp = chosen(logpAll, action);
      const { loss: lossPi, approxKl, clipFrac } = clippedSurrogate(logp, logpOld, adv, config.clip);
      const ent = maskedEntropy(logpAll, mask).mean();
      let loss = lossPi.sub(ent.mul(config.entCoef));
      const metrics: Record<string, Tensor> = { loss_pi: lossPi, entropy: ent, approx_kl: approxKl, clip_frac: clipFrac };
      if (kl) {
        const d = g.input('ref_logp', g.dtype, ['batch']).sub(logp);
        const klRef = d.exp().sub(d).sub(1).mean();
        loss = loss.add(klRef.mul(config.klCoef));
        metrics.kl_ref = klRef;
      }
      return { loss, metrics };
    },
    onlineOptimiser(config.clipNorm),
    { seed },
  );

  return {
    name: 'grpo',
    config,
    train,
    policy: compileForward(model, { seed, outputs: ['logits'] }),
    columns: ['x', 'mask', 'action', 'logp_old', 'adv', ...(kl ? (['ref_logp'] as const) : []), ...(o.base ? (['base'] as const) : [])],
    groupSize: config.groupSize,
    normaliseAdvantages: false,
    advantages(trajs: readonly Trajectory[]) {
      const perEpisode = groupAdvantages(trajs, config.epsStd);
      const n = trajs.reduce((a, t) => a + t.length, 0);
      const adv = new Float32Array(n);
      let r = 0;
      trajs.forEach((t, i) => {
        adv.fill(perEpisode[i], r, r + t.length);
        r += t.length;
      });
      return { adv, ret: new Float32Array(n) };
    },
  };
}
