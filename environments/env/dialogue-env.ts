import { Rng, deriveSeed } from '../../scenarios/random.js';
import { getScenario } from '../../scenarios/registry.js';
import type { Scenario } from '../../scenarios/schema.js';
import type { Act, Observation } from '../../actors/acts.js';
import { makeContext } from '../../actors/context.js';
import { observe } from '../../actors/episode-core.js';
import type { ScenarioContext } from '../../actors/episode-core.js';
import type { Episode } from '../../actors/episode.js';
import { EnvClosed, InvalidAction, ResetNeeded, checkSeed } from './errors.js';
import { ConversationSession } from './session.js';
import type { Advance } from './session.js';
import { Box, DialogueObservationSpace, Discrete } from './spaces.js';
import type { Env, ObservationEncoder, ResetOptions, ResetResult, Space, StepInfo, StepResult } from './types.js';

export interface DialogueEnvOptions {
  /** The seed of the first episode when the first reset() names none. Default 0. */
  readonly seed?: number;
  /** Observations carry the hidden persona and state (`privileged`), for oracle policies. Default false. */
  readonly privileged?: boolean;
  /** The behaviour-policy name recorded in the Episode records (`info.episode.policy`). Default 'env'. */
  readonly policyName?: string;
}

export interface EncodedEnvOptions extends DialogueEnvOptions {
  /** Gives Box(size) observations: `encode(observation, out)` fills a fresh Float32Array per step. */
  readonly encoded: ObservationEncoder<Observation>;
}

type Phase = 'unreset' | 'running' | 'done' | 'closed';

/**
 * A Gymnasium-style environment for one scenario, over the XState conversation actors: reset()
 * starts an episode and runs it to the agent's first decision request; step(action) answers that
 * request and runs the imagined user and the verifier to the next one (or to the end).
 * Observations are the structured `Observation` (or Box vectors with `encoded`), actions are
 * catalogue indices (`Discrete(ctx.actions.length)`, with a mask in `info.mask` and `observation.mask`).
 * The reward of a step is the agent turn's reward in the Episode record, the verifier's final
 * reward included on the last step, so the step rewards sum to `episode.totals.return`.
 *
 * @example
 * const env = makeEnv('twenty-questions');
 * let { observation, info } = env.reset({ seed: 7 });
 * for (;;) {
 *   const r = env.step(env.actionSpace.sample(rng, info.mask));
 *   ({ observation, info } = r);
 *   if (r.terminated || r.truncated) break;
 * }
 */
export class DialogueEnv<O = Observation> implements Env<O, number> {
  readonly ctx: ScenarioContext;
  readonly actionSpace: Discrete;
  readonly observationSpace: Space<O>;
  private readonly session: ConversationSession;
  private phase: Phase = 'unreset';
  /** The seed named by the last seeded reset, and the resets since (unseeded resets derive from them). */
  private baseSeed: number;
  private sinceSeeded = -1;
  private seed = 0;
  private turn = 0;
  private mask: readonly boolean[] = [];

  /** Use {@link makeEnv}; this constructor takes the observation mapping explicitly. */
  constructor(
    ctx: ScenarioContext,
    private readonly toObservation: (obs: Observation) => O,
    observationSpace: ((raw: DialogueObservationSpace) => Space<O>) | null,
    readonly options: DialogueEnvOptions = {},
  ) {
    this.ctx = ctx;
    this.baseSeed = checkSeed(options.seed ?? 0);
    this.actionSpace = new Discrete(ctx.actions.length);
    this.session = new ConversationSession(ctx, options.policyName ?? 'env', options.privileged === true);
    const raw = new DialogueObservationSpace(ctx.scenario.id, ctx.scenario.family, ctx.scenario.maxTurns, ctx.actions.length, (rng) => sampleObservation(ctx, rng));
    this.observationSpace = observationSpace ? observationSpace(raw) : (raw as unknown as Space<O>);
  }

  /** The scenario's action catalogue: action i is `actions[i]`. */
  get actions(): readonly Act[] {
    return this.ctx.actions;
  }

  /**
   * Starts an episode. With `seed`, the episode plays with that seed (the same episode
   * `runEpisodePlain` plays with it); without, the k-th reset after the last seeded one plays
   * `deriveSeed(thatSeed, k)` (the first ever unseeded reset counts from `options.seed`, default 0).
   */
  reset(options: ResetOptions = {}): ResetResult<O> {
    if (this.phase === 'closed') throw new EnvClosed('reset');
    if (options.seed !== undefined) {
      this.baseSeed = checkSeed(options.seed);
      this.sinceSeeded = 0;
      this.seed = this.baseSeed;
    } else {
      this.sinceSeeded++;
      this.seed = this.sinceSeeded === 0 ? this.baseSeed : deriveSeed(this.baseSeed, this.sinceSeeded);
    }
    // The record's index counts resets since the seeded one, so the same seeds give the same records.
    const index = Math.max(0, this.sinceSeeded);
    const a = this.session.start({ index, seed: this.seed, id: `${this.ctx.scenario.id}-env-${this.seed}` });
    if (a.kind === 'ended') {
      this.phase = 'unreset';
      throw new Error(`episode with seed ${this.seed} of scenario '${this.ctx.scenario.id}' ended before the agent's first decision: ${a.episode.outcome.error ?? a.episode.outcome.reason}`);
    }
    this.phase = 'running';
    this.turn = 0;
    this.mask = a.observation.mask;
    return { observation: this.toObservation(a.observation), info: { seed: this.seed, turn: 0, mask: this.mask } };
  }

  /** Plays catalogue action `action` (an integer the current mask allows) and runs to the agent's next decision. */
  step(action: number): StepResult<O> {
    if (this.phase === 'closed') throw new EnvClosed('step');
    if (this.phase === 'unreset') throw new ResetNeeded();
    if (this.phase === 'done') throw new ResetNeeded('Cannot call step() after the episode ended (terminated or truncated); call reset() first');
    this.checkAction(action);
    const a: Advance = this.session.answer(action);
    this.turn++;
    if (a.kind === 'decide') {
      this.mask = a.observation.mask;
      return { observation: this.toObservation(a.observation), reward: a.reward, terminated: false, truncated: false, info: { seed: this.seed, turn: this.turn, mask: this.mask } };
    }
    this.phase = 'done';
    const ep = a.episode;
    const { reason, success, finalReward, error } = ep.outcome;
    this.mask = new Array<boolean>(this.ctx.actions.length).fill(false);
    const info: StepInfo = { seed: this.seed, turn: this.turn, mask: this.mask, reason, success, finalReward, episode: ep, ...(error !== undefined ? { error } : {}) };
    return { observation: this.toObservation(finalObservation(this.ctx, ep)), reward: a.reward, terminated: reason !== 'turn-limit', truncated: reason === 'turn-limit', info };
  }

  close(): void {
    this.session.stop();
    this.phase = 'closed';
  }

  private checkAction(action: number): void {
    if (!this.actionSpace.contains(action)) {
      throw new InvalidAction(action, `action ${String(action)} is not in the action space: expected an integer in [0, ${this.actionSpace.n})`);
    }
    if (!this.mask[action]) {
      const act = this.ctx.actions[action];
      throw new InvalidAction(action, `action ${action} (${act.type}${act.args ? ' ' + JSON.stringify(act.args) : ''}) is masked out at turn ${this.turn}; valid now: ${validList(this.mask)}`);
    }
  }
}

/**
 * An environment for a scenario (its id, a file path, a Scenario or a ScenarioContext).
 * With `encoded`, observations are Box(encoder.size) vectors; otherwise the structured Observation.
 */
export function makeEnv(scenario: string | Scenario | ScenarioContext, options: EncodedEnvOptions): DialogueEnv<Float32Array>;
export function makeEnv(scenario: string | Scenario | ScenarioContext, options?: DialogueEnvOptions): DialogueEnv<Observation>;
export function makeEnv(scenario: string | Scenario | ScenarioContext, options: DialogueEnvOptions | EncodedEnvOptions = {}): DialogueEnv<Observation> | DialogueEnv<Float32Array> {
  const ctx = contextOf(scenario);
  if ('encoded' in options && options.encoded) {
    const enc = options.encoded;
    if (!(Number.isInteger(enc.size) && enc.size > 0)) throw new RangeError(`options.encoded.size must be a positive integer, got ${enc.size}`);
    const encode = (obs: Observation) => {
      const out = new Float32Array(enc.size);
      enc.encode(obs, out);
      return out;
    };
    return new DialogueEnv<Float32Array>(ctx, encode, () => new Box(enc.size), options);
  }
  return new DialogueEnv<Observation>(ctx, (o) => o, null, options);
}

export function contextOf(scenario: string | Scenario | ScenarioContext): ScenarioContext {
  if (typeof scenario === 'string') return makeContext(getScenario(scenario));
  if ('family' in scenario && 'actions' in scenario && 'hash' in scenario && 'scenario' in scenario) return scenario;
  return makeContext(scenario as Scenario);
}

/**
 * The observation after the last step: the transcript and view with every exchange folded in
 * (as the agent actor folds the last one), the mask all false (no action is valid any more).
 */
export function finalObservation(ctx: ScenarioContext, ep: Episode): Observation {
  const { scenario: s, family: f } = ctx;
  let view: unknown = f.initialView(s);
  let lastUserAct: Act | null = null;
  let agentAct: Act | null = null;
  let agentTurns = 0;
  for (const t of ep.turns) {
    if (t.speaker === 'agent') { agentAct = t.act; agentTurns++; continue; }
    try { view = f.updateView(s, view, agentAct, t.act); } catch { /* an errored episode's view stays as it was */ }
    lastUserAct = t.act;
    agentAct = null;
  }
  if (ep.turns.length === 0) {
    return { scenarioId: s.id, family: s.family, turn: 0, maxTurns: s.maxTurns, history: [], lastUserAct: null, view, mask: new Array<boolean>(ctx.actions.length).fill(false) };
  }
  const obs = observeSafe(ctx, ep, view, agentTurns, lastUserAct);
  return { ...obs, mask: new Array<boolean>(ctx.actions.length).fill(false) };
}

function observeSafe(ctx: ScenarioContext, ep: Episode, view: unknown, agentTurns: number, lastUserAct: Act | null): Observation {
  const { scenario: s } = ctx;
  try {
    return observe(ctx, ep.turns, view, Math.min(agentTurns, s.maxTurns), lastUserAct);
  } catch {
    const history = ep.turns.map((t) => ({ speaker: t.speaker, act: t.act, text: t.text }));
    return { scenarioId: s.id, family: s.family, turn: Math.min(agentTurns, s.maxTurns), maxTurns: s.maxTurns, history, lastUserAct, view, mask: [] };
  }
}

/** A reachable observation: random valid actions from a random seed, for a random number of turns. */
function sampleObservation(ctx: ScenarioContext, rng: Rng): Observation {
  const env = makeEnv(ctx);
  try {
    let { observation } = env.reset({ seed: rng.int(2 ** 31) });
    const turns = rng.int(ctx.scenario.maxTurns);
    for (let t = 0; t < turns; t++) {
      const r = env.step(env.actionSpace.sample(rng, observation.mask));
      observation = r.observation;
      if (r.terminated || r.truncated) break;
    }
    return observation;
  } finally {
    env.close();
  }
}

/** The valid action indices of a mask as ranges, e.g. `0-4, 7, 9`. */
export function validList(mask: readonly boolean[]): string {
  const out: string[] = [];
  let a = 0;
  while (a < mask.length) {
    if (!mask[a]) { a++; continue; }
    let b = a;
    while (b + 1 < mask.length && mask[b + 1]) b++;
    out.push(a === b ? String(a) : `${a}-${b}`);
    a = b + 1;
  }
  return out.length ? out.join(', ') : 'none';
}
