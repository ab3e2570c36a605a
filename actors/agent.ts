import type { Rng } from '../scenarios/random.js';
import type { Observation, VisibleTurn } from './acts.js';
import { checkAction } from './episode-core.js';
import type { ScenarioContext } from './episode-core.js';
import type { Turn } from './episode.js';
import type { AgentEvent, ConversationEvent, UserEvent, VerifierEvent } from './events.js';
import type { Decision } from './policy.js';
import { fromReactor, toActor, toParent as parent } from './reactor.js';

const READY: VerifierEvent = { type: 'agent.ready' };

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
}

export interface AgentContext extends AgentInput {
  /** `deciding` while a decision request is out; messages that do not fit the phase are ignored. */
  phase: 'listening' | 'deciding';
  /** The episode's `policy` stream (sent with each request) and `agentText` stream. */
  rng: Rng | null;
  rngText: Rng | null;
  view: unknown;
  /** The visible transcript as the agent saw it (each observation gets a copy). */
  history: VisibleTurn[];
  /** Agent turns taken so far. */
  turn: number;
  /** The pending decision's observation (to check the policy's answer against its mask). */
  obs: Observation | null;
  /** Sends the decision source's answer to this actor. */
  reply: ((r: DecisionReply) => void) | null;
}

/**
 * The agent: keeps what it has seen (the family's view), asks the policy for its next act through
 * a decision request (the batcher answers every live episode's request with one `act` call),
 * renders its text and says it to the user (system id `user`). Two phases, listening and deciding.
 */
export const agent = fromReactor(
  (c: AgentContext, e: AgentEvent, scope) => {
    const { self } = scope;
    const { scenario: s, family: f } = c.ctx;
    // One reply callback for the actor's life (not a closure per decision).
    c.reply ??= (r) => self.send('error' in r ? { type: 'agent.undecided', error: r.error } : { type: 'agent.decided', decision: r.decision, rng: r.rng });
    switch (e.type) {
      case 'agent.start':
        c.phase = 'listening';
        c.rng = e.rng;
        c.rngText = e.rngText;
        c.view = null;
        c.history = [];
        c.turn = 0;
        c.obs = null;
        return;

      case 'agent.observe': {
        if (c.phase !== 'listening') return;
        try {
          c.view = f.updateView(s, e.agent === null ? f.initialView(s) : c.view, e.agent, e.user.act);
          c.history.push(e.user);
          if (!e.decide) {
            toActor<VerifierEvent>(scope, 'verifier', READY);
            return;
          }
          const obs: { -readonly [K in keyof Observation]: Observation[K] } = {
            scenarioId: s.id,
            family: s.family,
            turn: c.turn,
            maxTurns: s.maxTurns,
            history: c.history.slice(),
            lastUserAct: e.user.act,
            view: c.view,
            mask: f.mask(s, c.view, c.turn),
          };
          if (e.privileged) obs.privileged = e.privileged;
          c.phase = 'deciding';
          c.obs = obs;
          // Not deferred: a decision source only queues the request and answers later (the
          // batcher on a microtask), and an answer would wait in this actor's mailbox anyway.
          c.decisions.request(obs, c.rng!, c.reply);
        } catch (error) {
          parent<ConversationEvent>(scope, { type: 'actor.failed', role: 'agent', error });
        }
        return;
      }

      case 'agent.decided': {
        if (c.phase !== 'deciding') return;
        c.phase = 'listening';
        c.rng = e.rng;
        try {
          const { action, logprob } = e.decision;
          checkAction(c.ctx, c.obs!, action, c.policyName);
          const act = c.ctx.actions[action];
          const text = f.renderAgent(s, act, c.rngText!);
          c.history.push({ speaker: 'agent', act, text });
          c.turn++;
          const turn: Turn = { speaker: 'agent', act, text, reward: 0, action };
          if (logprob !== undefined) turn.logprob = logprob;
          const hear: UserEvent = { type: 'user.hear', turn };
          toActor<UserEvent>(scope, 'user', hear);
        } catch (error) {
          parent<ConversationEvent>(scope, { type: 'actor.failed', role: 'agent', error });
        }
        c.obs = null;
        return;
      }

      case 'agent.undecided':
        if (c.phase !== 'deciding') return;
        c.phase = 'listening';
        c.obs = null;
        parent<ConversationEvent>(scope, { type: 'actor.failed', role: 'agent', error: e.error });
        return;
    }
  },
  (input: AgentInput): AgentContext => ({
    ...input, phase: 'listening', rng: null, rngText: null, view: null, history: [], turn: 0, obs: null, reply: null,
  }),
);
