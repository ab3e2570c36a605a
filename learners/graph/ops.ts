/**
 * The closed set of operators the builder records, grouped like tinygrad's `Ops`, and their
 * shape and dtype inference. Every operator here maps to standard ai.onnx operators (opset 20)
 * in `emit.ts`; attributes are plain data so nodes can be interned by value.
 */
import type { DType, Dim } from './compiled.js';
import { axisOf, broadcast, dimDivide, dimProduct, fmt, type Shape } from './dims.js';
import { GraphError } from './errors.js';

export const UNARY_OPS = ['Neg', 'Sqrt', 'Exp', 'Log', 'Tanh', 'Sigmoid', 'Relu', 'Erf', 'Abs', 'Sign', 'Reciprocal', 'Gelu'] as const;
export const BINARY_OPS = ['Add', 'Sub', 'Mul', 'Div', 'Pow', 'Min', 'Max'] as const;
export const COMPARE_OPS = ['Equal', 'Less', 'Greater', 'LessOrEqual', 'GreaterOrEqual', 'And', 'Or'] as const;
export const REDUCE_OPS = ['ReduceSum', 'ReduceMean', 'ReduceMax', 'ReduceLogSumExp', 'ReduceSumSquare'] as const;

export type UnaryOp = (typeof UNARY_OPS)[number];
export type BinaryOp = (typeof BINARY_OPS)[number];
export type CompareOp = (typeof COMPARE_OPS)[number];
export type ReduceOp = (typeof REDUCE_OPS)[number];

export type Op =
  // leaves
  | 'Input' // a feed: batch data, labels, masks, lr, step
  | 'Param' // a trainable parameter (a graph input whose value the runtime keeps resident)
  | 'Const' // a constant (an initializer)
  // elementwise
  | UnaryOp
  | BinaryOp
  | CompareOp
  | 'Not'
  | 'Clip' // attrs min, max (numbers; ±Infinity for none)
  | 'Where' // (cond, a, b)
  | 'Cast' // attrs to
  | 'StopGradient' // the input's value, with no gradient through it (emitted as Identity)
  // linear algebra
  | 'MatMul' // numpy matmul of rank >= 2 operands
  | 'Gemm' // 2-D: alpha op(A) op(B) (+ C); attrs transA, transB, alpha (absent when 1)
  // reductions and normalisers
  | ReduceOp // attrs axes (sorted, non-negative), keepdims (0 | 1)
  | 'Softmax'
  | 'LogSoftmax' // attrs axis
  // data movement
  | 'Reshape' // attrs shape
  | 'Transpose' // attrs perm
  | 'Concat' // attrs axis
  | 'Slice' // attrs starts, ends, axes (step 1)
  | 'Pad' // attrs pads (zero padding, ONNX order: begins then ends)
  | 'Expand' // (x) or (x, like): broadcast x to attrs shape; `like` gives symbolic sizes at run time
  | 'Gather' // (data, indices) attrs axis
  | 'Size'; // the number of elements, int64 scalar (for means over symbolic dimensions)

export type AttrValue = number | string | readonly number[] | readonly Dim[];
export type Attrs = Readonly<Record<string, AttrValue>>;

export interface Inferred {
  readonly dtype: DType;
  readonly shape: Dim[];
}

interface Operand {
  readonly dtype: DType;
  readonly shape: Shape;
}

export function isFloat(dtype: DType): boolean {
  return dtype === 'float32' || dtype === 'float64';
}

function sameDtype(op: Op, xs: readonly Operand[]): DType {
  const d = xs[0].dtype;
  for (const x of xs) {
    if (x.dtype !== d) throw new GraphError('dtype', `${op}: operands have dtypes ${xs.map((y) => y.dtype).join(', ')}; cast them to one dtype first`);
  }
  return d;
}

function needFloat(op: Op, x: Operand): void {
  if (!isFloat(x.dtype)) throw new GraphError('dtype', `${op}: needs a float tensor, got ${x.dtype}`);
}

function nums(attrs: Attrs, key: string): readonly number[] {
  return attrs[key] as readonly number[];
}

/** Output dtype and shape of an operator applied to operands (throws GraphError when they do not fit). */
export function infer(op: Op, xs: readonly Operand[], attrs: Attrs): Inferred {
  switch (op) {
    case 'Input':
    case 'Param':
    case 'Const':
      throw new GraphError('invalid', `${op} nodes are made by the builder, not by infer()`);
    case 'Add':
    case 'Sub':
    case 'Mul':
    case 'Div':
    case 'Pow':
    case 'Min':
    case 'Max':
      return { dtype: sameDtype(op, xs), shape: broadcast(xs[0].shape, xs[1].shape, op) };
    case 'Equal':
    case 'Less':
    case 'Greater':
    case 'LessOrEqual':
    case 'GreaterOrEqual':
    case 'And':
    case 'Or':
      sameDtype(op, xs);
      return { dtype: 'bool', shape: broadcast(xs[0].shape, xs[1].shape, op) };
    case 'Not':
      return { dtype: 'bool', shape: [...xs[0].shape] };
    case 'Neg':
    case 'Abs':
    case 'Sign':
      return { dtype: xs[0].dtype, shape: [...xs[0].shape] };
    case 'Sqrt':
    case 'Exp':
    case 'Log':
    case 'Tanh':
    case 'Sigmoid':
    case 'Relu':
    case 'Erf':
    case 'Reciprocal':
    case 'Gelu':
    case 'Clip':
      needFloat(op, xs[0]);
      return { dtype: xs[0].dtype, shape: [...xs[0].shape] };
    case 'Where': {
      if (xs[0].dtype !== 'bool') throw new GraphError('dtype', `Where: the condition must be bool, got ${xs[0].dtype}`);
      const dtype = sameDtype(op, xs.slice(1));
      return { dtype, shape: broadcast(broadcast(xs[0].shape, xs[1].shape, op), xs[2].shape, op) };
    }
    case 'Cast':
      return { dtype: attrs.to as DType, shape: [...xs[0].shape] };
    case 'StopGradient':
      return { dtype: xs[0].dtype, shape: [...xs[0].shape] };
    case 'MatMul': {
      const [a, b] = xs;
      const dtype = sameDtype(op, xs);
      if (a.shape.length < 2 || b.shape.length < 2) throw new GraphError('shape', `MatMul: operands need rank >= 2, got ${fmt(a.shape)} and ${fmt(b.shape)}; reshape vectors to matrices`);
      const k1 = a.shape[a.shape.length - 1];
      const k2 = b.shape[b.shape.length - 2];
      if (k1 !== k2) throw new GraphError('shape', `MatMul: inner dimensions differ: ${fmt(a.shape)} @ ${fmt(b.shape)}`);
      const batch = broadcast(a.shape.slice(0, -2), b.shape.slice(0, -2), op);
      return { dtype, shape: [...batch, a.shape[a.shape.length - 2], b.shape[b.shape.length - 1]] };
    }
    case 'Gemm': {
      const [a, b] = xs;
      const dtype = sameDtype(op, xs);
      if (a.shape.length !== 2 || b.shape.length !== 2) throw new GraphError('shape', `Gemm: operands must be 2-D, got ${fmt(a.shape)} and ${fmt(b.shape)}`);
      const [m, k1] = attrs.transA ? [a.shape[1], a.shape[0]] : a.shape;
      const [k2, n] = attrs.transB ? [b.shape[1], b.shape[0]] : b.shape;
      if (k1 !== k2) throw new GraphError('shape', `Gemm: inner dimensions differ: ${fmt(a.shape)}${attrs.transA ? 'ᵀ' : ''} @ ${fmt(b.shape)}${attrs.transB ? 'ᵀ' : ''}`);
      const shape = [m, n];
      if (xs[2]) broadcast(shape, xs[2].shape, 'Gemm bias');
      return { dtype, shape };
    }
    case 'ReduceSum':
    case 'ReduceMean':
    case 'ReduceMax':
    case 'ReduceLogSumExp':
    case 'ReduceSumSquare': {
      const axes = nums(attrs, 'axes');
      const keep = attrs.keepdims === 1;
      const shape: Dim[] = [];
      xs[0].shape.forEach((d, i) => {
        if (!axes.includes(i)) shape.push(d);
        else if (keep) shape.push(1);
      });
      return { dtype: xs[0].dtype, shape };
    }
    case 'Softmax':
    case 'LogSoftmax':
      needFloat(op, xs[0]);
      return { dtype: xs[0].dtype, shape: [...xs[0].shape] };
    case 'Reshape':
      return { dtype: xs[0].dtype, shape: reshapeTarget(xs[0].shape, attrs.shape as readonly Dim[]) };
    case 'Transpose': {
      const perm = nums(attrs, 'perm');
      if (perm.length !== xs[0].shape.length || [...perm].sort().some((p, i) => p !== i)) throw new GraphError('shape', `Transpose: perm [${perm}] is not a permutation of the ${xs[0].shape.length} axes of ${fmt(xs[0].shape)}`);
      return { dtype: xs[0].dtype, shape: perm.map((p) => xs[0].shape[p]) };
    }
    case 'Concat': {
      const dtype = sameDtype(op, xs);
      const rank = xs[0].shape.length;
      const axis = attrs.axis as number;
      const parts: Dim[] = [];
      for (const x of xs) {
        if (x.shape.length !== rank || x.shape.some((d, i) => i !== axis && d !== xs[0].shape[i])) throw new GraphError('shape', `Concat: shapes ${xs.map((y) => fmt(y.shape)).join(', ')} differ off axis ${axis}`);
        parts.push(x.shape[axis]);
      }
      const shape = [...xs[0].shape];
      shape[axis] = sumDims(parts);
      return { dtype, shape };
    }
    case 'Slice': {
      const shape = [...xs[0].shape];
      const axes = nums(attrs, 'axes');
      axes.forEach((a, i) => {
        const d = shape[a];
        if (typeof d !== 'number') throw new GraphError('unsupported', `Slice: axis ${a} has symbolic size ${d}; slice only fixed-size axes`);
        const [s, e] = sliceBounds(nums(attrs, 'starts')[i], nums(attrs, 'ends')[i], d);
        shape[a] = Math.max(0, e - s);
      });
      return { dtype: xs[0].dtype, shape };
    }
    case 'Pad': {
      const pads = nums(attrs, 'pads');
      const r = xs[0].shape.length;
      const shape = xs[0].shape.map((d, i) => {
        if (pads[i] === 0 && pads[i + r] === 0) return d;
        if (typeof d !== 'number') throw new GraphError('unsupported', `Pad: axis ${i} has symbolic size ${d}`);
        return d + pads[i] + pads[i + r];
      });
      return { dtype: xs[0].dtype, shape };
    }
    case 'Expand':
      return { dtype: xs[0].dtype, shape: broadcast(xs[0].shape, attrs.shape as readonly Dim[], 'Expand') };
    case 'Gather': {
      const [data, idx] = xs;
      if (idx.dtype !== 'int64' && idx.dtype !== 'int32') throw new GraphError('dtype', `Gather: indices must be int64 or int32, got ${idx.dtype}`);
      const axis = attrs.axis as number;
      return { dtype: data.dtype, shape: [...data.shape.slice(0, axis), ...idx.shape, ...data.shape.slice(axis + 1)] };
    }
    case 'Size':
      return { dtype: 'int64', shape: [] };
  }
}

function sumDims(parts: readonly Dim[]): Dim {
  if (parts.every((p) => typeof p === 'number')) return (parts as number[]).reduce((a, b) => a + b, 0);
  throw new GraphError('unsupported', `Concat: cannot concatenate along an axis of symbolic sizes ${parts.join(', ')}`);
}

/** Start and end of a step-1 slice clamped like ONNX Slice. */
export function sliceBounds(start: number, end: number, dim: number): [number, number] {
  const clamp = (v: number) => Math.min(dim, Math.max(0, v < 0 ? v + dim : v));
  return [clamp(start), clamp(end)];
}

/** The shape a reshape produces; `target` may hold one -1 (inferred). */
export function reshapeTarget(input: Shape, target: readonly Dim[]): Dim[] {
  const total = dimProduct(input);
  const free = target.filter((d) => d === -1).length;
  if (free > 1) throw new GraphError('shape', `Reshape: target ${fmt(target)} has more than one -1`);
  const known = dimProduct(target.filter((d) => d !== -1));
  if (free === 1) {
    const rest = dimDivide(total, known);
    if (rest === undefined) throw new GraphError('shape', `Reshape: cannot reshape ${fmt(input)} to ${fmt(target)}`);
    return target.map((d) => (d === -1 ? rest : d));
  }
  if (dimDivide(total, known) !== 1) throw new GraphError('shape', `Reshape: cannot reshape ${fmt(input)} (${total} elements) to ${fmt(target)} (${known})`);
  return [...target];
}

/** Normalised, sorted reduction axes. */
export function normAxes(axes: readonly number[] | number | undefined, rank: number, what: string): number[] {
  if (axes === undefined) return Array.from({ length: rank }, (_, i) => i);
  const list = typeof axes === 'number' ? [axes] : axes;
  return [...new Set(list.map((a) => axisOf(a, rank, what)))].sort((a, b) => a - b);
}
