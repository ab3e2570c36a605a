import { assign, emit, enqueueActions, setup } from 'xstate';
import type { EndReason } from './acts.js';
import { agent } from './agent.js';
import type { DecisionSource } from './agent.js';
import { episodeRecord, erroredEpisode } from './episode-core.js';
import type { EpisodeSpec, EpisodeStreams, ScenarioContext } from './episode-core.js';
import type { Episode, Turn } from './episode.js';
import type { AgentEvent, ConversationEvent, EpisodeEmitted, Privileged } from './events.js';
import { addFinalReward } from './plain.js';
import { imaginedUser } from './user.js';
import { verifier } from './verifier.js';

export interface ConversationInput {
  readonly ctx: ScenarioContext;
  /** Where the agent's decision requests go (the run's batcher). */
  readonly decisions: DecisionSource;
  /** The policy's name (error messages). */
  readonly policyName: string;
  /** Whether the agent's observations carry the hidden persona and state. */
  readonly privileged: boolean;
}

interface ConversationContext {
  readonly input: ConversationInput;
  /** The episode being played. */
  spec: EpisodeSpec | null;
  label: string;
  streams: EpisodeStreams | null;
  persona: unknown;
  /** The user's hidden state after the last exchange (for the oracle and the verifier's finish). */
  state: unknown;
  /** The transcript, appended in place (one array per episode, never copied). */
  turns: Turn[];
  agentTurns: number;
  reason: EndReason;
}

type Judged = Extract<ConversationEvent, { type: 'verifier.judged' }>;

/**
 * One conversation slot: invokes the imagined user, the agent and the verifier once, then plays
 * episode after episode (`conversation.play`), emitting each Episode record (`episode`): the same
 * bytes `runEpisodePlain` gives. It owns the transcript and the termination rules: the verifier's
 * verdict first, then the user leaving, then the turn limit; a child's failure ends the episode as
 * errored. An exchange flows agent → user → verifier and arrives here judged, one event per turn.
 *
 * idle ─play─▶ opening ─user.opened─▶ talking ⟲ verifier.judged ─end─▶ closing (agent.ready, then verifier.finished) ─▶ idle
 */
export const conversation = setup({
  types: {
    context: {} as ConversationContext,
    events: {} as ConversationEvent,
    input: {} as ConversationInput,
    emitted: {} as EpisodeEmitted,
  },
  actors: { imaginedUser, agent, verifier },
  actions: {
    failed: enqueueActions(({ context: c, event, enqueue }) => {
      if (event.type !== 'actor.failed') return;
      if (event.turn && c.turns[c.turns.length - 1] !== event.turn) c.turns.push(event.turn);
      enqueue.emit({ type: 'episode', episode: erroredEpisode(c.input.ctx, c.spec!, c.label, event.persona ?? c.persona, c.turns, event.error) });
    }),
  },
}).createMachine({
  id: 'conversation',
  context: ({ input }) => ({ input, spec: null, label: '', streams: null, persona: null, state: null, turns: [], agentTurns: 0, reason: 'turn-limit' }),
  // Invoked once for the life of the slot: no per-turn or per-episode spawning.
  invoke: [
    { id: 'user', systemId: 'user', src: 'imaginedUser', input: ({ context }) => ({ ctx: context.input.ctx }) },
    { id: 'agent', systemId: 'agent', src: 'agent', input: ({ context: { input: i } }) => ({ ctx: i.ctx, decisions: i.decisions, policyName: i.policyName }) },
    { id: 'verifier', systemId: 'verifier', src: 'verifier', input: ({ context }) => ({ ctx: context.input.ctx }) },
  ],
  initial: 'idle',
  states: {
    idle: {
      on: {
        'conversation.play': {
          target: 'opening',
          actions: [
            assign(({ event: e }) => ({ spec: e.spec, label: e.label, streams: e.streams, persona: null, state: null, turns: [], agentTurns: 0, reason: 'turn-limit' as EndReason })),
            enqueueActions(({ event: e, enqueue }) => {
              const r = e.streams;
              enqueue.sendTo('agent', { type: 'agent.start', rng: r.policy, rngText: r.agentText });
              enqueue.sendTo('user', { type: 'user.open', rngPersona: r.persona, rng: r.user, rngText: r.userText });
            }),
          ],
        },
      },
    },
    opening: {
      on: {
        'user.opened': {
          target: 'talking',
          actions: enqueueActions(({ context: c, event: e, enqueue }) => {
            c.turns.push({ speaker: 'user', act: e.act, text: e.text, reward: 0 });
            c.persona = e.persona;
            c.state = e.state;
            enqueue.sendTo('agent', observe(c, null, e, true));
          }),
        },
        'actor.failed': { target: 'idle', actions: 'failed' },
      },
    },
    talking: {
      on: {
        'verifier.judged': [
          {
            // renderUser failed after a judged exchange: the turn keeps its reward, the reply is lost.
            guard: ({ event: e }) => e.textError !== undefined,
            target: 'idle',
            actions: enqueueActions(({ context: c, event: e, enqueue }) => {
              e.turn.reward = e.reward;
              c.turns.push(e.turn);
              enqueue.emit({ type: 'episode', episode: erroredEpisode(c.input.ctx, c.spec!, c.label, c.persona, c.turns, e.textError) });
            }),
          },
          {
            guard: ({ context: c, event: e }) => endReason(c, e) !== null,
            target: 'closing',
            actions: enqueueActions(({ context: c, event: e, enqueue }) => {
              c.reason = endReason(c, e)!;
              record(c, e);
              // The agent still folds in the last exchange (as the reference loop does) before the verifier finishes.
              enqueue.sendTo('agent', observe(c, e.turn, e, false));
            }),
          },
          {
            actions: enqueueActions(({ context: c, event: e, enqueue }) => {
              record(c, e);
              enqueue.sendTo('agent', observe(c, e.turn, e, true));
            }),
          },
        ],
        'actor.failed': { target: 'idle', actions: 'failed' },
      },
    },
    closing: {
      on: {
        // The agent has folded in the last exchange: now the verifier's final judgement.
        'agent.ready': {
          actions: enqueueActions(({ context: c, enqueue }) => {
            enqueue.sendTo('verifier', { type: 'verifier.finish', persona: c.persona, state: c.state, reason: c.reason, rng: c.streams!.verifier });
          }),
        },
        'verifier.finished': {
          target: 'idle',
          actions: emit(({ context: c, event: e }) => {
            addFinalReward(c.turns, e.reward);
            const outcome: Episode['outcome'] = { reason: c.reason, success: e.success, finalReward: e.reward, ...(e.details ? { details: e.details } : {}) };
            return { type: 'episode' as const, episode: episodeRecord(c.input.ctx, c.spec!, c.label, c.persona, c.turns, outcome) };
          }),
        },
        'actor.failed': { target: 'idle', actions: 'failed' },
      },
    },
  },
});

/** Puts the judged exchange into the transcript. */
function record(c: ConversationContext, e: Judged): void {
  e.turn.reward = e.reward;
  c.turns.push(e.turn, { speaker: 'user', act: e.act, text: e.text, reward: 0 });
  c.agentTurns++;
  c.state = e.after;
}

/** Why the conversation ends after this exchange, or null to go on. */
function endReason(c: ConversationContext, e: Judged): EndReason | null {
  if (e.end) return e.end;
  if (e.left) return 'user-left';
  if (c.agentTurns + 1 >= c.input.ctx.scenario.maxTurns) return 'turn-limit';
  return null;
}

function observe(c: ConversationContext, agentTurn: Turn | null, user: { act: Turn['act']; text: string }, decide: boolean): AgentEvent {
  const privileged: Privileged | undefined = decide && c.input.privileged ? { persona: c.persona, state: c.state } : undefined;
  return {
    type: 'agent.observe', agent: agentTurn ? agentTurn.act : null, user: { speaker: 'user', act: user.act, text: user.text }, decide,
    ...(privileged ? { privileged } : {}),
  };
}
