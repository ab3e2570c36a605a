/**
 * Behaviour cloning (BC): a policy that imitates the dataset's actions.
 *
 *   loss = mean_i −log softmax(masked logits(s_i))[a_i]      (softmax over the valid actions only)
 *
 * The whole step (MLP forward, loss, backward, Adam) is ONE ONNX graph run by the Trainer; the
 * inference graph is the same MLP, and the policy acts greedily on its logits over valid actions.
 */
import type { Transitions } from '../../environments/offline/transitions.js';
import { compileForward, compileTrainStep, type Model } from '../graph/compile.js';
import { softmaxCrossEntropy } from '../graph/losses.js';
import { adam, adamw } from '../graph/optim.js';
import { mlp } from '../models/mlp.js';
import { logitScores } from '../policies/checkpoint.js';
import { BcConfig } from './bc.config.js';
import { allRows, maskLogits, parseConfig, type Dims, type OfflineAlgorithm } from './common.js';

/** The BC network: an MLP from observation features to one logit per catalogue action. */
export function bcModel(dims: Dims, config: BcConfig): Model {
  return mlp({ sizes: [dims.obsSize, ...config.hidden], activation: config.activation, heads: { policy: dims.numActions }, name: 'bc' });
}

/**
 * BC on a dataset of transitions.
 *
 * @example
 * const algo = bc(transitions, { steps: 2000 }, 1);
 * const trainer = await Trainer.create(algo.train, { seed: 1, lr: algo.config.lr });
 */
export function bc(t: Transitions, rawConfig: unknown, seed: number): OfflineAlgorithm {
  const config = parseConfig('bc', BcConfig, rawConfig);
  const dims = { obsSize: t.obsSize, numActions: t.numActions };
  return cloning('bc', config, bcModel(dims, config), dims, allRows(t), seed);
}

/** BC's graphs over `model`, minibatches drawn from `rows` (filtered BC passes its top episodes' rows). */
export function cloning(name: 'bc' | 'filtered-bc', config: BcConfig & OfflineAlgorithm['config'], model: Model, dims: Dims, rows: Int32Array, seed: number): OfflineAlgorithm {
  // ALGO LOGIC: masked cross-entropy on the behaviour action
  const train = compileTrainStep(
    model,
    (g, out) => {
      const action = g.input('action', 'int64', ['batch']);
      const mask = g.input('mask', g.dtype, ['batch', dims.numActions]);
      const loss = softmaxCrossEntropy(maskLogits(out.logits, mask), action);
      return { loss, metrics: { loss_pi: loss } };
    },
    config.weightDecay ? adamw({ weightDecay: config.weightDecay, clipNorm: config.clipNorm }) : adam({ clipNorm: config.clipNorm }),
    { seed },
  );

  return {
    name,
    config,
    train,
    forward: compileForward(model, { seed, outputs: ['logits'] }),
    rows,
    columns: ['x', 'action', 'mask'],
    scores: logitScores(),
  };
}
