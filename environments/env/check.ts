import { Rng, deriveSeed } from '../../scenarios/random.js';
import { EnvError, EnvCheckFailed } from './errors.js';
import type { Env, ResetResult, StepResult } from './types.js';

export interface CheckEnvOptions {
  /** Name in the error message. Default: the observation space's description. */
  readonly name?: string;
  /** Seeded episodes played twice each (random valid actions). Default 3. */
  readonly episodes?: number;
  /** Seed of the check's episodes and action draws. Default 0. */
  readonly seed?: number;
  /** An episode longer than this many steps is a problem. Default 10 000. */
  readonly maxSteps?: number;
}

export interface CheckEnvReport {
  readonly episodes: number;
  readonly steps: number;
}

interface Step {
  readonly observation: string;
  readonly reward: number;
  readonly terminated: boolean;
  readonly truncated: boolean;
  readonly info: string;
}

/**
 * Checks that an environment keeps the contract (Gymnasium's `check_env`), and throws
 * {@link EnvCheckFailed} listing every problem found:
 * - API: reset/step/close and both spaces exist; reset gives `{observation, info}`, step gives
 *   `{observation, reward, terminated, truncated, info}` with a finite reward, boolean flags and
 *   `info.mask` a boolean array over the action space (with a valid action while the episode runs);
 * - spaces: every observation is in `observationSpace`, and `observationSpace.sample`,
 *   `actionSpace.sample(rng)` and `actionSpace.sample(rng, mask)` give members (the last one valid);
 * - determinism: two resets with the same seed agree over a rollout of random valid actions,
 *   unseeded resets after a seeded one agree too, and different seeds do not all agree;
 * - misuse: step before reset (given a factory) and after the end throws ResetNeeded, an action
 *   outside the space or masked out throws InvalidAction and changes nothing, a bad seed throws;
 * - rewards: when the last info carries the Episode record, the step rewards sum to its return.
 *
 * @example
 * checkEnv(() => makeEnv('teacher')); // throws EnvCheckFailed, or returns { episodes, steps }
 */
export function checkEnv<O>(envOrFactory: Env<O, number> | (() => Env<O, number>), options: CheckEnvOptions = {}): CheckEnvReport {
  const factory = typeof envOrFactory === 'function' ? envOrFactory : null;
  const env: Env<O, number> = factory ? factory() : (envOrFactory as Env<O, number>);
  const problems: string[] = [];
  const problem = (p: string) => { if (!problems.includes(p)) problems.push(p); };
  const name = options.name ?? env.observationSpace?.description ?? 'env';
  const nEpisodes = options.episodes ?? 3;
  const seed0 = options.seed ?? 0;
  const maxSteps = options.maxSteps ?? 10_000;
  let steps = 0;

  // ---- API ----------------------------------------------------------------------------------
  for (const m of ['reset', 'step', 'close'] as const) if (typeof env[m] !== 'function') problem(`env.${m} is not a function`);
  for (const s of ['actionSpace', 'observationSpace'] as const) {
    const sp = env[s];
    if (!sp || typeof sp.contains !== 'function' || typeof sp.sample !== 'function' || typeof sp.description !== 'string') problem(`env.${s} is not a Space (description, contains, sample)`);
  }
  if (problems.length) throw new EnvCheckFailed(name, problems);

  // ---- misuse before reset --------------------------------------------------------------------
  if (factory) {
    const fresh = factory();
    expectThrow(() => fresh.step(0), 'ResetNeeded', 'step() before reset()', problem);
    fresh.close();
  }
  expectThrow(() => env.reset({ seed: -1 }), 'InvalidSeed', 'reset({ seed: -1 })', problem);
  expectThrow(() => env.reset({ seed: 1.5 }), 'InvalidSeed', 'reset({ seed: 1.5 })', problem);

  // ---- spaces' own sampling -------------------------------------------------------------------
  const spaceRng = Rng.from(deriveSeed(seed0, 'spaces'));
  const sampled = env.observationSpace.sample(spaceRng);
  if (!env.observationSpace.contains(sampled)) problem('observationSpace.sample() gave a value observationSpace.contains() rejects');
  for (let k = 0; k < 8; k++) {
    const a = env.actionSpace.sample(spaceRng);
    if (!env.actionSpace.contains(a)) problem(`actionSpace.sample() gave ${String(a)}, which actionSpace.contains() rejects`);
  }
  for (const bad of [-1, 1.5, Number.NaN, '0', null]) {
    if (env.actionSpace.contains(bad)) problem(`actionSpace.contains(${JSON.stringify(bad)}) is true`);
  }

  // ---- rollouts: shapes, spaces, determinism, misuse --------------------------------------------
  const rollout = (seed: number, misuse: boolean): Step[] => {
    const rng = Rng.from(deriveSeed(seed, 'actions'));
    const out: Step[] = [];
    const r = env.reset({ seed });
    checkReset(r, `reset({ seed: ${seed} })`);
    let mask = r.info.mask;
    let ret = 0;
    for (let t = 0; ; t++) {
      if (t >= maxSteps) { problem(`episode with seed ${seed} did not end within ${maxSteps} steps`); break; }
      const a = env.actionSpace.sample(rng, mask);
      if (!env.actionSpace.contains(a) || !mask[a]) problem(`actionSpace.sample(rng, mask) gave ${a}, not a valid action`);
      if (misuse && t === 0) {
        for (const bad of [-1, mask.length, 0.5, Number.NaN]) expectThrow(() => env.step(bad), 'InvalidAction', `step(${bad})`, problem);
        const masked = mask.indexOf(false);
        if (masked >= 0) expectThrow(() => env.step(masked), 'InvalidAction', `step(${masked}) with action ${masked} masked out`, problem);
      }
      const s = env.step(a);
      steps++;
      checkStep(s, `step ${t} of the episode with seed ${seed}`);
      ret += s.reward;
      out.push({ observation: json(s.observation), reward: s.reward, terminated: s.terminated, truncated: s.truncated, info: json(s.info) });
      if (s.terminated || s.truncated) {
        const ep = (s.info as { episode?: { totals?: { return?: number } } }).episode;
        const total = ep?.totals?.return;
        if (typeof total === 'number' && Math.abs(total - ret) > 1e-9 * Math.max(1, Math.abs(total))) {
          problem(`episode with seed ${seed}: step rewards sum to ${ret}, the Episode record's return is ${total}`);
        }
        if (misuse) expectThrow(() => env.step(0), 'ResetNeeded', 'step() after the episode ended', problem);
        break;
      }
      mask = s.info.mask;
    }
    return out;
  };

  const checkReset = (r: ResetResult<O>, where: string) => {
    if (!isObject(r) || !keysAre(r, ['info', 'observation'])) { problem(`${where} must return exactly { observation, info }`); return; }
    checkInfo(r.info, where, true);
    if (!env.observationSpace.contains(r.observation)) problem(`${where}: observation is not in observationSpace (${env.observationSpace.description})`);
  };
  const checkStep = (s: StepResult<O>, where: string) => {
    if (!isObject(s) || !keysAre(s, ['info', 'observation', 'reward', 'terminated', 'truncated'])) {
      problem(`${where}: step() must return exactly { observation, reward, terminated, truncated, info }`);
      return;
    }
    if (typeof s.reward !== 'number' || !Number.isFinite(s.reward)) problem(`${where}: reward must be a finite number, got ${String(s.reward)}`);
    if (typeof s.terminated !== 'boolean' || typeof s.truncated !== 'boolean') problem(`${where}: terminated and truncated must be booleans`);
    checkInfo(s.info, where, !(s.terminated || s.truncated));
    if (!env.observationSpace.contains(s.observation)) problem(`${where}: observation is not in observationSpace (${env.observationSpace.description})`);
  };
  const checkInfo = (info: unknown, where: string, live: boolean) => {
    if (!isObject(info)) { problem(`${where}: info must be an object`); return; }
    const mask = (info as { mask?: unknown }).mask;
    if (!Array.isArray(mask) || !mask.every((m) => typeof m === 'boolean')) { problem(`${where}: info.mask must be a boolean array`); return; }
    if (!env.actionSpace.contains(mask.length - 1) || env.actionSpace.contains(mask.length)) problem(`${where}: info.mask has length ${mask.length}, not the action space's size (${env.actionSpace.description})`);
    if (live && !mask.includes(true)) problem(`${where}: info.mask allows no action while the episode runs`);
  };

  const trajectories: string[] = [];
  for (let e = 0; e < nEpisodes; e++) {
    const seed = deriveSeed(seed0, e);
    const a = rollout(seed, false);
    const b = rollout(seed, true);
    if (json(a) !== json(b)) {
      const k = a.findIndex((s, i) => json(s) !== json(b[i]));
      problem(`not deterministic: two resets with seed ${seed} disagree at step ${k < 0 ? Math.min(a.length, b.length) : k} over the same actions (invalid actions tried in between must change nothing)`);
    }
    trajectories.push(json(a));
  }
  if (nEpisodes >= 2 && new Set(trajectories).size === 1) problem(`${nEpisodes} different seeds gave the same episode: reset() ignores its seed`);

  // ---- unseeded resets continue deterministically from the seeded one --------------------------
  const unseeded = () => {
    env.reset({ seed: seed0 });
    return [json(env.reset().observation), json(env.reset().observation)];
  };
  if (json(unseeded()) !== json(unseeded())) problem('unseeded resets after reset({ seed }) are not deterministic');

  env.close();
  if (problems.length) throw new EnvCheckFailed(name, problems);
  return { episodes: nEpisodes * 2 + 4, steps };
}

function expectThrow(f: () => unknown, errorName: string, what: string, problem: (p: string) => void): void {
  try {
    f();
  } catch (err) {
    if (!(err instanceof EnvError) || err.name !== errorName) {
      problem(`${what} threw ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}; expected ${errorName}`);
    } else if (!err.message) problem(`${what}: ${errorName} has no message`);
    return;
  }
  problem(`${what} did not throw; expected ${errorName}`);
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null;
}

function keysAre(x: Record<string, unknown>, keys: readonly string[]): boolean {
  return json(Object.keys(x).sort()) === json(keys);
}

/** JSON text with typed arrays as plain arrays (comparable trajectories). */
function json(x: unknown): string {
  return JSON.stringify(x, (_k, v: unknown) => (ArrayBuffer.isView(v) && !(v instanceof DataView) ? Array.from(v as Float32Array) : v));
}
