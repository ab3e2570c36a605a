/**
 * The contract between the graph compiler (`learners/graph/`) and the device runtime
 * (`learners/runtime/`): what a compiled ONNX graph is and how its inputs and outputs line up.
 */

export type DType = 'float32' | 'float64' | 'int64' | 'int32' | 'bool';

/** A dimension is a number or a symbolic name (the batch dimension is 'batch'). */
export type Dim = number | string;

export interface TensorSpec {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly Dim[];
}

/** A trainable parameter or a piece of optimiser state, with its seeded initial value. */
export interface StateTensor extends TensorSpec {
  readonly init: Float32Array | Float64Array;
  /** The graph output that holds this tensor's next value (train graphs only). */
  readonly next?: string;
}

export interface CompiledGraph {
  /** Serialized ONNX ModelProto (standard ai.onnx operators, opset >= 17). */
  readonly bytes: Uint8Array;
  /** Every graph input in order. */
  readonly inputs: readonly TensorSpec[];
  /** Every graph output in order. */
  readonly outputs: readonly TensorSpec[];
  /** Parameters: inputs whose values the runtime keeps resident between steps. */
  readonly params: readonly StateTensor[];
  /** Optimiser state (moments, ...): resident like parameters (train graphs only). */
  readonly optimiserState: readonly StateTensor[];
  /** Batch inputs (data, labels, masks) and scalar controls such as 'lr' and 'step'. */
  readonly feeds: readonly TensorSpec[];
  /** Outputs brought to the host every step: loss and metrics (scalars). */
  readonly metrics: readonly TensorSpec[];
}
