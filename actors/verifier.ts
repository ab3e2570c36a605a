import type { Rng } from '../scenarios/random.js';
import type { Act, EndReason } from './acts.js';
import type { ScenarioContext } from './episode-core.js';
import type { AgentEvent, ConversationEvent, Privileged, Transcript, VerifierEvent } from './events.js';
import { fromReactor, toActor, toParent as parent } from './reactor.js';

export interface VerifierInput {
  readonly ctx: ScenarioContext;
  /** Whether the agent's observations carry the hidden persona and state (oracle policies). */
  readonly privileged: boolean;
}

export interface VerifierContext extends VerifierInput {
  transcript: Transcript | null;
  /** The user's hidden state after the last exchange (the oracle's view, `finish`). */
  state: unknown;
  agentTurns: number;
  /** Why the episode ends, once it does. */
  reason: EndReason | null;
  /** The episode's `verifier` stream. */
  rng: Rng | null;
}

/**
 * The verifier, the conversation's referee: records each exchange in the episode's transcript,
 * judges it with `family.judge` (the agent turn's reward, an early end), applies the end rules (its
 * verdict, then the user leaving, then `maxTurns`) and hands the agent its next observation; at
 * the end, once the agent has folded in the last exchange, `family.finish` (e.g. a post-test,
 * drawn from the episode's `verifier` stream) and `verifier.finished` to the conversation. One
 * state that only reacts, hence a reactor.
 */
export const verifier = fromReactor(
  (c: VerifierContext, e: VerifierEvent, scope) => {
    const { scenario: s, family: f } = c.ctx;
    switch (e.type) {
      case 'verifier.start':
        c.transcript = e.transcript;
        c.rng = e.rng;
        c.state = null;
        c.agentTurns = 0;
        c.reason = null;
        return;

      case 'verifier.opening': {
        const t = c.transcript!;
        t.turns.push({ speaker: 'user', act: e.act, text: e.text, reward: 0 });
        t.persona = e.persona;
        c.state = e.state;
        if (s.maxTurns <= 0) c.reason = 'turn-limit';
        toActor<AgentEvent>(scope, 'agent', observe(c, null, e));
        return;
      }

      case 'verifier.judge': {
        let j: ReturnType<typeof f.judge>;
        try {
          j = f.judge(s, e.persona, e.before, e.turn.act, e.act, e.after);
        } catch (error) {
          parent<ConversationEvent>(scope, { type: 'actor.failed', role: 'verifier', error, turn: e.turn });
          return;
        }
        e.turn.reward = j.reward;
        const turns = c.transcript!.turns;
        if (e.textError !== undefined) {
          // renderUser failed after a judged exchange: the turn keeps its reward, the reply is lost.
          turns.push(e.turn);
          parent<ConversationEvent>(scope, { type: 'actor.failed', role: 'user', error: e.textError });
          return;
        }
        turns.push(e.turn, { speaker: 'user', act: e.act, text: e.text, reward: 0 });
        c.agentTurns++;
        c.state = e.after;
        c.reason = j.end ?? (e.left ? 'user-left' : c.agentTurns >= s.maxTurns ? 'turn-limit' : null);
        // The agent folds in the exchange even when it was the last (as the reference loop does).
        toActor<AgentEvent>(scope, 'agent', observe(c, e.turn.act, e));
        return;
      }

      case 'agent.ready': {
        let reply: ConversationEvent;
        try {
          const fin = f.finish(s, c.transcript!.persona, c.state, c.reason!, c.rng!);
          reply = { type: 'verifier.finished', reason: c.reason!, reward: fin.reward, success: fin.success, ...(fin.details ? { details: fin.details } : {}) };
        } catch (error) {
          reply = { type: 'actor.failed', role: 'verifier', error };
        }
        parent<ConversationEvent>(scope, reply);
        return;
      }
    }
  },
  (input: VerifierInput): VerifierContext => ({ ...input, transcript: null, state: null, agentTurns: 0, reason: null, rng: null }),
);

/** The agent's next observation: `decide` unless the episode has ended. */
function observe(c: VerifierContext, agent: Act | null, user: { act: Act; text: string }): AgentEvent {
  const decide = c.reason === null;
  const e: AgentEvent & { privileged?: Privileged } = { type: 'agent.observe', agent, user: { speaker: 'user', act: user.act, text: user.text }, decide };
  if (decide && c.privileged) e.privileged = { persona: c.transcript!.persona, state: c.state };
  return e;
}
