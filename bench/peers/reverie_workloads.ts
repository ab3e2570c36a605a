// Reverie's contestants in bench/train.bench.ts: W1 and W2 train graphs and their data, by the same
// recipe as the peers (bench/peers/torch_train.py, tfjs_train.ts).
import type { CompiledGraph, TensorSpec } from '../../learners/graph/compiled.js';
import type { FeedValue } from '../../learners/runtime/index.js';
import { Rng } from '../../scenarios/random.js';
import { handBuiltMlpBc } from './onnx_hand.js';

export type Workload = 'mlp-bc' | 'tiny-gpt';
export type Source = 'compiled' | 'hand';

export interface BuiltWorkload {
  readonly train: CompiledGraph;
  /** 16 batches, cycled. */
  readonly batches: readonly Record<string, FeedValue>[];
  readonly lr: number;
}

/** W1 data: x ~ N(0, 1) [256, 128]; label = argmax of a fixed random linear teacher (32 classes). */
function mlpBcData(rng: Rng): { x: Float32Array; labels: BigInt64Array }[] {
  const [B, D, C] = [256, 128, 32];
  const teacher = Float32Array.from({ length: D * C }, () => rng.normal());
  return Array.from({ length: 16 }, () => {
    const x = Float32Array.from({ length: B * D }, () => rng.normal());
    const labels = new BigInt64Array(B);
    for (let i = 0; i < B; i++) {
      let best = 0;
      let bestV = -Infinity;
      for (let c = 0; c < C; c++) {
        let s = 0;
        for (let j = 0; j < D; j++) s += x[i * D + j] * teacher[j * C + c];
        if (s > bestV) [best, bestV] = [c, s];
      }
      labels[i] = BigInt(best);
    }
    return { x, labels };
  });
}

/** W2 data: each of 32 sequences repeats 8 random tokens (of 64); inputs tokens 0..63, targets 1..64. */
function tinyGptData(rng: Rng): { tokens: BigInt64Array; targets: BigInt64Array }[] {
  const [B, T, V] = [32, 64, 64];
  return Array.from({ length: 16 }, () => {
    const tokens = new BigInt64Array(B * T);
    const targets = new BigInt64Array(B * T);
    for (let r = 0; r < B; r++) {
      const p = Array.from({ length: 8 }, () => BigInt(rng.int(V)));
      for (let c = 0; c < T; c++) {
        tokens[r * T + c] = p[c % 8];
        targets[r * T + c] = p[(c + 1) % 8];
      }
    }
    return { tokens, targets };
  });
}

/** Matches the recipe's arrays to the graph's feeds by role: data, integer labels/targets, masks of ones. */
function feedsFor(graph: CompiledGraph, data: Record<string, Float32Array | BigInt64Array>, dims: Record<string, number[]>): Record<string, FeedValue> {
  const out: Record<string, FeedValue> = {};
  const take = (spec: TensorSpec, key: string) => {
    out[spec.name] = { data: data[key], dims: dims[key] };
  };
  for (const f of graph.feeds) {
    if (f.name === 'lr' || f.name === 'step') continue;
    const name = f.name.toLowerCase();
    if (/mask|weight/.test(name)) {
      const n = f.shape.length === 1 ? dims.labels?.[0] ?? dims.targets[0] * dims.targets[1] : dims.targets[0] * dims.targets[1];
      const shape = f.shape.length === 1 ? [n] : dims.targets;
      out[f.name] = { data: f.dtype === 'bool' ? new Uint8Array(n).fill(1) : new Float32Array(n).fill(1), dims: shape };
    } else if (/label|target|action|y$/.test(name)) take(f, 'labels' in data ? 'labels' : 'targets');
    else if (/token|ids|idx|input|^x$|obs/.test(name)) take(f, 'x' in data ? 'x' : 'tokens');
    else throw new Error(`bench: cannot tell what feed '${f.name}' [${f.shape}] of the compiled graph is; teach bench/peers/reverie_workloads.ts`);
  }
  return out;
}

/** The train graph of a workload (compiled by learners/graph from learners/models, or the hand-built W1) and its batches. */
export async function buildWorkload(w: Workload, seed: number, source: Source = 'compiled'): Promise<BuiltWorkload> {
  const rng = Rng.from(seed);
  if (w === 'mlp-bc') {
    const train = source === 'hand' ? handBuiltMlpBc(seed) : await compiled(w, seed);
    const batches = mlpBcData(rng).map((b) => feedsFor(train, b, { x: [256, 128], labels: [256] }));
    return { train, batches, lr: 1e-3 };
  }
  if (source === 'hand') throw new Error('no hand-built tiny-gpt graph: only W1 has one');
  const train = await compiled(w, seed);
  const batches = tinyGptData(rng).map((b) => feedsFor(train, b, { tokens: [32, 64], targets: [32, 64] }));
  return { train, batches, lr: 3e-4 };
}

async function compiled(_w: Workload, _seed: number): Promise<CompiledGraph> {
  throw new Error('the graph compiler (learners/graph compileTrainStep, learners/models) is not there yet');
}
