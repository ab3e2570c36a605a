import { deriveSeed } from '../../scenarios/random.js';
import type { Rng } from '../../scenarios/random.js';
import type { Scenario } from '../../scenarios/schema.js';
import type { Observation } from '../../actors/acts.js';
import type { ScenarioContext } from '../../actors/episode-core.js';
import { contextOf, makeEnv, validList } from './dialogue-env.js';
import type { DialogueEnv, DialogueEnvOptions, EncodedEnvOptions } from './dialogue-env.js';
import { EnvClosed, InvalidAction, ResetNeeded, checkSeed } from './errors.js';
import type { Discrete } from './spaces.js';
import type { Space, StepInfo } from './types.js';

/**
 * What a vector env does with a sub-env whose episode ended (Gymnasium's `AutoresetMode`):
 * - `NEXT_STEP` (default): the step that ends episode i returns its final observation; the NEXT
 *   step ignores action i, resets sub-env i and returns the reset observation with reward 0,
 *   `terminated = truncated = false` and the reset info.
 * - `SAME_STEP`: the step that ends episode i resets sub-env i at once and returns the NEW
 *   episode's first observation, with that step's reward, terminated and truncated; the final
 *   observation and info are in `infos[i].final`.
 * - `DISABLED`: nothing is reset; stepping an ended sub-env throws {@link ResetNeeded} until
 *   `reset({ mask })` resets it (mask[i] true for the sub-envs to reset).
 */
export const AutoresetMode = { NEXT_STEP: 'NEXT_STEP', SAME_STEP: 'SAME_STEP', DISABLED: 'DISABLED' } as const;
export type AutoresetMode = (typeof AutoresetMode)[keyof typeof AutoresetMode];

export interface VectorEnvOptions {
  readonly autoresetMode?: AutoresetMode;
}

export interface VectorResetOptions {
  /** Sub-env i plays `deriveSeed(seed, i)` (episode i of a rollout run with that seed). */
  readonly seed?: number;
  /** Reset only the sub-envs with `mask[i]` true; the others keep their episode (and last observation). */
  readonly mask?: readonly boolean[];
}

/** A sub-env's info; under SAME_STEP, `final` holds the ended episode's last observation and info. */
export type VectorInfo<O> = StepInfo & { readonly final?: { readonly observation: O; readonly info: StepInfo } };

export interface VectorResetResult<O> {
  readonly observations: O[];
  readonly infos: VectorInfo<O>[];
}

export interface VectorStepResult<O> {
  readonly observations: O[];
  readonly rewards: number[];
  readonly terminated: boolean[];
  readonly truncated: boolean[];
  readonly infos: VectorInfo<O>[];
}

/**
 * N episodes of one scenario stepped together (Gymnasium's `SyncVectorEnv`): one action per
 * sub-env in, arrays out (index i is sub-env i). Sub-envs are {@link DialogueEnv}s, each over its
 * own conversation actor. A step first checks every action, then steps every sub-env, so a bad
 * action throws before anything moved.
 *
 * @example
 * const venv = makeVectorEnv('teacher', 8, { autoresetMode: AutoresetMode.SAME_STEP });
 * let { observations, infos } = venv.reset({ seed: 1 });
 * const r = venv.step(infos.map((info) => venv.singleActionSpace.sample(rng, info.mask)));
 */
export class VectorEnv<O = Observation> {
  readonly numEnvs: number;
  readonly autoresetMode: AutoresetMode;
  readonly singleActionSpace: Discrete;
  readonly singleObservationSpace: Space<O>;
  private observations: O[] = [];
  private infos: VectorInfo<O>[] = [];
  /** Sub-env i ended at the last step (NEXT_STEP resets it on the next; DISABLED refuses to step it). */
  private ended: boolean[];
  private started: boolean[];
  private closed = false;

  constructor(readonly envs: readonly DialogueEnv<O>[], options: VectorEnvOptions = {}) {
    if (envs.length === 0) throw new RangeError('a VectorEnv needs at least one sub-env');
    const mode = options.autoresetMode ?? AutoresetMode.NEXT_STEP;
    if (!Object.values(AutoresetMode).includes(mode)) throw new RangeError(`autoresetMode must be one of ${Object.values(AutoresetMode).join(', ')}, got ${String(mode)}`);
    this.autoresetMode = mode;
    this.numEnvs = envs.length;
    this.singleActionSpace = envs[0].actionSpace;
    this.singleObservationSpace = envs[0].observationSpace;
    this.ended = new Array<boolean>(envs.length).fill(false);
    this.started = new Array<boolean>(envs.length).fill(false);
  }

  reset(options: VectorResetOptions = {}): VectorResetResult<O> {
    if (this.closed) throw new EnvClosed('reset');
    const { seed, mask } = options;
    if (seed !== undefined) checkSeed(seed);
    if (mask && mask.length !== this.numEnvs) throw new RangeError(`reset: mask has length ${mask.length}, expected ${this.numEnvs}`);
    this.envs.forEach((env, i) => {
      if (mask && !mask[i]) return;
      const r = env.reset(seed === undefined ? {} : { seed: deriveSeed(seed, i) });
      this.observations[i] = r.observation;
      this.infos[i] = r.info;
      this.ended[i] = false;
      this.started[i] = true;
    });
    return { observations: this.observations.slice(), infos: this.infos.slice() };
  }

  step(actions: readonly number[]): VectorStepResult<O> {
    if (this.closed) throw new EnvClosed('step');
    if (actions.length !== this.numEnvs) throw new InvalidAction(actions, `step: got ${actions.length} actions for ${this.numEnvs} sub-envs`);
    // Check everything first: a bad call changes nothing.
    for (let i = 0; i < this.numEnvs; i++) {
      if (!this.started[i]) throw new ResetNeeded(`Cannot call step() before reset(): sub-env ${i} was never reset`);
      if (this.ended[i] && this.autoresetMode === AutoresetMode.DISABLED) {
        throw new ResetNeeded(`Cannot step sub-env ${i}: its episode ended and autoreset is DISABLED; call reset({ mask }) with mask[${i}] true first`);
      }
      if (this.ended[i]) continue; // NEXT_STEP: the action is ignored
      const a = actions[i];
      const m = this.infos[i].mask;
      if (!this.singleActionSpace.contains(a)) throw new InvalidAction(a, `sub-env ${i}: action ${String(a)} is not in the action space: expected an integer in [0, ${this.singleActionSpace.n})`);
      if (!m[a]) throw new InvalidAction(a, `sub-env ${i}: action ${a} is masked out at turn ${this.infos[i].turn}; valid now: ${validList(m)}`);
    }
    const n = this.numEnvs;
    const rewards = new Array<number>(n).fill(0);
    const terminated = new Array<boolean>(n).fill(false);
    const truncated = new Array<boolean>(n).fill(false);
    for (let i = 0; i < n; i++) {
      const env = this.envs[i];
      if (this.ended[i]) { // NEXT_STEP
        const r = env.reset();
        this.observations[i] = r.observation;
        this.infos[i] = r.info;
        this.ended[i] = false;
        continue;
      }
      const r = env.step(actions[i]);
      rewards[i] = r.reward;
      terminated[i] = r.terminated;
      truncated[i] = r.truncated;
      const done = r.terminated || r.truncated;
      if (done && this.autoresetMode === AutoresetMode.SAME_STEP) {
        const next = env.reset();
        this.observations[i] = next.observation;
        this.infos[i] = { ...next.info, final: { observation: r.observation, info: r.info } };
        continue;
      }
      this.observations[i] = r.observation;
      this.infos[i] = r.info;
      this.ended[i] = done;
    }
    return { observations: this.observations.slice(), rewards, terminated, truncated, infos: this.infos.slice() };
  }

  /**
   * One action per sub-env drawn with `rng`: uniform among the valid ones, and 0 for a sub-env whose
   * episode just ended (its mask is all false; NEXT_STEP ignores that action).
   */
  sampleActions(rng: Rng): number[] {
    return this.infos.map((info) => (info.mask.includes(true) ? this.singleActionSpace.sample(rng, info.mask) : 0));
  }

  close(): void {
    for (const env of this.envs) env.close();
    this.closed = true;
  }
}

/** N sub-envs of one scenario; `envOptions` as for {@link makeEnv} (with `encoded`, Box observations). */
export function makeVectorEnv(scenario: string | Scenario | ScenarioContext, n: number, options: VectorEnvOptions & EncodedEnvOptions): VectorEnv<Float32Array>;
export function makeVectorEnv(scenario: string | Scenario | ScenarioContext, n: number, options?: VectorEnvOptions & DialogueEnvOptions): VectorEnv<Observation>;
export function makeVectorEnv(
  scenario: string | Scenario | ScenarioContext,
  n: number,
  options: VectorEnvOptions & (DialogueEnvOptions | EncodedEnvOptions) = {},
): VectorEnv<Observation> | VectorEnv<Float32Array> {
  if (!(Number.isInteger(n) && n >= 1)) throw new RangeError(`makeVectorEnv: n must be a positive integer, got ${n}`);
  const ctx = contextOf(scenario);
  if ('encoded' in options && options.encoded) {
    const o = options;
    return new VectorEnv(Array.from({ length: n }, () => makeEnv(ctx, o)), options);
  }
  return new VectorEnv(Array.from({ length: n }, () => makeEnv(ctx, options as DialogueEnvOptions)), options);
}
