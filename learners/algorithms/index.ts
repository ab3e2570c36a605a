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
export { ONLINE_ALGORITHMS, actorCritic, chosen, clippedSurrogate, discountedReturns, flatten, gae, groupAdvantages, maskedEntropy, maskedLogSoftmax, normalise } from './online-common.js';
export type { OnlineAlgorithm, OnlineAlgorithmName, OnlineDims, StepValues } from './online-common.js';
export { ppo } from './ppo.js';
export { PpoConfig } from './ppo.config.js';
export { grpo } from './grpo.js';
export { GrpoConfig } from './grpo.config.js';
export { reinforce } from './reinforce.js';
export { ReinforceConfig } from './reinforce.config.js';
export { ONLINE_STATE_FILE, chosenLogProbs, evaluateSampled, evaluationRequests, keepFresh, trainOnline, trainingRequests } from './online.js';
export type { BasePolicy, OnlineMetricsRow, TrainOnlineOptions, TrainOnlineResult } from './online.js';
export { loadBasePolicy, mergeBase } from './online-init.js';
