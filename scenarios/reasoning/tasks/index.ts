import type { TaskName } from '../schema.js';
import { addition } from './addition.js';
import { countdown } from './countdown.js';
import { digitSum } from './digit-sum.js';
import { sort } from './sort.js';
import type { TaskModule } from './types.js';

/** Every task family by name (levels are checked by the scenario schema before they get here). */
export const TASKS: Record<TaskName, TaskModule<never, unknown>> = {
  addition: addition as TaskModule<never, unknown>,
  'digit-sum': digitSum as TaskModule<never, unknown>,
  sort: sort as TaskModule<never, unknown>,
  countdown: countdown as TaskModule<never, unknown>,
};

export { addition, countdown, digitSum, sort };
export type { Problem, Step, TaskModule, Trace, Verdict } from './types.js';
