// A toy family and runtime, so the pool and dataset code are tested without the real families.
import type { Act } from '../../../actors/acts.js';
import type { AnyFamily } from '../../../actors/family.js';
import type { EpisodeSpec, ScenarioContext } from '../../../actors/episode-core.js';
import type { Episode } from '../../../actors/episode.js';
import type { Policy } from '../../../actors/policy.js';
import { runEpisodePlain } from '../../../actors/plain.js';
import { contentHash } from '../../../scenarios/hash.js';
import type { Rng } from '../../../scenarios/random.js';
import type { Observation } from '../../../actors/acts.js';
import type { Runtime } from '../../../environments/rollout/runtime.js';

/** Guess a hidden number in [0, 10): ask "is it at least k?" or guess n. */
export const toyScenario = {
  id: 'toy-numbers',
  version: '1.0.0',
  family: 'guessing',
  title: 'Guess the number',
  maxTurns: 8,
  /** Test hooks: a task containing this episode index throws as a whole; an episode with it throws alone. */
  failTaskAt: -1,
  failEpisodeAt: -1,
  /** Milliseconds of busy work per episode (to make runs long enough to kill). */
  spinMs: 0,
};
export type ToyScenario = typeof toyScenario;

const actions: Act[] = [
  ...Array.from({ length: 9 }, (_, k) => ({ type: 'ask', args: { atLeast: k + 1 } })),
  ...Array.from({ length: 10 }, (_, n) => ({ type: 'guess', args: { n } })),
];

interface St { readonly patience: number; readonly index: number }

export const toyFamily = {
  name: 'guessing',
  actions: () => actions,
  samplePersona: (_s: ToyScenario, rng: Rng) => ({ n: rng.int(10), style: rng.pick(['terse', 'chatty']) }),
  init: (_s: ToyScenario, _p: unknown, rng: Rng) => ({ patience: rng.intBetween(4, 8), index: 0 }),
  open: (_s: ToyScenario, _p: unknown, state: St) => ({ state, act: { type: 'hello' } }),
  respond(_s: ToyScenario, p: { n: number }, state: St, act: Act, rng: Rng) {
    const patience = state.patience - 1;
    if (act.type === 'guess') return { state: { ...state, patience }, act: { type: act.args?.n === p.n ? 'yes' : 'no' } };
    const truth = p.n >= Number(act.args?.atLeast);
    const answer = rng.bernoulli(0.1) ? !truth : truth;
    return { state: { ...state, patience }, act: { type: answer ? 'yes' : 'no' }, left: patience <= 0 };
  },
  judge: (_s: ToyScenario, _p: unknown, _b: unknown, agent: Act, user: Act) => (agent.type === 'guess' && user.type === 'yes' ? { reward: 10, end: 'success' as const } : { reward: -1 }),
  finish: (_s: ToyScenario, _p: unknown, _st: unknown, reason: string) => ({ reward: 0, success: reason === 'success' }),
  initialView: () => ({ lo: 0, hi: 9 }),
  updateView(_s: ToyScenario, v: { lo: number; hi: number }, agent: Act | null, user: Act) {
    if (!agent || agent.type !== 'ask') return v;
    const k = Number(agent.args?.atLeast);
    return user.type === 'yes' ? { lo: Math.max(v.lo, k), hi: v.hi } : { lo: v.lo, hi: Math.min(v.hi, k - 1) };
  },
  mask: () => actions.map(() => true),
  renderAgent: (_s: ToyScenario, act: Act, rng: Rng) => (act.type === 'ask' ? `Is it at least ${act.args?.atLeast}?` : `${rng.pick(['Is it', 'My guess:'])} ${act.args?.n}`),
  renderUser: (_s: ToyScenario, p: { style: string }, act: Act, rng: Rng) => `${act.type}${p.style === 'chatty' ? rng.pick(['!', ', I think.', ' indeed']) : ''}`,
  heuristic(_s: ToyScenario, obs: Observation) {
    const v = obs.view as { lo: number; hi: number };
    if (v.lo >= v.hi) return 9 + v.lo;
    return Math.floor((v.lo + v.hi + 1) / 2) - 1;
  },
  oracle: (_s: ToyScenario, _o: unknown, p: { n: number }) => 9 + p.n,
} as unknown as AnyFamily;

export function toyContext(data: unknown): ScenarioContext {
  const scenario = { ...toyScenario, ...(data as Partial<ToyScenario>) };
  return { scenario: scenario as unknown as ScenarioContext['scenario'], family: toyFamily, actions, hash: contentHash(scenario) };
}

export function toyPolicy(name: string, ctx: ScenarioContext): Policy {
  switch (name) {
    case 'heuristic':
      return { name, act: (obs, rngs) => obs.map((o, i) => ({ action: ctx.family.heuristic(ctx.scenario, o, rngs[i]) })) };
    case 'random':
      return { name, act: (obs, rngs) => obs.map((o, i) => ({ action: rngs[i].int(o.mask.length) })) };
    default:
      throw new Error(`unknown policy '${name}'`);
  }
}

let flaky = { at: -1, times: 0 };
/** The task containing episode `at` fails `times` times in this thread, then works (a transient failure). */
export function setFlaky(at: number, times: number): void {
  flaky = { at, times };
}

export const toyRuntime: Runtime = {
  context: toyContext,
  policy: toyPolicy,
  async run(ctx, policy, specs, { onEpisode }) {
    const s = ctx.scenario as unknown as ToyScenario;
    if (specs.some((x) => x.index === s.failTaskAt)) throw new Error(`toy task failure at ${s.failTaskAt}`);
    if (flaky.times > 0 && specs.some((x) => x.index === flaky.at)) {
      flaky.times--;
      throw new Error(`transient failure at ${flaky.at}`);
    }
    for (const spec of specs) onEpisode(play(spec));
    function play(spec: EpisodeSpec): Episode {
      if (s.spinMs > 0) {
        const until = performance.now() + s.spinMs;
        while (performance.now() < until);
      }
      if (spec.index === s.failEpisodeAt) {
        const broken: Policy = { name: policy.name, act: () => { throw new Error('policy exploded'); } };
        return runEpisodePlain(ctx, broken, spec);
      }
      return runEpisodePlain(ctx, policy, spec);
    }
  },
};
