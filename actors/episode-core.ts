import { Rng } from '../scenarios/random.js';
import type { Scenario } from '../scenarios/schema.js';
import type { Act, Observation, VisibleTurn } from './acts.js';
import type { AnyFamily } from './family.js';
import type { Episode, Turn } from './episode.js';

/** Which episode to play: its index in the run, its own seed, its id. */
export interface EpisodeSpec {
  readonly index: number;
  readonly seed: number;
  readonly id: string;
}

/** A scenario with what the runners need beside it (catalogue and content hash computed once). */
export interface ScenarioContext {
  readonly scenario: Scenario;
  readonly family: AnyFamily;
  readonly actions: readonly Act[];
  readonly hash: string;
}

/**
 * Independent random streams of one episode, split by role so that one role's draws never shift
 * another's (the persona is the same whichever policy plays; the policy's draws do not move the user's).
 */
export function episodeStreams(seed: number) {
  const root = Rng.from(seed);
  return {
    persona: root.fork('persona'),
    user: root.fork('user'),
    userText: root.fork('user-text'),
    agentText: root.fork('agent-text'),
    policy: root.fork('policy'),
    verifier: root.fork('verifier'),
  };
}
export type EpisodeStreams = ReturnType<typeof episodeStreams>;

export function visible(turns: readonly Turn[]): VisibleTurn[] {
  return turns.map((t) => ({ speaker: t.speaker, act: t.act, text: t.text }));
}

/** The observation for the agent's next decision. */
export function observe(
  ctx: ScenarioContext,
  turns: readonly Turn[],
  view: unknown,
  agentTurns: number,
  lastUserAct: Act | null,
  privileged?: { persona: unknown; state: unknown },
): Observation {
  const mask = ctx.family.mask(ctx.scenario, view, agentTurns);
  return {
    scenarioId: ctx.scenario.id,
    family: ctx.scenario.family,
    turn: agentTurns,
    maxTurns: ctx.scenario.maxTurns,
    history: visible(turns),
    lastUserAct,
    view,
    mask,
    ...(privileged ? { privileged } : {}),
  };
}

/** Checks a policy's answer against the catalogue and mask; the message says what was wrong. */
export function checkAction(ctx: ScenarioContext, obs: Observation, action: number, policy: string): void {
  if (!Number.isInteger(action) || action < 0 || action >= ctx.actions.length) {
    throw new Error(`policy '${policy}' returned action ${action}; expected an integer in [0, ${ctx.actions.length})`);
  }
  if (!obs.mask[action]) {
    const a = ctx.actions[action];
    throw new Error(`policy '${policy}' chose action ${action} (${a.type}${a.args ? ' ' + JSON.stringify(a.args) : ''}), which is masked out at turn ${obs.turn}`);
  }
}

/** The Episode record once the conversation is over. */
export function episodeRecord(
  ctx: ScenarioContext,
  spec: EpisodeSpec,
  policy: string,
  persona: unknown,
  turns: Turn[],
  outcome: Episode['outcome'],
): Episode {
  let ret = 0;
  let agentTurns = 0;
  for (const t of turns) {
    ret += t.reward;
    if (t.speaker === 'agent') agentTurns++;
  }
  return {
    id: spec.id,
    index: spec.index,
    scenario: { id: ctx.scenario.id, version: ctx.scenario.version, hash: ctx.hash },
    seed: spec.seed,
    policy,
    persona,
    turns,
    outcome,
    totals: { return: ret, agentTurns, userTurns: turns.length - agentTurns },
  };
}

/** An episode that failed: recorded with the message, so the pool goes on. */
export function erroredEpisode(ctx: ScenarioContext, spec: EpisodeSpec, policy: string, persona: unknown, turns: Turn[], err: unknown): Episode {
  const message = err instanceof Error ? err.message : String(err);
  return episodeRecord(ctx, spec, policy, persona ?? null, turns, { reason: 'error', success: false, finalReward: 0, error: message });
}
