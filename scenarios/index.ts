export { Rng, deriveSeed } from './random.js';
export { canonicalJson, contentHash } from './hash.js';
export { Scenario, FAMILY_NAMES, PreferenceScenario, TutoringScenario, GuessingScenario } from './schema.js';
export type { FamilyName } from './schema.js';
export { ScenarioBase, UserBehaviour } from './base.js';
export type { UserStyle } from './base.js';
export { ScenarioError, formatIssues, formatPath, didYouMean } from './errors.js';
export type { ScenarioErrorCode, ScenarioIssue } from './errors.js';
export { parseScenario, loadScenarioFile, validateScenario, jsonSyntaxError } from './load.js';
export type { ParseOptions, ScenarioFormat } from './load.js';
export { getScenario, listScenarios, builtinDir, builtinFiles, builtinIds } from './registry.js';
export type { ScenarioSummary } from './registry.js';
export { scenarioJsonSchema } from './json-schema.js';
// The reasoning scenario kind (token-level tasks with verifiers): its own schema, registry and tasks.
export * as reasoning from './reasoning/index.js';
