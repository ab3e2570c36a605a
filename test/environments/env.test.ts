// DialogueEnv: Gymnasium's reset/step over the conversation actors, the same episodes as the reference loop.
import test from 'ava';
import { fileURLToPath } from 'node:url';
import { Rng, deriveSeed } from '../../scenarios/random.js';
import { getScenario } from '../../scenarios/registry.js';
import type { Observation } from '../../actors/acts.js';
import { makeContext } from '../../actors/context.js';
import type { ScenarioContext } from '../../actors/episode-core.js';
import { episodeStreams } from '../../actors/episode-core.js';
import type { Episode } from '../../actors/episode.js';
import { runEpisodePlain } from '../../actors/plain.js';
import { policyByName } from '../../actors/policies/index.js';
import type { Policy } from '../../actors/policy.js';
import { AutoresetMode, Box, Discrete, EnvClosed, InvalidAction, InvalidSeed, ResetNeeded, checkEnv, makeEnv, makeVectorEnv } from '../../environments/env/index.js';
import type { DialogueEnv } from '../../environments/env/index.js';

const ROOT = new URL('../../../', import.meta.url);
export const SCENARIOS: readonly string[] = [
  'travel-agent', 'teacher', 'twenty-questions',
  ...['guess-the-country', 'restaurant-recommender', 'spanish-tutor'].map((f) => fileURLToPath(new URL(`test/fixtures/scenarios/${f}.yaml`, ROOT))),
];
const contexts = new Map<string, ScenarioContext>(SCENARIOS.map((s) => [s, makeContext(getScenario(s))]));
const short = (s: string) => s.replace(/^.*\/|\.yaml$/g, '');

/**
 * Plays one episode through reset/step with `policy` choosing the actions, drawing from the
 * episode's own policy stream as the runners do; returns what the Episode record should hold.
 */
function playEnv(env: DialogueEnv, policy: Policy, seed: number) {
  const rng = episodeStreams(seed).policy;
  let { observation } = env.reset({ seed });
  const rewards: number[] = [];
  const actions: number[] = [];
  for (;;) {
    const out = policy.act([observation], [rng]);
    if (out instanceof Promise) throw new Error('synchronous policies only');
    actions.push(out[0].action);
    const r = env.step(out[0].action);
    rewards.push(r.reward);
    observation = r.observation;
    if (r.terminated || r.truncated) return { rewards, actions, last: r };
  }
}

for (const id of SCENARIOS) {
  for (const name of ['heuristic', 'random', 'oracle']) {
    test(`${short(id)}: reset/step with ${name}'s actions gives runEpisodePlain's episode, turn for turn`, (t) => {
      const ctx = contexts.get(id)!;
      const policy = policyByName(name, ctx);
      const env = makeEnv(ctx, { privileged: policy.privileged === true, policyName: name });
      for (let k = 0; k < 6; k++) {
        const seed = deriveSeed(31, k);
        const plain: Episode = runEpisodePlain(ctx, policy, { index: k, seed, id: 'x' });
        t.is(plain.outcome.error, undefined);
        const { rewards, actions, last } = playEnv(env, policy, seed);
        const agentTurns = plain.turns.filter((tt) => tt.speaker === 'agent');
        t.deepEqual(actions, agentTurns.map((tt) => tt.action));
        t.deepEqual(rewards, agentTurns.map((tt) => tt.reward));
        t.is(last.terminated, plain.outcome.reason !== 'turn-limit');
        t.is(last.truncated, plain.outcome.reason === 'turn-limit');
        t.is(last.info.reason, plain.outcome.reason);
        t.is(last.info.success, plain.outcome.success);
        // The env's Episode record is the reference loop's, apart from id/index and the logprobs a policy reports.
        const strip = (e: Episode) => ({ ...e, id: '', index: 0, turns: e.turns.map(({ logprob: _l, ...rest }) => rest) });
        t.deepEqual(strip(last.info.episode!), strip(plain));
      }
      env.close();
    });
  }
}

test('the step rewards sum to the return; the last one includes the verifier final reward', (t) => {
  const ctx = contexts.get('twenty-questions')!;
  const env = makeEnv(ctx);
  const { rewards, last } = playEnv(env, policyByName('heuristic', ctx), 3);
  const ep = last.info.episode!;
  t.is(rewards.reduce((a, b) => a + b, 0), ep.totals.return);
  t.is(last.info.finalReward, ep.outcome.finalReward);
  if (ctx.scenario.family !== 'guessing') throw new Error('twenty-questions is a guessing scenario');
  t.is(rewards.at(-1), ctx.scenario.rewards.turn + ep.outcome.finalReward);
});

test('observations carry the mask, also in info; the final observation has every exchange and no valid action', (t) => {
  const env = makeEnv('teacher');
  const r0 = env.reset({ seed: 11 });
  t.is(r0.info.turn, 0);
  t.is(r0.info.seed, 11);
  t.deepEqual(r0.observation.mask, r0.info.mask);
  t.true(env.observationSpace.contains(r0.observation));
  t.true(env.actionSpace instanceof Discrete);
  t.is(env.actionSpace.n, env.actions.length);
  const rng = Rng.from(2);
  let r = env.step(env.actionSpace.sample(rng, r0.info.mask));
  while (!r.terminated && !r.truncated) r = env.step(env.actionSpace.sample(rng, r.info.mask));
  const obs: Observation = r.observation;
  t.is(obs.history.length, r.info.episode!.turns.length);
  t.false(obs.mask.some(Boolean));
  t.false(r.info.mask.some(Boolean));
  t.true(env.observationSpace.contains(obs));
});

test('misuse throws one error class per mistake, and an invalid action changes nothing', (t) => {
  const env = makeEnv('twenty-questions');
  const before = t.throws(() => env.step(0), { instanceOf: ResetNeeded });
  t.is(before.message, 'Cannot call step() before reset()');
  t.is(before.code, 'RESET_NEEDED');
  t.throws(() => env.reset({ seed: -3 }), { instanceOf: InvalidSeed, message: /seed must be an integer in \[0, 2\^32\), got -3/ });
  const { info } = env.reset({ seed: 4 });
  const n = env.actionSpace.n;
  t.throws(() => env.step(n), { instanceOf: InvalidAction, message: new RegExp(`action ${n} is not in the action space: expected an integer in \\[0, ${n}\\)`) });
  t.throws(() => env.step(1.5), { instanceOf: InvalidAction });
  const first = env.step(info.mask.indexOf(true));
  const masked = first.info.mask.indexOf(false);
  const err = t.throws(() => env.step(masked), { instanceOf: InvalidAction });
  t.regex(err.message, new RegExp(`action ${masked} \\(ask .*\\) is masked out at turn 1; valid now: `));
  t.is(err.action, masked);
  // The same episode, replayed without the mistakes, agrees step for step.
  const again = makeEnv('twenty-questions');
  again.reset({ seed: 4 });
  t.deepEqual(again.step(info.mask.indexOf(true)), first);
  let r = env.step(first.info.mask.lastIndexOf(true));
  while (!r.terminated && !r.truncated) r = env.step(r.info.mask.lastIndexOf(true));
  t.throws(() => env.step(0), { instanceOf: ResetNeeded, message: /after the episode ended/ });
  env.close();
  t.throws(() => env.reset(), { instanceOf: EnvClosed });
});

test('unseeded resets continue from the last seeded one: deriveSeed(seed, k)', (t) => {
  const env = makeEnv('travel-agent');
  t.is(env.reset().info.seed, 0);
  t.is(env.reset().info.seed, deriveSeed(0, 1));
  t.is(env.reset({ seed: 9 }).info.seed, 9);
  t.is(env.reset().info.seed, deriveSeed(9, 1));
  t.is(env.reset().info.seed, deriveSeed(9, 2));
  t.is(makeEnv('travel-agent', { seed: 5 }).reset().info.seed, 5);
});

test('reset in the middle of an episode starts the new one cleanly', (t) => {
  const env = makeEnv('teacher');
  const a = env.reset({ seed: 8 });
  env.step(a.info.mask.indexOf(true));
  const b = env.reset({ seed: 8 });
  t.deepEqual(b, a);
  t.deepEqual(env.step(a.info.mask.indexOf(true)), makeEnvStep('teacher', 8, a.info.mask.indexOf(true)));
});

function makeEnvStep(id: string, seed: number, action: number) {
  const env = makeEnv(id);
  env.reset({ seed });
  return env.step(action);
}

test('the encoded option gives Box observations from any { size, encode } encoder', (t) => {
  const encoder = {
    size: 3,
    encode(obs: Observation, out: Float32Array) {
      out[0] = obs.turn;
      out[1] = obs.history.length;
      out[2] = obs.mask.filter(Boolean).length;
    },
  };
  const env = makeEnv('twenty-questions', { encoded: encoder });
  t.true(env.observationSpace instanceof Box);
  t.is(env.observationSpace.description, 'Box(-inf, inf, [3], float32)');
  const { observation, info } = env.reset({ seed: 1 });
  t.true(observation instanceof Float32Array);
  t.deepEqual(Array.from(observation), [0, 1, info.mask.filter(Boolean).length]);
  const r = env.step(info.mask.indexOf(true));
  t.deepEqual(Array.from(r.observation).slice(0, 2), [1, 3]);
  t.true(env.observationSpace.contains(r.observation));
  t.false(env.observationSpace.contains(new Float32Array(4)));
  t.throws(() => makeEnv('teacher', { encoded: { size: 0, encode: () => {} } }), { instanceOf: RangeError });
});

test('the README example runs as written', (t) => {
  const env = makeEnv('twenty-questions');
  const rng = Rng.from(0);
  let { observation, info } = env.reset({ seed: 7 });
  for (;;) {
    const r = env.step(env.actionSpace.sample(rng, info.mask));
    ({ observation, info } = r);
    if (r.terminated || r.truncated) break;
  }
  t.is(info.episode!.seed, 7);
  t.true(env.observationSpace.contains(observation));
  const venv = makeVectorEnv('teacher', 8, { autoresetMode: AutoresetMode.SAME_STEP });
  venv.reset({ seed: 1 });
  t.is(venv.step(venv.sampleActions(rng)).rewards.length, 8);
  t.notThrows(() => checkEnv(() => makeEnv('travel-agent'), { episodes: 1 }));
});

test('a family failure ends the episode as errored (terminated, info.error) instead of throwing', (t) => {
  const base = contexts.get('twenty-questions')!;
  let calls = 0;
  const family = {
    ...base.family,
    respond: (...args: Parameters<typeof base.family.respond>) => {
      if (++calls === 2) throw new Error('respond broke');
      return base.family.respond(...args);
    },
  };
  const env = makeEnv(makeContext(base.scenario, family));
  const { info } = env.reset({ seed: 1 });
  const first = env.step(info.mask.indexOf(true));
  t.false(first.terminated);
  const r = env.step(first.info.mask.indexOf(true));
  t.true(r.terminated);
  t.false(r.truncated);
  t.is(r.info.reason, 'error');
  t.is(r.info.error, 'respond broke');
  t.is(r.info.episode!.outcome.reason, 'error');
  t.throws(() => env.step(0), { instanceOf: ResetNeeded });
  t.notThrows(() => env.reset({ seed: 2 }));
});
