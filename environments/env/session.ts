import { createActor } from 'xstate';
import type { Actor } from 'xstate';
import type { Rng } from '../../scenarios/random.js';
import type { Observation } from '../../actors/acts.js';
import type { DecisionReply, DecisionSource } from '../../actors/agent.js';
import { conversation } from '../../actors/conversation.js';
import { episodeStreams, erroredEpisode } from '../../actors/episode-core.js';
import type { EpisodeSpec, ScenarioContext } from '../../actors/episode-core.js';
import type { Episode, Turn } from '../../actors/episode.js';

/** Where the conversation stands after reset or a step: waiting for the agent's decision, or over. */
export type Advance =
  | { readonly kind: 'decide'; readonly observation: Observation; readonly reward: number }
  | { readonly kind: 'ended'; readonly episode: Episode; readonly reward: number };

interface Pending {
  readonly obs: Observation;
  readonly rng: Rng;
  readonly reply: (r: DecisionReply) => void;
}

/**
 * Drives one XState conversation (the same `conversation` actor `runEpisodes` plays, with its
 * imagined user, agent and verifier) one agent decision at a time. The agent's decision request,
 * which `runEpisodes` sends to its batcher, comes here instead and waits until `answer(action)`
 * replies to it. Family logic is synchronous, so a reply runs the user's reaction, the verifier's
 * judgement and the agent's next observation to completion before `answer` returns: the next
 * request (or the emitted Episode) is here when it does.
 *
 * The conversation actor is made once and reused episode after episode (`conversation.play`); a
 * reset in the middle of an episode stops it and makes a fresh one.
 */
export class ConversationSession implements DecisionSource {
  private actor: Actor<typeof conversation> | null = null;
  private pending: Pending | null = null;
  private ended: Episode | null = null;
  private crashed: unknown = null;
  private spec: EpisodeSpec | null = null;

  constructor(
    private readonly ctx: ScenarioContext,
    private readonly label: string,
    private readonly privileged: boolean,
  ) {}

  /** DecisionSource: the agent actor asks for its next act. */
  request(obs: Observation, rng: Rng, reply: (r: DecisionReply) => void): void {
    this.pending = { obs, rng, reply };
  }

  /** Starts the episode `spec` and runs it to the agent's first decision. */
  start(spec: EpisodeSpec): Advance {
    if (this.actor && (this.pending || this.actor.getSnapshot().value !== 'idle')) this.stop();
    const actor = this.actor ?? this.make();
    this.pending = null;
    this.ended = null;
    this.crashed = null;
    this.spec = spec;
    actor.send({ type: 'conversation.play', spec, label: this.label, streams: episodeStreams(spec.seed) });
    return this.advance();
  }

  /** Answers the pending decision request with catalogue action `action`; runs to the next one. */
  answer(action: number): Advance {
    const p = this.pending;
    if (!p) throw new Error('ConversationSession.answer: no decision is pending');
    this.pending = null;
    p.reply({ decision: { action }, rng: p.rng });
    return this.advance();
  }

  /** The observation of the pending decision. */
  get observation(): Observation | null {
    return this.pending?.obs ?? null;
  }

  stop(): void {
    this.actor?.stop();
    this.actor = null;
    this.pending = null;
  }

  private make(): Actor<typeof conversation> {
    const actor = createActor(conversation, {
      input: { ctx: this.ctx, decisions: this, policyName: this.label, privileged: this.privileged },
    });
    actor.on('episode', ({ episode }) => { this.ended = episode; });
    actor.subscribe({ error: (err) => { this.crashed = err; } });
    actor.start();
    this.actor = actor;
    return actor;
  }

  private advance(): Advance {
    if (this.ended) {
      const episode = this.ended;
      return { kind: 'ended', episode, reward: lastAgentReward(episode.turns) };
    }
    if (this.pending) {
      const turns = this.actor!.getSnapshot().context.turns;
      return { kind: 'decide', observation: this.pending.obs, reward: lastAgentReward(turns) };
    }
    // Neither a decision request nor an episode: the actor system failed outside family logic.
    const err = this.crashed ?? new Error('the conversation stopped without asking for a decision or ending the episode');
    this.stop();
    const episode = erroredEpisode(this.ctx, this.spec!, this.label, null, [], err);
    return { kind: 'ended', episode, reward: 0 };
  }
}

function lastAgentReward(turns: readonly Turn[]): number {
  for (let i = turns.length - 1; i >= 0; i--) if (turns[i].speaker === 'agent') return turns[i].reward;
  return 0;
}
