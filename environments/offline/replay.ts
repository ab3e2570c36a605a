import type { Act, Observation } from '../../actors/acts.js';
import { observe, type ScenarioContext } from '../../actors/episode-core.js';
import type { Episode } from '../../actors/episode.js';

const actKeys = new WeakMap<ScenarioContext, Map<string, number>>();

function actKey(act: Act): string {
  if (!act.args) return act.type;
  const keys = Object.keys(act.args).sort();
  return act.type + JSON.stringify(keys.map((k) => [k, act.args![k]]));
}

/** The catalogue index of an act (for episodes whose agent turns lack `action`); -1 when not in the catalogue. */
export function actionIndex(ctx: ScenarioContext, act: Act): number {
  let m = actKeys.get(ctx);
  if (!m) {
    m = new Map(ctx.actions.map((a, i) => [actKey(a), i]));
    actKeys.set(ctx, m);
  }
  return m.get(actKey(act)) ?? -1;
}

/** One agent decision of a stored episode, as the agent saw it. */
export interface ReplayedDecision {
  /** The observation before the decision, rebuilt exactly as the runners build it. */
  readonly obs: Observation;
  readonly action: number;
  /** The agent turn's reward (the verifier's final reward is on the last one). */
  readonly reward: number;
}

/**
 * Rebuilds the observation before every agent turn of a stored episode by replaying its visible
 * turns through the family's `initialView` / `updateView` / `mask`, in the order the runners call
 * them (see `runEpisodePlain`). Throws, saying which turn, when the turns do not alternate
 * user/agent/user…, an act is not in the catalogue, or a taken action is masked out (the episode
 * does not belong to this scenario's logic).
 */
export function replayDecisions(ctx: ScenarioContext, ep: Episode): ReplayedDecision[] {
  const { scenario: s, family: f } = ctx;
  const turns = ep.turns;
  if (turns.length === 0 || turns[0].speaker !== 'user') throw new Error(`episode ${ep.id}: expected the user's opening turn first`);
  let view: unknown = f.updateView(s, f.initialView(s), null, turns[0].act);
  let lastUserAct: Act = turns[0].act;
  const out: ReplayedDecision[] = [];
  for (let i = 1; i < turns.length; i += 2) {
    const agent = turns[i];
    const user = turns[i + 1];
    const k = out.length;
    if (agent.speaker !== 'agent') throw new Error(`episode ${ep.id}: turn ${i} is the user's, expected the agent's (turns alternate user, agent, user, ...)`);
    if (!user || user.speaker !== 'user') throw new Error(`episode ${ep.id}: agent turn ${k} (turn ${i}) has no user reply after it`);
    const obs = observe(ctx, turns.slice(0, i), view, k, lastUserAct);
    const action = agent.action ?? actionIndex(ctx, agent.act);
    if (!(action >= 0 && action < ctx.actions.length)) {
      throw new Error(`episode ${ep.id}: agent turn ${k}: act ${JSON.stringify(agent.act)} is not in the action catalogue of scenario '${s.id}'`);
    }
    if (!obs.mask[action]) {
      throw new Error(`episode ${ep.id}: agent turn ${k}: action ${action} (${agent.act.type}) is masked out when the episode is replayed; the dataset does not match scenario '${s.id}' ${s.version}`);
    }
    out.push({ obs, action, reward: agent.reward });
    view = f.updateView(s, view, agent.act, user.act);
    lastUserAct = user.act;
  }
  return out;
}
