/**
 * The implicit-Q critic ILQL and IQL/AWR share: V by expectile regression towards the target
 * network's min(Q1′, Q2′) at the data action, and twin Qs regressed to r + γ(1 − done)V(s′),
 * with the target network updated by Polyak averaging inside the same train graph.
 */
import type { Graph, Tensor } from '../graph/graph.js';
import { expectile, mse } from '../graph/losses.js';
import { adam, adamw, type Optimiser } from '../graph/optim.js';
import { pick, rebuild, stopGradient, targetNetwork, withPolyakTargets } from './common.js';

/** The config fields the critic reads (ILQL's and AWR's configs both have them). */
export interface CriticConfig {
  readonly gamma: number;
  readonly tau: number;
  readonly targetRate: number;
  readonly rewardScale: number;
  readonly weightDecay: number;
  readonly clipNorm: number;
}

/** Q1 and Q2 from the twin head [batch, 2A]. */
export function twin(q: Tensor, n: number): [Tensor, Tensor] {
  return [q.slice(1, 0, n), q.slice(1, n, 2 * n)];
}

/**
 * Adam (or AdamW) followed by the Polyak update of the target network. The target network is
 * created while the loss is built, so the loss hands it over with `setTargets` before the
 * optimiser is applied.
 */
export function polyakOptimiser(algo: string, config: CriticConfig): { optimiser: Optimiser; setTargets: (t: { params: Tensor[]; targets: Tensor[] }) => void } {
  const base = config.weightDecay ? adamw({ weightDecay: config.weightDecay, clipNorm: config.clipNorm }) : adam({ clipNorm: config.clipNorm });
  let targets: { params: Tensor[]; targets: Tensor[] } | undefined;
  const optimiser: Optimiser = {
    kind: base.kind,
    clipNorm: base.clipNorm,
    apply: (g, ps, grads, controls) => {
      if (!targets) throw new Error(`${algo}: the loss did not build the target network`);
      return withPolyakTargets(base, targets.params, targets.targets, config.targetRate).apply(g, ps, grads, controls);
    },
  };
  return { optimiser, setTargets: (t) => { targets = t; } };
}

export interface Critic {
  readonly action: Tensor;
  readonly mask: Tensor;
  /** min(Q1′, Q2′) of the target network at the data action (no gradient). */
  readonly qHat: Tensor;
  readonly v: Tensor;
  readonly vNext: Tensor;
  /** The Bellman target r + γ(1 − done)V(s′). */
  readonly y: Tensor;
  readonly q1: Tensor;
  readonly q2: Tensor;
  readonly q1a: Tensor;
  readonly q2a: Tensor;
  readonly lossV: Tensor;
  readonly lossQ: Tensor;
}

/**
 * Declares the batch inputs (`action`, `mask`, `reward`, `done`, `next_x`) and builds the critic's
 * losses on the network outputs `value` [batch] and `q` [batch, 2A].
 */
export function implicitCritic(g: Graph, out: Readonly<Record<string, Tensor>>, dims: { obsSize: number; numActions: number }, config: CriticConfig, setTargets: (t: { params: Tensor[]; targets: Tensor[] }) => void): Critic {
  const n = dims.numActions;
  const action = g.input('action', 'int64', ['batch']);
  const mask = g.input('mask', g.dtype, ['batch', n]);
  const reward = g.input('reward', g.dtype, ['batch']).mul(config.rewardScale);
  const done = g.input('done', g.dtype, ['batch']);
  const nextX = g.input('next_x', g.dtype, ['batch', dims.obsSize]);

  // Q̂ = min of the target Qs at the data action (target params carry no gradient)
  const target = targetNetwork(g, out.q);
  setTargets(target);
  const [tq1, tq2] = twin(target.out, n);
  const qHat = pick(tq1, action).min(pick(tq2, action));

  // V by expectile regression towards Q̂
  const v = out.value;
  const lossV = expectile(v, qHat, config.tau);

  // Q regressed to r + γ(1 − done)V(s′), V(s′) from the online network on the next observation, detached
  const vNext = stopGradient(rebuild(v, (leaf) => (leaf.name === 'x' && leaf.op === 'Input' ? nextX : undefined)));
  const y = reward.add(done.neg().add(1).mul(vNext).mul(config.gamma));
  const [q1, q2] = twin(out.q, n);
  const q1a = pick(q1, action);
  const q2a = pick(q2, action);
  const lossQ = mse(q1a, y).add(mse(q2a, y));
  return { action, mask, qHat, v, vNext, y, q1, q2, q1a, q2a, lossV, lossQ };
}
