import test from 'ava';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { Scenario } from '../../../scenarios/schema.js';
import type { PreferenceScenario } from '../../../scenarios/families/preference.js';
import { Rng } from '../../../scenarios/random.js';
import { runEpisodePlain } from '../../../actors/plain.js';
import type { Policy } from '../../../actors/policy.js';
import type { Episode } from '../../../actors/episode.js';
import type { ScenarioContext } from '../../../actors/episode-core.js';
import type { Observation } from '../../../actors/acts.js';
import { preferenceFamily as family } from '../../../actors/families/preference/index.js';
import type { PreferencePersona, PreferenceView } from '../../../actors/families/preference/index.js';
import { acceptable, firstViolation, utility } from '../../../actors/families/preference/model.js';
import { truthAbout } from '../../../actors/families/preference/user.js';

// Tests run from dist/test/actors/families/; the data files live in the source tree.
const ROOT = new URL('../../../../', import.meta.url);
const EPISODES = 2000;

function load(path: string): PreferenceScenario {
  const r = Scenario.safeParse(parse(readFileSync(new URL(path, ROOT), 'utf8')));
  if (!r.success) throw new Error(`${path} does not validate:\n${JSON.stringify(r.error.issues, null, 2)}`);
  if (r.data.family !== 'preference-elicitation') throw new Error(`${path} is not a preference-elicitation scenario`);
  return r.data;
}

const travel = load('scenarios/builtin/travel-agent.yaml');
const restaurant = load('test/fixtures/scenarios/restaurant-recommender.yaml');

function context(s: PreferenceScenario): ScenarioContext {
  return { scenario: s, family, actions: family.actions(s), hash: 'test' };
}

/** The scripted policies, written as the generic ones will be. */
function policies(s: PreferenceScenario): Record<'random' | 'heuristic' | 'oracle' | 'recommend-only', Policy> {
  const view = (o: Observation) => o as Observation<PreferenceView>;
  return {
    random: {
      name: 'random',
      act: (obs, rngs) => obs.map((o, i) => {
        const valid: number[] = [];
        o.mask.forEach((ok, a) => { if (ok) valid.push(a); });
        return { action: rngs[i].pick(valid) };
      }),
    },
    heuristic: { name: 'heuristic', act: (obs, rngs) => obs.map((o, i) => ({ action: family.heuristic(s, view(o), rngs[i]) })) },
    // The heuristic without its questions: recommends at once and learns from rejections only.
    'recommend-only': { name: 'recommend-only', act: (obs, rngs) => obs.map((o, i) => ({ action: family.heuristic(s, { ...view(o), turn: 1e9 }, rngs[i]) })) },
    oracle: {
      name: 'oracle',
      privileged: true,
      act: (obs, rngs) => obs.map((o, i) => ({
        action: family.oracle(s, view(o), o.privileged!.persona as PreferencePersona, o.privileged!.state as never, rngs[i]),
      })),
    },
  };
}

const runs = new Map<string, Episode[]>();
function episodes(s: PreferenceScenario, policy: keyof ReturnType<typeof policies>): Episode[] {
  const key = `${s.id}/${policy}`;
  let out = runs.get(key);
  if (!out) {
    const ctx = context(s);
    const p = policies(s)[policy];
    out = [];
    for (let i = 0; i < EPISODES; i++) out.push(runEpisodePlain(ctx, p, { index: i, seed: 7000 + i, id: `e${i}` }));
    runs.set(key, out);
  }
  return out;
}

function meanCi(xs: readonly number[]): { mean: number; lo: number; hi: number } {
  const mean = xs.reduce((a, x) => a + x, 0) / xs.length;
  const sd = Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (xs.length - 1));
  const h = (1.96 * sd) / Math.sqrt(xs.length);
  return { mean, lo: mean - h, hi: mean + h };
}

const fmt = (c: { mean: number; lo: number; hi: number }) => `${c.mean.toFixed(3)} [${c.lo.toFixed(3)}, ${c.hi.toFixed(3)}]`;

// --- scenario files ---------------------------------------------------------------------------

test('the built-in travel-agent scenario validates and has a real catalogue', (t) => {
  t.is(travel.family, 'preference-elicitation');
  t.true(travel.items.length >= 40);
  const acts = family.actions(travel);
  t.true(acts.length <= 64);
  t.is(acts.filter((a) => a.type === 'recommend').length, travel.items.length);
  t.deepEqual(acts.filter((a) => a.type === 'ask').map((a) => a.args?.attribute), ['climate', 'region', 'type', 'price', 'activity', 'wheelchair', 'kid_friendly', 'companions']);
});

test('the restaurant fixture (a new domain, data only) validates', (t) => {
  t.is(restaurant.id, 'restaurant-recommender');
  t.true(family.actions(restaurant).length <= 64);
});

function broken(edit: (raw: Record<string, any>) => void) {
  const raw = parse(readFileSync(new URL('test/fixtures/scenarios/restaurant-recommender.yaml', ROOT), 'utf8'));
  edit(raw);
  const r = Scenario.safeParse(raw);
  return r.success ? [] : r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
}

const mistakes: [string, (raw: Record<string, any>) => void, string, RegExp][] = [
  ['an item uses an unknown attribute', (r) => { r.items[0].attributes.colour = 'red'; }, 'items.0.attributes.colour', /unknown attribute 'colour'; expected one of: cuisine, price/],
  ['a categorical value outside its domain', (r) => { r.items[1].attributes.cuisine = 'Martian'; }, 'items.1.attributes.cuisine', /'Martian' is not a value of 'cuisine'; expected one of: Italian/],
  ['a number outside its range', (r) => { r.items[2].attributes.price = 500; }, 'items.2.attributes.price', /expected a number in \[10, 120\]/],
  ['a boolean attribute given a string', (r) => { r.items[3].attributes.terrace = 'yes'; }, 'items.3.attributes.terrace', /not a boolean/],
  ['an item missing an attribute', (r) => { delete r.items[4].attributes.spice; }, 'items.4.attributes', /has no value for attribute 'spice'/],
  ['a preference on an unknown attribute', (r) => { r.persona.preferences[0].attribute = 'mood'; }, 'persona.preferences.0.attribute', /unknown attribute 'mood'/],
  ['a preference of the wrong shape for its kind', (r) => { r.persona.preferences[1] = { attribute: 'spice', weight: { min: 1, max: 2 }, values: { hot: 1 } }; }, 'persona.preferences.1', /numeric attribute 'spice' needs exactly one of: target, direction/],
  ['a constraint with two bounds', (r) => { r.persona.constraints[0].min = { min: 10, max: 20 }; }, 'persona.constraints.0', /exactly one of max, min, equals, not; got max, min/],
  ['a trait implying a value outside the domain', (r) => { r.traits[0].values[2].implies[0].equals = 'silent'; }, 'traits.0.values.2.implies.0.equals', /'silent' is not a value of 'ambience'/],
  ['a template with an unknown slot', (r) => { r.texts.agent.recommend.push('Try {dish}.'); }, 'texts.agent.recommend.2', /unknown slot \{dish\}/],
];
for (const [title, edit, path, message] of mistakes) {
  test(`schema: ${title} is reported at its path`, (t) => {
    const issues = broken(edit);
    const hit = issues.find((i) => i.path === path);
    t.truthy(hit, `expected an issue at ${path}, got ${JSON.stringify(issues)}`);
    t.regex(hit!.message, message);
  });
}

// --- policies ---------------------------------------------------------------------------------

for (const s of [travel, restaurant]) {
  test(`${s.id}: oracle > heuristic > random in mean return with non-overlapping 95% CIs`, (t) => {
    const ci = Object.fromEntries((['oracle', 'heuristic', 'random'] as const).map((p) => [p, meanCi(episodes(s, p).map((e) => e.totals.return))]));
    t.log(`oracle ${fmt(ci.oracle)}  heuristic ${fmt(ci.heuristic)}  random ${fmt(ci.random)}`);
    for (const p of ['oracle', 'heuristic', 'random'] as const) t.false(episodes(s, p).some((e) => e.outcome.reason === 'error'), p);
    t.true(ci.oracle.lo > ci.heuristic.hi, 'oracle beats heuristic');
    t.true(ci.heuristic.lo > ci.random.hi, 'heuristic beats random');
    t.true(ci.heuristic.mean - ci.random.mean > 3, 'by a real margin');
  });

  test(`${s.id}: asking before recommending pays off`, (t) => {
    const asks = meanCi(episodes(s, 'heuristic').map((e) => e.totals.return));
    const blind = meanCi(episodes(s, 'recommend-only').map((e) => e.totals.return));
    t.log(`heuristic ${fmt(asks)}  recommend-only ${fmt(blind)}`);
    t.true(asks.lo > blind.hi);
  });

  test(`${s.id}: rewards stay in [-10, 10] and success means an accepted item`, (t) => {
    for (const p of ['oracle', 'heuristic', 'random'] as const) {
      for (const e of episodes(s, p)) {
        if (e.totals.return < -10 || e.totals.return > 10) t.fail(`return ${e.totals.return} out of range (${p}, ${e.id})`);
        if (e.outcome.success !== (e.outcome.reason === 'success')) t.fail(`success ${e.outcome.success} with reason ${e.outcome.reason}`);
      }
    }
    t.pass();
  });
}

test('the same seed gives the identical episode', (t) => {
  for (const s of [travel, restaurant]) {
    const ctx = context(s);
    for (const [name, p] of Object.entries(policies(s))) {
      for (let i = 0; i < 20; i++) {
        const spec = { index: i, seed: 31 + i * 977, id: `d${i}` };
        const a = runEpisodePlain(ctx, p, spec);
        const b = runEpisodePlain(context(structuredClone(s)), policies(s)[name as 'random'], spec);
        if (JSON.stringify(a) !== JSON.stringify(b)) t.fail(`${s.id} ${name} seed ${spec.seed} differs`);
      }
    }
    const a = runEpisodePlain(ctx, policies(s).heuristic, { index: 0, seed: 1, id: 'x' });
    const b = runEpisodePlain(ctx, policies(s).heuristic, { index: 0, seed: 2, id: 'x' });
    t.notDeepEqual(a.turns, b.turns);
  }
  t.pass();
});

test('users say many distinct things', (t) => {
  for (const s of [travel, restaurant]) {
    const texts = new Set<string>();
    for (const e of episodes(s, 'heuristic')) for (const turn of e.turns) if (turn.speaker === 'user') texts.add(turn.text);
    t.log(`${s.id}: ${texts.size} distinct user utterances in ${EPISODES} heuristic episodes`);
    t.true(texts.size >= 1000, `${s.id}: only ${texts.size} distinct user texts`);
  }
});

// --- the imagined user ------------------------------------------------------------------------

test('users accept exactly the items that meet their constraints and are near their best', (t) => {
  for (const s of [travel, restaurant]) {
    const c = context(s);
    for (let k = 0; k < 200; k++) {
      const rng = Rng.from(k);
      const p = family.samplePersona(s, rng);
      const st = family.init(s, p, rng);
      t.true(firstViolation(s, p, p.best) < 0, 'the best item meets every constraint');
      for (let i = 0; i < s.items.length; i++) {
        const r = family.respond(s, p, st, c.actions[c.actions.length - s.items.length + i], rng);
        const accepted = r.act.type === 'accept';
        if (accepted !== acceptable(s, p, i)) t.fail(`persona ${k}, item ${s.items[i].name}: ${r.act.type}`);
        if (accepted && (firstViolation(s, p, i) >= 0 || utility(s, p.preferences, i) < p.bestUtility - p.tolerance - 1e-9)) {
          t.fail(`persona ${k} accepted ${s.items[i].name}, which breaks a constraint or is far from the best`);
        }
        if (i === p.best && !accepted) t.fail(`persona ${k} rejected its best item`);
      }
    }
  }
  t.pass();
});

test('answers are vague and wrong at about the configured rates', (t) => {
  const s: PreferenceScenario = { ...travel, user: { ...travel.user, vagueness: 0.2, noise: 0.3, volunteer: 0.25 } };
  const ask = { type: 'ask', args: { attribute: 'type' } };
  let vague = 0;
  let wrong = 0;
  let clear = 0;
  let volunteered = 0;
  const n = 20000;
  for (let k = 0; k < n; k++) {
    const rng = Rng.from(100000 + k);
    const p = family.samplePersona(s, rng);
    const r = family.respond(s, p, family.init(s, p, rng), ask, rng);
    const truth = truthAbout(s, p, 'type');
    if (r.act.args?.also !== undefined) volunteered++;
    if (r.act.args?.stance === 'vague') { vague++; continue; }
    if (truth.stance !== 'prefer') continue; // 'any' turned into a made-up favourite is noise too, but rarer
    clear++;
    if (r.act.args?.value !== truth.value) wrong++;
  }
  t.log(`vague ${(vague / n).toFixed(3)}, wrong ${(wrong / clear).toFixed(3)}, volunteered ${(volunteered / n).toFixed(3)}`);
  t.true(Math.abs(vague / n - 0.2) < 0.015);
  t.true(Math.abs(wrong / clear - 0.3) < 0.02);
  t.true(volunteered / n > 0.15 && volunteered / n <= 0.25 + 0.015, 'volunteers at most at the configured rate');
});

test('users leave when their patience runs out, and sound impatient before', (t) => {
  for (const s of [travel, restaurant]) {
    const c = context(s);
    for (let k = 0; k < 100; k++) {
      const rng = Rng.from(500 + k);
      const p = family.samplePersona(s, rng);
      let st = family.init(s, p, rng);
      const cost = 1 + s.reactions.rejectCost;
      const expected = Math.floor(p.patience / cost) + 1; // turn at which patience goes below zero
      let turn = 0;
      let left = false;
      let restless = false;
      for (let i = 0; i < s.items.length && !left; i++) {
        if (acceptable(s, p, i)) continue;
        turn++;
        const r = family.respond(s, p, st, c.actions[c.actions.length - s.items.length + i], rng);
        st = r.state;
        left = r.left === true;
        if (r.act.args?.restless === true) restless = true;
        if (left) t.is(r.act.type, 'leave');
      }
      t.true(left, `persona ${k} never left`);
      t.is(turn, expected, `persona ${k} with patience ${p.patience} left at turn ${turn}`);
      if (expected > 1) t.true(restless, `persona ${k} left without warning`);
    }
  }
});

test('the mask forbids re-recommending a rejected item and asking a third time', (t) => {
  const s = travel;
  const acts = family.actions(s);
  let view = family.initialView(s);
  const climate = acts.findIndex((a) => a.type === 'ask' && a.args?.attribute === 'climate');
  const item = acts.findIndex((a) => a.type === 'recommend');
  view = family.updateView(s, view, acts[climate], { type: 'inform', args: { attribute: 'climate', stance: 'vague' } });
  t.true(family.mask(s, view, 1)[climate]);
  view = family.updateView(s, view, acts[climate], { type: 'inform', args: { attribute: 'climate', stance: 'prefer', value: 'warm', strong: true } });
  t.false(family.mask(s, view, 2)[climate]);
  view = family.updateView(s, view, acts[item], { type: 'reject', args: { item: String(acts[item].args?.item), attribute: 'price', reason: 'over', hard: true, value: 60 } });
  const mask = family.mask(s, view, 3);
  t.false(mask[item]);
  t.true(mask[item + 1]);
  t.is(view.stance.climate, 'prefer');
  t.is(view.value.climate, 'warm');
  t.true(view.important.climate);
  t.is(view.stance.price, 'max');
  t.is(view.below.price, s.items[0].attributes.price as number);
  t.deepEqual(view.rejected, [0]);
  t.deepEqual(view.feedback, ['price:over']);
  t.deepEqual(JSON.parse(JSON.stringify(view)), view, 'the view is plain JSON');
});

test('the oracle recommends the persona\'s best item at once', (t) => {
  for (const e of episodes(travel, 'oracle').slice(0, 200)) {
    t.is(e.totals.agentTurns, 1);
    t.is(e.outcome.reason, 'success');
    t.is(e.turns[1].act.args?.item, travel.items[(e.persona as PreferencePersona).best].name);
  }
});
