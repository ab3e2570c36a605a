// Reverie's contestants in bench/train.bench.ts: W1 and W2 train graphs and their data, from the
// workloads in learners/models (the peers, bench/peers/torch_train.py and tfjs_train.ts, follow the
// same architecture, initialisation scheme, optimiser and data recipe).
import type { CompiledGraph } from '../../learners/graph/compiled.js';
import type { FeedValue } from '../../learners/runtime/index.js';
import { Rng } from '../../scenarios/random.js';
import { mlpBcWorkload, tinyGptWorkload } from '../../learners/models/index.js';
import { handBuiltMlpBc } from './onnx_hand.js';

export type Workload = 'mlp-bc' | 'tiny-gpt';
export type Source = 'compiled' | 'hand';

export interface BuiltWorkload {
  readonly train: CompiledGraph;
  /** 16 batches, cycled. */
  readonly batches: readonly Record<string, FeedValue>[];
  readonly lr: number;
}

/** The train graph of a workload (compiled by learners/graph from learners/models, or the hand-built W1) and 16 batches of its data recipe. */
export async function buildWorkload(w: Workload, seed: number, source: Source = 'compiled'): Promise<BuiltWorkload> {
  const wl = w === 'mlp-bc' ? mlpBcWorkload() : tinyGptWorkload();
  if (source === 'hand' && w !== 'mlp-bc') throw new Error('no hand-built tiny-gpt graph: only W1 has one');
  const train = source === 'hand' ? handBuiltMlpBc(seed) : wl.compile(seed);
  const rng = Rng.from(seed).fork('data');
  const batches = Array.from({ length: 16 }, () => wl.batch(rng) as Record<string, FeedValue>);
  return { train, batches, lr: wl.lr };
}
