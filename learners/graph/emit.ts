/**
 * Graph -> ONNX ModelProto bytes (ai.onnx opset 20, IR version 9) through the `onnx-proto`
 * protobuf types. Constants become initializers; shapes are folded into constant inputs
 * (Reshape, Expand, Slice, Pad, reduction axes), using run-time `Shape` only where a symbolic
 * size must be broadcast to. Operators onnxruntime's CPU provider lacks in float64 (Erf, and so
 * exact GELU) are composed from supported ones in float64 graphs.
 */
import onnxProto from 'onnx-proto';
import type { DType, Dim, TensorSpec } from './compiled.js';
import { fmt } from './dims.js';
import { GraphError } from './errors.js';
import type { ConstData, Tensor } from './graph.js';

const { onnx } = onnxProto;
type NodeProto = InstanceType<typeof onnx.NodeProto>;
type AttributeProto = InstanceType<typeof onnx.AttributeProto>;
type TensorProto = InstanceType<typeof onnx.TensorProto>;

export const OPSET = 20;
export const IR_VERSION = 9;

const ELEM: Record<DType, number> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  float64: onnx.TensorProto.DataType.DOUBLE,
  int64: onnx.TensorProto.DataType.INT64,
  int32: onnx.TensorProto.DataType.INT32,
  bool: onnx.TensorProto.DataType.BOOL,
};

export interface NamedOutput {
  readonly name: string;
  readonly tensor: Tensor;
}

function attrInt(name: string, i: number): AttributeProto {
  return onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INT, i });
}
function attrInts(name: string, ints: readonly number[]): AttributeProto {
  return onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INTS, ints: [...ints] });
}
function attrFloat(name: string, f: number): AttributeProto {
  return onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.FLOAT, f });
}
function attrString(name: string, s: string): AttributeProto {
  return onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.STRING, s: new TextEncoder().encode(s) });
}

function valueInfo(spec: TensorSpec) {
  return onnx.ValueInfoProto.create({
    name: spec.name,
    type: { tensorType: { elemType: ELEM[spec.dtype], shape: { dim: spec.shape.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) } } },
  });
}

function tensorProto(name: string, dtype: DType, dims: readonly number[], data: ConstData): TensorProto {
  return onnx.TensorProto.create({ name, dataType: ELEM[dtype], dims: [...dims], rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice() });
}

/** Writes nodes; one instance per emitted model. */
class Emitter {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  private readonly names = new Map<number, string>();
  private readonly consts = new Map<string, string>();
  private counter = 0;

  constructor(private readonly outputNames: ReadonlyMap<number, string>) {}

  nameOf(t: Tensor): string {
    const known = this.names.get(t.id);
    if (known) return known;
    const name = t.name ?? this.outputNames.get(t.id) ?? (t.op === 'Const' ? `c${t.id}` : `t${t.id}`);
    this.names.set(t.id, name);
    return name;
  }

  fresh(hint: string): string {
    return `${hint}_${this.counter++}`;
  }

  add(opType: string, inputs: readonly string[], output: string, attribute: AttributeProto[] = []): string {
    this.nodes.push(onnx.NodeProto.create({ opType, input: [...inputs], output: [output], attribute, name: output }));
    return output;
  }

  /** An interned constant initializer. */
  constant(dtype: DType, dims: readonly number[], values: readonly number[]): string {
    const key = `${dtype}|${dims.join(',')}|${values.join(',')}`;
    const hit = this.consts.get(key);
    if (hit) return hit;
    const name = `k${this.consts.size}`;
    const data: ConstData =
      dtype === 'int64' ? BigInt64Array.from(values, (v) => BigInt(v)) : dtype === 'float64' ? Float64Array.from(values) : dtype === 'int32' ? Int32Array.from(values) : dtype === 'bool' ? Uint8Array.from(values) : Float32Array.from(values);
    this.initializers.push(tensorProto(name, dtype, dims, data));
    this.consts.set(key, name);
    return name;
  }

  ints(values: readonly number[]): string {
    return this.constant('int64', [values.length], values);
  }

  scalar(dtype: DType, v: number): string {
    return this.constant(dtype, [], [v]);
  }

  emit(t: Tensor): void {
    const out = this.nameOf(t);
    const ins = t.inputs.map((x) => this.nameOf(x));
    const a = t.attrs;
    switch (t.op) {
      case 'Input':
      case 'Param':
        return;
      case 'Const':
        this.initializers.push(tensorProto(out, t.dtype, t.shape as number[], t.value as ConstData));
        return;
      case 'Erf':
        if (t.dtype === 'float64') this.erf64(ins[0], out);
        else this.add('Erf', ins, out);
        return;
      case 'Gelu':
        if (t.dtype === 'float64' && a.approximate !== 'tanh') {
          // x/2 (1 + erf(x/√2)), composed: onnxruntime's CPU provider has no float64 Erf
          const e = this.erf64(this.add('Mul', [ins[0], this.scalar('float64', Math.SQRT1_2)], this.fresh(`${out}_s`)), this.fresh(`${out}_erf`));
          const h = this.add('Add', [e, this.scalar('float64', 1)], this.fresh(`${out}_h`));
          const hx = this.add('Mul', [h, ins[0]], this.fresh(`${out}_hx`));
          this.add('Mul', [hx, this.scalar('float64', 0.5)], out);
        } else this.add('Gelu', ins, out, [attrString('approximate', a.approximate as string)]);
        return;
      case 'Clip': {
        const lo = a.min as number;
        const hi = a.max as number;
        this.add('Clip', [ins[0], lo > -Infinity ? this.scalar(t.dtype, lo) : '', hi < Infinity ? this.scalar(t.dtype, hi) : ''], out);
        return;
      }
      case 'StopGradient':
        this.add('Identity', ins, out);
        return;
      case 'Cast':
        this.add('Cast', ins, out, [attrInt('to', ELEM[a.to as DType])]);
        return;
      case 'Gemm': {
        const attrs: AttributeProto[] = [];
        if (a.transA === 1) attrs.push(attrInt('transA', 1));
        if (a.transB === 1) attrs.push(attrInt('transB', 1));
        if (a.alpha !== undefined) attrs.push(attrFloat('alpha', a.alpha as number));
        this.add('Gemm', ins, out, attrs);
        return;
      }
      case 'ReduceSum':
      case 'ReduceMean':
      case 'ReduceMax':
      case 'ReduceLogSumExp':
      case 'ReduceSumSquare':
        this.add(t.op, [ins[0], this.ints(a.axes as number[])], out, [attrInt('keepdims', a.keepdims as number)]);
        return;
      case 'Softmax':
      case 'LogSoftmax':
      case 'Concat':
      case 'Gather':
        this.add(t.op, ins, out, [attrInt('axis', a.axis as number)]);
        return;
      case 'Transpose':
        this.add('Transpose', ins, out, [attrInts('perm', a.perm as number[])]);
        return;
      case 'Reshape':
        this.add('Reshape', [ins[0], this.ints(reshapeSpec(t.inputs[0].shape, t.shape, t))], out);
        return;
      case 'Slice':
        this.add('Slice', [ins[0], this.ints(a.starts as number[]), this.ints(a.ends as number[]), this.ints(a.axes as number[])], out);
        return;
      case 'Pad':
        this.add('Pad', [ins[0], this.ints(a.pads as number[])], out);
        return;
      case 'Expand': {
        const spec = expandSpec(t.inputs[0].shape, t.shape);
        if (spec) this.add('Expand', [ins[0], this.ints(spec)], out);
        else {
          if (t.inputs.length < 2) throw new GraphError('unsupported', `Expand to ${fmt(t.shape)} at ${t.describe()} needs a tensor of that shape to read symbolic sizes from`);
          this.add('Expand', [ins[0], this.add('Shape', [ins[1]], this.fresh(`${out}_shape`))], out);
        }
        return;
      }
      default:
        this.add(t.op, ins, out);
    }
  }

  /** erf in float64 from supported operators: Taylor series for |x| < 2.5, continued fraction of erfc beyond (|error| < 1e-14). */
  private erf64(x: string, out: string): string {
    const f = (h: string) => this.fresh(`${out}_${h}`);
    const c = (v: number) => this.scalar('float64', v);
    const ax = this.add('Abs', [x], f('abs'));
    const sign = this.add('Sign', [x], f('sign'));
    const split = 2.5;
    // Taylor: erf z = 2/√π Σ (-1)^n z^(2n+1) / (n! (2n+1)), by Horner in z²
    const z = this.add('Min', [ax, c(split)], f('z'));
    const z2 = this.add('Mul', [z, z], f('z2'));
    const terms = 45;
    const coef: number[] = [];
    let fact = 1;
    for (let n = 0; n <= terms; n++) {
      if (n > 0) fact *= n;
      coef.push(((n % 2 ? -1 : 1) / (fact * (2 * n + 1))) * (2 / Math.sqrt(Math.PI)));
    }
    let p = c(coef[terms]);
    for (let n = terms - 1; n >= 0; n--) p = this.add('Add', [this.add('Mul', [p, z2], f('hm')), c(coef[n])], f('ha'));
    const taylor = this.add('Mul', [z, p], f('taylor'));
    // erfc w = e^(-w²)/√π · 1/(w + (1/2)/(w + 1/(w + (3/2)/(w + ...)))), evaluated bottom-up
    const w = this.add('Max', [ax, c(split)], f('w'));
    let cf = w;
    for (let k = 60; k >= 1; k--) cf = this.add('Add', [w, this.add('Div', [c(k / 2), cf], f('cd'))], f('ca'));
    const w2 = this.add('Neg', [this.add('Mul', [w, w], f('w2'))], f('nw2'));
    const erfc = this.add('Div', [this.add('Exp', [w2], f('e')), this.add('Mul', [cf, c(Math.sqrt(Math.PI))], f('cs'))], f('erfc'));
    const tail = this.add('Sub', [c(1), erfc], f('tail'));
    const small = this.add('Less', [ax, c(split)], f('small'));
    const mag = this.add('Where', [small, taylor, tail], f('mag'));
    return this.add('Mul', [sign, mag], out);
  }
}

/** Reshape's shape input: numbers, 0 (copy) where a symbolic size stays in place, one -1 for the rest. */
function reshapeSpec(from: readonly Dim[], to: readonly Dim[], t: Tensor): number[] {
  let free = 0;
  const spec = to.map((d, i) => {
    if (typeof d === 'number') return d;
    if (from[i] === d) return 0;
    free++;
    return -1;
  });
  if (free > 1) throw new GraphError('unsupported', `Reshape ${fmt(from)} -> ${fmt(to)} at ${t.describe()}: more than one symbolic size moves; reshape in steps`);
  return spec;
}

/** Expand's shape input when it can be a constant (symbolic sizes already present in the input), else undefined. */
function expandSpec(from: readonly Dim[], to: readonly Dim[]): number[] | undefined {
  const lead = to.length - from.length;
  const spec: number[] = [];
  for (let i = 0; i < to.length; i++) {
    const d = to[i];
    if (typeof d === 'number') spec.push(d);
    else if (i >= lead && from[i - lead] === d) spec.push(1);
    else return undefined;
  }
  return spec;
}

/**
 * Serialises the part of the graph that `outputs` depend on. `inputs` lists the graph inputs
 * in order (Input and Param nodes); every leaf the outputs reach must be among them.
 */
export function emitModel(inputs: readonly Tensor[], outputs: readonly NamedOutput[], graphName = 'reverie'): Uint8Array {
  const outputNames = new Map<number, string>();
  const identities: NamedOutput[] = [];
  const used = new Set<string>(inputs.map((i) => i.name as string));
  for (const o of outputs) {
    if (used.has(o.name)) throw new GraphError('name', `output name '${o.name}' is already an input or output name`);
    used.add(o.name);
    if (o.tensor.op === 'Input' || o.tensor.op === 'Param' || o.tensor.op === 'Const' || outputNames.has(o.tensor.id)) identities.push(o);
    else outputNames.set(o.tensor.id, o.name);
  }
  const seen = new Set<number>();
  const order: Tensor[] = [];
  const stack = outputs.map((o) => o.tensor);
  while (stack.length) {
    const t = stack.pop() as Tensor;
    if (seen.has(t.id)) continue;
    seen.add(t.id);
    order.push(t);
    for (const x of t.inputs) stack.push(x);
  }
  order.sort((a, b) => a.id - b.id);
  const declared = new Set(inputs.map((i) => i.id));
  for (const t of order) {
    if ((t.op === 'Input' || t.op === 'Param') && !declared.has(t.id)) throw new GraphError('name', `the outputs depend on ${t.describe()}, which is not among the graph's declared inputs`);
  }
  const e = new Emitter(outputNames);
  for (const t of order) e.emit(t);
  for (const o of identities) e.add('Identity', [e.nameOf(o.tensor)], o.name);
  const graph = onnx.GraphProto.create({
    name: graphName,
    node: e.nodes,
    initializer: e.initializers,
    input: inputs.map((t) => valueInfo({ name: t.name as string, dtype: t.dtype, shape: t.shape })),
    output: outputs.map((o) => valueInfo({ name: o.name, dtype: o.tensor.dtype, shape: o.tensor.shape })),
  });
  const model = onnx.ModelProto.create({ irVersion: IR_VERSION, opsetImport: [{ domain: '', version: OPSET }], producerName: 'reverie', graph });
  return onnx.ModelProto.encode(model).finish();
}

