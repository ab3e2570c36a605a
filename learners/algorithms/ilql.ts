/**
 * ILQL — Implicit Language Q-Learning (Snell et al. 2023), at the utterance level as in Hong et
 * al. 2023: a state is the dialogue so far (encoded), an action is one dialogue act of the
 * scenario's catalogue. An MLP trunk carries V and twin Q1, Q2 heads; π_BC (logits) has its own
 * copy of the trunk by default (`separatePolicy`), so the value regressions do not pull on it.
 *
 *   Q̂(s,a)  = min(Q1′, Q2′)(s,a)                 target network (Polyak copy), no gradient
 *   L_V     = mean |τ − 1(Q̂ − V(s) < 0)| (Q̂ − V(s))²                        expectile regression
 *   y       = r + γ (1 − done) V(s′)               V(s′) detached
 *   L_Q     = Σ_i mean (Qi(s,a) − y)²
 *   L_CQL   = Σ_i mean [ logsumexp_{a′ valid} Qi(s,a′) − Qi(s,a) ]            conservative term
 *   L_π     = mean −log π_BC(a|s)                   softmax over the valid actions
 *   L       = L_V + L_Q + c_cql L_CQL + c_bc L_π ;  θ′ ← (1 − ρ)θ′ + ρθ after each Adam step
 *
 *   decode:  score(a|s) = logit_BC(a|s) + β (Q̂(s,a) − V(s)) over the valid actions (greedy by default;
 *            softmax(score) = π_BC(a|s)·exp(β(Q̂ − V)) normalised, for sampling)
 *
 * The whole step — forward on s and s′, target forward, the losses, backward, Adam and the Polyak
 * update of the target parameters (resident state of the graph) — is ONE ONNX graph.
 */
import type { Transitions } from '../../environments/offline/transitions.js';
import { compileForward, compileTrainStep, type Model } from '../graph/compile.js';
import type { Graph, Tensor } from '../graph/graph.js';
import { softmaxCrossEntropy } from '../graph/losses.js';
import { mlp } from '../models/mlp.js';
import { ilqlScores } from '../policies/checkpoint.js';
import { IlqlConfig } from './ilql.config.js';
import { allRows, initTargetsFromParams, maskLogits, ownTrunk, parseConfig, targetNetwork, type Dims, type OfflineAlgorithm } from './common.js';
import { implicitCritic, polyakOptimiser, twin } from './critic.js';

/** Trunk + heads: `logits` (π_BC) [batch, A], `value` [batch], `q` [batch, 2A] (Q1 then Q2). */
export function ilqlNetwork(dims: Dims, config: IlqlConfig): Model {
  return mlp({ sizes: [dims.obsSize, ...config.hidden], activation: config.activation, heads: { policy: dims.numActions, value: true, q: 2 * dims.numActions }, name: 'ilql' });
}

/**
 * The inference graph's outputs: π_BC's `logits`, `q` = min(Q1′, Q2′) from the target parameters
 * and `v`; the policy decodes scores = logits + β·q − β·v over the valid actions (policy.json),
 * i.e. π(a|s) ∝ π_BC(a|s)·exp(β(Q(s,a) − V(s))), so β can change without retraining.
 */
function decodeOutputs(g: Graph, out: Readonly<Record<string, Tensor>>, n: number, config: IlqlConfig): Record<string, Tensor> {
  const [tq1, tq2] = twin(targetNetwork(g, out.q, 'param').out, n);
  return { logits: policyLogits(g, out, config), q: tq1.min(tq2), v: out.value };
}

/** π_BC's logits: the policy head on its own trunk copy (`bc.fc*`), or on the shared trunk. */
function policyLogits(g: Graph, out: Readonly<Record<string, Tensor>>, config: IlqlConfig): Tensor {
  return config.separatePolicy ? ownTrunk(g, out.logits, 'bc') : out.logits;
}

/**
 * ILQL on a dataset of transitions.
 *
 * @example
 * const algo = ilql(transitions, { tau: 0.7, beta: 4 }, 1);
 */
export function ilql(t: Transitions, rawConfig: unknown, seed: number): OfflineAlgorithm {
  const config = parseConfig('ilql', IlqlConfig, rawConfig);
  const n = t.numActions;
  const dims = { obsSize: t.obsSize, numActions: n };
  const network = ilqlNetwork(dims, config);
  const { optimiser, setTargets } = polyakOptimiser('ilql', config);

  const train = compileTrainStep(
    network,
    (g, out) => {
      const { action, mask, qHat, v, vNext, y, q1, q2, q1a, q2a, lossV, lossQ } = implicitCritic(g, out, dims, config, setTargets);

      // CQL: push down Q on every valid action, up on the data action
      const cql1 = maskLogits(q1, mask).logSumExp(-1).sub(q1a).mean();
      const cql2 = maskLogits(q2, mask).logSumExp(-1).sub(q2a).mean();
      const lossCql = cql1.add(cql2);

      // π_BC: masked cross-entropy on the behaviour action
      const lossPi = softmaxCrossEntropy(maskLogits(policyLogits(g, out, config), mask), action);

      const loss = lossV.add(lossQ).add(lossCql.mul(config.cqlWeight)).add(lossPi.mul(config.bcWeight));
      const adv = qHat.sub(v);
      return {
        loss,
        metrics: {
          loss_v: lossV, loss_q: lossQ, loss_cql: lossCql, loss_pi: lossPi,
          q_mean: q1a.mean(), q_target_mean: qHat.mean(), v_mean: v.mean(), v_next_mean: vNext.mean(),
          adv_mean: adv.mean(), adv_max: adv.maxOver(), td_target_mean: y.mean(),
        },
      };
    },
    optimiser,
    { seed },
  );

  const decoder: Model = { name: 'ilql_decode', build: (g) => decodeOutputs(g, network.build(g), n, config) };
  return {
    name: 'ilql',
    config,
    train: initTargetsFromParams(train),
    forward: compileForward(decoder, { seed }),
    rows: allRows(t),
    columns: ['x', 'action', 'mask', 'reward', 'next_x', 'done'],
    scores: ilqlScores(config.beta),
  };
}
