/** Runs compiled graphs in onnxruntime-node on CPU for tests: feeds by name, a train loop that feeds outputs back. */
import * as ort from 'onnxruntime-node';
import type { CompiledGraph, TensorSpec } from '../../../../learners/graph/index.js';

export type Feed = { readonly data: Float32Array | Float64Array | BigInt64Array; readonly dims: readonly number[] };

export function tensorOf(spec: TensorSpec, data: Float32Array | Float64Array | BigInt64Array, dims?: readonly number[]): ort.Tensor {
  const type = spec.dtype === 'int64' ? 'int64' : spec.dtype === 'float64' ? 'float64' : 'float32';
  return new ort.Tensor(type, data, [...(dims ?? (spec.shape as number[]))]);
}

export function scalarFeed(spec: TensorSpec, v: number): ort.Tensor {
  return tensorOf(spec, spec.dtype === 'float64' ? Float64Array.of(v) : Float32Array.of(v), []);
}

/** A train loop over a compiled train step: parameters and state fed back each step. */
export class TestTrainer {
  readonly state = new Map<string, ort.Tensor>();
  steps = 0;
  private constructor(
    readonly graph: CompiledGraph,
    readonly session: ort.InferenceSession,
  ) {
    for (const s of [...graph.params, ...graph.optimiserState]) this.state.set(s.name, tensorOf(s, s.init.slice()));
  }

  static async open(graph: CompiledGraph): Promise<TestTrainer> {
    return new TestTrainer(graph, await ort.InferenceSession.create(graph.bytes, { graphOptimizationLevel: 'all', intraOpNumThreads: 1 }));
  }

  feedsFor(batch: Record<string, Feed>, lr: number): Record<string, ort.Tensor> {
    const feeds: Record<string, ort.Tensor> = Object.fromEntries(this.state);
    for (const f of this.graph.feeds) {
      if (f.name === 'lr') feeds.lr = scalarFeed(f, lr);
      else if (f.name === 'step') feeds.step = scalarFeed(f, this.steps + 1);
      else feeds[f.name] = tensorOf(f, batch[f.name].data, batch[f.name].dims);
    }
    return feeds;
  }

  async step(batch: Record<string, Feed>, lr: number): Promise<Record<string, number>> {
    const out = await this.session.run(this.feedsFor(batch, lr));
    for (const s of [...this.graph.params, ...this.graph.optimiserState]) this.state.set(s.name, out[s.next as string]);
    this.steps++;
    return Object.fromEntries(this.graph.metrics.map((m) => [m.name, Number(out[m.name].data[0])]));
  }

  value(name: string): Float64Array {
    return Float64Array.from(this.state.get(name)?.data as Float32Array | Float64Array);
  }
}
