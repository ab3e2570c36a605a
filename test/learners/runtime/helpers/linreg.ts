// Hand-built ONNX graphs for testing the runtime before (and apart from) the graph compiler:
// linear regression trained by SGD with momentum, as one train-step graph plus its forward graph.
import onnxProto from 'onnx-proto';
import type { CompiledGraph, StateTensor, TensorSpec } from '../../../../learners/graph/compiled.js';
import { Rng } from '../../../../scenarios/random.js';

const { onnx } = onnxProto;
const F = onnx.TensorProto.DataType.FLOAT;

const vi = (s: TensorSpec) =>
  onnx.ValueInfoProto.create({
    name: s.name,
    type: { tensorType: { elemType: F, shape: { dim: s.shape.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) } } },
  });
const node = (op: string, input: string[], output: string[], ints: Record<string, number> = {}) =>
  onnx.NodeProto.create({
    opType: op,
    input,
    output,
    name: `${op}_${output[0]}`,
    attribute: Object.entries(ints).map(([name, i]) => onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INT, i })),
  });
const scalarInit = (name: string, v: number) => onnx.TensorProto.create({ name, dataType: F, dims: [], floatData: [v] });

function model(name: string, inputs: TensorSpec[], outputs: TensorSpec[], nodes: ReturnType<typeof node>[], inits: ReturnType<typeof scalarInit>[]): Uint8Array {
  const graph = onnx.GraphProto.create({ name, input: inputs.map(vi), output: outputs.map(vi), node: nodes, initializer: inits });
  return onnx.ModelProto.encode(onnx.ModelProto.create({ irVersion: 8, opsetImport: [{ domain: '', version: 17 }], producerName: 'reverie-test', graph })).finish();
}

export interface Linreg {
  readonly train: CompiledGraph;
  readonly forward: CompiledGraph;
  /** A batch (x, y) from a fixed true model y = x·w* + 0.5, drawn with rng. */
  batch(rng: Rng, n: number): { x: Float32Array; y: Float32Array };
}

/** Linear regression with D features (hidden width H, tanh, so the model is not trivially linear), SGD with momentum 0.9. */
export function linreg(D = 8, H = 16, seed = 1): Linreg {
  const rng = Rng.from(seed);
  const init = (n: number, scale: number) => Float32Array.from({ length: n }, () => rng.normal(0, scale));
  const p = (name: string, shape: number[], data: Float32Array): StateTensor => ({ name, dtype: 'float32', shape, init: data, next: `${name}.next` });
  const params = [p('w1', [D, H], init(D * H, 1 / Math.sqrt(D))), p('b1', [H], new Float32Array(H)), p('w2', [H, 1], init(H, 1 / Math.sqrt(H))), p('b2', [1], new Float32Array(1))];
  const moments = params.map((q) => p(`m.${q.name}`, q.shape as number[], new Float32Array(q.init.length)));
  const x: TensorSpec = { name: 'x', dtype: 'float32', shape: ['batch', D] };
  const y: TensorSpec = { name: 'y', dtype: 'float32', shape: ['batch', 1] };
  const lr: TensorSpec = { name: 'lr', dtype: 'float32', shape: [] };
  const step: TensorSpec = { name: 'step', dtype: 'float32', shape: [] };
  const loss: TensorSpec = { name: 'loss', dtype: 'float32', shape: [] };
  const stepSeen: TensorSpec = { name: 'step_seen', dtype: 'float32', shape: [] };
  const pred: TensorSpec = { name: 'pred', dtype: 'float32', shape: ['batch', 1] };
  const fwdNodes = [node('MatMul', ['x', 'w1'], ['xw1']), node('Add', ['xw1', 'b1'], ['a1']), node('Tanh', ['a1'], ['h']), node('MatMul', ['h', 'w2'], ['hw2']), node('Add', ['hw2', 'b2'], ['pred'])];
  const nodes = [
    ...fwdNodes,
    node('Sub', ['pred', 'y'], ['err']),
    node('Mul', ['err', 'err'], ['sq']),
    node('ReduceMean', ['sq'], ['loss'], { keepdims: 0 }),
    // d loss / d pred = 2 err / N
    node('Shape', ['x'], ['xs']),
    node('Gather', ['xs', 'zero'], ['n_i'], { axis: 0 }),
    node('Cast', ['n_i'], ['n'], { to: F }),
    node('Div', ['two', 'n'], ['k']),
    node('Mul', ['err', 'k'], ['g_pred']),
    node('Transpose', ['h'], ['hT']),
    node('MatMul', ['hT', 'g_pred'], ['g_w2']),
    node('ReduceSum', ['g_pred', 'axis0'], ['g_b2'], { keepdims: 0 }),
    node('Transpose', ['w2'], ['w2T']),
    node('MatMul', ['g_pred', 'w2T'], ['g_h']),
    node('Mul', ['h', 'h'], ['h2']),
    node('Sub', ['one', 'h2'], ['dtanh']),
    node('Mul', ['g_h', 'dtanh'], ['g_a1']),
    node('Transpose', ['x'], ['xT']),
    node('MatMul', ['xT', 'g_a1'], ['g_w1']),
    node('ReduceSum', ['g_a1', 'axis0'], ['g_b1'], { keepdims: 0 }),
    ...params.flatMap((q) => [
      node('Mul', [`m.${q.name}`, 'mu'], [`mm.${q.name}`]),
      node('Add', [`mm.${q.name}`, `g_${q.name}`], [`m.${q.name}.next`]),
      node('Mul', [`m.${q.name}.next`, 'lr'], [`u.${q.name}`]),
      node('Sub', [q.name, `u.${q.name}`], [`${q.name}.next`]),
    ]),
    node('Identity', ['step'], ['step_seen']),
  ];
  const inits = [
    scalarInit('two', 2),
    scalarInit('one', 1),
    scalarInit('mu', 0.9),
    onnx.TensorProto.create({ name: 'zero', dataType: onnx.TensorProto.DataType.INT64, dims: [], int64Data: [0] }),
    onnx.TensorProto.create({ name: 'axis0', dataType: onnx.TensorProto.DataType.INT64, dims: [1], int64Data: [0] }),
  ];
  const state = [...params, ...moments];
  const trainOutputs: TensorSpec[] = [...state.map((s) => ({ name: s.next as string, dtype: s.dtype, shape: s.shape })), loss, stepSeen];
  const train: CompiledGraph = {
    bytes: model('linreg_train', [...state, x, y, lr, step], trainOutputs, nodes, inits),
    inputs: [...state, x, y, lr, step],
    outputs: trainOutputs,
    params,
    optimiserState: moments,
    feeds: [x, y, lr, step],
    metrics: [loss, stepSeen],
  };
  const fparams = params.map(({ next: _next, ...rest }) => rest);
  const forward: CompiledGraph = {
    bytes: model('linreg_forward', [...fparams, x], [pred], fwdNodes, []),
    inputs: [...fparams, x],
    outputs: [pred],
    params: fparams,
    optimiserState: [],
    feeds: [x],
    metrics: [],
  };
  const wStar = Float32Array.from({ length: D }, (_, i) => Math.sin(i + 1));
  return {
    train,
    forward,
    batch(r: Rng, n: number) {
      const xs = new Float32Array(n * D);
      const ys = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        let s = 0.5;
        for (let j = 0; j < D; j++) {
          const v = r.normal();
          xs[i * D + j] = v;
          s += v * wStar[j];
        }
        ys[i] = s;
      }
      return { x: xs, y: ys };
    },
  };
}
