import { enqueueActions, setup } from 'xstate';
import { agent } from './agent.js';
import type { DecisionSource } from './agent.js';
import { episodeRecord, erroredEpisode } from './episode-core.js';
import type { EpisodeSpec } from './episode-core.js';
import type { ScenarioContext } from './episode-core.js';
import type { Episode, Turn } from './episode.js';
import type { AgentEvent, ConversationEvent, EpisodeEmitted, Transcript, UserEvent, VerifierEvent } from './events.js';
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
  /**
   * Where the next episode comes from once one ends (a runner's queue): the conversation goes
   * straight on with it instead of waiting idle for `conversation.play`. Without it, it goes idle.
   */
  readonly episodes?: EpisodeSource;
}

/** What a `conversation.play` carries: the episode, its policy label and its random streams. */
export type Play = Omit<Extract<ConversationEvent, { type: 'conversation.play' }>, 'type'>;

export interface EpisodeSource {
  /** Whether `next` has an episode (pure: a guard asks it). */
  more(): boolean;
  next(): Play;
}

interface ConversationContext {
  readonly input: ConversationInput;
  /** The episode being played. */
  spec: EpisodeSpec | null;
  label: string;
  /** The episode's record, written by the verifier as the exchanges are judged. */
  transcript: Transcript;
  /** `transcript.turns` (read by step-by-step drivers between decisions). */
  turns: Turn[];
}

/**
 * One conversation slot: invokes the imagined user, the agent and the verifier once, then plays
 * episode after episode (`conversation.play`), emitting each Episode record (`episode`): the same
 * bytes `runEpisodePlain` gives. The exchanges go round the children (agent → user → verifier →
 * agent; the verifier records them and applies the end rules), so the machine transitions once
 * per episode with a queue (twice without), not per turn: a statechart transition costs more than
 * a light family's whole turn.
 * It starts each episode with a fresh transcript, turns the verifier's final judgement into the
 * Episode record, and ends the episode as errored when a child's family or policy call fails.
 *
 * idle ─play─▶ talking ⟲ verifier.finished | actor.failed (next episode from `input.episodes`) ─(none left)─▶ idle
 */
export const conversation = setup({
  types: {
    context: {} as ConversationContext,
    events: {} as ConversationEvent,
    input: {} as ConversationInput,
    emitted: {} as EpisodeEmitted,
  },
  actors: { imaginedUser, agent, verifier },
  guards: { more: ({ context }) => context.input.episodes?.more() === true },
}).createMachine({
  id: 'conversation',
  context: ({ input }) => {
    const transcript: Transcript = { turns: [], persona: null };
    return { input, spec: null, label: '', transcript, turns: transcript.turns };
  },
  // Invoked once for the life of the slot: no per-turn or per-episode spawning.
  invoke: [
    { id: 'user', systemId: 'user', src: 'imaginedUser', input: ({ context }) => ({ ctx: context.input.ctx }) },
    { id: 'agent', systemId: 'agent', src: 'agent', input: ({ context: { input: i } }) => ({ ctx: i.ctx, decisions: i.decisions, policyName: i.policyName }) },
    { id: 'verifier', systemId: 'verifier', src: 'verifier', input: ({ context: { input: i } }) => ({ ctx: i.ctx, privileged: i.privileged }) },
  ],
  initial: 'idle',
  states: {
    idle: {
      on: {
        'conversation.play': {
          target: 'talking',
          actions: enqueueActions(({ context, event, enqueue }) => start(context, event, enqueue)),
        },
      },
    },
    talking: {
      on: {
        // With a queue behind it the conversation goes on in `talking` (one targetless transition
        // per episode, a third of what idle and back costs); else it rests in `idle`.
        'verifier.finished': [
          { guard: 'more', actions: enqueueActions(({ context, event, enqueue }) => { finished(context, event, enqueue); start(context, context.input.episodes!.next(), enqueue); }) },
          { target: 'idle', actions: enqueueActions(({ context, event, enqueue }) => finished(context, event, enqueue)) },
        ],
        'actor.failed': [
          { guard: 'more', actions: enqueueActions(({ context, event, enqueue }) => { failed(context, event, enqueue); start(context, context.input.episodes!.next(), enqueue); }) },
          { target: 'idle', actions: enqueueActions(({ context, event, enqueue }) => failed(context, event, enqueue)) },
        ],
      },
    },
  },
});

type Enqueue = { sendTo: (to: 'user' | 'agent' | 'verifier', e: UserEvent | AgentEvent | VerifierEvent) => void; emit: (e: EpisodeEmitted) => void };

/** A new episode: a fresh transcript, and each child told to start. The context is updated in place (an `assign` would copy it). */
function start(c: ConversationContext, p: Play, enqueue: Enqueue): void {
  const r = p.streams;
  c.spec = p.spec;
  c.label = p.label;
  c.transcript = { turns: [], persona: null };
  c.turns = c.transcript.turns;
  enqueue.sendTo('verifier', { type: 'verifier.start', transcript: c.transcript, rng: r.verifier });
  enqueue.sendTo('agent', { type: 'agent.start', rng: r.policy, rngText: r.agentText });
  enqueue.sendTo('user', { type: 'user.open', rngPersona: r.persona, rng: r.user, rngText: r.userText });
}

function finished(c: ConversationContext, e: Extract<ConversationEvent, { type: 'verifier.finished' }>, enqueue: Enqueue): void {
  const t = c.transcript;
  addFinalReward(t.turns, e.reward);
  const outcome: Episode['outcome'] = { reason: e.reason, success: e.success, finalReward: e.reward, ...(e.details ? { details: e.details } : {}) };
  enqueue.emit({ type: 'episode', episode: episodeRecord(c.input.ctx, c.spec!, c.label, t.persona, t.turns, outcome) });
}

function failed(c: ConversationContext, e: Extract<ConversationEvent, { type: 'actor.failed' }>, enqueue: Enqueue): void {
  const t = c.transcript;
  if (e.turn && t.turns[t.turns.length - 1] !== e.turn) t.turns.push(e.turn);
  enqueue.emit({ type: 'episode', episode: erroredEpisode(c.input.ctx, c.spec!, c.label, e.persona ?? t.persona, t.turns, e.error) });
}
