import { enqueueActions, setup } from 'xstate';
import type { Rng } from '../scenarios/random.js';
import type { Act, Observation, VisibleTurn } from './acts.js';
import { checkAction } from './episode-core.js';
import type { ScenarioContext } from './episode-core.js';
import type { Turn } from './episode.js';
import type { AgentEvent, ConversationEvent } from './events.js';
import type { Decision } from './policy.js';

/** The answer to a decision request. */
export type DecisionReply = { decision: Decision; rng: Rng } | { error: unknown };

/** Where agents send their decision requests (the {@link Batcher} of the run). */
export interface DecisionSource {
  request(observation: Observation, rng: Rng, reply: (r: DecisionReply) => void): void;
}

export interface AgentInput {
  readonly ctx: ScenarioContext;
  readonly decisions: DecisionSource;
  /** The policy's name, for error messages. */
  readonly policyName: string;
  /** The episode's `policy` stream (passed along with each request) and `agentText` stream. */
  readonly rng: Rng;
  readonly rngText: Rng;
}

interface AgentContext extends AgentInput {
  view: unknown;
  /** The visible transcript as the agent saw it (appended in place; observations get a copy). */
  readonly history: VisibleTurn[];
  lastUserAct: Act | null;
  /** Agent turns taken so far. */
  turn: number;
  /** The mask of the pending decision (to check the policy's answer). */
  obs: Observation | null;
}

/**
 * The agent: keeps what it has seen (the family's view), asks the policy for the next act through
 * a decision request (answered per tick for all live episodes at once), and renders its text.
 */
export const agent = setup({
  types: {
    context: {} as AgentContext,
    events: {} as AgentEvent,
    input: {} as AgentInput,
  },
  actions: {
    observe: enqueueActions(({ context: c, event, enqueue, self }) => {
      if (event.type !== 'agent.observe') return;
      const { scenario: s, family: f } = c.ctx;
      try {
        const prev = event.agent === null ? f.initialView(s) : c.view;
        const view = f.updateView(s, prev, event.agent, event.user.act);
        c.history.push(event.user);
        if (!event.decide) {
          enqueue.assign({ view, lastUserAct: event.user.act });
          return;
        }
        const obs: Observation = {
          scenarioId: s.id,
          family: s.family,
          turn: c.turn,
          maxTurns: s.maxTurns,
          history: c.history.slice(),
          lastUserAct: event.user.act,
          view,
          mask: f.mask(s, view, c.turn),
          ...(event.privileged ? { privileged: event.privileged } : {}),
        };
        enqueue.assign({ view, lastUserAct: event.user.act, obs });
        const rng = c.rng;
        enqueue(() => c.decisions.request(obs, rng, (r) => {
          self.send('error' in r ? { type: 'agent.undecided', error: r.error } : { type: 'agent.decided', decision: r.decision, rng: r.rng });
        }));
      } catch (error) {
        enqueue.sendParent({ type: 'actor.failed', role: 'agent', error } satisfies ConversationEvent);
      }
    }),
  },
}).createMachine({
  id: 'agent',
  context: ({ input }) => ({ ...input, view: null, history: [], lastUserAct: null, turn: 0, obs: null }),
  initial: 'listening',
  states: {
    listening: {
      on: {
        'agent.observe': [
          { guard: ({ event }) => event.decide, target: 'deciding', actions: 'observe' },
          { actions: 'observe' },
        ],
      },
    },
    deciding: {
      on: {
        'agent.decided': {
          target: 'listening',
          actions: enqueueActions(({ context: c, event: e, enqueue }) => {
            let reply: ConversationEvent;
            try {
              const { action, logprob } = e.decision;
              checkAction(c.ctx, c.obs!, action, c.policyName);
              const act = c.ctx.actions[action];
              const text = c.ctx.family.renderAgent(c.ctx.scenario, act, c.rngText);
              c.history.push({ speaker: 'agent', act, text });
              const turn: Turn = { speaker: 'agent', act, text, reward: 0, action, ...(logprob !== undefined ? { logprob } : {}) };
              enqueue.assign({ turn: c.turn + 1, rng: e.rng, obs: null });
              reply = { type: 'agent.said', turn };
            } catch (error) {
              reply = { type: 'actor.failed', role: 'agent', error };
            }
            enqueue.sendParent(reply);
          }),
        },
        'agent.undecided': {
          actions: enqueueActions(({ event, enqueue }) => {
            enqueue.sendParent({ type: 'actor.failed', role: 'agent', error: event.error } satisfies ConversationEvent);
          }),
        },
      },
    },
  },
});
