/**
 * Offline RL algorithms, one readable file each with a zod config: behaviour cloning, filtered BC,
 * ILQL (utterance level) and IQL/AWR; plus the shared training loop (`trainOffline`).
 */
export { ALGORITHMS, ConfigError, allRows, batchFeeds, initTargetsFromParams, maskLogits, pick, rebuild, sampleRows, stopGradient, targetName, targetNetwork, withPolyakTargets } from './common.js';
export type { AlgorithmName, Column, Dims, OfflineAlgorithm } from './common.js';
export { bc, bcModel } from './bc.js';
export { BcConfig } from './bc.config.js';
export { filteredBc, filteredBcModel, topEpisodeRows } from './filtered-bc.js';
export { FilteredBcConfig } from './filtered-bc.config.js';
export { ilql, ilqlNetwork } from './ilql.js';
export { IlqlConfig } from './ilql.config.js';
export { awr, awrNetwork } from './awr.js';
export { AwrConfig } from './awr.config.js';
export { METRICS_FILE, TRAINER_FILE, exportPolicy, makeAlgorithm, trainOffline } from './train.js';
export type { MetricsRow, TrainOfflineOptions, TrainOfflineResult } from './train.js';
