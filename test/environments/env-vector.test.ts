// VectorEnv: N episodes stepped together, with Gymnasium's three autoreset modes.
import test from 'ava';
import { Rng, deriveSeed } from '../../scenarios/random.js';
import type { Observation } from '../../actors/acts.js';
import { AutoresetMode, InvalidAction, ResetNeeded, VectorEnv, makeEnv, makeVectorEnv } from '../../environments/env/index.js';
import type { StepInfo, VectorInfo } from '../../environments/env/index.js';

const N = 4;
const ID = 'twenty-questions';

/** The first valid action of each sub-env: deterministic, and episodes end (wrong guesses exhaust patience). */
const firstValid = (infos: readonly StepInfo[]) => infos.map((i) => i.mask.indexOf(true));

/** One sub-env's episodes when played alone, for comparison: seeds seed, deriveSeed(seed, 1), ... */
function alone(seed: number, episodes: number) {
  const env = makeEnv(ID);
  const out: { first: Observation; rewards: number[]; final: Observation; reason: StepInfo['reason'] }[] = [];
  for (let e = 0; e < episodes; e++) {
    const { observation, info } = e === 0 ? env.reset({ seed }) : env.reset();
    const rewards: number[] = [];
    let mask = info.mask;
    for (;;) {
      const r = env.step(mask.indexOf(true));
      rewards.push(r.reward);
      mask = r.info.mask;
      if (r.terminated || r.truncated) { out.push({ first: observation, rewards, final: r.observation, reason: r.info.reason! }); break; }
    }
  }
  return out;
}

test('reset({ seed }) seeds sub-env i with deriveSeed(seed, i), as rollout runs seed episode i', (t) => {
  const venv = makeVectorEnv(ID, N);
  const { observations, infos } = venv.reset({ seed: 12 });
  t.is(venv.numEnvs, N);
  t.deepEqual(infos.map((i) => i.seed), [0, 1, 2, 3].map((i) => deriveSeed(12, i)));
  observations.forEach((o, i) => t.deepEqual(o, makeEnv(ID).reset({ seed: deriveSeed(12, i) }).observation));
});

test('NEXT_STEP: the ending step returns the final observation; the next one ignores the action and resets', (t) => {
  const venv = makeVectorEnv(ID, N, { autoresetMode: AutoresetMode.NEXT_STEP });
  t.is(venv.autoresetMode, 'NEXT_STEP');
  const ref = [0, 1, 2, 3].map((i) => alone(deriveSeed(5, i), 2));
  let { infos } = venv.reset({ seed: 5 });
  const step = Array<number>(N).fill(0);
  const episode = Array<number>(N).fill(0);
  let resetsSeen = 0;
  for (let k = 0; k < 200 && episode.some((e) => e < 2); k++) {
    const wasEnded = infos.map((i) => i.reason !== undefined);
    // Ended sub-envs get a nonsense action: it must be ignored.
    const r = venv.step(infos.map((i, j) => (wasEnded[j] ? -1 : i.mask.indexOf(true))));
    for (let i = 0; i < N; i++) {
      if (episode[i] >= 2) continue;
      const want = ref[i][episode[i]];
      if (wasEnded[i]) {
        resetsSeen++;
        t.is(r.rewards[i], 0);
        t.false(r.terminated[i] || r.truncated[i]);
        t.is(r.infos[i].turn, 0);
        t.deepEqual(r.observations[i], want.first);
        continue;
      }
      t.is(r.rewards[i], want.rewards[step[i]]);
      step[i]++;
      if (r.terminated[i] || r.truncated[i]) {
        t.deepEqual(r.observations[i], want.final);
        t.is(r.infos[i].reason, want.reason);
        t.is(step[i], want.rewards.length);
        step[i] = 0;
        episode[i]++;
      }
    }
    infos = r.infos;
  }
  t.true(resetsSeen >= N);
});

test('SAME_STEP: the ending step returns the next episode first observation, the final one in info.final', (t) => {
  const venv = makeVectorEnv(ID, N, { autoresetMode: AutoresetMode.SAME_STEP });
  const ref = [0, 1, 2, 3].map((i) => alone(deriveSeed(6, i), 3));
  let { infos } = venv.reset({ seed: 6 });
  const step = Array<number>(N).fill(0);
  const episode = Array<number>(N).fill(0);
  for (let k = 0; k < 200 && episode.some((e) => e < 2); k++) {
    const r = venv.step(firstValid(infos));
    for (let i = 0; i < N; i++) {
      if (episode[i] >= 2) continue;
      const want = ref[i][episode[i]];
      t.is(r.rewards[i], want.rewards[step[i]]);
      step[i]++;
      const info: VectorInfo<Observation> = r.infos[i];
      if (r.terminated[i] || r.truncated[i]) {
        t.deepEqual(info.final!.observation, want.final);
        t.is(info.final!.info.reason, want.reason);
        t.deepEqual(r.observations[i], ref[i][episode[i] + 1].first);
        t.is(info.turn, 0);
        t.true(info.mask.includes(true));
        step[i] = 0;
        episode[i]++;
      } else t.is(info.final, undefined);
    }
    infos = r.infos;
  }
  t.deepEqual(episode, [2, 2, 2, 2]);
});

test('DISABLED: an ended sub-env must be reset with a mask; the others keep their episodes', (t) => {
  const venv = makeVectorEnv(ID, 2, { autoresetMode: AutoresetMode.DISABLED });
  // Sub-env 0 guesses (wrong guesses wear patience out fast); sub-env 1 asks. Find a seed where one ends first.
  for (let seed = 0; seed < 20; seed++) {
    let infos = venv.reset({ seed }).infos;
    const pick = () => [infos[0].mask.lastIndexOf(true), infos[1].mask.indexOf(true)];
    let r = venv.step(pick());
    infos = r.infos;
    const ended = () => [0, 1].filter((i) => r.terminated[i] || r.truncated[i]);
    while (ended().length === 0) { r = venv.step(pick()); infos = r.infos; }
    if (ended().length === 2) continue;
    const e = ended()[0];
    const live = 1 - e;
    const err = t.throws(() => venv.step([0, 0]), { instanceOf: ResetNeeded });
    t.regex(err.message, new RegExp(`sub-env ${e}: its episode ended and autoreset is DISABLED; call reset\\(\\{ mask \\}\\)`));
    const keep = r.observations[live];
    const mask = [e === 0, e === 1];
    const again = venv.reset({ mask });
    t.is(again.infos[e].seed, deriveSeed(deriveSeed(seed, e), 1));
    t.is(again.infos[e].turn, 0);
    t.is(again.observations[live], keep);
    t.is(again.infos[live], r.infos[live]);
    infos = again.infos;
    t.notThrows(() => venv.step(pick()));
    return;
  }
  t.fail('no seed in 0..19 where one sub-env ended before the other');
});

test('a bad action throws before any sub-env moves', (t) => {
  const venv = makeVectorEnv('teacher', 3);
  t.throws(() => venv.step([0, 0, 0]), { instanceOf: ResetNeeded, message: /sub-env 0 was never reset/ });
  const { infos } = venv.reset({ seed: 1 });
  const good = firstValid(infos);
  t.throws(() => venv.step([good[0], 999, good[2]]), { instanceOf: InvalidAction, message: /sub-env 1: action 999 is not in the action space/ });
  t.throws(() => venv.step([good[0]]), { instanceOf: InvalidAction, message: /got 1 actions for 3 sub-envs/ });
  const masked = infos[2].mask.indexOf(false);
  if (masked >= 0) t.throws(() => venv.step([good[0], good[1], masked]), { instanceOf: InvalidAction, message: /sub-env 2: action \d+ is masked out/ });
  const r = venv.step(good);
  const fresh = makeVectorEnv('teacher', 3);
  fresh.reset({ seed: 1 });
  t.deepEqual(fresh.step(good), r);
});

test('random valid actions from a seeded Rng give the same arrays twice; encoded sub-envs give Box rows', (t) => {
  const play = () => {
    const venv = makeVectorEnv('travel-agent', 3, { encoded: { size: 2, encode: (o: Observation, out: Float32Array) => { out[0] = o.turn; out[1] = o.history.length; } } });
    const rng = Rng.from(3);
    venv.reset({ seed: 2 });
    const trace: unknown[] = [];
    for (let k = 0; k < 30; k++) {
      const r = venv.step(venv.sampleActions(rng));
      t.true(r.observations.every((o) => venv.singleObservationSpace.contains(o)));
      trace.push(r.rewards, r.terminated, r.truncated, r.observations.map((o) => Array.from(o)));
    }
    venv.close();
    return trace;
  };
  t.deepEqual(play(), play());
  t.throws(() => new VectorEnv([]), { instanceOf: RangeError });
});
