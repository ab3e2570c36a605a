import { assign, enqueueActions, sendTo, setup } from 'xstate';
import type { Act, EndReason } from './acts.js';
import { agent } from './agent.js';
import type { DecisionSource } from './agent.js';
import { episodeRecord, episodeStreams, erroredEpisode } from './episode-core.js';
import type { EpisodeSpec, ScenarioContext } from './episode-core.js';
import type { Episode, Turn } from './episode.js';
import type { ConversationEvent } from './events.js';
import { addFinalReward } from './plain.js';
import { imaginedUser } from './user.js';
import { verifier } from './verifier.js';

export interface ConversationInput {
  readonly ctx: ScenarioContext;
  readonly spec: EpisodeSpec;
  /** Where the agent's decision requests go (the run's batcher). */
  readonly decisions: DecisionSource;
  /** The policy's name (error messages) and the name recorded in the episode. */
  readonly policyName: string;
  readonly label: string;
  /** Whether the agent's observations carry the hidden persona and state. */
  readonly privileged: boolean;
  /** The episode's random streams, split by role (see `episodeStreams`). */
  readonly streams: ReturnType<typeof episodeStreams>;
}

interface ConversationContext {
  readonly input: ConversationInput;
  persona: unknown;
  /** The user's hidden state after the last exchange. */
  state: unknown;
  /** The transcript, appended in place (one per episode, never copied). */
  readonly turns: Turn[];
  agentTurns: number;
  /** The exchange being judged. */
  agentTurn: Turn | null;
  reply: Extract<ConversationEvent, { type: 'user.said' }> | null;
  reason: EndReason;
  episode: Episode | null;
}

type UserSaid = Extract<ConversationEvent, { type: 'user.said' }>;

/**
 * One conversation: invokes the imagined user, the agent and the verifier once, then passes the
 * turn between them until the verifier ends it, the user leaves, the turn limit is hit, or a child
 * fails (an errored episode). Its output is the Episode record, the same bytes `runEpisodePlain` gives.
 *
 * opening ──user.said──▶ agentTurn ──agent.said──▶ userTurn ──user.said──▶ judging ──verifier.judged──▶ agentTurn | finishing ──▶ done
 */
export const conversation = setup({
  types: {
    context: {} as ConversationContext,
    events: {} as ConversationEvent,
    input: {} as ConversationInput,
    output: {} as Episode,
  },
  actors: { imaginedUser, agent, verifier },
  actions: {
    fail: assign(({ context: c, event }) => {
      const e = event as Extract<ConversationEvent, { type: 'actor.failed' }>;
      const { ctx, spec, label } = c.input;
      return { episode: erroredEpisode(ctx, spec, label, e.persona ?? c.persona, c.turns, e.error) };
    }),
    crashed: assign(({ context: c, event }) => {
      const { ctx, spec, label } = c.input;
      return { episode: erroredEpisode(ctx, spec, label, c.persona, c.turns, (event as { error?: unknown }).error) };
    }),
  },
}).createMachine({
  id: 'conversation',
  context: ({ input }) => ({
    input, persona: null, state: null, turns: [], agentTurns: 0, agentTurn: null, reply: null, reason: 'turn-limit', episode: null,
  }),
  // Invoked once for the whole conversation (no per-turn spawning). A child that crashes outside
  // its own try/catch (a bug, not family logic) still ends the episode as errored.
  invoke: [
    {
      id: 'user', src: 'imaginedUser', onError: { target: '.done', actions: 'crashed' },
      input: ({ context: { input: i } }) => ({ ctx: i.ctx, rngPersona: i.streams.persona, rng: i.streams.user, rngText: i.streams.userText }),
    },
    {
      id: 'agent', src: 'agent', onError: { target: '.done', actions: 'crashed' },
      input: ({ context: { input: i } }) => ({ ctx: i.ctx, decisions: i.decisions, policyName: i.policyName, rng: i.streams.policy, rngText: i.streams.agentText }),
    },
    {
      id: 'verifier', src: 'verifier', onError: { target: '.done', actions: 'crashed' },
      input: ({ context: { input: i } }) => ({ ctx: i.ctx, rng: i.streams.verifier }),
    },
  ],
  on: {
    'actor.failed': { target: '.done', actions: 'fail' },
  },
  initial: 'opening',
  states: {
    opening: {
      entry: sendTo('user', { type: 'user.open' }),
      on: {
        'user.said': {
          target: 'agentTurn',
          actions: enqueueActions(({ context: c, event: e, enqueue }) => {
            c.turns.push({ speaker: 'user', act: e.act, text: e.text, reward: 0 });
            enqueue.assign({ persona: e.persona, state: e.after });
            enqueue.sendTo('agent', {
              type: 'agent.observe', agent: null, user: { speaker: 'user', act: e.act, text: e.text }, decide: true,
              ...(c.input.privileged ? { privileged: { persona: e.persona, state: e.after } } : {}),
            });
          }),
        },
      },
    },
    agentTurn: {
      on: {
        'agent.said': {
          target: 'userTurn',
          actions: enqueueActions(({ context: c, event: e, enqueue }) => {
            c.turns.push(e.turn);
            enqueue.assign({ agentTurn: e.turn, agentTurns: c.agentTurns + 1 });
            enqueue.sendTo('user', { type: 'user.hear', act: e.turn.act });
          }),
        },
      },
    },
    userTurn: {
      on: {
        'user.said': {
          target: 'judging',
          actions: enqueueActions(({ context: c, event: e, enqueue }) => {
            enqueue.assign({ reply: e });
            enqueue.sendTo('verifier', { type: 'verifier.judge', persona: c.persona, before: e.before, agent: c.agentTurn!.act, user: e.act, after: e.after });
          }),
        },
      },
    },
    judging: {
      on: {
        'verifier.judged': [
          {
            guard: ({ context: c }) => c.reply!.textError !== undefined,
            target: 'done',
            actions: [
              ({ context: c, event: e }) => { c.agentTurn!.reward = e.reward; },
              assign(({ context: c }) => ({ episode: erroredEpisode(c.input.ctx, c.input.spec, c.input.label, c.persona, c.turns, c.reply!.textError) })),
            ],
          },
          {
            guard: ({ context: c, event: e }) => endReason(c, e) === null,
            target: 'agentTurn',
            actions: enqueueActions(({ context: c, event: e, enqueue }) => {
              const r = exchange(c, e.reward);
              enqueue.assign({ state: r.after, reply: null });
              enqueue.sendTo('agent', observeEvent(c, r, true));
            }),
          },
          {
            target: 'finishing',
            actions: enqueueActions(({ context: c, event: e, enqueue }) => {
              const reason = endReason(c, e)!;
              const r = exchange(c, e.reward);
              enqueue.assign({ state: r.after, reply: null, reason });
              // The agent still folds in the last exchange (as the reference loop does) before the verifier finishes.
              enqueue.sendTo('agent', observeEvent(c, r, false));
              enqueue.sendTo('verifier', { type: 'verifier.finish', persona: c.persona, state: r.after, reason });
            }),
          },
        ],
      },
    },
    finishing: {
      on: {
        'verifier.finished': {
          target: 'done',
          actions: assign(({ context: c, event: e }) => {
            addFinalReward(c.turns, e.reward);
            const { ctx, spec, label } = c.input;
            return {
              episode: episodeRecord(ctx, spec, label, c.persona, c.turns, {
                reason: c.reason, success: e.success, finalReward: e.reward, ...(e.details ? { details: e.details } : {}),
              }),
            };
          }),
        },
      },
    },
    done: { type: 'final' },
  },
  output: ({ context }) => context.episode!,
});

/** Records the judged exchange in the transcript; returns the user's reply. */
function exchange(c: ConversationContext, reward: number): UserSaid {
  const r = c.reply!;
  c.agentTurn!.reward = reward;
  c.turns.push({ speaker: 'user', act: r.act, text: r.text, reward: 0 });
  return r;
}

/** Why the conversation ends after this exchange, or null to go on (the verifier first, then the user, then the limit). */
function endReason(c: ConversationContext, e: { end?: 'success' | 'failure' | 'agent-ended' }): EndReason | null {
  if (e.end) return e.end;
  if (c.reply!.left) return 'user-left';
  if (c.agentTurns >= c.input.ctx.scenario.maxTurns) return 'turn-limit';
  return null;
}

function observeEvent(c: ConversationContext, r: UserSaid, decide: boolean) {
  const agentAct: Act = c.agentTurn!.act;
  return {
    type: 'agent.observe' as const,
    agent: agentAct,
    user: { speaker: 'user' as const, act: r.act, text: r.text },
    decide,
    ...(decide && c.input.privileged ? { privileged: { persona: c.persona, state: r.after } } : {}),
  };
}
