/**
 * The few pieces every offline algorithm file uses: the algorithm contract, minibatch feeds drawn
 * from {@link Transitions} with the learner's seeded RNG, masked logits, a value-preserving stop of
 * the gradient, copies of a sub-network (on the next observation, or with target parameters) and
 * Polyak-averaged target parameters kept as resident state of the train step.
 */
import type { z } from 'zod';
import type { Transitions } from '../../environments/offline/transitions.js';
import type { Rng } from '../../scenarios/random.js';
import type { CompiledGraph, StateTensor } from '../graph/compiled.js';
import type { Graph, Tensor } from '../graph/graph.js';
import type { Optimiser } from '../graph/optim.js';
import type { FeedValue } from '../runtime/trainer.js';
import type { Json } from '../runtime/checkpoint.js';

/** The algorithms `reverie train --algo` knows. */
export const ALGORITHMS = ['bc', 'filtered-bc', 'ilql', 'awr'] as const;
export type AlgorithmName = (typeof ALGORITHMS)[number];

/** The batch columns a train step may read (graph feed names). */
export type Column = 'x' | 'action' | 'mask' | 'reward' | 'next_x' | 'next_mask' | 'done';

/**
 * What an algorithm file builds for a dataset: ONE train-step graph (model + losses + optimiser
 * update, run by the Trainer), the inference graph whose `logits` output the policy acts on
 * (greedy by default, or sampled with `--policy CKPT#sample`, over the valid actions), the rows it
 * trains on and the columns of a batch.
 */
export interface OfflineAlgorithm {
  readonly name: AlgorithmName;
  /** The validated config (with defaults filled in), as saved in checkpoints. */
  readonly config: Json & { readonly steps: number; readonly batchSize: number; readonly lr: number };
  readonly train: CompiledGraph;
  /** Input `x` [batch, obsSize]; outputs named in `scores` (unmasked; the policy masks). */
  readonly forward: CompiledGraph;
  /** How the policy scores actions: Σ weight × forward output (policy.json `scores`). */
  readonly scores: readonly { readonly output: string; readonly weight: number }[];
  /** Indices of the transitions minibatches are drawn from. */
  readonly rows: Int32Array;
  /** The columns the train step reads. */
  readonly columns: readonly Column[];
}

/** Dimensions of the problem, taken from the transitions. */
export interface Dims {
  readonly obsSize: number;
  readonly numActions: number;
}

/** Every row of the dataset. */
export function allRows(t: Transitions): Int32Array {
  return Int32Array.from({ length: t.count }, (_, i) => i);
}

/**
 * `batchSize` rows drawn uniformly with replacement from `rows` (the RNG is the Trainer's, saved
 * in its checkpoints, so a resumed run draws the same batches as one that never stopped).
 */
export function sampleRows(rng: Rng, rows: Int32Array, batchSize: number): Int32Array {
  if (rows.length === 0) throw new Error('no transitions to train on: the dataset (after filtering) is empty');
  const out = new Int32Array(batchSize);
  for (let i = 0; i < batchSize; i++) out[i] = rows[rng.int(rows.length)];
  return out;
}

/** The feeds of one minibatch: the requested columns of the transitions at `idx`. */
export function batchFeeds(t: Transitions, idx: Int32Array, columns: readonly Column[]): Record<string, FeedValue> {
  const b = idx.length;
  const d = t.obsSize;
  const a = t.numActions;
  const feeds: Record<string, FeedValue> = {};
  for (const c of columns) {
    switch (c) {
      case 'x':
      case 'next_x': {
        const src = c === 'x' ? t.obs : t.nextObs;
        const out = new Float32Array(b * d);
        for (let i = 0; i < b; i++) out.set(src.subarray(idx[i] * d, idx[i] * d + d), i * d);
        feeds[c] = { data: out, dims: [b, d] };
        break;
      }
      case 'mask':
      case 'next_mask': {
        const src = c === 'mask' ? t.mask : t.nextMask;
        const out = new Float32Array(b * a);
        for (let i = 0; i < b; i++) for (let j = 0; j < a; j++) out[i * a + j] = src[idx[i] * a + j];
        feeds[c] = { data: out, dims: [b, a] };
        break;
      }
      case 'action':
        feeds[c] = { data: BigInt64Array.from(idx, (i) => BigInt(t.actions[i])), dims: [b] };
        break;
      case 'reward':
        feeds[c] = { data: Float32Array.from(idx, (i) => t.rewards[i]), dims: [b] };
        break;
      case 'done':
        feeds[c] = { data: Float32Array.from(idx, (i) => t.done[i]), dims: [b] };
        break;
    }
  }
  return feeds;
}

/** Logits with invalid actions (mask 0) pushed to -1e9, so softmax and logsumexp range over valid actions only. */
export function maskLogits(logits: Tensor, mask: Tensor): Tensor {
  return logits.add(mask.sub(1).mul(1e9));
}

/** x[b, a] for each row's action: (x · onehot(action)).sum(-1). */
export function pick(x: Tensor, actions: Tensor): Tensor {
  const n = x.shape[x.rank - 1] as number;
  return x.mul(x.graph.oneHot(actions, n, x.dtype)).sum(-1);
}

/** The value of x with no gradient (PyTorch's `.detach()`): the builder's StopGradient, exact in value. */
export function stopGradient(x: Tensor): Tensor {
  return x.graph.stopGradient(x);
}

/**
 * Rebuilds the sub-graph that computes `out`, replacing leaves (inputs and parameters) for which
 * `substitute` returns a tensor: the same network on another input (`x` → `next_x`) or with other
 * weights (parameters → their target copies).
 */
export function rebuild(out: Tensor, substitute: (leaf: Tensor) => Tensor | undefined): Tensor {
  const g = out.graph;
  const memo = new Map<number, Tensor>();
  const visit = (t: Tensor): Tensor => {
    const hit = memo.get(t.id);
    if (hit) return hit;
    let r: Tensor;
    if (t.op === 'Input' || t.op === 'Param') r = substitute(t) ?? t;
    else if (t.op === 'Const') r = t;
    else {
      const inputs = t.inputs.map(visit);
      r = inputs.every((x, i) => x === t.inputs[i]) ? t : g.node(t.op, inputs, t.attrs);
    }
    memo.set(t.id, r);
    return r;
  };
  return visit(out);
}

/** The name of the target copy of parameter `name`. */
export function targetName(name: string): string {
  return `${name}.target`;
}

/** Parameters `out` depends on, in creation order. */
export function paramsOf(out: Tensor): Tensor[] {
  const seen = new Set<number>();
  const found: Tensor[] = [];
  const stack = [out];
  while (stack.length) {
    const t = stack.pop() as Tensor;
    if (seen.has(t.id)) continue;
    seen.add(t.id);
    if (t.op === 'Param') found.push(t);
    stack.push(...t.inputs);
  }
  return found.sort((a, b) => a.id - b.id);
}

/**
 * The target network of `out`: the same computation with every parameter p replaced by `<p>.target`.
 * In a train step (`as: 'input'`) those are graph inputs that carry no gradient, made resident
 * state by {@link withPolyakTargets}; in an inference graph (`as: 'param'`) they are parameters,
 * so exporting from the Trainer bakes in its resident target values.
 */
export function targetNetwork(g: Graph, out: Tensor, as: 'input' | 'param' = 'input'): { out: Tensor; params: Tensor[]; targets: Tensor[] } {
  const params = paramsOf(out);
  const targets = params.map((p) => (as === 'input' ? g.input(targetName(p.name as string), p.dtype, p.shape) : g.param(targetName(p.name as string), p.shape as number[], 'zeros')));
  const byId = new Map(params.map((p, i) => [p.id, targets[i]]));
  return { out: rebuild(out, (leaf) => byId.get(leaf.id)), params, targets };
}

/**
 * An optimiser that, after `inner`'s update, moves each target towards its parameter's new value:
 * target ← (1 − rate)·target + rate·param (Polyak averaging). The targets become optimiser state:
 * resident on the device, saved in checkpoints, no host round trip.
 */
export function withPolyakTargets(inner: Optimiser, params: readonly Tensor[], targets: readonly Tensor[], rate: number): Optimiser {
  return {
    kind: inner.kind,
    clipNorm: inner.clipNorm,
    apply(g, ps, grads, controls) {
      const r = inner.apply(g, ps, grads, controls);
      const next = new Map(ps.map((p, i) => [p.id, r.params[i]]));
      const polyak = params.map((p, i) => {
        const np = next.get(p.id);
        if (!np) throw new Error(`target of '${p.name}': not a trained parameter of this graph`);
        return { input: targets[i], next: targets[i].mul(1 - rate).add(np.mul(rate)) };
      });
      return { params: r.params, state: [...r.state, ...polyak], metrics: r.metrics };
    },
  };
}

/** The compiled train step with each `<p>.target` starting equal to p's initial value (not zeros). */
export function initTargetsFromParams(c: CompiledGraph): CompiledGraph {
  const init = new Map(c.params.map((p) => [targetName(p.name), p.init]));
  const optimiserState: StateTensor[] = c.optimiserState.map((s) => {
    const v = init.get(s.name);
    return v ? { ...s, init: v.slice() } : s;
  });
  return { ...c, optimiserState };
}

/** A config validated by its zod schema; a bad field becomes one message naming the field and the rule. */
export function parseConfig<S extends z.ZodType>(algo: AlgorithmName, schema: S, raw: unknown): z.infer<S> {
  const r = schema.safeParse(raw ?? {});
  if (r.success) return r.data;
  const lines = r.error.issues.map((i) => `${algo} config${i.path.length ? '.' + i.path.join('.') : ''}: ${i.message}`);
  throw new ConfigError(lines.join('\n'));
}

/** A config that does not validate (the CLI prints the message alone, as a usage error). */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/**
 * `out` computed by its own copy of the MLP trunk: every hidden-layer parameter `fc<i>.*` it reads
 * is replaced by a parameter `<prefix>.fc<i>.*` with the same initial value (the head itself is
 * kept). Gives a head its own trunk, so its loss and the others' do not pull on shared weights.
 */
export function ownTrunk(g: Graph, out: Tensor, prefix: string): Tensor {
  return rebuild(out, (leaf) => (leaf.op === 'Param' && /^fc\d+\./.test(leaf.name as string) ? g.param(`${prefix}.${leaf.name}`, leaf.shape as number[], { values: g.initOf(leaf.name as string) }) : undefined));
}
