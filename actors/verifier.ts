import { enqueueActions, setup } from 'xstate';
import type { Rng } from '../scenarios/random.js';
import type { ScenarioContext } from './episode-core.js';
import type { ConversationEvent, VerifierEvent } from './events.js';

export interface VerifierInput {
  readonly ctx: ScenarioContext;
  /** The episode's `verifier` stream (used by `finish`, e.g. a post-test). */
  readonly rng: Rng;
}

/** The verifier: `family.judge` per exchange (reward, early end), `family.finish` at the end. */
export const verifier = setup({
  types: {
    context: {} as VerifierInput,
    events: {} as VerifierEvent,
    input: {} as VerifierInput,
  },
}).createMachine({
  id: 'verifier',
  context: ({ input }) => input,
  on: {
    'verifier.judge': {
      actions: enqueueActions(({ context: c, event: e, enqueue }) => {
        let reply: ConversationEvent;
        try {
          const j = c.ctx.family.judge(c.ctx.scenario, e.persona, e.before, e.agent, e.user, e.after);
          reply = { type: 'verifier.judged', reward: j.reward, ...(j.end ? { end: j.end } : {}) };
        } catch (error) {
          reply = { type: 'actor.failed', role: 'verifier', error };
        }
        enqueue.sendParent(reply);
      }),
    },
    'verifier.finish': {
      actions: enqueueActions(({ context: c, event: e, enqueue }) => {
        let reply: ConversationEvent;
        try {
          const fin = c.ctx.family.finish(c.ctx.scenario, e.persona, e.state, e.reason, c.rng);
          reply = { type: 'verifier.finished', reward: fin.reward, success: fin.success, ...(fin.details ? { details: fin.details } : {}) };
        } catch (error) {
          reply = { type: 'actor.failed', role: 'verifier', error };
        }
        enqueue.sendParent(reply);
      }),
    },
  },
});
