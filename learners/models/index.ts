/** Model library: MLP with policy/value/Q heads, a small causal transformer, the benchmark workloads. */
export { mlp } from './mlp.js';
export type { MlpConfig } from './mlp.js';
export { transformer } from './transformer.js';
export type { TransformerConfig } from './transformer.js';
export { activate, causalMask, causalSelfAttention, embedding, layerNorm, linear } from './layers.js';
export type { Activation } from './layers.js';
export { mlpBcWorkload, tinyGptWorkload } from './workloads.js';
export type { Batch, Workload } from './workloads.js';
