/**
 * The builder: a {@link Graph} records tensor operations as immutable, interned nodes
 * ({@link Tensor}: op, dtype, shape, inputs, attrs) with shape and dtype inferred as they are
 * made. Interning shares common subexpressions; a few local rewrites (reshape of a reshape,
 * transpose of a transpose, casts and expands that change nothing, scalar constant arithmetic)
 * keep the emitted ONNX graph lean.
 *
 * @example
 * const g = new Graph({ dtype: 'float32', seed: 1 });
 * const x = g.input('x', 'float32', ['batch', 4]);
 * const w = g.param('w', [3, 4], { uniform: 0.5 });
 * const y = x.linear(w).relu().sum();
 */
import { Rng } from '../../scenarios/random.js';
import type { DType, Dim } from './compiled.js';
import { axisOf, fmt, isStatic, numel, sameShape } from './dims.js';
import { GraphError } from './errors.js';
import { infer, normAxes, isFloat, type Attrs, type Op, type ReduceOp } from './ops.js';

export type FloatDType = 'float32' | 'float64';
export type ConstData = Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array;

/** How a parameter's initial value is drawn (seeded by the graph's seed and the parameter's name). */
export type Init = 'zeros' | 'ones' | { readonly uniform: number } | { readonly normal: number } | { readonly values: ArrayLike<number> };

export interface GraphOptions {
  /** Element type of parameters and float constants: float32 for real use, float64 for gradient checks. */
  readonly dtype?: FloatDType;
  /** Seed of parameter initialisation; each parameter draws from `Rng.from(seed).fork(name)`. */
  readonly seed?: number;
}

export type Operand = Tensor | number;

/** An immutable node of the graph; its methods record new nodes in the same graph. */
export class Tensor {
  constructor(
    readonly graph: Graph,
    readonly id: number,
    readonly op: Op,
    readonly dtype: DType,
    readonly shape: readonly Dim[],
    readonly inputs: readonly Tensor[],
    readonly attrs: Attrs,
    /** The graph input name of an Input or Param. */
    readonly name?: string,
    /** The value of a Const. */
    readonly value?: ConstData,
  ) {
    Object.freeze(this);
  }

  get rank(): number {
    return this.shape.length;
  }

  /** e.g. `#12 Mul float32[batch, 32]`, for error messages. */
  describe(): string {
    const name = this.name ? ` '${this.name}'` : '';
    return `#${this.id} ${this.op}${name} ${this.dtype}${fmt(this.shape)}`;
  }

  add(o: Operand): Tensor { return this.graph.binary('Add', this, o); }
  sub(o: Operand): Tensor { return this.graph.binary('Sub', this, o); }
  mul(o: Operand): Tensor { return this.graph.binary('Mul', this, o); }
  div(o: Operand): Tensor { return this.graph.binary('Div', this, o); }
  pow(o: Operand): Tensor { return this.graph.binary('Pow', this, o); }
  min(o: Operand): Tensor { return this.graph.binary('Min', this, o); }
  max(o: Operand): Tensor { return this.graph.binary('Max', this, o); }
  eq(o: Operand): Tensor { return this.graph.binary('Equal', this, o); }
  lt(o: Operand): Tensor { return this.graph.binary('Less', this, o); }
  gt(o: Operand): Tensor { return this.graph.binary('Greater', this, o); }
  le(o: Operand): Tensor { return this.graph.binary('LessOrEqual', this, o); }
  ge(o: Operand): Tensor { return this.graph.binary('GreaterOrEqual', this, o); }
  and(o: Tensor): Tensor { return this.graph.node('And', [this, o]); }
  not(): Tensor { return this.graph.node('Not', [this]); }
  neg(): Tensor { return this.graph.node('Neg', [this]); }
  sqrt(): Tensor { return this.graph.node('Sqrt', [this]); }
  exp(): Tensor { return this.graph.node('Exp', [this]); }
  log(): Tensor { return this.graph.node('Log', [this]); }
  tanh(): Tensor { return this.graph.node('Tanh', [this]); }
  sigmoid(): Tensor { return this.graph.node('Sigmoid', [this]); }
  relu(): Tensor { return this.graph.node('Relu', [this]); }
  erf(): Tensor { return this.graph.node('Erf', [this]); }
  abs(): Tensor { return this.graph.node('Abs', [this]); }
  sign(): Tensor { return this.graph.node('Sign', [this]); }
  reciprocal(): Tensor { return this.graph.node('Reciprocal', [this]); }
  square(): Tensor { return this.mul(this); }
  /** GELU, exact (erf) form by default as PyTorch's `nn.GELU()`, or its tanh approximation. */
  gelu(approximate: 'none' | 'tanh' = 'none'): Tensor { return this.graph.node('Gelu', [this], { approximate }); }
  clip(min = -Infinity, max = Infinity): Tensor { return this.graph.node('Clip', [this], { min, max }); }
  cast(to: DType): Tensor { return this.graph.node('Cast', [this], { to }); }
  /** The same value with no gradient through it (PyTorch's `.detach()`); see {@link Graph.stopGradient}. */
  stopGradient(): Tensor { return this.graph.stopGradient(this); }

  matmul(o: Tensor): Tensor { return this.graph.node('MatMul', [this, o]); }
  /** x Wᵀ + b over the last axis, with W stored as [out, in] like PyTorch's Linear. */
  linear(w: Tensor, b?: Tensor): Tensor { return this.graph.linear(this, w, b); }

  sum(axes?: number | readonly number[], keepdims = false): Tensor { return this.graph.reduce('ReduceSum', this, axes, keepdims); }
  mean(axes?: number | readonly number[], keepdims = false): Tensor { return this.graph.reduce('ReduceMean', this, axes, keepdims); }
  maxOver(axes?: number | readonly number[], keepdims = false): Tensor { return this.graph.reduce('ReduceMax', this, axes, keepdims); }
  logSumExp(axes?: number | readonly number[], keepdims = false): Tensor { return this.graph.reduce('ReduceLogSumExp', this, axes, keepdims); }
  sumSquares(axes?: number | readonly number[], keepdims = false): Tensor { return this.graph.reduce('ReduceSumSquare', this, axes, keepdims); }
  softmax(axis = -1): Tensor { return this.graph.node('Softmax', [this], { axis: axisOf(axis, this.rank, 'Softmax') }); }
  logSoftmax(axis = -1): Tensor { return this.graph.node('LogSoftmax', [this], { axis: axisOf(axis, this.rank, 'LogSoftmax') }); }

  /** Reshape; `shape` may hold one -1 and symbolic names. */
  reshape(shape: readonly Dim[]): Tensor { return this.graph.node('Reshape', [this], { shape: [...shape] }); }
  transpose(perm?: readonly number[]): Tensor {
    return this.graph.node('Transpose', [this], { perm: perm ? [...perm] : this.shape.map((_, i) => this.rank - 1 - i) });
  }
  /** Swaps the last two axes. */
  mT(): Tensor {
    const perm = this.shape.map((_, i) => i);
    [perm[this.rank - 2], perm[this.rank - 1]] = [perm[this.rank - 1], perm[this.rank - 2]];
    return this.transpose(perm);
  }
  /** Inserts a size-1 axis at `axis`. */
  unsqueeze(axis: number): Tensor {
    const a = axisOf(axis, this.rank + 1, 'unsqueeze');
    return this.reshape([...this.shape.slice(0, a), 1, ...this.shape.slice(a)]);
  }
  /** Step-1 slice of `axis` from start to end (negative values count from the end, like Python). */
  slice(axis: number, start: number, end: number): Tensor {
    const a = axisOf(axis, this.rank, 'slice');
    return this.graph.node('Slice', [this], { starts: [start], ends: [end], axes: [a] });
  }
  expand(shape: readonly Dim[]): Tensor { return this.graph.node('Expand', [this], { shape: [...shape] }); }
  gather(indices: Tensor, axis = 0): Tensor { return this.graph.node('Gather', [this, indices], { axis: axisOf(axis, this.rank, 'Gather') }); }
}

/** Records operations; see the module comment. */
export class Graph {
  readonly dtype: FloatDType;
  readonly seed: number;
  private readonly nodes: Tensor[] = [];
  private readonly interned = new Map<string, Tensor>();
  private readonly named = new Map<string, Tensor>();
  private readonly initValues = new Map<string, Float32Array | Float64Array>();

  constructor(options: GraphOptions = {}) {
    this.dtype = options.dtype ?? 'float32';
    if (this.dtype !== 'float32' && this.dtype !== 'float64') throw new GraphError('invalid', `dtype must be 'float32' or 'float64', got '${String(this.dtype)}'`);
    this.seed = options.seed ?? 0;
  }

  /** Every node made so far, in creation (hence topological) order. */
  get all(): readonly Tensor[] {
    return this.nodes;
  }

  /** A feed: batch data, labels, masks or a scalar control. Asking again with the same spec returns the same node. */
  input(name: string, dtype: DType, shape: readonly Dim[]): Tensor {
    return this.leaf('Input', name, dtype, shape);
  }

  /** A trainable parameter with a seeded initial value. */
  param(name: string, shape: readonly number[], init: Init): Tensor {
    const existing = this.named.get(name);
    const t = this.leaf('Param', name, this.dtype, shape);
    if (!existing) this.initValues.set(name, this.initialise(name, shape, init));
    return t;
  }

  /** The initial value of a parameter. */
  initOf(name: string): Float32Array | Float64Array {
    const v = this.initValues.get(name);
    if (!v) throw new GraphError('name', `'${name}' is not a parameter of this graph`);
    return v;
  }

  /** A constant (scalar from a number, else data with a shape); float constants default to the graph dtype. */
  constant(value: number | ArrayLike<number>, shape: readonly number[] = [], dtype: DType = this.dtype): Tensor {
    const n = numel(shape);
    const values = typeof value === 'number' ? new Array<number>(n).fill(value) : Array.from(value);
    if (values.length !== n) throw new GraphError('shape', `constant: ${values.length} values do not fill shape ${fmt(shape)}`);
    const data = toData(values, dtype);
    const key = n <= 64 ? `Const|${dtype}|${shape.join(',')}|${values.join(',')}` : undefined;
    const hit = key ? this.interned.get(key) : undefined;
    if (hit) return hit;
    const t = new Tensor(this, this.nodes.length, 'Const', dtype, [...shape], [], {}, undefined, data);
    this.nodes.push(t);
    if (key) this.interned.set(key, t);
    return t;
  }

  scalar(v: number, dtype: DType = this.dtype): Tensor {
    return this.constant(v, [], dtype);
  }

  /** Records `op` over inputs (after local rewrites and interning). */
  node(op: Op, inputs: readonly Tensor[], attrs: Attrs = {}): Tensor {
    for (const x of inputs) {
      if (x.graph !== this) throw new GraphError('invalid', `${op}: operand ${x.describe()} belongs to another graph`);
    }
    const rewritten = this.rewrite(op, inputs, attrs);
    if (rewritten) return rewritten;
    const { dtype, shape } = infer(op, inputs, attrs);
    const key = `${op}|${inputs.map((x) => x.id).join(',')}|${JSON.stringify(attrs)}`;
    const hit = this.interned.get(key);
    if (hit) return hit;
    const t = new Tensor(this, this.nodes.length, op, dtype, shape, [...inputs], Object.freeze({ ...attrs }));
    this.nodes.push(t);
    this.interned.set(key, t);
    return t;
  }

  binary(op: Op, a: Tensor, b: Operand): Tensor {
    return this.node(op, [a, typeof b === 'number' ? this.scalar(b, a.dtype) : b]);
  }

  where(cond: Tensor, a: Operand, b: Operand): Tensor {
    const ref = typeof a === 'number' ? (typeof b === 'number' ? undefined : b) : a;
    const dtype = ref?.dtype ?? this.dtype;
    const ta = typeof a === 'number' ? this.scalar(a, dtype) : a;
    const tb = typeof b === 'number' ? this.scalar(b, dtype) : b;
    return this.node('Where', [cond, ta, tb]);
  }

  /**
   * x's value as a leaf of the autodiff: no gradient flows back through it (PyTorch's
   * `.detach()`, JAX's `stop_gradient`), while other uses of x still get theirs. Emitted as
   * an ONNX Identity, so the value is exact.
   */
  stopGradient(x: Tensor): Tensor {
    return this.node('StopGradient', [x]);
  }

  reduce(op: ReduceOp, x: Tensor, axes: number | readonly number[] | undefined, keepdims: boolean): Tensor {
    return this.node(op, [x], { axes: normAxes(axes, x.rank, op), keepdims: keepdims ? 1 : 0 });
  }

  /**
   * alpha · op(A) op(B) (+ C); a scale folded into the product saves an elementwise pass over
   * its output. ONNX stores alpha as a float32 attribute, also in float64 graphs.
   */
  gemm(a: Tensor, b: Tensor, transA: boolean, transB: boolean, c?: Tensor, alpha = 1): Tensor {
    const attrs: Record<string, number> = { transA: transA ? 1 : 0, transB: transB ? 1 : 0 };
    if (alpha !== 1) attrs.alpha = alpha;
    return this.node('Gemm', c ? [a, b, c] : [a, b], attrs);
  }

  /** x Wᵀ + b over the last axis of x (W is [out, in]); a Gemm on 2-D views. */
  linear(x: Tensor, w: Tensor, b?: Tensor): Tensor {
    if (w.rank !== 2) throw new GraphError('shape', `linear: weight must be [out, in], got ${fmt(w.shape)}`);
    if (x.rank === 2) return this.gemm(x, w, false, true, b);
    const flat = x.reshape([-1, x.shape[x.rank - 1]]);
    return this.gemm(flat, w, false, true, b).reshape([...x.shape.slice(0, -1), w.shape[0]]);
  }

  concat(xs: readonly Tensor[], axis: number): Tensor {
    if (xs.length === 1) return xs[0];
    return this.node('Concat', xs, { axis: axisOf(axis, xs[0].rank, 'Concat') });
  }

  /** Float one-hot of integer indices: [...idx.shape, depth]. */
  oneHot(indices: Tensor, depth: number, dtype: DType = this.dtype): Tensor {
    const range = this.constant(Array.from({ length: depth }, (_, i) => i), [depth], indices.dtype);
    return indices.unsqueeze(-1).eq(range).cast(dtype);
  }

  /** Number of elements of x as a scalar of the graph's dtype (static when x's shape is). */
  count(x: Tensor, dtype: DType = this.dtype): Tensor {
    if (isStatic(x.shape)) return this.scalar(numel(x.shape), dtype);
    return this.node('Size', [x]).cast(dtype);
  }

  private leaf(op: 'Input' | 'Param', name: string, dtype: DType, shape: readonly Dim[]): Tensor {
    const existing = this.named.get(name);
    if (existing) {
      if (existing.op !== op || existing.dtype !== dtype || !sameShape(existing.shape, shape))
        throw new GraphError('name', `'${name}' is already ${existing.describe()}; a second ${op} of ${dtype}${fmt(shape)} cannot share its name`);
      return existing;
    }
    if (op === 'Param' && !isStatic(shape)) throw new GraphError('shape', `parameter '${name}' needs a fixed shape, got ${fmt(shape)}`);
    const t = new Tensor(this, this.nodes.length, op, dtype, [...shape], [], {}, name);
    this.nodes.push(t);
    this.named.set(name, t);
    return t;
  }

  private initialise(name: string, shape: readonly number[], init: Init): Float32Array | Float64Array {
    const n = numel(shape);
    const out = this.dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
    if (init === 'zeros') return out;
    if (init === 'ones') return out.fill(1);
    if ('values' in init) {
      if (init.values.length !== n) throw new GraphError('shape', `parameter '${name}': ${init.values.length} initial values for shape ${fmt(shape)}`);
      out.set(Array.from(init.values));
      return out;
    }
    const rng = Rng.from(this.seed).fork(name);
    if ('uniform' in init) for (let i = 0; i < n; i++) out[i] = rng.uniform(-init.uniform, init.uniform);
    else for (let i = 0; i < n; i++) out[i] = rng.normal(0, init.normal);
    return out;
  }

  /** Local rewrites that return an existing or simpler node instead of a new one. */
  private rewrite(op: Op, xs: readonly Tensor[], attrs: Attrs): Tensor | undefined {
    const [x, y] = xs;
    switch (op) {
      case 'Reshape': {
        if (x.op === 'Reshape') return this.node('Reshape', [x.inputs[0]], attrs);
        const target = attrs.shape as readonly Dim[];
        if (sameShape(target, x.shape)) return x;
        const shape = infer('Reshape', xs, attrs).shape;
        if (x.op === 'Const' && x.value && isStatic(shape)) return this.constant(Array.from(x.value, Number), shape, x.dtype);
        return undefined;
      }
      case 'Transpose': {
        const perm = attrs.perm as readonly number[];
        if (x.op === 'Transpose') {
          // cancel a transpose of a transpose; otherwise keep both, so that a last-two-axes swap
          // stays visible to onnxruntime, which folds it into the MatMul that reads it (FusedMatMul)
          const inner = x.attrs.perm as readonly number[];
          const composed = perm.map((j) => inner[j]);
          if (composed.every((p, i) => p === i)) return x.inputs[0];
        }
        if (perm.every((p, i) => p === i)) return x;
        return undefined;
      }
      case 'Cast':
        return attrs.to === x.dtype ? x : undefined;
      case 'StopGradient':
        // already without a gradient: another stop, a constant, or an integer/bool tensor
        return x.op === 'StopGradient' || x.op === 'Const' || !isFloat(x.dtype) ? x : undefined;
      case 'Expand':
        return sameShape(infer('Expand', xs, attrs).shape, x.shape) ? x : undefined;
      case 'Neg': {
        if (x.op === 'Neg') return x.inputs[0];
        const v = scalarOf(x);
        return v !== undefined && isFloat(x.dtype) ? this.constant(-v, x.shape as number[], x.dtype) : undefined;
      }
      case 'Add':
      case 'Sub':
      case 'Mul':
      case 'Div':
      case 'Pow':
      case 'Min':
      case 'Max': {
        if (!isFloat(x.dtype) || !isFloat(y.dtype)) return undefined;
        const sx = scalarOf(x);
        const sy = scalarOf(y);
        if (sx !== undefined && sy !== undefined && x.rank === 0 && y.rank === 0) return this.scalar(fold(op, sx, sy), x.dtype);
        const keepsShape = (t: Tensor) => sameShape(infer(op, xs, attrs).shape, t.shape);
        if ((op === 'Add' || op === 'Sub') && sy === 0 && keepsShape(x)) return x;
        if (op === 'Add' && sx === 0 && keepsShape(y)) return y;
        if ((op === 'Mul' || op === 'Div' || op === 'Pow') && sy === 1 && keepsShape(x)) return x;
        if (op === 'Mul' && sx === 1 && keepsShape(y)) return y;
        return undefined;
      }
      default:
        return undefined;
    }
  }
}

/** The value of a constant whose elements are all equal (or undefined). */
export function scalarOf(t: Tensor): number | undefined {
  if (t.op !== 'Const' || !t.value || t.value.length === 0 || t.value.length > 64) return undefined;
  const v0 = Number(t.value[0]);
  for (let i = 1; i < t.value.length; i++) if (Number(t.value[i]) !== v0) return undefined;
  return v0;
}

function fold(op: Op, a: number, b: number): number {
  switch (op) {
    case 'Add': return a + b;
    case 'Sub': return a - b;
    case 'Mul': return a * b;
    case 'Div': return a / b;
    case 'Pow': return a ** b;
    case 'Min': return Math.min(a, b);
    default: return Math.max(a, b);
  }
}

function toData(values: readonly number[], dtype: DType): ConstData {
  switch (dtype) {
    case 'float32': return Float32Array.from(values);
    case 'float64': return Float64Array.from(values);
    case 'int64': return BigInt64Array.from(values, (v) => BigInt(v));
    case 'int32': return Int32Array.from(values);
    case 'bool': return Uint8Array.from(values, (v) => (v ? 1 : 0));
  }
}
