/**
 * The runtime's own small ONNX models (one-node Identity graphs that move tensors between host and
 * device) and the export of an inference graph with its weights baked in as initializers.
 */
import onnxProto from 'onnx-proto';
import type { DType, TensorSpec, StateTensor } from '../graph/compiled.js';

const { onnx } = onnxProto;

export type HostArray = Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array;

const ELEM: Record<DType, number> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  float64: onnx.TensorProto.DataType.DOUBLE,
  int64: onnx.TensorProto.DataType.INT64,
  int32: onnx.TensorProto.DataType.INT32,
  bool: onnx.TensorProto.DataType.BOOL,
};

/** The ONNX element type of a dtype (TensorProto.DataType). */
export function elemType(dtype: DType): number {
  return ELEM[dtype];
}

function valueInfo(name: string, dtype: DType, shape?: readonly (number | string)[]) {
  return onnx.ValueInfoProto.create({
    name,
    type: {
      tensorType: {
        elemType: ELEM[dtype],
        // no shape: every rank, so one model moves every tensor of this dtype
        shape: shape ? { dim: shape.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) } : undefined,
      },
    },
  });
}

/** A model with one input `x` and one output `y = Identity(x)`, for any shape of the given dtype. */
export function identityModel(dtype: DType): Uint8Array {
  const graph = onnx.GraphProto.create({
    name: `reverie_identity_${dtype}`,
    input: [valueInfo('x', dtype)],
    output: [valueInfo('y', dtype)],
    node: [onnx.NodeProto.create({ opType: 'Identity', input: ['x'], output: ['y'], name: 'identity' })],
  });
  const model = onnx.ModelProto.create({ irVersion: 8, opsetImport: [{ domain: '', version: 17 }], producerName: 'reverie-runtime', graph });
  return onnx.ModelProto.encode(model).finish();
}

function bytesOf(a: HostArray): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/**
 * An inference model from a forward graph: each parameter input becomes an initializer holding
 * its trained value, so the result is plain ONNX that any runtime loads with only the data inputs.
 *
 * @param forward serialized forward ModelProto
 * @param params  the forward graph's parameter inputs (names, dtypes, shapes)
 * @param values  the value of every parameter, by name
 */
export function bakeParameters(forward: Uint8Array, params: readonly (TensorSpec | StateTensor)[], values: ReadonlyMap<string, HostArray>): Uint8Array {
  const model = onnx.ModelProto.decode(forward);
  const graph = model.graph;
  if (!graph?.input || !graph.initializer) throw new Error('export: the forward model has no graph');
  const initializers = graph.initializer;
  const names = new Set(params.map((p) => p.name));
  const inputNames = new Set(graph.input.map((i) => i.name));
  for (const p of params) {
    if (!inputNames.has(p.name)) throw new Error(`export: parameter '${p.name}' is not an input of the forward graph; compile the forward graph from the same model`);
    const v = values.get(p.name);
    if (!v) throw new Error(`export: no value for parameter '${p.name}'`);
    const dims = p.shape.map((d) => {
      if (typeof d !== 'number') throw new Error(`export: parameter '${p.name}' has a symbolic dimension '${d}'; parameters need fixed shapes`);
      return d;
    });
    const count = dims.reduce((a, b) => a * b, 1);
    if (v.length !== count) throw new Error(`export: parameter '${p.name}' has ${v.length} values, its shape [${dims}] needs ${count}`);
    initializers.push(onnx.TensorProto.create({ name: p.name, dataType: ELEM[p.dtype], dims, rawData: bytesOf(v).slice() }));
  }
  graph.input = (graph.input ?? []).filter((i) => !names.has(i.name ?? ''));
  model.producerName = 'reverie';
  return onnx.ModelProto.encode(model).finish();
}
