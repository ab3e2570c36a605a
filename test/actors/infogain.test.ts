// The information-gain questioner (guessing family): its beliefs, its question choice, and how it
// plays twenty questions next to the heuristic.
import test from 'ava';
import { fileURLToPath } from 'node:url';
import { deriveSeed } from '../../scenarios/random.js';
import { getScenario } from '../../scenarios/registry.js';
import type { GuessingScenario } from '../../scenarios/families/guessing.js';
import type { Act, Observation, VisibleTurn } from '../../actors/acts.js';
import { makeContext } from '../../actors/context.js';
import type { ScenarioContext } from '../../actors/episode-core.js';
import type { Episode } from '../../actors/episode.js';
import { runEpisodePlain } from '../../actors/plain.js';
import { runEpisodes } from '../../actors/run.js';
import { policyByName } from '../../actors/policies/index.js';
import type { Policy } from '../../actors/policy.js';
import { compile } from '../../actors/families/guessing/model.js';
import { initialView, mask, updateView } from '../../actors/families/guessing/view.js';
import type { GuessingView } from '../../actors/families/guessing/view.js';
import { beliefs, expectedGain, infogain, infogainPolicy } from '../../actors/families/guessing/infogain.js';

const FIXTURE = fileURLToPath(new URL('../../../test/fixtures/scenarios/guess-the-country.yaml', import.meta.url));
const ctx20 = makeContext(getScenario('twenty-questions'));
const s20 = ctx20.scenario as GuessingScenario;

/** An observation after these (agent act, user act) exchanges; the user opens with nothing to say. */
function observationAfter(s: GuessingScenario, exchanges: readonly [Act, Act][], turn = exchanges.length): Observation<GuessingView> {
  const open: Act = { type: 'open', args: {} };
  let view = updateView(s, initialView(s), null, open);
  const history: VisibleTurn[] = [{ speaker: 'user', act: open, text: '' }];
  for (const [a, u] of exchanges) {
    view = updateView(s, view, a, u);
    history.push({ speaker: 'agent', act: a, text: '' }, { speaker: 'user', act: u, text: '' });
  }
  return { scenarioId: s.id, family: s.family, turn, maxTurns: s.maxTurns, history, lastUserAct: history.at(-1)!.act, view, mask: mask(s, view) };
}
const ask = (attribute: string): Act => ({ type: 'ask', args: { attribute } });
/** The answer model written out from answerer.ts: rows truth -1, 0, 1; columns yes, no, maybe. */
function modelOf(s: GuessingScenario): number[][] {
  const e = s.user.noise;
  const v = s.user.vagueness;
  const pv = s.reactions.partlyVague;
  return [[(1 - v) * e, (1 - v) * (1 - e), v], [(1 - pv) / 2, (1 - pv) / 2, pv], [(1 - v) * (1 - e), (1 - v) * e, v]];
}
const said = (attribute: string, value: 'yes' | 'no' | 'maybe', extra: Record<string, string | boolean> = {}): Act => ({ type: 'answer', args: { attribute, value, ...extra } });

test("policyByName('infogain') plays guessing scenarios and refuses the other families clearly", (t) => {
  t.is(policyByName('infogain', ctx20).name, 'infogain');
  t.is(policyByName('infogain', makeContext(getScenario(FIXTURE))).name, 'infogain');
  for (const id of ['teacher', 'travel-agent']) {
    t.throws(() => policyByName('infogain', makeContext(getScenario(id))), {
      message: new RegExp(`policy 'infogain' is the information-gain questioner of the guessing family \\(e.g. twenty-questions\\); scenario '${id}' is a [a-z-]+ scenario`),
    });
  }
  t.notThrows(() => policyByName('mix:infogain=1,heuristic=1', ctx20));
  t.is(infogainPolicy(ctx20, { confident: 0.9 }, 'cautious').name, 'cautious');
});

test('beliefs: the prior first; answers, hints and rejected guesses move it', (t) => {
  const c = compile(s20);
  const prior = beliefs(s20, observationAfter(s20, []));
  const total = c.weights.reduce((a, b) => a + b, 0);
  prior.forEach((p, i) => t.true(Math.abs(p - c.weights[i] / total) < 1e-12));
  const a = c.attrIndex.get('alive')!;
  const post = beliefs(s20, observationAfter(s20, [[ask('alive'), said('alive', 'yes')]]));
  for (let i = 0; i < c.nItems; i++) {
    const t1 = c.truth[i * c.nAttr + a];
    if (t1 === 1) t.true(post[i] > prior[i]);
    if (t1 === -1) t.true(post[i] < prior[i]);
  }
  // A vague answer is evidence too: toward items for which the attribute only partly holds (if any).
  const vague = beliefs(s20, observationAfter(s20, [[ask('alive'), said('alive', 'maybe')]]));
  t.true(Math.abs(vague.reduce((x, y) => x + y, 0) - 1) < 1e-9);
  // A rejected guess rules the item out; a volunteered hint is a fact.
  const item = s20.items[0].name;
  const rejected = beliefs(s20, observationAfter(s20, [[{ type: 'guess', args: { item } }, { type: 'reject', args: { item, also: 'alive', alsoValue: 'no' } }]]));
  t.is(rejected[0], 0);
  for (let i = 0; i < c.nItems; i++) if (c.truth[i * c.nAttr + a] === 1) t.true(rejected[i] < 1e-3);
});

test('expectedGain is the mutual information: brute force agrees, and a question all items agree on is worthless', (t) => {
  const c = compile(s20);
  const obs = observationAfter(s20, [[ask('alive'), said('alive', 'yes')]]);
  const post = beliefs(s20, obs);
  const model = modelOf(s20);
  const entropy = (p: ArrayLike<number>) => { let h = 0; for (let i = 0; i < p.length; i++) if (p[i] > 0) h -= p[i] * Math.log(p[i]); return h; };
  for (let a = 0; a < c.nAttr; a++) {
    // H(item) - E_answer[H(item | answer)], by Bayes' rule per answer.
    let expected = 0;
    for (let o = 0; o < 3; o++) {
      const joint = Array.from(post, (p, i) => p * model[c.truth[i * c.nAttr + a] + 1][o]);
      const po = joint.reduce((x, y) => x + y, 0);
      if (po > 0) expected += po * entropy(joint.map((j) => j / po));
    }
    t.true(Math.abs(expectedGain(c, model, post, a) - (entropy(post) - expected)) < 1e-9);
  }
  const certain = new Float64Array(c.nItems);
  certain[3] = 1;
  for (let a = 0; a < c.nAttr; a++) t.true(expectedGain(c, model, certain, a) < 1e-12);
});

test('it asks the most informative valid question, and guesses when confident, urged or out of turns', (t) => {
  const c = compile(s20);
  const obs = observationAfter(s20, []);
  const a = infogain(s20, obs);
  t.true(a < c.nAttr);
  const post = beliefs(s20, obs);
  const gain = (k: number) => expectedGain(c, modelOf(s20), post, k);
  const best = Array.from({ length: c.nAttr }, (_, k) => k).filter((k) => obs.mask[k]).reduce((x, y) => (gain(y) > gain(x) ? y : x));
  t.is(a, best);
  // Out of turns: guess the most probable item.
  const last = { ...obs, turn: obs.maxTurns - 1 };
  const top = post.indexOf(Math.max(...post));
  t.is(infogain(s20, last), c.nAttr + top);
  // The user urges a guess.
  const urged = observationAfter(s20, [[ask('alive'), said('alive', 'yes', { hurry: true })]]);
  t.true(infogain(s20, urged) >= c.nAttr);
  // Confident: with a threshold of 0 it guesses at once.
  t.true(infogain(s20, obs, { confident: 0 }) >= c.nAttr);
});

interface Stat { mean: number; half: number }
function stat(xs: readonly number[]): Stat {
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
  return { mean, half: (1.96 * sd) / Math.sqrt(n) };
}
const fmt = (s: Stat) => `${s.mean.toFixed(2)} ± ${s.half.toFixed(2)}`;

function play(ctx: ScenarioContext, policy: Policy, n: number, seed: number): Episode[] {
  return Array.from({ length: n }, (_, i) => runEpisodePlain(ctx, policy, { index: i, seed: deriveSeed(seed, i), id: `ep-${i}` }));
}

for (const [label, ctx] of [['twenty-questions', ctx20], ['guess-the-country', makeContext(getScenario(FIXTURE))]] as const) {
  test(`${label}: over 2000 seeded episodes infogain needs fewer turns to succeed than heuristic, and earns more`, (t) => {
    const N = 2000;
    const seed = 20250;
    const rows: Record<string, { turns: Stat; ret: Stat; success: number }> = {};
    for (const name of ['heuristic', 'infogain']) {
      const eps = play(ctx, policyByName(name, ctx), N, seed);
      t.false(eps.some((e) => e.outcome.error !== undefined));
      const won = eps.filter((e) => e.outcome.success);
      rows[name] = { turns: stat(won.map((e) => e.totals.agentTurns)), ret: stat(eps.map((e) => e.totals.return)), success: won.length / N };
      t.log(`${label} ${name.padEnd(9)} success ${(rows[name].success * 100).toFixed(1)}%  turns to success ${fmt(rows[name].turns)}  return ${fmt(rows[name].ret)}`);
    }
    const h = rows.heuristic;
    const g = rows.infogain;
    // A real margin: non-overlapping 95% intervals and at least 1.5 turns fewer on average.
    t.true(g.turns.mean + g.turns.half < h.turns.mean - h.turns.half, `turns: infogain ${fmt(g.turns)} vs heuristic ${fmt(h.turns)}`);
    t.true(h.turns.mean - g.turns.mean >= 1.5, `turns: infogain ${fmt(g.turns)} vs heuristic ${fmt(h.turns)}`);
    t.true(g.ret.mean - g.ret.half > h.ret.mean + h.ret.half, `return: infogain ${fmt(g.ret)} vs heuristic ${fmt(h.ret)}`);
    t.true(g.success >= h.success);
  });
}

test('the XState runner plays infogain episodes byte-identical to the reference loop', async (t) => {
  const policy = policyByName('infogain', ctx20);
  const specs = Array.from({ length: 40 }, (_, i) => ({ index: i, seed: deriveSeed(4, i), id: `ep-${i}` }));
  const viaActors = await runEpisodes(ctx20, policy, specs, { concurrency: 8 });
  t.deepEqual(viaActors, specs.map((spec) => runEpisodePlain(ctx20, policy, spec)));
});
