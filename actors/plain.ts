import type { Act, EndReason } from './acts.js';
import type { Episode, Turn } from './episode.js';
import type { Policy } from './policy.js';
import { checkAction, episodeRecord, episodeStreams, erroredEpisode, observe } from './episode-core.js';
import type { EpisodeSpec, ScenarioContext } from './episode-core.js';

/**
 * The reference semantics of a conversation as a plain loop, without actors: the XState
 * conversation must produce byte-identical episodes, and the benchmark compares against it.
 * Needs a synchronous policy (scripted policies are).
 */
export function runEpisodePlain(ctx: ScenarioContext, policy: Policy, spec: EpisodeSpec): Episode {
  const { scenario: s, family: f } = ctx;
  const rng = episodeStreams(spec.seed);
  const turns: Turn[] = [];
  const label = policy.nameFor?.(rng.policy) ?? policy.name;
  let persona: unknown = null;
  try {
    persona = f.samplePersona(s, rng.persona);
    let state = f.init(s, persona, rng.user);
    const opened = f.open(s, persona, state, rng.user);
    state = opened.state;
    turns.push({ speaker: 'user', act: opened.act, text: f.renderUser(s, persona, opened.act, rng.userText), reward: 0 });
    let view = f.updateView(s, f.initialView(s), null, opened.act);
    let lastUserAct: Act = opened.act;
    let reason: EndReason = 'turn-limit';
    for (let t = 0; t < s.maxTurns; t++) {
      const obs = observe(ctx, turns, view, t, lastUserAct, policy.privileged ? { persona, state } : undefined);
      const out = policy.act([obs], [rng.policy]);
      if (out instanceof Promise) throw new Error(`runEpisodePlain needs a synchronous policy; '${policy.name}' returned a Promise`);
      const d = out[0];
      checkAction(ctx, obs, d.action, policy.name);
      const act = ctx.actions[d.action];
      const agentTurn: Turn = { speaker: 'agent', act, text: f.renderAgent(s, act, rng.agentText), reward: 0, action: d.action, ...(d.logprob !== undefined ? { logprob: d.logprob } : {}) };
      turns.push(agentTurn);
      const r = f.respond(s, persona, state, act, rng.user);
      const j = f.judge(s, persona, state, act, r.act, r.state);
      agentTurn.reward = j.reward;
      state = r.state;
      turns.push({ speaker: 'user', act: r.act, text: f.renderUser(s, persona, r.act, rng.userText), reward: 0 });
      view = f.updateView(s, view, act, r.act);
      lastUserAct = r.act;
      if (j.end) { reason = j.end; break; }
      if (r.left) { reason = 'user-left'; break; }
    }
    const fin = f.finish(s, persona, state, reason, rng.verifier);
    addFinalReward(turns, fin.reward);
    return episodeRecord(ctx, spec, label, persona, turns, {
      reason, success: fin.success, finalReward: fin.reward, ...(fin.details ? { details: fin.details } : {}),
    });
  } catch (err) {
    return erroredEpisode(ctx, spec, label, persona, turns, err);
  }
}

/** The verifier's final reward goes on the last agent turn, so per-turn rewards sum to the return. */
export function addFinalReward(turns: Turn[], reward: number): void {
  for (let i = turns.length - 1; i >= 0; i--) {
    if (turns[i].speaker === 'agent') { turns[i].reward += reward; return; }
  }
}
