/**
 * What the online algorithm files (ppo.ts, grpo.ts, reinforce.ts) share: the actor-critic network
 * (a policy MLP giving raw logits from `x`, a value MLP on its own trunk), masked log-probabilities
 * and entropy over the valid actions, the advantage estimators (discounted returns, GAE(λ), group
 * normalisation) as plain host code, and the flattening of trajectories into the per-step batch
 * the train graphs read.
 */
import type { z } from 'zod';
import type { Trajectory } from '../../environments/online/types.js';
import type { Model } from '../graph/compile.js';
import type { CompiledGraph } from '../graph/compiled.js';
import type { Graph, Tensor } from '../graph/graph.js';
import { adam } from '../graph/optim.js';
import type { Optimiser } from '../graph/optim.js';
import { activate, type Activation } from '../models/layers.js';
import type { Json } from '../runtime/checkpoint.js';
import { ConfigError, maskLogits } from './common.js';

/** The algorithms `reverie train --algo` runs online. */
export const ONLINE_ALGORITHMS = ['ppo', 'grpo', 'reinforce'] as const;
export type OnlineAlgorithmName = (typeof ONLINE_ALGORITHMS)[number];

export interface OnlineDims {
  readonly obsSize: number;
  readonly numActions: number;
}

/** The per-step columns a train graph may read. */
export type OnlineColumn = 'x' | 'mask' | 'action' | 'logp_old' | 'adv' | 'ret' | 'v_old' | 'base' | 'ref_logp';

/** Config fields every online algorithm has (each file's zod schema adds its own). */
export interface OnlineConfigBase {
  readonly lr: number;
  readonly episodesPerIteration: number;
  readonly epochs: number;
  readonly minibatchSize: number;
  readonly hidden: readonly number[];
  readonly activation: Activation;
  readonly gamma: number;
  readonly clipNorm: number;
  readonly maxPolicyLag: number;
}

/**
 * What an online algorithm file builds: one train-step graph, the policy forward (`x` [and `base`]
 * → `logits`), the value forward when it has a critic, and `advantages`, which turns a batch of
 * trajectories (plus the critic's values) into the per-step targets.
 */
export interface OnlineAlgorithm {
  readonly name: OnlineAlgorithmName;
  readonly config: Json & OnlineConfigBase;
  readonly train: CompiledGraph;
  /** Inputs `x` (and `base` [batch, numActions] with `--init`); output `logits`. */
  readonly policy: CompiledGraph;
  /** Input `x`; output `value` [batch]. Absent without a critic (GRPO). */
  readonly value?: CompiledGraph;
  readonly columns: readonly OnlineColumn[];
  /** Episodes of one request share a seed (GRPO groups of G), else 1. */
  readonly groupSize: number;
  /** Per-step advantages and return targets for the kept trajectories (values: V(s_t) per step and V(finalObs) per episode). */
  advantages(trajs: readonly Trajectory[], values?: StepValues): { adv: Float32Array; ret: Float32Array };
  /** Whether minibatch advantages are normalised (done on the host, over the whole batch). */
  readonly normaliseAdvantages: boolean;
  /** Early stop of the epoch loop when the approximate KL of a minibatch exceeds this (PPO). */
  readonly targetKl?: number;
}

/** The critic's values for a batch: per step (flattened like the batch) and of each episode's final observation. */
export interface StepValues {
  readonly steps: Float32Array;
  readonly final: Float32Array;
}

export interface ActorCriticOptions {
  readonly hidden: readonly number[];
  readonly activation: Activation;
  /** Add a value MLP (its own trunk: the offline work found shared trunks hurt). */
  readonly value: boolean;
  /** logits = base + f(x), base a graph input (the frozen scores of an `--init` checkpoint); f's last layer starts at zero. */
  readonly base: boolean;
  /** Scale of the policy output layer's initial weights (small: a near-uniform first policy). */
  readonly outScale?: number;
  /**
   * Add a linear map of the observation to each head (zero at the start): a feature that points at
   * one action (the encoder's per-item scores, say) reaches that action's logit through one weight
   * instead of through the hidden layers.
   */
  readonly skip?: boolean;
}

function dense(g: Graph, name: string, x: Tensor, out: number, init: 'default' | number): Tensor {
  const fanIn = x.shape[x.rank - 1] as number;
  const bound = init === 'default' ? 1 / Math.sqrt(fanIn) : init;
  const w = g.param(`${name}.weight`, [out, fanIn], bound === 0 ? 'zeros' : { uniform: bound });
  const b = g.param(`${name}.bias`, [out], init === 'default' ? { uniform: 1 / Math.sqrt(fanIn) } : 'zeros');
  return x.linear(w, b);
}

function trunk(g: Graph, prefix: string, x: Tensor, o: ActorCriticOptions): Tensor {
  let h = x;
  o.hidden.forEach((w, i) => (h = activate(dense(g, `${prefix}.fc${i}`, h, w, 'default'), o.activation)));
  return h;
}

/** The actor-critic network: outputs `logits` [batch, numActions] (raw, unmasked) and, with `value`, `value` [batch]. */
export function actorCritic(dims: OnlineDims, o: ActorCriticOptions): Model {
  return {
    name: 'actor_critic',
    build(g) {
      const x = g.input('x', g.dtype, ['batch', dims.obsSize]);
      const head = (name: string, out: number, init: 'default' | number) => {
        const y = dense(g, `${name}.out`, trunk(g, name, x, o), out, init);
        return o.skip ? y.add(dense(g, `${name}.skip`, x, out, 0)) : y;
      };
      const f = head('pi', dims.numActions, o.base ? 0 : (o.outScale ?? 0.01));
      const logits = o.base ? g.input('base', g.dtype, ['batch', dims.numActions]).add(f) : f;
      const out: Record<string, Tensor> = { logits };
      if (o.value) out.value = head('v', 1, 'default').reshape(['batch']);
      return out;
    },
  };
}

/** log π(·|s) over the valid actions: [batch, numActions], about −1e9 at invalid ones. */
export function maskedLogSoftmax(logits: Tensor, mask: Tensor): Tensor {
  return maskLogits(logits, mask).logSoftmax(-1);
}

/** Per-row entropy of π over the valid actions [batch] (invalid actions contribute exactly 0). */
export function maskedEntropy(logp: Tensor, mask: Tensor): Tensor {
  return logp.exp().mul(logp).mul(mask).sum(-1).neg();
}

/** log π(a|s) of each row's action [batch]. */
export function chosen(logp: Tensor, action: Tensor): Tensor {
  const n = logp.shape[logp.rank - 1] as number;
  return logp.mul(logp.graph.oneHot(action, n, logp.dtype)).sum(-1);
}

/**
 * The clipped surrogate (PPO, GRPO): −mean(min(r·A, clip(r, 1−ε, 1+ε)·A)), r = exp(logp − logp_old).
 * Also the approximate KL (k3: mean((r − 1) − log r)) and the fraction of clipped ratios.
 */
export function clippedSurrogate(logp: Tensor, logpOld: Tensor, adv: Tensor, eps: number): { loss: Tensor; approxKl: Tensor; clipFrac: Tensor } {
  const logRatio = logp.sub(logpOld);
  const ratio = logRatio.exp();
  const loss = ratio.mul(adv).min(ratio.clip(1 - eps, 1 + eps).mul(adv)).mean().neg();
  const approxKl = ratio.sub(1).sub(logRatio).mean();
  const clipFrac = ratio.sub(1).abs().gt(eps).cast(logp.dtype).mean();
  return { loss, approxKl, clipFrac };
}

/** The optimiser of every online algorithm: Adam with global-norm clipping. */
export function onlineOptimiser(clipNorm: number): Optimiser {
  return adam({ clipNorm });
}

// ---------------------------------------------------------------- advantages (host code)

/** Discounted returns-to-go of one episode's rewards, bootstrapped with `last` after the final step. */
export function discountedReturns(rewards: ArrayLike<number>, gamma: number, last = 0): Float32Array {
  const out = new Float32Array(rewards.length);
  let g = last;
  for (let t = rewards.length - 1; t >= 0; t--) out[t] = g = rewards[t] + gamma * g;
  return out;
}

/**
 * GAE(λ) of one episode. `values[t]` = V(s_t); `next` = V(finalObs), used only when the episode
 * was truncated (cut off by the turn limit); a terminated episode's last step has no future.
 * Returns advantages and the value targets (A + V).
 */
export function gae(rewards: ArrayLike<number>, values: ArrayLike<number>, next: number, truncated: boolean, gamma: number, lambda: number): { adv: Float32Array; ret: Float32Array } {
  const T = rewards.length;
  const adv = new Float32Array(T);
  const ret = new Float32Array(T);
  let a = 0;
  for (let t = T - 1; t >= 0; t--) {
    const vNext = t === T - 1 ? (truncated ? next : 0) : values[t + 1];
    const delta = rewards[t] + gamma * vNext - values[t];
    a = delta + gamma * lambda * (t === T - 1 ? 0 : a);
    adv[t] = a;
    ret[t] = a + values[t];
  }
  return { adv, ret };
}

/**
 * GRPO's advantages: each episode's return normalised within its group,
 * (R − mean_group) / (std_group + eps), given to every step of the episode. Groups are the
 * trajectories' `group` labels; std is the population standard deviation.
 */
export function groupAdvantages(trajs: readonly Pick<Trajectory, 'group' | 'return'>[], eps = 1e-6): Float32Array {
  const byGroup = new Map<number, number[]>();
  trajs.forEach((t, i) => {
    const k = t.group ?? -1 - i;
    const list = byGroup.get(k) ?? [];
    list.push(i);
    byGroup.set(k, list);
  });
  const out = new Float32Array(trajs.length);
  for (const idx of byGroup.values()) {
    const rs = idx.map((i) => trajs[i].return);
    const mean = rs.reduce((a, b) => a + b, 0) / rs.length;
    const std = Math.sqrt(rs.reduce((a, b) => a + (b - mean) ** 2, 0) / rs.length);
    for (const i of idx) out[i] = (trajs[i].return - mean) / (std + eps);
  }
  return out;
}

/** Mean 0, standard deviation 1 (in place); unchanged when there is only one value or no spread. */
export function normalise(x: Float32Array): Float32Array {
  if (x.length < 2) return x;
  let m = 0;
  for (const v of x) m += v;
  m /= x.length;
  let s = 0;
  for (const v of x) s += (v - m) ** 2;
  const std = Math.sqrt(s / (x.length - 1));
  if (!(std > 1e-8)) return x.fill(0);
  for (let i = 0; i < x.length; i++) x[i] = (x[i] - m) / std;
  return x;
}

// ---------------------------------------------------------------- batches

/** The steps of a collection, flattened: one row per agent turn, episode after episode. */
export interface StepBatch {
  readonly size: number;
  readonly obsSize: number;
  readonly numActions: number;
  readonly x: Float32Array;
  readonly mask: Float32Array;
  readonly action: Int32Array;
  readonly logpOld: Float32Array;
}

/** Flattens trajectories into a {@link StepBatch}. */
export function flatten(trajs: readonly Trajectory[], dims: OnlineDims): StepBatch {
  const size = trajs.reduce((a, t) => a + t.length, 0);
  const x = new Float32Array(size * dims.obsSize);
  const mask = new Float32Array(size * dims.numActions);
  const action = new Int32Array(size);
  const logpOld = new Float32Array(size);
  let r = 0;
  for (const t of trajs) {
    x.set(t.obs.subarray(0, t.length * dims.obsSize), r * dims.obsSize);
    for (let i = 0; i < t.length * dims.numActions; i++) mask[r * dims.numActions + i] = t.mask[i];
    action.set(t.actions.subarray(0, t.length), r);
    logpOld.set(t.logProbs.subarray(0, t.length), r);
    r += t.length;
  }
  return { size, obsSize: dims.obsSize, numActions: dims.numActions, x, mask, action, logpOld };
}

/** Rows `idx` of a per-step array with `width` values per row. */
export function gatherRows<A extends Float32Array | Int32Array>(src: A, idx: Int32Array, width: number): A {
  const out = new (src.constructor as new (n: number) => A)(idx.length * width);
  for (let i = 0; i < idx.length; i++) out.set(src.subarray(idx[i] * width, idx[i] * width + width), i * width);
  return out;
}

/** A permutation of 0..n−1 by Fisher–Yates with `int(k)` in [0, k). */
export function permutation(n: number, int: (k: number) => number): Int32Array {
  const p = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = int(i + 1);
    [p[i], p[j]] = [p[j], p[i]];
  }
  return p;
}

/** A config validated by its zod schema; a bad field becomes one {@link ConfigError} naming the field and the rule. */
export function parseOnlineConfig<S extends z.ZodType>(algo: OnlineAlgorithmName, schema: S, raw: unknown): z.infer<S> {
  const r = schema.safeParse(raw ?? {});
  if (r.success) return r.data;
  throw new ConfigError(r.error.issues.map((i) => `${algo} config${i.path.length ? '.' + i.path.join('.') : ''}: ${i.message}`).join('\n'));
}
