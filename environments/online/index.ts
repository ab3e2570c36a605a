/** Online RL experience sources: play episodes with the current policy, return trajectories. */
export type { EpisodeRequest, Trajectory, InferFn, SourceOptions, ExperienceSource } from './types.js';
export { actionStream, maskedLogSoftmax, sampleMasked, sampleLogProbs } from './sampling.js';
export type { Sampled } from './sampling.js';
export { createInProcessSource } from './in-process.js';
export type { InProcessSource } from './in-process.js';
export type { PlayStats } from './player.js';
export { createCentralSource, createLocalCopiesSource } from './workers.js';
export type { WorkerSource, WorkerSourceOptions, CentralSourceOptions, WorkerSourceStats } from './workers.js';
export type { SeedStats } from './seed.js';
