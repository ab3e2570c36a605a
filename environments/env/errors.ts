/**
 * The environment API's errors: one class per misuse, each with a stable `code` (Gymnasium's
 * `error.py` has one class per misuse too). Family or user-model failures inside an episode are not
 * thrown: the step ends the episode with `info.error` (see README, "Failures").
 */

export type EnvErrorCode = 'RESET_NEEDED' | 'INVALID_ACTION' | 'INVALID_SEED' | 'ENV_CLOSED' | 'ENV_CHECK_FAILED';

export class EnvError extends Error {
  constructor(readonly code: EnvErrorCode, message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** step() before the first reset(), or after the episode terminated or was truncated. */
export class ResetNeeded extends EnvError {
  constructor(message = 'Cannot call step() before reset()') {
    super('RESET_NEEDED', message);
  }
}

/** An action outside the action space, or one the current mask rules out. The env's state is unchanged. */
export class InvalidAction extends EnvError {
  constructor(readonly action: unknown, message: string) {
    super('INVALID_ACTION', message);
  }
}

/** A seed that is not a non-negative integer below 2^32. */
export class InvalidSeed extends EnvError {
  constructor(readonly seed: unknown) {
    super('INVALID_SEED', `seed must be an integer in [0, 2^32), got ${String(seed)}`);
  }
}

/** reset() or step() after close(). */
export class EnvClosed extends EnvError {
  constructor(method: string) {
    super('ENV_CLOSED', `Cannot call ${method}() on a closed env; make a new one`);
  }
}

/** checkEnv() found problems; `problems` lists every one of them. */
export class EnvCheckFailed extends EnvError {
  constructor(readonly env: string, readonly problems: readonly string[]) {
    super('ENV_CHECK_FAILED', `checkEnv(${env}): ${problems.length} problem(s):\n  - ${problems.join('\n  - ')}`);
  }
}

export function checkSeed(seed: unknown): number {
  if (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0 || seed >= 2 ** 32) throw new InvalidSeed(seed);
  return seed;
}
