/**
 * The two benchmark workloads of the learner-core issue, built exactly as specified, with a
 * seeded synthetic data recipe so every peer can train on the same kind of batch:
 *
 * - W1 `mlp-bc`: MLP 128 → 256 → 256 → 32, ReLU, batch 256, softmax cross-entropy, Adam(1e-3).
 *   Data: x ~ N(0, 1) [256, 128]; label = argmax(x · T) for a fixed teacher T ~ N(0, 1) [128, 32].
 * - W2 `tiny-gpt`: vocab 64, d_model 128, 4 heads, 2 layers, MLP 512 GELU (erf), pre-LN, learned
 *   positions, seq 64, batch 32, next-token cross-entropy, AdamW(3e-4, weight decay 0.01).
 *   Data: sequences s[i+1] = (5 s[i] + 1 + e) mod 64 with e = 0 (p 0.9) or uniform, s[0] uniform;
 *   tokens = s[0..63], targets = s[1..64].
 */
import { Rng } from '../../scenarios/random.js';
import { compileForward, compileTrainStep, crossEntropyLoss, type Loss, type Model } from '../graph/compile.js';
import type { CompiledGraph } from '../graph/compiled.js';
import { adam, adamw, type Optimiser } from '../graph/optim.js';
import { mlp } from './mlp.js';
import { transformer } from './transformer.js';

/** A batch as typed arrays with dims, by feed name. */
export type Batch = Record<string, { readonly data: Float32Array | BigInt64Array; readonly dims: readonly number[] }>;

export interface Workload {
  readonly name: 'mlp-bc' | 'tiny-gpt';
  readonly model: Model;
  readonly loss: Loss;
  readonly optimiser: Optimiser;
  readonly lr: number;
  readonly batchSize: number;
  /** Training FLOPs per step (forward + backward matmuls, 3 × forward), for GFLOP/s figures. */
  readonly flopsPerStep: number;
  /** The next batch of the workload's data recipe. */
  batch(rng: Rng): Batch;
  /** Compiles the train step (float32). */
  compile(seed?: number): CompiledGraph;
  /** Compiles the inference graph (float32). */
  compileForward(seed?: number): CompiledGraph;
}

export function mlpBcWorkload(): Workload {
  const sizes = [128, 256, 256, 32] as const;
  const batchSize = 256;
  const model = mlp({ sizes, activation: 'relu', name: 'mlp_bc' });
  const loss = crossEntropyLoss();
  const optimiser = adam();
  const teacherRng = Rng.from(12345).fork('teacher');
  const teacher = Float32Array.from({ length: 128 * 32 }, () => teacherRng.normal());
  let macs = 0;
  for (let i = 1; i < sizes.length; i++) macs += sizes[i - 1] * sizes[i];
  return {
    name: 'mlp-bc',
    model,
    loss,
    optimiser,
    lr: 1e-3,
    batchSize,
    flopsPerStep: 3 * 2 * macs * batchSize,
    batch(rng) {
      const x = Float32Array.from({ length: batchSize * 128 }, () => rng.normal());
      const labels = new BigInt64Array(batchSize);
      for (let b = 0; b < batchSize; b++) {
        let best = 0;
        let bestV = -Infinity;
        for (let c = 0; c < 32; c++) {
          let v = 0;
          for (let k = 0; k < 128; k++) v += x[b * 128 + k] * teacher[k * 32 + c];
          if (v > bestV) [best, bestV] = [c, v];
        }
        labels[b] = BigInt(best);
      }
      return { x: { data: x, dims: [batchSize, 128] }, labels: { data: labels, dims: [batchSize] } };
    },
    compile: (seed = 0) => compileTrainStep(model, loss, optimiser, { seed }),
    compileForward: (seed = 0) => compileForward(model, { seed }),
  };
}

export function tinyGptWorkload(): Workload {
  const cfg = { vocab: 64, dModel: 128, heads: 4, layers: 2, dMlp: 512, seq: 64 };
  const batchSize = 32;
  const model = transformer({ ...cfg, name: 'tiny_gpt' });
  const loss = crossEntropyLoss({ labels: 'targets' });
  const optimiser = adamw({ weightDecay: 0.01 });
  const n = batchSize * cfg.seq;
  const perLayer = 4 * cfg.dModel * cfg.dModel + 2 * cfg.dModel * cfg.dMlp; // q, k, v, proj, fc, mlp proj
  const attention = 2 * cfg.seq * cfg.dModel; // q kᵀ and att v per row
  const macs = n * (cfg.layers * (perLayer + attention) + cfg.dModel * cfg.vocab);
  return {
    name: 'tiny-gpt',
    model,
    loss,
    optimiser,
    lr: 3e-4,
    batchSize,
    flopsPerStep: 3 * 2 * macs,
    batch(rng) {
      const tokens = new BigInt64Array(n);
      const targets = new BigInt64Array(n);
      for (let b = 0; b < batchSize; b++) {
        let s = rng.int(cfg.vocab);
        for (let t = 0; t < cfg.seq; t++) {
          tokens[b * cfg.seq + t] = BigInt(s);
          s = rng.bernoulli(0.9) ? (5 * s + 1) % cfg.vocab : rng.int(cfg.vocab);
          targets[b * cfg.seq + t] = BigInt(s);
        }
      }
      return { tokens: { data: tokens, dims: [batchSize, cfg.seq] }, targets: { data: targets, dims: [batchSize, cfg.seq] } };
    },
    compile: (seed = 0) => compileTrainStep(model, loss, optimiser, { seed }),
    compileForward: (seed = 0) => compileForward(model, { seed }),
  };
}
