// The environment API: Gymnasium's contract over the XState conversation actors.
export { DialogueEnv, makeEnv, finalObservation } from './dialogue-env.js';
export type { DialogueEnvOptions, EncodedEnvOptions } from './dialogue-env.js';
export { VectorEnv, makeVectorEnv, AutoresetMode } from './vector.js';
export type { VectorEnvOptions, VectorResetOptions, VectorInfo, VectorResetResult, VectorStepResult } from './vector.js';
export { Discrete, Box, DialogueObservationSpace } from './spaces.js';
export { checkEnv } from './check.js';
export type { CheckEnvOptions, CheckEnvReport } from './check.js';
export { EnvError, ResetNeeded, InvalidAction, InvalidSeed, EnvClosed, EnvCheckFailed } from './errors.js';
export type { EnvErrorCode } from './errors.js';
export type { Env, Space, StepInfo, StepResult, ResetResult, ResetOptions, ObservationEncoder } from './types.js';
