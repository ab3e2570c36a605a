// checkEnv: every built-in scenario and every fixture keeps the environment contract.
import test from 'ava';
import { fileURLToPath } from 'node:url';
import type { Rng } from '../../scenarios/random.js';
import type { Observation } from '../../actors/acts.js';
import { makeContext } from '../../actors/context.js';
import { getScenario } from '../../scenarios/registry.js';
import { EnvCheckFailed, checkEnv, makeEnv } from '../../environments/env/index.js';
import type { Env, ResetResult, StepResult } from '../../environments/env/index.js';

const ROOT = new URL('../../../', import.meta.url);
const SCENARIOS: readonly string[] = [
  'travel-agent', 'teacher', 'twenty-questions',
  ...['guess-the-country', 'restaurant-recommender', 'spanish-tutor'].map((f) => fileURLToPath(new URL(`test/fixtures/scenarios/${f}.yaml`, ROOT))),
];
const short = (s: string) => s.replace(/^.*\/|\.yaml$/g, '');

for (const id of SCENARIOS) {
  test(`checkEnv passes on ${short(id)} (structured and encoded observations)`, (t) => {
    const ctx = makeContext(getScenario(id));
    const report = checkEnv(() => makeEnv(ctx), { episodes: 3 });
    t.true(report.steps > 0);
    const encoded = { size: 4, encode: (o: Observation, out: Float32Array) => { out.set([o.turn, o.history.length, o.mask.filter(Boolean).length, o.lastUserAct ? 1 : 0]); } };
    t.notThrows(() => checkEnv(() => makeEnv(ctx, { encoded }), { episodes: 2, seed: 9 }));
    t.notThrows(() => checkEnv(makeEnv(ctx, { privileged: true }), { episodes: 2, seed: 4 }));
  });
}

/** A broken env: ignores seeds, returns NaN rewards, accepts anything, never complains. */
function brokenEnv(): Env<number, number> {
  let t = 0;
  let draws = 0;
  const space = {
    description: 'Discrete(2)',
    contains: (x: unknown): x is number => x === 0 || x === 1,
    sample: (_rng: Rng) => 0,
  };
  return {
    actionSpace: space,
    observationSpace: space,
    reset(): ResetResult<number> { t = 0; return { observation: draws++ % 2, info: { seed: 0, turn: 0, mask: [true, true] } }; },
    step(): StepResult<number> { t++; return { observation: 0, reward: Number.NaN, terminated: t >= 3, truncated: false, info: { seed: 0, turn: t, mask: [true, true] } }; },
    close() {},
  };
}

test('checkEnv lists every problem of a broken env in one EnvCheckFailed', (t) => {
  const err = t.throws(() => checkEnv(brokenEnv, { name: 'broken' }), { instanceOf: EnvCheckFailed });
  t.is(err.code, 'ENV_CHECK_FAILED');
  const text = err.problems.join('\n');
  t.regex(text, /step\(\) before reset\(\) did not throw; expected ResetNeeded/);
  t.regex(text, /reset\(\{ seed: -1 \}\) did not throw; expected InvalidSeed/);
  t.regex(text, /step\(-1\) did not throw; expected InvalidAction/);
  t.regex(text, /reward must be a finite number, got NaN/);
  t.regex(text, /step\(\) after the episode ended did not throw; expected ResetNeeded/);
  t.regex(text, /different seeds gave the same episode/);
  t.regex(err.message, /^checkEnv\(broken\): \d+ problem\(s\):/);
});

test('checkEnv catches an env whose observations leave its observation space', (t) => {
  const env = makeEnv('teacher');
  const strict = Object.assign(Object.create(Object.getPrototypeOf(env) as object) as typeof env, env);
  Object.defineProperty(strict, 'observationSpace', { value: { ...env.observationSpace, description: 'nothing', contains: () => false, sample: env.observationSpace.sample.bind(env.observationSpace) } });
  const err = t.throws(() => checkEnv(strict, { episodes: 1 }), { instanceOf: EnvCheckFailed });
  t.regex(err.message, /observation is not in observationSpace \(nothing\)/);
});
