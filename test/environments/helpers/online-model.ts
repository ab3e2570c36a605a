// Inference ONNX models for the online sources' tests and bench, written with onnx-proto directly
// (environments may not import learners): an MLP x[B,F] → (MatMul+Add, Relu)* → logits[B,A].
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import type { InferFn } from '../../../environments/online/types.js';
import { Rng } from '../../../scenarios/random.js';

const { onnx } = onnxProto;
const F32 = onnx.TensorProto.DataType.FLOAT;

/**
 * An MLP with fixed random weights (normal, scale / sqrt(fan-in)) and zero biases. `hidden: []` is
 * a linear policy; `scale: 0` gives all-zero logits (the uniform policy over valid actions).
 */
export function mlpModel(obsSize: number, numActions: number, opts: { hidden?: number[]; seed?: number; scale?: number } = {}): Uint8Array {
  const dims = [obsSize, ...(opts.hidden ?? []), numActions];
  const rng = Rng.from(opts.seed ?? 1);
  const scale = opts.scale ?? 1;
  const nodes: ReturnType<typeof onnx.NodeProto.create>[] = [];
  const inits: ReturnType<typeof onnx.TensorProto.create>[] = [];
  let h = 'x';
  for (let l = 0; l + 1 < dims.length; l++) {
    const [i, o] = [dims[l], dims[l + 1]];
    const w = Float32Array.from({ length: i * o }, () => rng.normal(0, scale / Math.sqrt(i)));
    inits.push(onnx.TensorProto.create({ name: `w${l}`, dataType: F32, dims: [i, o], rawData: new Uint8Array(w.buffer) }));
    inits.push(onnx.TensorProto.create({ name: `b${l}`, dataType: F32, dims: [o], rawData: new Uint8Array(new Float32Array(o).buffer) }));
    const last = l + 2 === dims.length;
    const z = last ? 'logits' : `z${l}`;
    nodes.push(onnx.NodeProto.create({ opType: 'MatMul', input: [h, `w${l}`], output: [`m${l}`], name: `mm${l}` }));
    nodes.push(onnx.NodeProto.create({ opType: 'Add', input: [`m${l}`, `b${l}`], output: [z], name: `add${l}` }));
    if (!last) nodes.push(onnx.NodeProto.create({ opType: 'Relu', input: [z], output: [`h${l}`], name: `relu${l}` }));
    h = `h${l}`;
  }
  const vi = (name: string, d: number) => onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType: F32, shape: { dim: [{ dimParam: 'batch' }, { dimValue: d }] } } } });
  const graph = onnx.GraphProto.create({ name: 'online_test_mlp', input: [vi('x', obsSize)], output: [vi('logits', numActions)], node: nodes, initializer: inits });
  return onnx.ModelProto.encode(onnx.ModelProto.create({ irVersion: 8, opsetImport: [{ domain: '', version: 17 }], producerName: 'reverie-test', graph })).finish();
}

/** The learner side of central inference in tests: an InferFn over an onnxruntime session, counting its calls and rows. */
export async function sessionInfer(model: Uint8Array, version = 1): Promise<{ infer: InferFn; calls: number[]; setVersion(v: number): void; release(): Promise<void> }> {
  const session = await ort.InferenceSession.create(model, { intraOpNumThreads: 1, interOpNumThreads: 1, executionProviders: ['cpu'] });
  const calls: number[] = [];
  let v = version;
  const infer: InferFn = async (obs, rows) => {
    calls.push(rows);
    const out = await session.run({ x: new ort.Tensor('float32', obs, [rows, obs.length / rows]) });
    return { logits: out.logits.data as Float32Array, version: v };
  };
  return { infer, calls, setVersion: (x) => { v = x; }, release: () => session.release() };
}
