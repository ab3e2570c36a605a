import { createActor } from 'xstate';
import type { Actor } from 'xstate';
import type { Rng } from '../scenarios/random.js';
import type { Observation } from './acts.js';
import type { DecisionReply, DecisionSource } from './agent.js';
import { conversation } from './conversation.js';
import type { EpisodeSource, Play } from './conversation.js';
import type { ScenarioContext } from './episode-core.js';
import type { Episode } from './episode.js';
import type { Policy } from './policy.js';

/** What a run plugs into a slot while it uses it. */
export interface SlotUser {
  readonly decisions: DecisionSource;
  more(): boolean;
  next(): Play;
  /** An episode ended; `idle` when the conversation went idle (nothing more to play). */
  ended(episode: Episode, idle: boolean): void;
  /** The actor system failed outside family logic; the slot is gone. */
  crashed(err: unknown): void;
}

/**
 * One conversation actor (with its user, agent and verifier), kept from run to run: making one
 * costs about as much as playing a short episode, and a rollout worker runs a task of a few
 * hundred episodes K at a time. Its input points here, so each run plugs in its own decision
 * source and episode queue.
 */
export class Slot implements DecisionSource, EpisodeSource {
  private user: SlotUser | null = null;
  readonly actor: Actor<typeof conversation>;

  constructor(ctx: ScenarioContext, policy: Policy, private readonly home: Slot[]) {
    this.actor = createActor(conversation, { input: { ctx, decisions: this, policyName: policy.name, privileged: policy.privileged === true, episodes: this } });
    this.actor.on('episode', ({ episode }) => {
      const u = this.user!;
      // The conversation took the next episode (if any) before emitting this one's record.
      const idle = this.actor.getSnapshot().value === 'idle';
      if (idle) this.release();
      u.ended(episode, idle);
    });
    this.actor.subscribe({
      error: (err) => {
        const u = this.user;
        this.user = null;
        u?.crashed(err);
      },
    });
    this.actor.start();
  }

  /** Plugs `user` in and starts its first episode (or gives the slot back if it has none). */
  use(user: SlotUser): void {
    this.user = user;
    if (user.more()) this.actor.send({ type: 'conversation.play', ...user.next() });
    else this.release();
  }

  request(obs: Observation, rng: Rng, reply: (r: DecisionReply) => void): void {
    this.user!.decisions.request(obs, rng, reply);
  }

  more(): boolean {
    return this.user?.more() === true;
  }

  next(): Play {
    return this.user!.next();
  }

  private release(): void {
    this.user = null;
    this.home.push(this);
  }
}

const idleSlots = new WeakMap<ScenarioContext, WeakMap<Policy, Slot[]>>();

/** An idle slot for `ctx` and `policy`: one left by an earlier run, else a new one. */
export function takeSlot(ctx: ScenarioContext, policy: Policy): Slot {
  let byPolicy = idleSlots.get(ctx);
  if (!byPolicy) idleSlots.set(ctx, (byPolicy = new WeakMap()));
  let home = byPolicy.get(policy);
  if (!home) byPolicy.set(policy, (home = []));
  return home.pop() ?? new Slot(ctx, policy, home);
}
