// A tiny family for tests that must not depend on the real families: guess a hidden number in
// [0, size) by asking "is it at least k?" (noisy answers) and guessing; the user has patience.
import type { Scenario } from '../../scenarios/schema.js';
import type { Act, Observation } from '../../actors/acts.js';
import type { AnyFamily, Family } from '../../actors/family.js';
import type { ScenarioContext } from '../../actors/episode-core.js';
import { makeContext } from '../../actors/context.js';

export interface ToyScenario {
  id: string; version: string; title: string; description: string; maxTurns: number;
  user: { patience: { min: number; max: number }; noise: number; vagueness: number; volunteer: number; styles: { name: 'terse' | 'chatty' | 'formal' | 'casual'; weight: number }[] };
  family: 'guessing';
  size: number;
}
export interface ToyPersona { secret: number; patience: number; style: string }
export interface ToyState { patience: number; asked: number }
export interface ToyView { lo: number; hi: number; guessed: number[] }

export function toyScenario(over: Partial<ToyScenario> = {}): ToyScenario {
  return {
    id: 'toy', version: '1.0.0', title: 'Toy guessing', description: '', maxTurns: 12,
    user: { patience: { min: 4, max: 12 }, noise: 0.1, vagueness: 0.1, volunteer: 0, styles: [{ name: 'terse', weight: 1 }, { name: 'chatty', weight: 2 }] },
    family: 'guessing', size: 16, ...over,
  };
}

const AGENT_TEXT: Record<string, string[]> = {
  ask: ['Is it at least {k}?', 'Would you say {k} or more?', 'Is the number {k} or higher?'],
  guess: ['Is it {n}?', 'My guess: {n}.', 'I think it is {n}.'],
  end: ['I give up.', 'Let us stop here.'],
};
const USER_TEXT: Record<string, Record<string, string[]>> = {
  terse: { hello: ['Hi.', 'Hello.'], yes: ['Yes.', 'Yep.'], no: ['No.', 'Nope.'], unsure: ['Not sure.'], bye: ['Bye.'] },
  chatty: { hello: ['Hi there, I have a number in mind!', 'Hello! Guess my number.'], yes: ['Yes, indeed!', 'Oh yes, that is right.'], no: ['No, sorry.', 'Hmm, no, it is not.'], unsure: ['Honestly I am not sure.', 'Hard to say...'], bye: ['I have to go, bye!', 'That is enough for me, bye.'] },
};

function fill(t: string, args: Act['args']): string {
  return t.replace(/\{(\w+)\}/g, (_m, k: string) => String(args?.[k] ?? ''));
}

export const toyFamily: Family<Scenario, ToyPersona, ToyState, ToyView> = {
  name: 'guessing',
  actions(s) {
    const n = (s as unknown as ToyScenario).size;
    const out: Act[] = [];
    for (let k = 1; k < n; k++) out.push({ type: 'ask', args: { k } });
    for (let v = 0; v < n; v++) out.push({ type: 'guess', args: { n: v } });
    out.push({ type: 'end' });
    return out;
  },
  samplePersona(s, rng) {
    const t = s as unknown as ToyScenario;
    const styles = t.user.styles;
    return {
      secret: rng.int(t.size),
      patience: rng.intBetween(t.user.patience.min, t.user.patience.max),
      style: styles[rng.weightedIndex(styles.map((x) => x.weight))].name,
    };
  },
  init(_s, p) { return { patience: p.patience, asked: 0 }; },
  open(_s, _p, state) { return { state, act: { type: 'hello' } }; },
  respond(s, p, st, act, rng) {
    const t = s as unknown as ToyScenario;
    const state = { patience: st.patience - 1, asked: st.asked + 1 };
    if (act.type === 'end') return { state, act: { type: 'bye' }, left: true };
    if (act.type === 'guess') {
      if (act.args?.n === p.secret) return { state, act: { type: 'yes' } };
      if (state.patience <= 0) return { state, act: { type: 'bye' }, left: true };
      return { state, act: { type: 'no' } };
    }
    if (state.patience <= 0) return { state, act: { type: 'bye' }, left: true };
    if (rng.bernoulli(t.user.vagueness)) return { state, act: { type: 'unsure' } };
    let truth = p.secret >= Number(act.args?.k);
    if (rng.bernoulli(t.user.noise)) truth = !truth;
    return { state, act: { type: truth ? 'yes' : 'no' } };
  },
  judge(_s, p, _b, agent, user) {
    if (agent.type === 'guess' && user.type === 'yes') return { reward: 9, end: 'success' };
    if (agent.type === 'end') return { reward: 0, end: 'agent-ended' };
    return { reward: -1 };
  },
  finish(_s, p, st, reason, rng) {
    const success = reason === 'success';
    return { reward: success ? 0 : -2, success, details: { secret: p.secret, left: st.patience, draw: rng.int(100) } };
  },
  initialView(s) { return { lo: 0, hi: (s as unknown as ToyScenario).size - 1, guessed: [] }; },
  updateView(_s, v, agent, user) {
    if (!agent) return v;
    if (agent.type === 'ask' && (user.type === 'yes' || user.type === 'no')) {
      const k = Number(agent.args?.k);
      let { lo, hi } = v;
      if (user.type === 'yes') lo = Math.max(lo, k); else hi = Math.min(hi, k - 1);
      if (lo > hi) return { lo: 0, hi: hi + lo, guessed: v.guessed };
      return { lo, hi, guessed: v.guessed };
    }
    if (agent.type === 'guess' && user.type === 'no') return { ...v, guessed: [...v.guessed, Number(agent.args?.n)] };
    return v;
  },
  mask(s, v, turn) {
    const n = (s as unknown as ToyScenario).size;
    const m: boolean[] = [];
    for (let k = 1; k < n; k++) m.push(true);
    for (let x = 0; x < n; x++) m.push(!v.guessed.includes(x));
    m.push(turn >= 1);
    return m;
  },
  renderAgent(_s, act, rng) { return fill(rng.pick(AGENT_TEXT[act.type]), act.args); },
  renderUser(_s, p, act, rng) { return rng.pick((USER_TEXT[p.style] ?? USER_TEXT.terse)[act.type]); },
  heuristic(s, obs: Observation<ToyView>) {
    const n = (s as unknown as ToyScenario).size;
    const { lo, hi, guessed } = obs.view;
    if (hi - lo <= 1) {
      const g = guessed.includes(lo) ? hi : lo;
      if (!guessed.includes(g)) return n - 1 + g;
    }
    const k = Math.max(1, Math.ceil((lo + hi + 1) / 2));
    return Math.min(k, n - 1) - 1;
  },
  oracle(s, _obs, p) { return (s as unknown as ToyScenario).size - 1 + p.secret; },
};

/** The toy family with one method throwing whenever `when` holds (an injected fault). */
export function withFault(family: AnyFamily, method: keyof AnyFamily, when: (...args: any[]) => boolean): AnyFamily {
  const orig = family[method] as (...a: unknown[]) => unknown;
  return { ...family, [method]: (...args: unknown[]) => {
    if (when(...args)) throw new Error(`injected fault in ${String(method)}`);
    return orig(...args);
  } } as AnyFamily;
}

export function toyContext(over: Partial<ToyScenario> = {}, family: AnyFamily = toyFamily): ScenarioContext {
  return makeContext(toyScenario(over) as unknown as Scenario, family);
}
