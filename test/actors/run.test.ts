import test from 'ava';
import { runEpisodes } from '../../actors/run.js';
import { runEpisodePlain } from '../../actors/plain.js';
import { policyByName } from '../../actors/policies/index.js';
import { makeContext } from '../../actors/context.js';
import { EpisodeSchema } from '../../actors/episode.js';
import type { Episode } from '../../actors/episode.js';
import type { ScenarioContext } from '../../actors/episode-core.js';
import type { AnyFamily } from '../../actors/family.js';
import type { BatchStats } from '../../actors/batcher.js';
import type { Policy } from '../../actors/policy.js';
import { builtinIds, getScenario } from '../../scenarios/registry.js';
import { toyContext, toyFamily, withFault } from '../helpers/toy-family.js';
import type { ToyPersona, ToyState } from '../helpers/toy-family.js';
import { counting, delayed, failing, specs } from '../helpers/policies.js';

const plain = (ctx: ScenarioContext, p: Policy, n: number, seed = 1) => specs(n, seed).map((s) => runEpisodePlain(ctx, p, s));
const bytes = (eps: readonly Episode[]) => eps.map((e) => JSON.stringify(e));

// ---- the actor run is the reference loop ------------------------------------------------------

const samePlain = test.macro({
  async exec(t, policy: string, k: number) {
    const ctx = toyContext();
    const p = policyByName(policy, ctx);
    const actors = await runEpisodes(ctx, p, specs(60), { concurrency: k });
    t.deepEqual(bytes(actors), bytes(plain(ctx, p, 60)));
  },
  title: (_p, policy: string, k: number) => `toy family, ${policy}, K=${k}: byte-identical to runEpisodePlain`,
});
for (const policy of ['random', 'heuristic', 'oracle', 'epsilon-heuristic:0.3', 'mix:random=1,heuristic=2']) {
  for (const k of [1, 7, 64]) test(samePlain, policy, k);
}

test('every built-in: byte-identical to runEpisodePlain for random, heuristic and oracle, whatever K', async (t) => {
  const ids = builtinIds();
  t.true(ids.length >= 3, `built-ins: ${ids.join(', ')}`);
  for (const id of ids) {
    const ctx = makeContext(getScenario(id));
    for (const name of ['random', 'heuristic', 'oracle']) {
      const p = policyByName(name, ctx);
      const reference = bytes(plain(ctx, p, 40, 7));
      for (const k of [1, 16]) {
        const actors = await runEpisodes(ctx, p, specs(40, 7), { concurrency: k });
        t.deepEqual(bytes(actors), reference, `${id} ${name} K=${k}`);
      }
      t.is(plain(ctx, p, 40, 7).filter((e) => e.outcome.error).length, 0, `${id} ${name} runs without errors`);
    }
  }
});

test('episodes validate against the Episode schema and come back in spec order', async (t) => {
  const ctx = toyContext();
  const eps = await runEpisodes(ctx, policyByName('random', ctx), specs(30), { concurrency: 4 });
  eps.forEach((e, i) => {
    t.is(e.index, i);
    t.true(EpisodeSchema.safeParse(e).success);
  });
});

test('the same specs give the same bytes on every run', async (t) => {
  const ctx = toyContext();
  const p = policyByName('epsilon-heuristic', ctx);
  const a = await runEpisodes(ctx, p, specs(50), { concurrency: 5 });
  const b = await runEpisodes(ctx, p, specs(50), { concurrency: 5 });
  t.deepEqual(bytes(a), bytes(b));
});

test('termination reasons: success, user-left, turn-limit, agent-ended', async (t) => {
  const ctx = toyContext({ maxTurns: 6, user: { patience: { min: 2, max: 9 }, noise: 0.1, vagueness: 0.1, volunteer: 0, styles: [{ name: 'terse', weight: 1 }] } });
  const eps = await runEpisodes(ctx, policyByName('random', ctx), specs(300), { concurrency: 16 });
  const reasons = new Set(eps.map((e) => e.outcome.reason));
  for (const r of ['success', 'user-left', 'turn-limit', 'agent-ended']) t.true(reasons.has(r as Episode['outcome']['reason']), `${r} in ${[...reasons].join(', ')}`);
  for (const e of eps) {
    if (e.outcome.reason === 'turn-limit') t.is(e.totals.agentTurns, 6);
    t.true(e.totals.agentTurns <= 6);
    t.is(e.turns[0].speaker, 'user');
  }
});

// ---- batching ---------------------------------------------------------------------------------

test('agent decisions of K live episodes are batched: one act call per tick, batches of at most K', async (t) => {
  const ctx = toyContext({ maxTurns: 20 });
  const p = counting(policyByName('heuristic', ctx));
  const stats: BatchStats = { calls: 0, decisions: 0, maxBatch: 0, retries: 0 };
  const eps = await runEpisodes(ctx, p, specs(100), { concurrency: 10, stats });
  const decisions = eps.reduce((a, e) => a + e.totals.agentTurns, 0);
  t.is(p.batches.reduce((a, b) => a + b, 0), decisions);
  t.is(p.batches[0], 10);
  t.true(p.batches.every((b) => b >= 1 && b <= 10));
  // 100 episodes of a few turns each, 10 at a time: about a tenth of the decisions as calls.
  t.true(p.batches.length < decisions / 4, `${p.batches.length} calls for ${decisions} decisions`);
  t.deepEqual(stats, { calls: p.batches.length, decisions, maxBatch: 10, retries: 0 });
});

test('K=1 decides one episode at a time', async (t) => {
  const ctx = toyContext();
  const p = counting(policyByName('heuristic', ctx));
  await runEpisodes(ctx, p, specs(10), { concurrency: 1 });
  t.true(p.batches.every((b) => b === 1));
});

test('an async policy works and gives the same episodes as the sync one', async (t) => {
  const ctx = toyContext();
  const sync = policyByName('heuristic', ctx);
  const p = counting(delayed(sync));
  const eps = await runEpisodes(ctx, p, specs(40), { concurrency: 8 });
  t.deepEqual(bytes(eps), bytes(plain(ctx, sync, 40)));
  t.is(p.batches[0], 8);
});

test('onEpisode sees every episode once; a throw in it rejects the run', async (t) => {
  const ctx = toyContext();
  const seen: number[] = [];
  await runEpisodes(ctx, policyByName('random', ctx), specs(25), { concurrency: 4, onEpisode: (e) => seen.push(e.index) });
  t.deepEqual(seen.sort((a, b) => a - b), [...Array(25).keys()]);
  await t.throwsAsync(runEpisodes(ctx, policyByName('random', ctx), specs(5), { onEpisode: () => { throw new Error('disk full'); } }), { message: 'disk full' });
});

test('keep: false hands every episode to onEpisode and keeps none (the same episodes as a kept run)', async (t) => {
  const ctx = toyContext();
  const policy = policyByName('random', ctx);
  const seen: Episode[] = [];
  const kept = await runEpisodes(ctx, policy, specs(30), { concurrency: 6, keep: false, onEpisode: (e) => seen.push(e) });
  t.deepEqual(kept, []);
  seen.sort((a, b) => a.index - b.index);
  t.deepEqual(bytes(seen), bytes(await runEpisodes(ctx, policy, specs(30), { concurrency: 6 })));
});

test('no specs, no episodes; a bad concurrency is a TypeError', async (t) => {
  const ctx = toyContext();
  t.deepEqual(await runEpisodes(ctx, policyByName('random', ctx), []), []);
  t.throws(() => runEpisodes(ctx, policyByName('random', ctx), specs(1), { concurrency: 0 }), { instanceOf: TypeError, message: /concurrency must be a positive integer/ });
});

// ---- failures become errored episodes, the others go on ---------------------------------------

const secretIs = (n: number) => (_s: unknown, p: ToyPersona) => p?.secret === n;
const faults: [keyof AnyFamily, (...a: any[]) => boolean][] = [
  ['samplePersona', (_s, rng) => rng.seed % 7 === 0],
  ['init', secretIs(3)],
  ['open', secretIs(3)],
  ['respond', (_s, p: ToyPersona, st: ToyState) => p.secret === 3 && st.asked === 2],
  ['judge', (_s, p: ToyPersona, _b, _a, _u, after: ToyState) => p.secret === 5 && after.asked === 1],
  ['finish', secretIs(7)],
  ['renderUser', (_s, p: ToyPersona, act) => p.secret === 3 && act.type === 'no'],
  ['renderAgent', (_s, act) => act.type === 'guess' && act.args?.n === 4],
  ['updateView', (_s, _v, agent, user) => agent?.type === 'ask' && agent.args?.k === 8 && user.type === 'yes'],
  ['mask', (_s, v, turn) => turn === 3 && v.lo >= 8],
  ['heuristic', (_s, obs) => obs.turn === 2 && obs.lastUserAct?.type === 'no'],
];

const fault = test.macro({
  async exec(t, method: keyof AnyFamily, when: (...a: any[]) => boolean) {
    const ctx = toyContext({}, withFault(toyFamily, method, when));
    const p = policyByName('heuristic', ctx);
    const reference = plain(ctx, p, 80);
    const errored = reference.filter((e) => e.outcome.error);
    t.true(errored.length > 0 && errored.length < 80, `${errored.length} of 80 errored`);
    for (const e of errored) t.is(e.outcome.error, `injected fault in ${String(method)}`);
    for (const k of [1, 16]) {
      const actors = await runEpisodes(ctx, p, specs(80), { concurrency: k });
      t.deepEqual(bytes(actors), bytes(reference), `K=${k}`);
    }
  },
  title: (_p, method: string) => `a throw in family.${method} errors that episode only, exactly as the reference loop records it`,
});
for (const [method, when] of faults) test(fault, method, when);

test('a policy throwing for one episode of a batch errors that episode only', async (t) => {
  const ctx = toyContext();
  const p = failing(policyByName('random', ctx), (o, rng) => o.turn === 2 && rng.seed % 4 === 0);
  const reference = plain(ctx, p, 60);
  const errored = reference.filter((e) => e.outcome.error);
  t.true(errored.length > 0 && errored.length < 30);
  t.is(errored[0].outcome.error, 'policy fault at turn 2');
  const stats: BatchStats = { calls: 0, decisions: 0, maxBatch: 0, retries: 0 };
  const actors = await runEpisodes(ctx, p, specs(60), { concurrency: 12, stats });
  t.deepEqual(bytes(actors), bytes(reference));
  t.true(stats.retries > 0);
});

test('an async policy rejecting for one episode errors that episode only', async (t) => {
  const ctx = toyContext();
  const sync = failing(policyByName('random', ctx), (o, rng) => o.turn === 1 && rng.seed % 3 === 0);
  const reference = plain(ctx, sync, 45);
  const actors = await runEpisodes(ctx, failing(policyByName('random', ctx), (o, rng) => o.turn === 1 && rng.seed % 3 === 0, true), specs(45), { concurrency: 9 });
  t.deepEqual(bytes(actors), bytes(reference));
  t.true(actors.some((e) => e.outcome.error === 'policy fault at turn 1'));
});

test('a masked-out or out-of-range action is an errored episode naming the policy', async (t) => {
  const ctx = toyContext();
  const bad: Policy = { name: 'bad', act: (obs) => obs.map((o) => ({ action: o.turn === 0 ? ctx.actions.length - 1 : 999 })) };
  const [e] = await runEpisodes(ctx, bad, specs(1));
  t.is(e.outcome.reason, 'error');
  t.regex(e.outcome.error!, /^policy 'bad' chose action \d+ \(end\), which is masked out at turn 0$/);
  const far: Policy = { name: 'far', act: (obs) => obs.map(() => ({ action: 999 })) };
  const [f] = await runEpisodes(ctx, far, specs(1));
  t.regex(f.outcome.error!, /^policy 'far' returned action 999; expected an integer in \[0, \d+\)$/);
});

test('a policy answering with the wrong number of decisions errors the episodes, not the run', async (t) => {
  const ctx = toyContext();
  const short: Policy = { name: 'short', act: () => [] };
  const eps = await runEpisodes(ctx, short, specs(6), { concurrency: 3 });
  t.is(eps.length, 6);
  for (const e of eps) t.regex(e.outcome.error!, /policy 'short' returned 0 decisions for 1 observation/);
});

test('logprobs of the behaviour policy are recorded on agent turns', async (t) => {
  const ctx = toyContext();
  const [e] = await runEpisodes(ctx, policyByName('random', ctx), specs(1));
  const agentTurns = e.turns.filter((x) => x.speaker === 'agent');
  t.true(agentTurns.every((x) => typeof x.logprob === 'number' && x.logprob < 0));
});
