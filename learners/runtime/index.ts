/**
 * Device runtime: runs compiled ONNX graphs (learners/graph) on CPU, WebGPU or CUDA, with
 * parameters and optimiser state resident on the device, checkpoints and inference export.
 */
export { DEVICES, DeviceUnavailableError, executionProviders, probeDevice, requireDevice, resolveDevice } from './device.js';
export type { Device, DeviceProbe } from './device.js';
export { DeviceSession, Transfer, hostTensor } from './session.js';
export type { Location, RuntimeOptions, TransferCounts, TransferReason } from './session.js';
export { Trainer, STEP_FEED, LR_FEED } from './trainer.js';
export type { FeedValue, StepResult, TrainerOptions } from './trainer.js';
export { readCheckpoint, writeCheckpoint, writeFileAtomic } from './checkpoint.js';
export type { Checkpoint, CheckpointTensor, Json } from './checkpoint.js';
export { bakeParameters, identityModel } from './onnx.js';
export type { HostArray } from './onnx.js';
