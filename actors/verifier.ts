import type { ScenarioContext } from './episode-core.js';
import type { ConversationEvent, VerifierEvent } from './events.js';
import { fromReactor } from './reactor.js';

export interface VerifierInput {
  readonly ctx: ScenarioContext;
}

/**
 * The verifier: `family.judge` per exchange (the agent turn's reward, an early end), then reports
 * the judged exchange to the conversation; `family.finish` at the end (e.g. a post-test, drawn from
 * the episode's `verifier` stream). Stateless between messages.
 */
export const verifier = fromReactor(
  (c: VerifierInput, e: VerifierEvent, { self, defer }) => {
    const { scenario: s, family: f } = c.ctx;
    let reply: ConversationEvent;
    if (e.type === 'verifier.judge') {
      try {
        const j = f.judge(s, e.persona, e.before, e.turn.act, e.act, e.after);
        reply = {
          type: 'verifier.judged', reward: j.reward, end: j.end,
          turn: e.turn, act: e.act, text: e.text, textError: e.textError, left: e.left, before: e.before, after: e.after,
        };
      } catch (error) {
        reply = { type: 'actor.failed', role: 'verifier', error, turn: e.turn };
      }
    } else {
      try {
        const fin = f.finish(s, e.persona, e.state, e.reason, e.rng);
        reply = { type: 'verifier.finished', reward: fin.reward, success: fin.success, ...(fin.details ? { details: fin.details } : {}) };
      } catch (error) {
        reply = { type: 'actor.failed', role: 'verifier', error };
      }
    }
    defer(() => self._parent?.send(reply));
  },
  (input: VerifierInput): VerifierInput => input,
);
