import { enqueueActions, setup } from 'xstate';
import type { Rng } from '../scenarios/random.js';
import type { ScenarioContext } from './episode-core.js';
import type { ConversationEvent, UserEvent } from './events.js';

export interface UserInput {
  readonly ctx: ScenarioContext;
  /** The episode's `persona`, `user` (behaviour) and `userText` (wording) streams. */
  readonly rngPersona: Rng;
  readonly rng: Rng;
  readonly rngText: Rng;
}

interface UserContext extends UserInput {
  persona: unknown;
  state: unknown;
}

/**
 * The imagined user: holds the hidden persona and state, and answers the agent through the
 * family's `open`, `respond` and `renderUser`. One state: it only ever reacts.
 */
export const imaginedUser = setup({
  types: {
    context: {} as UserContext,
    events: {} as UserEvent,
    input: {} as UserInput,
  },
}).createMachine({
  id: 'user',
  context: ({ input }) => ({ ...input, persona: null, state: null }),
  on: {
    'user.open': {
      actions: enqueueActions(({ context: c, enqueue }) => {
        const { scenario: s, family: f } = c.ctx;
        let reply: ConversationEvent;
        let persona: unknown = null;
        try {
          persona = f.samplePersona(s, c.rngPersona);
          const init = f.init(s, persona, c.rng);
          const o = f.open(s, persona, init, c.rng);
          const text = f.renderUser(s, persona, o.act, c.rngText);
          enqueue.assign({ persona, state: o.state });
          reply = { type: 'user.said', act: o.act, text, left: false, before: init, after: o.state, persona };
        } catch (error) {
          // The persona (when drawn) goes into the errored episode, as in the reference loop.
          reply = { type: 'actor.failed', role: 'user', error, persona };
        }
        enqueue.sendParent(reply);
      }),
    },
    'user.hear': {
      actions: enqueueActions(({ context: c, event, enqueue }) => {
        const { scenario: s, family: f } = c.ctx;
        let reply: ConversationEvent;
        try {
          const r = f.respond(s, c.persona, c.state, event.act, c.rng);
          let text = '';
          let textError: unknown;
          try {
            text = f.renderUser(s, c.persona, r.act, c.rngText);
          } catch (err) {
            textError = err ?? new Error('renderUser threw');
          }
          enqueue.assign({ state: r.state });
          reply = { type: 'user.said', act: r.act, text, left: r.left === true, before: c.state, after: r.state, ...(textError !== undefined ? { textError } : {}) };
        } catch (error) {
          reply = { type: 'actor.failed', role: 'user', error };
        }
        enqueue.sendParent(reply);
      }),
    },
  },
});
