// A W1 (mlp-bc) train step written by hand as one ONNX graph (forward, softmax cross-entropy,
// backward, Adam), the reference the graph compiler is measured against: a compiled step should
// lose nothing to it (PERF-ANCHORS: a hand-built W1 step ran at 1.72x the best PyTorch).
import onnxProto from 'onnx-proto';
import type { CompiledGraph, StateTensor, TensorSpec } from '../../learners/graph/compiled.js';
import { Rng } from '../../scenarios/random.js';

const { onnx } = onnxProto;
const F = onnx.TensorProto.DataType.FLOAT;
const I64 = onnx.TensorProto.DataType.INT64;

type Node = ReturnType<typeof onnx.NodeProto.create>;

export function handBuiltMlpBc(seed: number, dims = [128, 256, 256, 32]): CompiledGraph {
  const rng = Rng.from(seed);
  const nodes: Node[] = [];
  let k = 0;
  const op = (type: string, inputs: string[], attrs: Record<string, number | number[]> = {}, out = `t${k++}`): string => {
    nodes.push(
      onnx.NodeProto.create({
        opType: type,
        input: inputs,
        output: [out],
        name: `${type}_${out}`,
        attribute: Object.entries(attrs).map(([name, v]) =>
          Array.isArray(v) ? onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INTS, ints: v }) : onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INT, i: v }),
        ),
      }),
    );
    return out;
  };
  const inits = [
    onnx.TensorProto.create({ name: 'axis0', dataType: I64, dims: [1], int64Data: [0] }),
    onnx.TensorProto.create({ name: 'zero', dataType: I64, dims: [], int64Data: [0] }),
    onnx.TensorProto.create({ name: 'onehot_depth', dataType: I64, dims: [1], int64Data: [dims[dims.length - 1]] }),
    onnx.TensorProto.create({ name: 'onehot_values', dataType: F, dims: [2], floatData: [0, 1] }),
  ];
  const constF = (name: string, v: number) => {
    inits.push(onnx.TensorProto.create({ name, dataType: F, dims: [], floatData: [v] }));
    return name;
  };
  const [one, b1, b2, eps, nb1, nb2] = [constF('one', 1), constF('beta1', 0.9), constF('beta2', 0.999), constF('eps', 1e-8), constF('one_m_beta1', 0.1), constF('one_m_beta2', 0.001)];

  // parameters: Linear weights uniform(±1/sqrt(fan_in)), zero biases (same scheme as the peers)
  const params: StateTensor[] = [];
  const state: StateTensor[] = [];
  for (let l = 0; l + 1 < dims.length; l++) {
    const bound = 1 / Math.sqrt(dims[l]);
    params.push({ name: `w${l}`, dtype: 'float32', shape: [dims[l], dims[l + 1]], init: Float32Array.from({ length: dims[l] * dims[l + 1] }, () => rng.uniform(-bound, bound)), next: `w${l}.next` });
    params.push({ name: `b${l}`, dtype: 'float32', shape: [dims[l + 1]], init: new Float32Array(dims[l + 1]), next: `b${l}.next` });
  }
  for (const m of ['m', 'v']) for (const p of params) state.push({ ...p, name: `${m}.${p.name}`, init: new Float32Array(p.init.length), next: `${m}.${p.name}.next` });

  const x: TensorSpec = { name: 'x', dtype: 'float32', shape: ['batch', dims[0]] };
  const labels: TensorSpec = { name: 'labels', dtype: 'int64', shape: ['batch'] };
  const lr: TensorSpec = { name: 'lr', dtype: 'float32', shape: [] };
  const step: TensorSpec = { name: 'step', dtype: 'float32', shape: [] };
  const loss: TensorSpec = { name: 'loss', dtype: 'float32', shape: [] };

  // forward
  const acts = ['x'];
  const pre: string[] = [];
  let h = 'x';
  const L = dims.length - 1;
  for (let l = 0; l < L; l++) {
    const z = op('Add', [op('MatMul', [h, `w${l}`]), `b${l}`]);
    pre.push(z);
    h = l < L - 1 ? op('Relu', [z]) : z;
    if (l < L - 1) acts.push(h);
  }
  // softmax cross-entropy, mean over the batch
  const logp = op('LogSoftmax', [h], { axis: 1 });
  const onehot = op('OneHot', ['labels', 'onehot_depth', 'onehot_values'], { axis: -1 });
  const n = op('Cast', [op('Gather', [op('Shape', ['x']), 'zero'], { axis: 0 })], { to: F });
  op('Div', [op('Neg', [op('ReduceSum', [op('Mul', [logp, onehot])], { keepdims: 0 })]), n], {}, 'loss');
  // backward
  let g = op('Div', [op('Sub', [op('Exp', [logp]), onehot]), n]);
  const grads = new Map<string, string>();
  for (let l = L - 1; l >= 0; l--) {
    grads.set(`w${l}`, op('MatMul', [op('Transpose', [acts[l]]), g]));
    grads.set(`b${l}`, op('ReduceSum', [g, 'axis0'], { keepdims: 0 }));
    if (l > 0) g = op('Mul', [op('MatMul', [g, op('Transpose', [`w${l}`])]), op('Sign', [acts[l]])]);
  }
  // Adam (PyTorch's form): p -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps)
  const c1 = op('Div', ['lr', op('Sub', [one, op('Pow', [b1, 'step'])])]);
  const c2 = op('Div', [one, op('Sqrt', [op('Sub', [one, op('Pow', [b2, 'step'])])])]);
  for (const p of params) {
    const gp = grads.get(p.name) as string;
    const m = op('Add', [op('Mul', [`m.${p.name}`, b1]), op('Mul', [gp, nb1])], {}, `m.${p.name}.next`);
    const v = op('Add', [op('Mul', [`v.${p.name}`, b2]), op('Mul', [op('Mul', [gp, gp]), nb2])], {}, `v.${p.name}.next`);
    const denom = op('Add', [op('Mul', [op('Sqrt', [v]), c2]), eps]);
    op('Sub', [p.name, op('Mul', [op('Div', [m, denom]), c1])], {}, `${p.name}.next`);
  }

  const vi = (s: TensorSpec) =>
    onnx.ValueInfoProto.create({
      name: s.name,
      type: { tensorType: { elemType: s.dtype === 'int64' ? I64 : F, shape: { dim: s.shape.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) } } },
    });
  const all = [...params, ...state];
  const inputs = [...all, x, labels, lr, step];
  const outputs: TensorSpec[] = [...all.map((s) => ({ name: s.next as string, dtype: s.dtype, shape: s.shape })), loss];
  const graph = onnx.GraphProto.create({ name: 'mlp_bc_hand', input: inputs.map(vi), output: outputs.map(vi), node: nodes, initializer: inits });
  const bytes = onnx.ModelProto.encode(onnx.ModelProto.create({ irVersion: 8, opsetImport: [{ domain: '', version: 17 }], producerName: 'reverie-bench', graph })).finish();
  return { bytes, inputs, outputs, params, optimiserState: state, feeds: [x, labels, lr, step], metrics: [loss] };
}
