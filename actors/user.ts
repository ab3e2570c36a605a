import type { Rng } from '../scenarios/random.js';
import type { ScenarioContext } from './episode-core.js';
import type { ConversationEvent, UserEvent, VerifierEvent } from './events.js';
import { fromReactor, toActor, toParent as parent } from './reactor.js';

export interface UserInput {
  readonly ctx: ScenarioContext;
}

export interface UserContext {
  readonly ctx: ScenarioContext;
  persona: unknown;
  state: unknown;
  /** The episode's `user` (behaviour) and `userText` (wording) streams. */
  rng: Rng | null;
  rngText: Rng | null;
}

/**
 * The imagined user: holds the hidden persona and state, and answers through the family's `open`,
 * `respond` and `renderUser`. Its opening line and its replies go to the verifier (system id
 * `verifier`), which records and judges them. It only ever reacts (one state), hence a reactor rather than a statechart.
 */
export const imaginedUser = fromReactor(
  (c: UserContext, event: UserEvent, scope) => {
    const { scenario: s, family: f } = c.ctx;
    if (event.type === 'user.open') {
      c.persona = null;
      c.state = null;
      c.rng = event.rng;
      c.rngText = event.rngText;
      try {
        c.persona = f.samplePersona(s, event.rngPersona);
        const init = f.init(s, c.persona, event.rng);
        const o = f.open(s, c.persona, init, event.rng);
        const text = f.renderUser(s, c.persona, o.act, event.rngText);
        c.state = o.state;
        toActor<VerifierEvent>(scope, 'verifier', { type: 'verifier.opening', act: o.act, text, persona: c.persona, state: o.state });
      } catch (error) {
        // The persona (when drawn) goes into the errored episode, as in the reference loop.
        parent<ConversationEvent>(scope, { type: 'actor.failed', role: 'user', error, persona: c.persona });
      }
      return;
    }
    if (event.type !== 'user.hear') return;
    try {
      const before = c.state;
      const r = f.respond(s, c.persona, before, event.turn.act, c.rng!);
      c.state = r.state;
      let text = '';
      let textError: unknown;
      try {
        text = f.renderUser(s, c.persona, r.act, c.rngText!);
      } catch (err) {
        textError = err ?? new Error('renderUser threw');
      }
      toActor<VerifierEvent>(scope, 'verifier', {
        type: 'verifier.judge', persona: c.persona, turn: event.turn, act: r.act, text, textError, left: r.left === true,
        before, after: r.state,
      });
    } catch (error) {
      parent<ConversationEvent>(scope, { type: 'actor.failed', role: 'user', error, turn: event.turn });
    }
  },
  (input: UserInput): UserContext => ({ ctx: input.ctx, persona: null, state: null, rng: null, rngText: null }),
);
