import test from 'ava';
import { POLICY_NAMES, policyByName, randomDecision } from '../../actors/policies/index.js';
import { runEpisodes } from '../../actors/run.js';
import { runEpisodePlain } from '../../actors/plain.js';
import { observe, episodeStreams } from '../../actors/episode-core.js';
import type { Observation } from '../../actors/acts.js';
import { Rng } from '../../scenarios/random.js';
import { toyContext } from '../helpers/toy-family.js';
import { specs } from '../helpers/policies.js';

const ctx = toyContext();
const firstObs = (): Observation => {
  const turns = [{ speaker: 'user' as const, act: { type: 'hello' }, text: 'Hi.', reward: 0 }];
  return observe(ctx, turns, ctx.family.updateView(ctx.scenario, ctx.family.initialView(ctx.scenario), null, turns[0].act), 0, turns[0].act);
};

test('names: random, heuristic, oracle, epsilon-heuristic[:eps], mix:...', (t) => {
  t.is(policyByName('random', ctx).name, 'random');
  t.is(policyByName('heuristic', ctx).name, 'heuristic');
  const oracle = policyByName('oracle', ctx);
  t.is(oracle.name, 'oracle');
  t.true(oracle.privileged);
  t.is(policyByName('epsilon-heuristic', ctx).name, 'epsilon-heuristic');
  t.is(policyByName('epsilon-heuristic:0.3', ctx).name, 'epsilon-heuristic:0.3');
  const mix = policyByName('mix:random=1,heuristic=2', ctx);
  t.is(mix.name, 'mix:random=1,heuristic=2');
  t.falsy(mix.privileged);
  t.true(policyByName('mix:oracle=1,random=1', ctx).privileged);
});

const badName = test.macro({
  exec(t, name: string, message: RegExp) {
    t.throws(() => policyByName(name, ctx), { message });
  },
  title: (_p, name: string) => `bad policy name '${name}' is refused with a message`,
});
test(badName, 'greedy', /^unknown policy 'greedy'; expected one of: random, heuristic, oracle, infogain, epsilon-heuristic, epsilon-heuristic:EPS, mix:NAME=WEIGHT,\.\.\.$/);
test(badName, 'epsilon-heuristic:1.5', /epsilon must be a number in \[0, 1\]/);
test(badName, 'epsilon-heuristic:', /epsilon must be a number in \[0, 1\]/);
test(badName, 'mix:', /a mixture lists components/);
test(badName, 'mix:random=x', /weight of 'random' must be a non-negative number/);
test(badName, 'mix:random=0', /at least one positive/);
test(badName, 'mix:mix:random=1', /cannot be nested/);
test(badName, 'mix:random=1,gredy=2', /unknown policy 'gredy'/);

test('POLICY_NAMES lists what the CLI can show', (t) => {
  t.true(POLICY_NAMES.includes('random') && POLICY_NAMES.includes('oracle'));
});

test('random is uniform over the valid actions only, with its log-probability', (t) => {
  const rng = Rng.from(3);
  const mask = [false, true, false, true, true, false];
  const counts = new Map<number, number>();
  for (let i = 0; i < 6000; i++) {
    const d = randomDecision(mask, rng);
    t.true(mask[d.action]);
    t.is(d.logprob, -Math.log(3));
    counts.set(d.action, (counts.get(d.action) ?? 0) + 1);
  }
  for (const a of [1, 3, 4]) t.true(Math.abs(counts.get(a)! - 2000) < 200, `${a}: ${counts.get(a)}`);
  t.throws(() => randomDecision([false, false], rng), { message: /all false/ });
});

test('decisions come only from the rngs passed in: same rng state, same decision', (t) => {
  const obs = firstObs();
  for (const name of ['random', 'epsilon-heuristic:0.5', 'mix:random=1,heuristic=1']) {
    const p = policyByName(name, ctx);
    const a = p.act([obs, obs], [Rng.from(1), Rng.from(2)]) as { action: number }[];
    const b = p.act([obs, obs], [Rng.from(1), Rng.from(2)]) as { action: number }[];
    t.deepEqual(a, b, name);
  }
});

test('epsilon-heuristic:0 plays the heuristic; epsilon-heuristic:1 plays random', async (t) => {
  const h = await runEpisodes(ctx, policyByName('heuristic', ctx), specs(30));
  const e0 = await runEpisodes(ctx, policyByName('epsilon-heuristic:0', ctx), specs(30));
  const actions = (eps: typeof h) => eps.map((e) => e.turns.filter((x) => x.speaker === 'agent').map((x) => x.action));
  t.deepEqual(actions(e0), actions(h));
  const e1 = await runEpisodes(ctx, policyByName('epsilon-heuristic:1', ctx), specs(30));
  t.notDeepEqual(actions(e1), actions(h));
});

test('the oracle beats the heuristic, which beats random (toy family, fixed seeds)', async (t) => {
  const mean = async (name: string) => {
    const eps = await runEpisodes(ctx, policyByName(name, ctx), specs(400, 11), { concurrency: 32 });
    return eps.reduce((a, e) => a + e.totals.return, 0) / eps.length;
  };
  const [o, h, r] = [await mean('oracle'), await mean('heuristic'), await mean('random')];
  t.true(o > h && h > r, `oracle ${o}, heuristic ${h}, random ${r}`);
});

test('a mixture draws one component per episode by weight and records it in the episode', async (t) => {
  const p = policyByName('mix:random=1,heuristic=3', ctx);
  const eps = await runEpisodes(ctx, p, specs(800), { concurrency: 32 });
  const names = eps.map((e) => e.policy);
  t.deepEqual([...new Set(names)].sort(), ['heuristic', 'random']);
  const share = names.filter((n) => n === 'random').length / names.length;
  t.true(Math.abs(share - 0.25) < 0.05, `random share ${share}`);
  // The component is a function of the episode's seed: the plain loop records the same one.
  eps.slice(0, 50).forEach((e, i) => t.is(runEpisodePlain(ctx, p, specs(800)[i]).policy, e.policy));
  // A random episode plays random decisions (logprobs recorded), a heuristic one does not.
  for (const e of eps.slice(0, 50)) {
    const agent = e.turns.filter((x) => x.speaker === 'agent');
    t.is(agent.every((x) => x.logprob !== undefined), e.policy === 'random');
  }
});

test('a mixture component does not depend on the position in the policy stream', (t) => {
  const p = policyByName('mix:random=1,heuristic=1,oracle=1', ctx);
  const s = episodeStreams(42);
  const before = p.nameFor!(s.policy);
  s.policy.float();
  s.policy.float();
  t.is(p.nameFor!(episodeStreams(42).policy), before);
});
