/**
 * Losses as graph fragments. Each takes an optional mask (1 keeps an element, 0 drops it) and
 * averages over the kept elements: sum(l · mask) / max(sum(mask), 1).
 */
import type { Tensor } from './graph.js';

/** Mean of x, over the elements where mask is 1 when a mask is given. */
export function maskedMean(x: Tensor, mask?: Tensor): Tensor {
  if (!mask) return x.mean();
  return x.mul(mask).sum().div(mask.sum().max(1));
}

/** log p(label) under softmax(logits) over the last axis: logits [..., C], labels int [...] -> [...]. */
export function chosenLogProb(logits: Tensor, labels: Tensor): Tensor {
  const classes = logits.shape[logits.rank - 1] as number;
  return logits.logSoftmax(-1).mul(logits.graph.oneHot(labels, classes, logits.dtype)).sum(-1);
}

/** Softmax cross-entropy with integer labels: mean of -log p(label). */
export function softmaxCrossEntropy(logits: Tensor, labels: Tensor, mask?: Tensor): Tensor {
  return maskedMean(chosenLogProb(logits, labels), mask).neg();
}

/** Policy-gradient style loss: -mean(weight · log p(action)); weights (advantages) default to 1. */
export function logProbLoss(logits: Tensor, actions: Tensor, weights?: Tensor, mask?: Tensor): Tensor {
  const lp = chosenLogProb(logits, actions);
  return maskedMean(weights ? lp.mul(weights) : lp, mask).neg();
}

/** Mean entropy of softmax(logits) over the last axis (a bonus: subtract it from a loss to explore). */
export function entropy(logits: Tensor, mask?: Tensor): Tensor {
  const logp = logits.logSoftmax(-1);
  return maskedMean(logp.exp().mul(logp).sum(-1), mask).neg();
}

/** Mean squared error. */
export function mse(pred: Tensor, target: Tensor, mask?: Tensor): Tensor {
  return maskedMean(pred.sub(target).square(), mask);
}

/** Huber loss as PyTorch's `HuberLoss(delta)`: d²/2 where |d| < delta, else delta (|d| - delta/2). */
export function huber(pred: Tensor, target: Tensor, delta = 1, mask?: Tensor): Tensor {
  const a = pred.sub(target).abs();
  const q = a.min(delta);
  // 0.5 q² + delta (a - q): equal to the two-branch form, with one Min instead of a Where
  return maskedMean(q.square().mul(0.5).add(a.sub(q).mul(delta)), mask);
}

/** Expectile regression (IQL): |tau - 1(target < pred)| (target - pred)². */
export function expectile(pred: Tensor, target: Tensor, tau: number, mask?: Tensor): Tensor {
  const d = target.sub(pred);
  const w = pred.graph.where(d.lt(0), 1 - tau, tau);
  return maskedMean(w.mul(d.square()), mask);
}
