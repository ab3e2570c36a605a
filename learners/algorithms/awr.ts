/**
 * IQL / AWR — implicit Q-learning with advantage-weighted regression (Kostrikov et al. 2022):
 * the same V and twin-Q regressions as ILQL (no conservative term), and instead of decoding
 * with Q at act time, the policy head itself is fitted to the data actions weighted by how much
 * better they are than the state's value.
 *
 *   Q̂(s,a)  = min(Q1′, Q2′)(s,a)                 target network (Polyak copy), no gradient
 *   L_V     = mean |τ − 1(Q̂ − V(s) < 0)| (Q̂ − V(s))²
 *   y       = r + γ (1 − done) V(s′)               V(s′) detached
 *   L_Q     = Σ_i mean (Qi(s,a) − y)²
 *   w       = min(exp(β (Q̂(s,a) − V(s))), w_max)  V detached
 *   L_π     = mean w · −log π(a|s)                 softmax over the valid actions
 *   L       = L_V + L_Q + L_π ;  θ′ ← (1 − ρ)θ′ + ρθ after each Adam step
 *
 * The policy acts on π's logits over the valid actions (greedy by default). ONE ONNX train graph.
 */
import type { Transitions } from '../../environments/offline/transitions.js';
import { compileForward, compileTrainStep, type Model } from '../graph/compile.js';
import type { Graph, Tensor } from '../graph/graph.js';
import { chosenLogProb } from '../graph/losses.js';
import { mlp } from '../models/mlp.js';
import { logitScores } from '../policies/checkpoint.js';
import { AwrConfig } from './awr.config.js';
import { allRows, initTargetsFromParams, maskLogits, ownTrunk, parseConfig, stopGradient, type Dims, type OfflineAlgorithm } from './common.js';
import { implicitCritic, polyakOptimiser } from './critic.js';

/** Trunk + heads: `logits` (π) [batch, A], `value` [batch], `q` [batch, 2A] (Q1 then Q2). */
export function awrNetwork(dims: Dims, config: AwrConfig): Model {
  return mlp({ sizes: [dims.obsSize, ...config.hidden], activation: config.activation, heads: { policy: dims.numActions, value: true, q: 2 * dims.numActions }, name: 'awr' });
}

/** The policy's logits: the head on its own trunk copy (`pi.fc*`), or on the shared trunk. */
function policyLogits(g: Graph, out: Readonly<Record<string, Tensor>>, config: AwrConfig): Tensor {
  return config.separatePolicy ? ownTrunk(g, out.logits, 'pi') : out.logits;
}

/**
 * IQL/AWR on a dataset of transitions.
 *
 * @example
 * const algo = awr(transitions, { beta: 2 }, 1);
 */
export function awr(t: Transitions, rawConfig: unknown, seed: number): OfflineAlgorithm {
  const config = parseConfig('awr', AwrConfig, rawConfig);
  const n = t.numActions;
  const dims = { obsSize: t.obsSize, numActions: n };
  const network = awrNetwork(dims, config);
  const { optimiser, setTargets } = polyakOptimiser('awr', config);

  const train = compileTrainStep(
    network,
    (g, out) => {
      const { action, mask, qHat, v, vNext, y, q1a, lossV, lossQ } = implicitCritic(g, out, dims, config, setTargets);

      // AWR: weighted cross-entropy, weights exp(β·A) clipped, A = Q̂ − V with V detached
      const adv = qHat.sub(stopGradient(v));
      const w = adv.mul(config.beta).min(Math.log(config.maxWeight)).exp();
      const lossPi = chosenLogProb(maskLogits(policyLogits(g, out, config), mask), action).mul(w).mean().neg();

      const loss = lossV.add(lossQ).add(lossPi);
      return {
        loss,
        metrics: {
          loss_v: lossV, loss_q: lossQ, loss_pi: lossPi,
          q_mean: q1a.mean(), q_target_mean: qHat.mean(), v_mean: v.mean(), v_next_mean: vNext.mean(),
          adv_mean: adv.mean(), weight_mean: w.mean(), td_target_mean: y.mean(),
        },
      };
    },
    optimiser,
    { seed },
  );

  return {
    name: 'awr',
    config,
    train: initTargetsFromParams(train),
    forward: compileForward({ name: 'awr_policy', build: (g) => ({ logits: policyLogits(g, network.build(g), config) }) }, { seed }),
    rows: allRows(t),
    columns: ['x', 'action', 'mask', 'reward', 'next_x', 'done'],
    scores: logitScores(),
  };
}
