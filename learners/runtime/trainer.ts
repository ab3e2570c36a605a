/**
 * The training loop's engine: runs a compiled train-step graph step after step, keeping
 * parameters and optimiser state resident on the device (outputs of one step are the inputs of
 * the next), and brings values to the host only when asked: metrics, checkpoints, export, reads.
 */
import type * as ort from 'onnxruntime-node';
import { Rng } from '../../scenarios/random.js';
import type { CompiledGraph, DType, StateTensor, TensorSpec } from '../graph/compiled.js';
import { readCheckpoint, writeCheckpoint, writeFileAtomic, type Json } from './checkpoint.js';
import { resolveDevice, type Device } from './device.js';
import { bakeParameters, type HostArray } from './onnx.js';
import { DeviceSession, Transfer, hostTensor, type Location, type RuntimeOptions, type TransferCounts } from './session.js';

/** Feed names the trainer fills itself when the caller does not: the 1-based step number and the learning rate. */
export const STEP_FEED = 'step';
export const LR_FEED = 'lr';

/** A batch input: a tensor, a typed array (shape inferred from the graph's spec), or data with dims. */
export type FeedValue = ort.Tensor | HostArray | { readonly data: HostArray | readonly number[]; readonly dims: readonly number[] };

export interface TrainerOptions extends RuntimeOptions {
  /** Seed of the learner's RNG ({@link Trainer.rng}), saved in checkpoints; default 0. */
  readonly seed?: number;
  /** Learning rate fed as `lr` when a step does not give one: a constant or a schedule of the step number (1-based). */
  readonly lr?: number | ((step: number) => number);
  /** Kept in checkpoints as given (JSON). */
  readonly config?: Json;
}

export interface StepResult {
  /** Steps completed, this one included. */
  readonly step: number;
  /** The graph's metric outputs (loss first), as numbers on the host. */
  readonly metrics: Readonly<Record<string, number>>;
}

/**
 * Runs a {@link CompiledGraph} train step on a device.
 *
 * @example
 * const trainer = await Trainer.create(compiled, { device: 'cpu', seed: 1, lr: 1e-3 });
 * const { metrics } = await trainer.step({ x, labels });   // metrics.loss
 * await trainer.checkpoint('run/ckpt.bin');
 * await trainer.exportInference(forward, 'run/policy.onnx');
 */
export class Trainer {
  private readonly state = new Map<string, ort.Tensor>();
  private completed: number;
  private disposed = false;

  private constructor(
    readonly graph: CompiledGraph,
    private readonly session: DeviceSession,
    private readonly transfer: Transfer,
    /** The learner's seeded RNG (batch sampling, exploration); its state is saved in checkpoints. */
    readonly rng: Rng,
    readonly config: Json,
    private readonly options: TrainerOptions,
    step: number,
  ) {
    this.completed = step;
  }

  /** Opens the graph on the device and places the graph's initial parameters and optimiser state there. */
  static async create(graph: CompiledGraph, options: TrainerOptions = {}): Promise<Trainer> {
    const values = new Map<string, HostArray>();
    for (const s of stateSpecs(graph)) values.set(s.name, s.init);
    return Trainer.open(graph, options, values, 0, Rng.from(options.seed ?? 0), options.config ?? null);
  }

  /**
   * Continues from a checkpoint: parameters, optimiser state, step count, RNG state and config as
   * they were saved. On CPU the steps that follow give the same losses, bit for bit, as a run that
   * never stopped. `options.config` and `options.seed` are ignored (the checkpoint's are used).
   */
  static async resume(path: string, graph: CompiledGraph, options: TrainerOptions = {}): Promise<Trainer> {
    const ck = readCheckpoint(path);
    const saved = new Map(ck.tensors.map((t) => [t.name, t]));
    const values = new Map<string, HostArray>();
    for (const s of stateSpecs(graph)) {
      const t = saved.get(s.name);
      if (!t) throw new Error(`${path}: the checkpoint has no tensor '${s.name}' that the graph needs; was it saved from a different model or optimiser?`);
      if (t.dtype !== s.dtype || t.shape.length !== s.shape.length || t.shape.some((d, i) => d !== s.shape[i]))
        throw new Error(`${path}: tensor '${s.name}' is ${t.dtype}[${t.shape}] in the checkpoint but ${s.dtype}[${s.shape}] in the graph`);
      values.set(s.name, t.data);
    }
    return Trainer.open(graph, options, values, ck.step, Rng.fromState(ck.rng), ck.config);
  }

  private static async open(graph: CompiledGraph, options: TrainerOptions, values: Map<string, HostArray>, step: number, rng: Rng, config: Json): Promise<Trainer> {
    const device = resolveDevice(options.device);
    const specs = stateSpecs(graph);
    const outputLocations: Record<string, Location> = {};
    for (const s of specs) {
      if (!s.next) throw new Error(`train graph: '${s.name}' has no 'next' output; compile it with compileTrainStep`);
      outputLocations[s.next] = 'gpu-buffer';
    }
    for (const m of graph.metrics) outputLocations[m.name] = 'cpu';
    const session = await DeviceSession.open(graph.bytes, { ...options, device, outputLocations });
    const transfer = new Transfer(device);
    const t = new Trainer(graph, session, transfer, rng, config, options, step);
    for (const s of specs) t.state.set(s.name, await transfer.toDevice(values.get(s.name) as HostArray, s.dtype, fixedShape(s)));
    return t;
  }

  get device(): Device {
    return this.session.device;
  }

  /** Training steps completed. */
  get steps(): number {
    return this.completed;
  }

  /** Values that crossed between host and device through this trainer, by reason. */
  get transfers(): Readonly<TransferCounts> {
    return this.transfer.counts;
  }

  /** Where each parameter and optimiser-state tensor lives now (`gpu-buffer` on WebGPU, `cpu` on CPU). */
  locations(): Record<string, ort.Tensor.DataLocation> {
    return Object.fromEntries([...this.state].map(([k, v]) => [k, v.location]));
  }

  /**
   * One training step: feeds the resident parameters and state, the batch, `lr` and `step`
   * (filled in when the batch does not give them) and keeps the new parameters and state
   * resident. Only the metrics come to the host.
   */
  async step(batch: Readonly<Record<string, FeedValue>>, controls: { readonly lr?: number } = {}): Promise<StepResult> {
    this.assertOpen();
    const feeds: Record<string, ort.Tensor> = {};
    for (const [k, v] of this.state) feeds[k] = v;
    const known = new Set(this.graph.feeds.map((f) => f.name));
    for (const k of Object.keys(batch)) {
      if (!known.has(k)) throw new Error(`step: '${k}' is not a feed of this graph; its feeds are ${[...known].join(', ')}`);
    }
    const number = this.completed + 1;
    for (const f of this.graph.feeds) {
      const v = batch[f.name];
      if (v !== undefined) feeds[f.name] = toTensor(v, f);
      else if (f.name === STEP_FEED) feeds[f.name] = scalar(f, number);
      else if (f.name === LR_FEED) {
        const lr = controls.lr ?? (typeof this.options.lr === 'function' ? this.options.lr(number) : this.options.lr);
        if (lr === undefined) throw new Error(`step: the graph needs a learning rate; pass { lr } to step() or the lr option to Trainer.create`);
        feeds[f.name] = scalar(f, lr);
      } else throw new Error(`step: feed '${f.name}' is missing; this graph needs ${[...known].filter((n) => n !== STEP_FEED && n !== LR_FEED).join(', ')}`);
    }
    const specs = stateSpecs(this.graph);
    const fetches = [...specs.map((s) => s.next as string), ...this.graph.metrics.map((m) => m.name)];
    const out = await this.session.run(feeds, fetches);
    for (const s of specs) {
      const old = this.state.get(s.name);
      this.state.set(s.name, out[s.next as string]);
      old?.dispose();
    }
    const metrics: Record<string, number> = {};
    for (const m of this.graph.metrics) {
      const t = out[m.name];
      if (t.location !== 'cpu') throw new Error(`metric '${m.name}' came back at '${t.location}', expected on the host`);
      metrics[m.name] = Number((t.data as HostArray)[0]);
    }
    this.completed = number;
    return { step: number, metrics };
  }

  /** Parameters (and, with `all`, optimiser state) brought to the host, by name. */
  async read(which: 'params' | 'all' = 'params'): Promise<Map<string, HostArray>> {
    return this.download(which === 'all' ? stateSpecs(this.graph) : this.graph.params, 'read');
  }

  /** Saves everything needed to continue exactly here (atomic write; see {@link Trainer.resume}). */
  async checkpoint(path: string): Promise<void> {
    this.assertOpen();
    const specs = stateSpecs(this.graph);
    const values = await this.download(specs, 'checkpoint');
    writeCheckpoint(path, {
      step: this.completed,
      rng: this.rng.state(),
      config: this.config,
      tensors: specs.map((s) => ({ name: s.name, dtype: s.dtype, shape: fixedShape(s), data: values.get(s.name) as HostArray })),
    });
  }

  /**
   * A standalone inference model: the forward graph with the current parameters as initializers,
   * written atomically to `path` when given. Any ONNX runtime loads it with only the data inputs.
   */
  async exportInference(forward: CompiledGraph, path?: string): Promise<Uint8Array> {
    this.assertOpen();
    for (const p of forward.params) {
      if (!this.state.has(p.name)) throw new Error(`export: forward parameter '${p.name}' is not a parameter of the train graph; compile both from the same model`);
    }
    const values = await this.download(forward.params, 'export');
    const bytes = bakeParameters(forward.bytes, forward.params, values);
    if (path) writeFileAtomic(path, [bytes]);
    return bytes;
  }

  /** Stops onnxruntime profiling of the train step and writes the profile (see `profilePrefix`). */
  endProfiling(): void {
    this.session.endProfiling();
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    for (const t of this.state.values()) t.dispose();
    this.state.clear();
    await this.session.dispose();
    await this.transfer.dispose();
  }

  private async download(specs: readonly TensorSpec[], reason: 'checkpoint' | 'export' | 'read'): Promise<Map<string, HostArray>> {
    this.assertOpen();
    const out = new Map<string, HostArray>();
    for (const s of specs) {
      const t = this.state.get(s.name);
      if (!t) throw new Error(`'${s.name}' is not a parameter or optimiser state of this trainer`);
      const data = await this.transfer.toHost(t, reason);
      // a CPU tensor's data is the live buffer: copy so later steps cannot change what was read
      out.set(s.name, t.location === 'cpu' ? (data.slice() as HostArray) : data);
    }
    return out;
  }

  private assertOpen(): void {
    if (this.disposed) throw new Error('this Trainer was disposed');
  }
}

function stateSpecs(graph: CompiledGraph): readonly StateTensor[] {
  return [...graph.params, ...graph.optimiserState];
}

function fixedShape(s: TensorSpec): number[] {
  return s.shape.map((d) => {
    if (typeof d !== 'number') throw new Error(`'${s.name}' has a symbolic dimension '${d}'; parameters and optimiser state need fixed shapes`);
    return d;
  });
}

function scalar(spec: TensorSpec, value: number): ort.Tensor {
  const data = spec.dtype === 'int64' ? BigInt64Array.of(BigInt(Math.round(value))) : spec.dtype === 'int32' ? Int32Array.of(value) : spec.dtype === 'float64' ? Float64Array.of(value) : Float32Array.of(value);
  return hostTensor(data, spec.dtype, spec.shape.length === 0 ? [] : spec.shape.map(() => 1));
}

function isTensor(v: FeedValue): v is ort.Tensor {
  return typeof (v as ort.Tensor).location === 'string' && typeof (v as ort.Tensor).type === 'string';
}

function isHostArray(v: unknown): v is HostArray {
  return ArrayBuffer.isView(v) && !(v instanceof DataView);
}

/** A batch value as a tensor of the feed's dtype; symbolic dimensions are inferred when only one is unknown. */
function toTensor(v: FeedValue, spec: TensorSpec): ort.Tensor {
  if (isTensor(v)) return v;
  let data: HostArray | readonly number[];
  let dims: readonly number[];
  if (isHostArray(v)) {
    data = v;
    const known = spec.shape.reduce<number>((a, d) => (typeof d === 'number' ? a * d : a), 1);
    const symbolic = spec.shape.filter((d) => typeof d !== 'number').length;
    if (symbolic > 1) throw new Error(`feed '${spec.name}' has shape [${spec.shape}]: give { data, dims } since more than one dimension is symbolic`);
    if (v.length % known !== 0 || (symbolic === 0 && v.length !== known))
      throw new Error(`feed '${spec.name}': ${v.length} values do not fit shape [${spec.shape}]`);
    dims = spec.shape.map((d) => (typeof d === 'number' ? d : v.length / known));
  } else {
    data = v.data;
    dims = v.dims;
  }
  return hostTensor(convert(data, spec.dtype, spec.name), spec.dtype, dims);
}

function convert(data: HostArray | readonly number[], dtype: DType, name: string): HostArray {
  switch (dtype) {
    case 'float32':
      return data instanceof Float32Array ? data : Float32Array.from(data as ArrayLike<number>);
    case 'float64':
      return data instanceof Float64Array ? data : Float64Array.from(data as ArrayLike<number>);
    case 'int32':
      return data instanceof Int32Array ? data : Int32Array.from(data as ArrayLike<number>);
    case 'bool':
      return data instanceof Uint8Array ? data : Uint8Array.from(data as ArrayLike<number>);
    case 'int64':
      if (data instanceof BigInt64Array) return data;
      if (data instanceof Float32Array || data instanceof Float64Array) throw new TypeError(`feed '${name}' is int64; give integers (BigInt64Array, Int32Array or numbers), not floats`);
      return BigInt64Array.from(data as ArrayLike<number>, (x) => BigInt(x));
  }
}
