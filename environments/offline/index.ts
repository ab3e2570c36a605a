// Offline RL data: datasets → flat typed arrays of agent decisions (see transitions.ts).
export type { Transitions } from './transitions.js';
export { loadTransitions } from './load.js';
export type { LoadOptions, LoadReport, LoadedTransitions } from './load.js';
export { readDatasetEpisodes, checkDatasetScenario } from './source.js';
export type { SourceOptions, SourcedEpisode } from './source.js';
export { replayDecisions, actionIndex } from './replay.js';
export type { ReplayedDecision } from './replay.js';
