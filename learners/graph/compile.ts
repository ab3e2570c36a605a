/**
 * From a model, a loss and an optimiser to {@link CompiledGraph}s: the train step (parameters +
 * optimiser state + batch + lr/step -> next parameters + next state + loss + metrics) and the
 * forward (inference) graph. Parameters come with their seeded initial values.
 *
 * @example
 * const model = mlp({ sizes: [4, 32, 3], activation: 'relu' });
 * const step = compileTrainStep(model, crossEntropyLoss(), adam(), { seed: 1 });
 * const forward = compileForward(model, { seed: 1 });
 */
import type { CompiledGraph, StateTensor, TensorSpec } from './compiled.js';
import { emitModel, type NamedOutput } from './emit.js';
import { GraphError } from './errors.js';
import { gradients } from './grad.js';
import { Graph, type FloatDType, type Tensor } from './graph.js';
import { softmaxCrossEntropy } from './losses.js';
import type { Optimiser } from './optim.js';

/** A model: builds its forward pass in a graph (declaring inputs and parameters) and names its outputs. */
export interface Model {
  readonly name: string;
  build(g: Graph): Readonly<Record<string, Tensor>>;
}

export interface LossResult {
  readonly loss: Tensor;
  /** Extra scalar metrics brought to the host each step. */
  readonly metrics?: Readonly<Record<string, Tensor>>;
}

/** A loss over the model's outputs; it declares its own feeds (labels, masks) with `g.input`. */
export type Loss = (g: Graph, outputs: Readonly<Record<string, Tensor>>) => Tensor | LossResult;

export interface CompileOptions {
  /** float32 (default) or float64 (gradient checks). */
  readonly dtype?: FloatDType;
  /** Seed of parameter initialisation (default 0). */
  readonly seed?: number;
}

export const LR = 'lr';
export const STEP = 'step';

function spec(t: Tensor, name = t.name as string): TensorSpec {
  return { name, dtype: t.dtype, shape: t.shape };
}

function params(g: Graph): Tensor[] {
  return g.all.filter((t) => t.op === 'Param');
}

function lossOf(r: Tensor | LossResult): LossResult {
  return 'graph' in r ? { loss: r } : r;
}

function checkScalar(name: string, t: Tensor): void {
  if (t.rank !== 0) throw new GraphError('shape', `metric '${name}' must be a scalar, got ${t.describe()}; reduce it (e.g. .mean())`);
}

/** Inputs the outputs reach, in creation order, split into parameters and feeds. */
function reachable(g: Graph, outs: readonly Tensor[]): Set<number> {
  const seen = new Set<number>();
  const stack = [...outs];
  while (stack.length) {
    const t = stack.pop() as Tensor;
    if (seen.has(t.id)) continue;
    seen.add(t.id);
    stack.push(...t.inputs);
  }
  void g;
  return seen;
}

/** Builds the model and the train step in one graph. Returned for tools that want the nodes (tests, benchmarks). */
export function buildTrainStep(model: Model, loss: Loss, optimiser: Optimiser, options: CompileOptions = {}) {
  const g = new Graph({ dtype: options.dtype, seed: options.seed });
  const outputs = model.build(g);
  const { loss: l, metrics = {} } = lossOf(loss(g, outputs));
  checkScalar('loss', l);
  const ps = params(g);
  const grads = gradients(l, ps);
  const lr = g.input(LR, g.dtype, []);
  let step: Tensor | undefined;
  const result = optimiser.apply(g, ps, grads, { lr, step: () => (step ??= g.input(STEP, g.dtype, [])) });
  const allMetrics: Record<string, Tensor> = { loss: l, ...metrics, ...result.metrics };
  for (const [k, v] of Object.entries(allMetrics)) checkScalar(k, v);
  return { graph: g, params: ps, grads, loss: l, next: result.params, state: result.state, metrics: allMetrics };
}

/**
 * The train-step graph: inputs are the parameters, the optimiser state, the batch feeds and
 * `lr` (and `step` for Adam/AdamW); outputs are `<param>.next`, `<state>.next`, then `loss`
 * and the other metrics.
 */
export function compileTrainStep(model: Model, loss: Loss, optimiser: Optimiser, options: CompileOptions = {}): CompiledGraph {
  const b = buildTrainStep(model, loss, optimiser, options);
  const g = b.graph;
  const stateInputs = new Set(b.state.map((s) => s.input.id));
  const outs: NamedOutput[] = [
    ...b.params.map((p, i) => ({ name: `${p.name}.next`, tensor: b.next[i] })),
    ...b.state.map((s) => ({ name: `${s.input.name}.next`, tensor: s.next })),
    ...Object.entries(b.metrics).map(([name, tensor]) => ({ name, tensor })),
  ];
  const reach = reachable(g, outs.map((o) => o.tensor));
  const feeds = g.all.filter((t) => t.op === 'Input' && !stateInputs.has(t.id) && reach.has(t.id));
  // lr and step last, after the batch
  feeds.sort((x, y) => rank(x) - rank(y));
  const inputs = [...b.params, ...b.state.map((s) => s.input), ...feeds];
  const bytes = emitModel(inputs, outs, `${model.name}_train`);
  const paramSpecs: StateTensor[] = b.params.map((p) => ({ ...spec(p), init: g.initOf(p.name as string), next: `${p.name}.next` }));
  const stateSpecs: StateTensor[] = b.state.map((s) => ({ ...spec(s.input), init: zerosLike(g, s.input), next: `${s.input.name}.next` }));
  return {
    bytes,
    inputs: inputs.map((t) => spec(t)),
    outputs: outs.map((o) => spec(o.tensor, o.name)),
    params: paramSpecs,
    optimiserState: stateSpecs,
    feeds: feeds.map((t) => spec(t)),
    metrics: Object.entries(b.metrics).map(([name, t]) => spec(t, name)),
  };
}

function rank(t: Tensor): number {
  return t.name === LR ? 1 : t.name === STEP ? 2 : 0;
}

function zerosLike(g: Graph, t: Tensor): Float32Array | Float64Array {
  const n = (t.shape as number[]).reduce((a, b) => a * b, 1);
  return g.dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
}

export interface ForwardOptions extends CompileOptions {
  /** Which model outputs to emit (default: all). */
  readonly outputs?: readonly string[];
}

/** The inference graph: inputs are the parameters then the data feeds; outputs the model's outputs. */
export function compileForward(model: Model, options: ForwardOptions = {}): CompiledGraph {
  const g = new Graph({ dtype: options.dtype, seed: options.seed });
  const all = model.build(g);
  const names = options.outputs ?? Object.keys(all);
  const outs: NamedOutput[] = names.map((name) => {
    const tensor = all[name];
    if (!tensor) throw new GraphError('name', `model '${model.name}' has no output '${name}'; its outputs are ${Object.keys(all).join(', ')}`);
    return { name, tensor };
  });
  return finishForward(g, outs, model.name);
}

/**
 * A graph of the loss and its gradient with respect to every parameter (outputs `loss`, then
 * `grad.<param>`): for gradient checks and tools; training uses {@link compileTrainStep}.
 */
export function compileGradients(model: Model, loss: Loss, options: CompileOptions = {}): CompiledGraph {
  const g = new Graph({ dtype: options.dtype, seed: options.seed });
  const outputs = model.build(g);
  const { loss: l } = lossOf(loss(g, outputs));
  checkScalar('loss', l);
  const ps = params(g);
  const grads = gradients(l, ps);
  const outs: NamedOutput[] = [{ name: 'loss', tensor: l }, ...ps.map((p, i) => ({ name: `grad.${p.name}`, tensor: grads[i] }))];
  return finishForward(g, outs, `${model.name}_grad`);
}

function finishForward(g: Graph, outs: readonly NamedOutput[], name: string): CompiledGraph {
  const reach = reachable(g, outs.map((o) => o.tensor));
  const ps = params(g).filter((p) => reach.has(p.id));
  const feeds = g.all.filter((t) => t.op === 'Input' && reach.has(t.id));
  const inputs = [...ps, ...feeds];
  return {
    bytes: emitModel(inputs, outs, name),
    inputs: inputs.map((t) => spec(t)),
    outputs: outs.map((o) => spec(o.tensor, o.name)),
    params: ps.map((p) => ({ ...spec(p), init: g.initOf(p.name as string) })),
    optimiserState: [],
    feeds: feeds.map((t) => spec(t)),
    metrics: outs.filter((o) => o.tensor.rank === 0).map((o) => spec(o.tensor, o.name)),
  };
}

/**
 * Cross-entropy on the model output `logits` ([..., C]) against int64 labels of the leading
 * shape, fed as `labels` (and an optional float `mask` of the same shape).
 */
export function crossEntropyLoss(options: { readonly logits?: string; readonly labels?: string; readonly mask?: string } = {}): Loss {
  return (g, outputs) => {
    const logits = outputs[options.logits ?? 'logits'];
    if (!logits) throw new GraphError('name', `crossEntropyLoss: the model has no output '${options.logits ?? 'logits'}'`);
    const lead = logits.shape.slice(0, -1);
    const labels = g.input(options.labels ?? 'labels', 'int64', lead);
    const mask = options.mask ? g.input(options.mask, g.dtype, lead) : undefined;
    return softmaxCrossEntropy(logits, labels, mask);
  };
}
