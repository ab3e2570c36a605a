import test from 'ava';
import type { ExecutionContext } from 'ava';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { Scenario } from '../../../scenarios/schema.js';
import type { GuessingScenario } from '../../../scenarios/families/guessing.js';
import { Rng, deriveSeed } from '../../../scenarios/random.js';
import type { Observation } from '../../../actors/acts.js';
import type { Episode } from '../../../actors/episode.js';
import type { ScenarioContext } from '../../../actors/episode-core.js';
import type { Policy } from '../../../actors/policy.js';
import { makeContext } from '../../../actors/context.js';
import { runEpisodePlain } from '../../../actors/plain.js';
import { guessingFamily as family } from '../../../actors/families/guessing/index.js';
import type { GuessingPersona, GuessingState, GuessingView } from '../../../actors/families/guessing/index.js';

// Tests run from dist/test/actors/families/; the data files live in the source tree.
const root = new URL('../../../../', import.meta.url);
const readYaml = (path: string): unknown => parse(readFileSync(new URL(path, root), 'utf8'));

function load(path: string): GuessingScenario {
  const r = Scenario.safeParse(readYaml(path));
  if (!r.success) throw new Error(`${path}: ${JSON.stringify(r.error.issues)}`);
  if (r.data.family !== 'guessing') throw new Error(`${path} is not a guessing scenario`);
  return r.data;
}

const BUILTIN = 'scenarios/builtin/twenty-questions.yaml';
const FIXTURE = 'test/fixtures/scenarios/guess-the-country.yaml';
const N = 2000;

// The three scripted policies, written here as the generic ones will be: oracle (privileged),
// heuristic (observation only), random (uniform among the actions the mask allows).
function policies(s: GuessingScenario): Record<'oracle' | 'heuristic' | 'random', Policy> {
  return {
    oracle: {
      name: 'oracle',
      privileged: true,
      act: (obs, rngs) => obs.map((o, i) => {
        const p = o.privileged as { persona: GuessingPersona; state: GuessingState };
        return { action: family.oracle(s, o as Observation<GuessingView>, p.persona, p.state, rngs[i]) };
      }),
    },
    heuristic: { name: 'heuristic', act: (obs, rngs) => obs.map((o, i) => ({ action: family.heuristic(s, o as Observation<GuessingView>, rngs[i]) })) },
    random: {
      name: 'random',
      act: (obs, rngs) => obs.map((o, i) => {
        const valid: number[] = [];
        o.mask.forEach((ok, a) => { if (ok) valid.push(a); });
        return { action: valid[rngs[i].int(valid.length)] };
      }),
    },
  };
}

function run(ctx: ScenarioContext, policy: Policy, n: number, seed: number): Episode[] {
  return Array.from({ length: n }, (_, i) => runEpisodePlain(ctx, policy, { index: i, seed: deriveSeed(seed, i), id: `ep-${i}` }));
}

interface Stat { mean: number; lo: number; hi: number }
function stat(xs: readonly number[]): Stat {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1));
  const half = (1.96 * sd) / Math.sqrt(xs.length);
  return { mean, lo: mean - half, hi: mean + half };
}
const show = (s: Stat) => `${s.mean.toFixed(2)} ± ${(s.hi - s.mean).toFixed(2)}`;

// Episodes are played once per scenario and policy, and shared by the tests that look at them.
const played = new Map<string, Record<'oracle' | 'heuristic' | 'random', Episode[]>>();
function episodes(path: string) {
  let e = played.get(path);
  if (!e) {
    const s = load(path);
    const ctx = makeContext(s, family);
    const p = policies(s);
    e = { oracle: run(ctx, p.oracle, N, 11), heuristic: run(ctx, p.heuristic, N, 12), random: run(ctx, p.random, N, 13) };
    played.set(path, e);
  }
  return e;
}

/** A parsed copy of the built-in with some fields changed (each test gets its own object). */
function variant(change: (raw: Record<string, unknown>) => void): GuessingScenario {
  const raw = readYaml(BUILTIN) as Record<string, unknown>;
  change(raw);
  return Scenario.parse(raw) as GuessingScenario;
}

// ---------------------------------------------------------------- schema

test('the built-in twenty-questions and the country fixture validate against Scenario', (t) => {
  for (const path of [BUILTIN, FIXTURE]) {
    const r = Scenario.safeParse(readYaml(path));
    t.true(r.success, `${path}: ${r.success ? '' : JSON.stringify(r.error.issues)}`);
  }
  const s = load(BUILTIN);
  t.true(s.items.length >= 30 && s.attributes.length >= 15, 'about 30 items and 15 attributes');
});

test('the action catalogue is ask(attribute) for each attribute, then guess(item) for each item, at most 64', (t) => {
  for (const path of [BUILTIN, FIXTURE]) {
    const s = load(path);
    const acts = family.actions(s);
    t.is(acts.length, s.attributes.length + s.items.length);
    t.true(acts.length <= 64);
    t.deepEqual(acts[0], { type: 'ask', args: { attribute: s.attributes[0].name } });
    t.deepEqual(acts[s.attributes.length], { type: 'guess', args: { item: s.items[0].name } });
    t.is(family.actions(s), acts, 'the catalogue is computed once per scenario');
  }
});

const badFile = test.macro({
  exec(t: ExecutionContext, change: (raw: { attributes: { name: string }[]; items: { name: string; has?: string[]; partly?: string[] }[] }) => void, path: (string | number)[], message: RegExp) {
    const raw = readYaml(BUILTIN) as Parameters<typeof change>[0];
    change(raw);
    const r = Scenario.safeParse(raw);
    t.false(r.success);
    const issue = r.error?.issues.find((i) => JSON.stringify(i.path) === JSON.stringify(path));
    t.truthy(issue, `expected an issue at ${JSON.stringify(path)}; got ${JSON.stringify(r.error?.issues)}`);
    t.regex(issue?.message ?? '', message);
  },
  title: (what = '') => `a scenario with ${what} is rejected with the path and what is expected`,
});

test('an item with an undeclared attribute', badFile, (raw) => { raw.items[2].has = ['alive', 'purple']; }, ['items', 2, 'has', 1], /unknown attribute 'purple'; expected one of: alive, animal/);
test('an item with an undeclared partly attribute', badFile, (raw) => { raw.items[0].partly = ['glows']; }, ['items', 0, 'partly', 0], /unknown attribute 'glows'/);
test('a duplicate item name', badFile, (raw) => { raw.items[5].name = 'dog'; }, ['items', 5, 'name'], /item name 'dog' is used twice .*items\[0\]/);
test('a duplicate attribute name', badFile, (raw) => { raw.attributes[3].name = 'alive'; }, ['attributes', 3, 'name'], /attribute name 'alive' is used twice/);
test('an attribute both in has and partly', badFile, (raw) => { raw.items[0].partly = ['alive']; }, ['items', 0, 'partly', 0], /listed twice for 'dog'/);
test('two items no question tells apart', badFile, (raw) => { raw.items[1] = { ...raw.items[0], name: 'puppy' }; }, ['items', 1], /'puppy' has the same attributes as 'dog'/);
test('an attribute that holds for every item', badFile, (raw) => { for (const it of raw.items) it.has = [...(it.has ?? []).filter((a) => a !== 'man_made'), 'man_made']; }, ['attributes', 12, 'name'], /holds for every item/);

// ---------------------------------------------------------------- returns

for (const [label, path] of [['twenty-questions', BUILTIN], ['the country fixture', FIXTURE]] as const) {
  test(`on ${label}, oracle > heuristic > random in mean return with non-overlapping 95% CIs (${N} episodes each)`, (t) => {
    const e = episodes(path);
    const [o, h, r] = [e.oracle, e.heuristic, e.random].map((eps) => stat(eps.map((x) => x.totals.return)));
    t.log(`oracle ${show(o)}, heuristic ${show(h)}, random ${show(r)}`);
    for (const eps of [e.oracle, e.heuristic, e.random]) t.is(eps.filter((x) => x.outcome.reason === 'error').length, 0, eps.find((x) => x.outcome.error)?.outcome.error);
    t.true(o.lo > h.hi + 3, 'oracle well above heuristic');
    t.true(h.lo > r.hi + 3, 'heuristic well above random');
    const success = (eps: Episode[]) => eps.filter((x) => x.outcome.success).length / eps.length;
    t.is(success(e.oracle), 1);
    t.true(success(e.heuristic) > 0.8 && success(e.random) < 0.4, `success: heuristic ${success(e.heuristic)}, random ${success(e.random)}`);
  });
}

test('over 2000 episodes the users say many distinct things', (t) => {
  for (const path of [BUILTIN, FIXTURE]) {
    const texts = new Set<string>();
    let total = 0;
    for (const ep of episodes(path).heuristic) {
      for (const turn of ep.turns) if (turn.speaker === 'user') { texts.add(turn.text); total++; }
    }
    t.log(`${path}: ${texts.size} distinct of ${total} user utterances`);
    t.true(texts.size >= 1000, `${texts.size} distinct user utterances`);
  }
});

// ---------------------------------------------------------------- determinism

test('the same seed gives the same episode; another seed another one', (t) => {
  const s = load(BUILTIN);
  const ctx = makeContext(s, family);
  for (const policy of Object.values(policies(s))) {
    const a = runEpisodePlain(ctx, policy, { index: 0, seed: 99, id: 'a' });
    const b = runEpisodePlain(ctx, policy, { index: 0, seed: 99, id: 'a' });
    t.is(JSON.stringify(a), JSON.stringify(b));
    const c = runEpisodePlain(ctx, policy, { index: 0, seed: 100, id: 'a' });
    t.not(JSON.stringify(a), JSON.stringify(c));
  }
  // A fresh parse of the same file (new caches) plays the same episode too.
  const again = makeContext(load(BUILTIN), family);
  const p = policies(s).heuristic;
  t.is(JSON.stringify(runEpisodePlain(ctx, p, { index: 3, seed: 7, id: 'x' })), JSON.stringify(runEpisodePlain(again, p, { index: 3, seed: 7, id: 'x' })));
});

// ---------------------------------------------------------------- the answerer

function persona(s: GuessingScenario, over: Partial<GuessingPersona> = {}): GuessingPersona {
  return { item: 'dog', noise: 0, vagueness: 0, volunteer: 0, style: 'casual', patience: 15, ...over };
}

test('answers are wrong about as often as user.noise says, and vague about as often as user.vagueness says', (t) => {
  const s = variant((raw) => { raw.user = { ...(raw.user as object), noise: 0.2, vagueness: 0.1, volunteer: 0 }; });
  const rng = Rng.from(5);
  let clear = 0;
  let wrong = 0;
  let vague = 0;
  const n = 6000;
  for (let k = 0; k < n; k++) {
    const p = family.samplePersona(s, rng);
    const item = s.items.find((it) => it.name === p.item)!;
    const sharp = s.attributes.filter((a) => !item.partly.includes(a.name));
    const a = rng.pick(sharp);
    const r = family.respond(s, p, family.init(s, p, rng), { type: 'ask', args: { attribute: a.name } }, rng);
    const value = r.act.args?.value;
    if (value === 'maybe') { vague++; continue; }
    clear++;
    if ((value === 'yes') !== item.has.includes(a.name)) wrong++;
  }
  t.log(`wrong ${(wrong / clear).toFixed(3)} of clear answers, vague ${(vague / n).toFixed(3)}`);
  t.true(Math.abs(wrong / clear - 0.2) < 0.02);
  t.true(Math.abs(vague / n - 0.1) < 0.015);
});

test('a wrong guess goes on with a no; the right guess ends the game with the success bonus', (t) => {
  const s = load(BUILTIN);
  const p = persona(s);
  const rng = Rng.from(1);
  const before = family.init(s, p, rng);
  const wrong = { type: 'guess', args: { item: 'cat' } };
  const no = family.respond(s, p, before, wrong, rng);
  t.is(no.act.type, 'reject');
  t.falsy(no.left);
  t.is(no.state.patience, before.patience - s.reactions.wrongGuessCost);
  const j = family.judge(s, p, before, wrong, no.act, no.state);
  t.deepEqual(j, { reward: s.rewards.turn });
  const view = family.updateView(s, family.initialView(s), wrong, no.act);
  const cat = s.attributes.length + s.items.findIndex((it) => it.name === 'cat');
  t.false(family.mask(s, view, 1)[cat], 'a rejected item cannot be guessed again');
  t.is(view.guessed.filter((g) => g === 1).length, 1);

  const right = { type: 'guess', args: { item: 'dog' } };
  const yes = family.respond(s, p, no.state, right, rng);
  t.is(yes.act.type, 'confirm');
  t.deepEqual(family.judge(s, p, no.state, right, yes.act, yes.state), { reward: s.rewards.turn, end: 'success' });
  const fin = family.finish(s, p, yes.state, 'success', rng);
  t.true(fin.success);
  t.is(fin.reward, s.rewards.success);
  t.true(/dog/.test(family.renderUser(s, p, yes.act, rng)));
});

test('users urge a guess when patience runs low, then leave when it runs out', (t) => {
  const s = load(BUILTIN);
  const p = persona(s, { patience: 4 });
  const rng = Rng.from(2);
  let state = family.init(s, p, rng);
  const acts = [];
  for (const attribute of ['alive', 'animal', 'mammal', 'fur']) {
    const r = family.respond(s, p, state, { type: 'ask', args: { attribute } }, rng);
    acts.push(r);
    state = r.state;
  }
  t.deepEqual(acts.map((r) => r.left ?? false), [false, false, false, true]);
  t.is(acts[1].act.args?.hurry, true, 'with 2 patience left they urge a guess');
  t.is(acts[2].act.args?.hurry, undefined, 'once');
  t.deepEqual(acts[3].act, { type: 'leave', args: { item: 'dog' } });
  t.is(family.finish(s, p, state, 'user-left', rng).reward, s.rewards.userLeft);
  t.true(family.updateView(s, family.initialView(s), { type: 'ask', args: { attribute: 'animal' } }, acts[1].act).restless);

  // In whole episodes, nobody stays longer than their patience allows.
  for (const ep of episodes(BUILTIN).random) {
    const pp = ep.persona as GuessingPersona;
    t.true(ep.totals.agentTurns <= pp.patience, `${ep.id}: ${ep.totals.agentTurns} turns, patience ${pp.patience}`);
    if (ep.outcome.reason === 'user-left') t.is(ep.turns[ep.turns.length - 1].act.type, 'leave');
  }
});

test('volunteered hints are true and new; a vague answer leaves the question open once more', (t) => {
  const s = load(BUILTIN);
  const p = persona(s, { item: 'goldfish', volunteer: 1 });
  const rng = Rng.from(3);
  let state = family.init(s, p, rng);
  const goldfish = s.items.find((it) => it.name === 'goldfish')!;
  const hinted = new Set<string>();
  for (let k = 0; k < 8; k++) {
    const r = family.respond(s, p, state, { type: 'ask', args: { attribute: 'alive' } }, rng);
    state = r.state;
    const also = r.act.args?.also as string;
    t.truthy(also);
    t.false(hinted.has(also), 'a hint is not repeated');
    hinted.add(also);
    t.is(r.act.args?.alsoValue === 'yes', goldfish.has.includes(also), `${also} is true of a goldfish`);
  }

  let view = family.initialView(s);
  const ask = { type: 'ask', args: { attribute: 'big' } };
  view = family.updateView(s, view, ask, { type: 'answer', args: { attribute: 'big', value: 'maybe' } });
  t.true(family.mask(s, view, 1)[3], 'asked once, vaguely: may ask again');
  view = family.updateView(s, view, ask, { type: 'answer', args: { attribute: 'big', value: 'maybe' } });
  t.false(family.mask(s, view, 2)[3], 'asked twice: no more');
  view = family.updateView(s, family.initialView(s), ask, { type: 'answer', args: { attribute: 'big', value: 'no' } });
  t.false(family.mask(s, view, 1)[3], 'answered clearly: no more');
  t.is(view.answers[3], -1);
});

test('the texts vary: questions from the scenario and their paraphrases, answers in the persona style', (t) => {
  const s = load(BUILTIN);
  const rng = Rng.from(4);
  const questions = new Set<string>();
  for (let k = 0; k < 200; k++) questions.add(family.renderAgent(s, { type: 'ask', args: { attribute: 'alive' } }, rng));
  t.true(questions.size >= 10);
  t.true([...questions].some((q) => q.endsWith('Is it alive?')));
  const terse = new Set<string>();
  const chatty = new Set<string>();
  const yes = { type: 'answer', args: { attribute: 'alive', value: 'yes' } };
  for (let k = 0; k < 200; k++) {
    terse.add(family.renderUser(s, persona(s, { style: 'terse' }), yes, rng));
    chatty.add(family.renderUser(s, persona(s, { style: 'chatty' }), yes, rng));
  }
  const mean = (xs: Set<string>) => [...xs].reduce((a, x) => a + x.length, 0) / xs.size;
  t.true(mean(chatty) > 2 * mean(terse), 'chatty users say more than terse ones');
  t.true(chatty.size > 10);
});
