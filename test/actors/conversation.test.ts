import test from 'ava';
import { createActor } from 'xstate';
import type { InspectionEvent } from 'xstate';
import { conversation } from '../../actors/conversation.js';
import type { EpisodeSource } from '../../actors/conversation.js';
import type { DecisionSource } from '../../actors/agent.js';
import { episodeStreams } from '../../actors/episode-core.js';
import type { EpisodeSpec, ScenarioContext } from '../../actors/episode-core.js';
import type { Episode } from '../../actors/episode.js';
import { runEpisodePlain } from '../../actors/plain.js';
import { policyByName } from '../../actors/policies/index.js';
import { runEpisodes } from '../../actors/run.js';
import { takeSlot } from '../../actors/slots.js';
import type { Policy } from '../../actors/policy.js';
import { makeContext } from '../../actors/context.js';
import { getScenario } from '../../scenarios/registry.js';
import { toyContext } from '../helpers/toy-family.js';
import { specs } from '../helpers/policies.js';

/** Answers each decision request alone, on a microtask (as the batcher does when one episode waits). */
function oneAtATime(policy: Policy): DecisionSource {
  return {
    request(obs, rng, reply) {
      queueMicrotask(() => {
        const d = policy.act([obs], [rng]);
        if (d instanceof Promise) throw new Error('sync policies only');
        reply({ decision: d[0], rng });
      });
    },
  };
}

/** Plays `list` on one conversation actor and counts the events each actor of its system handled. */
async function play(ctx: ScenarioContext, policy: Policy, list: readonly EpisodeSpec[], queued: boolean) {
  let next = 0;
  const nextPlay = () => {
    const spec = list[next++];
    return { spec, label: policy.name, streams: episodeStreams(spec.seed) };
  };
  const episodes: EpisodeSource = { more: () => next < list.length, next: nextPlay };
  const counts = new Map<string, number>();
  const actor = createActor(conversation, {
    input: { ctx, decisions: oneAtATime(policy), policyName: policy.name, privileged: policy.privileged === true, ...(queued ? { episodes } : {}) },
    inspect: (e: InspectionEvent) => {
      if (e.type !== '@xstate.event' || e.event.type.startsWith('xstate.')) return;
      const who = e.actorRef === actor ? 'conversation' : 'children';
      counts.set(who, (counts.get(who) ?? 0) + 1);
    },
  });
  const out: Episode[] = [];
  const states: string[] = [];
  await new Promise<void>((resolve) => {
    actor.on('episode', ({ episode }) => {
      out.push(episode);
      queueMicrotask(() => {
        states.push(String(actor.getSnapshot().value));
        if (out.length === list.length) resolve();
        else if (!queued) actor.send({ type: 'conversation.play', ...nextPlay() });
      });
    });
    actor.start();
    actor.send({ type: 'conversation.play', ...nextPlay() });
  });
  actor.stop();
  return { out, states, machine: counts.get('conversation') ?? 0, children: counts.get('children') ?? 0 };
}

test('the conversation machine handles two events per episode whatever its length; the children four per agent turn', async (t) => {
  const ctx = makeContext(getScenario('twenty-questions'));
  const policy = policyByName('heuristic', ctx);
  const list = specs(12, 3);
  const { out, machine, children } = await play(ctx, policy, list, false);
  const turns = out.reduce((a, e) => a + e.totals.agentTurns, 0);
  t.true(turns > 3 * out.length, `${turns} agent turns`);
  t.true(out.every((e) => e.outcome.reason !== 'error'));
  t.is(machine, 2 * list.length, 'conversation.play and verifier.finished');
  // Per turn: agent.decided, user.hear, verifier.judge, agent.observe. Per episode: verifier.start,
  // agent.start, user.open, verifier.opening, the first agent.observe, agent.ready.
  t.is(children, 4 * turns + 6 * list.length);
});

test('with a queue it goes straight on in talking (one machine event per episode) and rests idle when the queue is empty', async (t) => {
  const ctx = toyContext();
  const policy = policyByName('random', ctx);
  const list = specs(9, 5);
  const queued = await play(ctx, policy, list, true);
  t.is(queued.machine, list.length + 1, 'one conversation.play, then one verifier.finished per episode');
  t.deepEqual(queued.states, [...Array<string>(list.length - 1).fill('talking'), 'idle']);
  const alone = await play(ctx, policy, list, false);
  t.deepEqual(alone.states, Array<string>(list.length).fill('idle'));
  const reference = list.map((s) => JSON.stringify(runEpisodePlain(ctx, policy, s)));
  t.deepEqual(queued.out.map((e) => JSON.stringify(e)), reference);
  t.deepEqual(alone.out.map((e) => JSON.stringify(e)), reference);
});

test('runs reuse the conversation actors of earlier runs with the same context and policy', async (t) => {
  const ctx = toyContext();
  const policy = policyByName('heuristic', ctx);
  const first = await runEpisodes(ctx, policy, specs(10, 2), { concurrency: 3 });
  const taken = [0, 1, 2, 3].map(() => takeSlot(ctx, policy));
  const played = taken.map((s) => s.actor.getSnapshot().context.spec !== null);
  t.deepEqual(played, [true, true, true, false], 'the run left its three slots idle; a fourth is made');
  t.true(taken.every((s) => s.actor.getSnapshot().value === 'idle'));
  for (const s of taken) s.use({ decisions: { request: () => t.fail() }, more: () => false, next: () => t.fail() as never, ended: () => t.fail(), crashed: () => t.fail() });
  const again = await runEpisodes(ctx, policy, specs(10, 2), { concurrency: 4 });
  t.deepEqual(again.map((e) => JSON.stringify(e)), first.map((e) => JSON.stringify(e)));
  t.deepEqual(again.map((e) => JSON.stringify(e)), specs(10, 2).map((s) => JSON.stringify(runEpisodePlain(ctx, policy, s))));
});
