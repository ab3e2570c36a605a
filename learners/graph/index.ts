/**
 * Graph compiler: a typed builder of tensor operations, reverse-mode autodiff, losses and
 * optimisers, emitted as one ONNX graph per train step (see README in learners/).
 */
export type { CompiledGraph, DType, Dim, StateTensor, TensorSpec } from './compiled.js';
export { GraphError } from './errors.js';
export type { GraphErrorCode } from './errors.js';
export { Graph, Tensor, scalarOf } from './graph.js';
export type { ConstData, FloatDType, GraphOptions, Init, Operand } from './graph.js';
export type { Attrs, Op } from './ops.js';
export { GRAD_RULES, gradients, reduceTo, expandLike } from './grad.js';
export type { GradContext, GradRule } from './grad.js';
export { emitModel, OPSET, IR_VERSION } from './emit.js';
export type { NamedOutput } from './emit.js';
export { chosenLogProb, entropy, expectile, huber, logProbLoss, maskedMean, mse, softmaxCrossEntropy } from './losses.js';
export { adam, adamw, clipByGlobalNorm, sgd } from './optim.js';
export type { AdamOptions, Optimiser, OptimiserControls, OptimiserResult, SgdOptions, StateUpdate } from './optim.js';
export { buildTrainStep, compileForward, compileGradients, compileTrainStep, crossEntropyLoss, LR, STEP } from './compile.js';
export type { CompileOptions, ForwardOptions, Loss, LossResult, Model } from './compile.js';
