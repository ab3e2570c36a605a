import test from 'ava';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { Scenario } from '../../../scenarios/schema.js';
import type { TutoringScenario } from '../../../scenarios/families/tutoring.js';
import { Rng, deriveSeed } from '../../../scenarios/random.js';
import { contentHash } from '../../../scenarios/hash.js';
import { runEpisodePlain } from '../../../actors/plain.js';
import type { ScenarioContext } from '../../../actors/episode-core.js';
import type { Episode } from '../../../actors/episode.js';
import type { Policy } from '../../../actors/policy.js';
import type { Observation } from '../../../actors/acts.js';
import { randomValid, tutoringFamily, tutoringHeuristic } from '../../../actors/families/tutoring/index.js';
import type { TutoringPersona, TutoringState, TutoringView } from '../../../actors/families/tutoring/index.js';
import { compile, pCorrect, testScore } from '../../../actors/families/tutoring/model.js';

// Tests run from dist/test/actors/families/: the data files sit four levels up, in the source tree.
const root = new URL('../../../../', import.meta.url);
const raw = (path: string): unknown => parse(readFileSync(new URL(path, root), 'utf8'));

function load(path: string): TutoringScenario {
  const r = Scenario.safeParse(raw(path));
  if (!r.success) throw new Error(`${path}: ${JSON.stringify(r.error.issues)}`);
  if (r.data.family !== 'tutoring') throw new Error(`${path}: not a tutoring scenario`);
  return r.data;
}

const teacher = load('scenarios/builtin/teacher.yaml');
const spanish = load('test/fixtures/scenarios/spanish-tutor.yaml');

function context(s: TutoringScenario): ScenarioContext {
  return { scenario: s, family: tutoringFamily, actions: tutoringFamily.actions(s), hash: contentHash(s) };
}

type Obs = Observation<TutoringView>;
function policies(s: TutoringScenario): Record<'oracle' | 'heuristic' | 'blind' | 'random', Policy> {
  const one = (name: string, f: (o: Obs, rng: Rng) => number, privileged = false): Policy => ({
    name, privileged, act: (obs, rngs) => obs.map((o, i) => ({ action: f(o as Obs, rngs[i]) })),
  });
  return {
    oracle: one('oracle', (o, rng) => {
      const p = o.privileged!;
      return tutoringFamily.oracle(s, o, p.persona as TutoringPersona, p.state as TutoringState, rng);
    }, true),
    heuristic: one('heuristic', (o, rng) => tutoringFamily.heuristic(s, o, rng)),
    blind: one('blind', (o) => tutoringHeuristic(s, o, { ask: false })),
    // What the generic random policy does: uniform over the valid actions.
    random: one('random', (o, rng) => randomValid(o, rng)),
  };
}

const N = 2000;
const runs = new Map<string, Episode[]>();
function run(s: TutoringScenario, policy: keyof ReturnType<typeof policies>): Episode[] {
  const key = `${s.id}/${policy}`;
  let eps = runs.get(key);
  if (!eps) {
    const ctx = context(s);
    const p = policies(s)[policy];
    eps = Array.from({ length: N }, (_, i) => runEpisodePlain(ctx, p, { index: i, seed: deriveSeed(2024, i), id: `${s.id}-${i}` }));
    runs.set(key, eps);
  }
  return eps;
}

function stats(eps: readonly Episode[]) {
  const xs = eps.map((e) => e.totals.return);
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1));
  const half = (1.96 * sd) / Math.sqrt(xs.length);
  return { mean, lo: mean - half, hi: mean + half };
}

const fmt = (x: { mean: number; lo: number; hi: number }) => `${x.mean.toFixed(3)} [${x.lo.toFixed(3)}, ${x.hi.toFixed(3)}]`;

test('the built-in teacher scenario and the spanish fixture validate', (t) => {
  for (const path of ['scenarios/builtin/teacher.yaml', 'test/fixtures/scenarios/spanish-tutor.yaml']) {
    const r = Scenario.safeParse(raw(path));
    t.true(r.success, `${path}: ${r.success ? '' : JSON.stringify(r.error.issues)}`);
  }
  t.true(tutoringFamily.actions(teacher).length <= 64);
  t.is(tutoringFamily.actions(teacher).length, 6 * (3 + 2) + 1);
  t.is(tutoringFamily.actions(spanish).length, 5 * (4 + 2) + 1);
});

test('bad references get issues with a precise path and what is expected', (t) => {
  const bad = raw('scenarios/builtin/teacher.yaml') as { concepts: { prerequisites?: string[] }[]; levels: { upTo: number }[]; texts: { agent: Record<string, string[]> } };
  bad.concepts[2].prerequisites = ['fractions', 'algebra'];
  bad.concepts[1].prerequisites = ['ratios'];
  bad.concepts[5].prerequisites = ['fractions'];
  bad.levels[1].upTo = 0.2;
  bad.texts.agent.quiz = ['Question about {topic}'];
  const r = Scenario.safeParse(bad);
  t.false(r.success);
  const issues = r.success ? [] : r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
  t.like(issues.find((i) => i.path === 'concepts.2.prerequisites.1'), { message: "unknown concept 'algebra'; expected one of: place-value, fractions, equivalent-fractions, decimals, percentages, ratios" });
  t.regex(issues.find((i) => i.message.includes('cycle'))?.message ?? '', /fractions -> ratios -> fractions/);
  t.regex(issues.find((i) => i.path === 'levels.1.upTo')?.message ?? '', /increasing upTo; expected more than 0.35/);
  t.regex(issues.find((i) => i.path === 'texts.agent.quiz.0')?.message ?? '', /unknown slot \{topic\}/);
});

for (const s of [teacher, spanish]) {
  test(`${s.id}: oracle > heuristic > random in mean return, 95% CIs apart (${N} episodes each)`, (t) => {
    const o = stats(run(s, 'oracle'));
    const h = stats(run(s, 'heuristic'));
    const r = stats(run(s, 'random'));
    t.log(`oracle ${fmt(o)}  heuristic ${fmt(h)}  random ${fmt(r)}`);
    t.true(o.lo > h.hi, `oracle ${fmt(o)} vs heuristic ${fmt(h)}`);
    t.true(h.lo > r.hi, `heuristic ${fmt(h)} vs random ${fmt(r)}`);
    for (const e of [...run(s, 'oracle'), ...run(s, 'heuristic'), ...run(s, 'random')]) {
      if (e.outcome.error) t.fail(`episode ${e.id}: ${e.outcome.error}`);
    }
  });
}

test('the problem is partially observable: knowing the initial mastery is worth much', (t) => {
  // A privileged variant of the heuristic that is told the true initial mastery (and asks nothing)
  // against the same heuristic forced to teach from the prior alone: paired on the same students.
  const ctx = context(teacher);
  const told: Policy = {
    name: 'told', privileged: true,
    act: (obs) => obs.map((o) => ({ action: tutoringHeuristic(teacher, o as Obs, { ask: false, knownMastery: (o.privileged!.persona as TutoringPersona).mastery }) })),
  };
  const blind = run(teacher, 'blind');
  const diffs = blind.map((b, i) => runEpisodePlain(ctx, told, { index: i, seed: deriveSeed(2024, i), id: '' }).totals.return - b.totals.return);
  const mean = diffs.reduce((a, b) => a + b, 0) / diffs.length;
  t.log(`value of knowing the mastery: +${mean.toFixed(3)} per episode`);
  t.true(mean > 0.4);
});

test('same seed, same episode', (t) => {
  for (const s of [teacher, spanish]) {
    const ctx = context(s);
    for (const name of ['heuristic', 'random', 'oracle'] as const) {
      const p = policies(s)[name];
      const a = runEpisodePlain(ctx, p, { index: 7, seed: 99, id: 'x' });
      const b = runEpisodePlain(ctx, p, { index: 7, seed: 99, id: 'x' });
      t.deepEqual(a, b);
      t.is(JSON.stringify(a), JSON.stringify(b));
    }
    const c = runEpisodePlain(ctx, policies(s).random, { index: 7, seed: 100, id: 'x' });
    t.notDeepEqual(c.turns, runEpisodePlain(ctx, policies(s).random, { index: 7, seed: 99, id: 'x' }).turns);
  }
});

test('user utterances are varied', (t) => {
  for (const s of [teacher, spanish]) {
    const texts = new Set<string>();
    let total = 0;
    for (const e of run(s, 'heuristic')) {
      for (const turn of e.turns) if (turn.speaker === 'user') { texts.add(turn.text); total++; }
    }
    t.log(`${s.id}: ${texts.size} distinct user texts of ${total}`);
    t.true(texts.size >= 1000, `${s.id}: only ${texts.size} distinct user texts`);
  }
});

// ----- the student model, piece by piece -----

const quiet = { ...teacher, user: { ...teacher.user, noise: 0, vagueness: 0, volunteer: 0 } } as TutoringScenario;
const persona = (mastery: number[], over: Partial<TutoringPersona> = {}): TutoringPersona => ({
  style: 'casual', patience: 100, learningRate: 0.5, levelShift: 0, mastery, ...over,
});

test('answers follow slip and guess: experts miss easy questions at the slip rate, novices hit hard ones at the guess rate', (t) => {
  t.is(pCorrect(quiet, 1, 0).toFixed(3), (1 - quiet.student.slip).toFixed(3));
  t.is(pCorrect(quiet, 0, 1).toFixed(3), quiet.student.guess.toFixed(3));
  const rate = (m: number) => {
    const rng = Rng.from(1);
    const p = persona([m, m, m, m, m, m]);
    const st = tutoringFamily.init(quiet, p, rng);
    let right = 0;
    let asked = 0;
    for (let k = 0; k < 3000; k++) {
      const r = tutoringFamily.respond(quiet, p, st, { type: 'quiz', args: { concept: 'fractions' } }, rng);
      right += Number(r.act.args?.right);
      asked += Number(r.act.args?.of);
    }
    return right / asked;
  };
  const expert = rate(0.98);
  const novice = rate(0.02);
  t.true(Math.abs(expert - (1 - quiet.student.slip)) < 0.02, `expert ${expert}`);
  t.true(Math.abs(novice - quiet.student.guess) < 0.02, `novice ${novice}`);
});

test('learning depends on the explanation level fitting the student', (t) => {
  const gain = (m: number, level: string, shift = 0) => {
    const p = persona([m, m, m, m, m, m], { levelShift: shift });
    const st = tutoringFamily.init(quiet, p, Rng.from(1));
    const r = tutoringFamily.respond(quiet, p, st, { type: 'explain', args: { concept: 'place-value', level } }, Rng.from(2));
    return r.state.mastery[0] - m;
  };
  // A novice (mastery 0.1) learns from the intuitive level, little from worked examples, nothing from the formal rule.
  t.true(gain(0.1, 'intuitive') > 3 * gain(0.1, 'worked-example'));
  t.is(gain(0.1, 'formal'), 0);
  // A student halfway there learns from worked examples; one who likes simpler talk (shift -1) from the intuitive level.
  t.true(gain(0.5, 'worked-example') > 3 * gain(0.5, 'intuitive'));
  t.true(gain(0.5, 'intuitive', -1) > 3 * gain(0.5, 'worked-example', -1));
  // Exercises help a student halfway there, not a novice.
  const ex = (m: number) => {
    const p = persona([m, m, m, m, m, m]);
    const r = tutoringFamily.respond(quiet, p, tutoringFamily.init(quiet, p, Rng.from(1)), { type: 'exercise', args: { concept: 'place-value' } }, Rng.from(3));
    return r.state.mastery[0] - m;
  };
  t.true(ex(0.55) > 0.1);
  t.is(ex(0.1), 0);
});

test('the post-test rewards the learning gain; walking out costs the leave penalty', (t) => {
  const c = compile(quiet);
  const p = persona([0.1, 0.2, 0.3, 0.4, 0.5, 0.6]);
  const st = tutoringFamily.init(quiet, p, Rng.from(1));
  const learned: TutoringState = { ...st, mastery: st.mastery.map((m) => m + 0.3) };
  const mean = (state: TutoringState, reason: 'agent-ended' | 'user-left') => {
    const rng = Rng.from(5);
    let sum = 0;
    for (let k = 0; k < 2000; k++) sum += tutoringFamily.finish(quiet, p, state, reason, rng).reward;
    return sum / 2000;
  };
  const expected = (quiet.verifier.gainScale / c.K) * st.mastery.reduce((a, m) => a + testScore(quiet, c, m + 0.3) - testScore(quiet, c, m), 0);
  t.true(Math.abs(mean(st, 'agent-ended')) < 0.05, 'no learning, no reward');
  t.true(Math.abs(mean(learned, 'agent-ended') - expected) < 0.05, `expected about ${expected}`);
  t.true(Math.abs(mean(learned, 'user-left') - (expected - quiet.verifier.leavePenalty)) < 0.05);
  const fin = tutoringFamily.finish(quiet, p, learned, 'agent-ended', Rng.from(1));
  t.true(fin.success);
  t.is(typeof fin.details?.postTest, 'number');
  // Every teaching turn costs; ending is free and ends the episode.
  const quiz = { type: 'quiz', args: { concept: 'fractions' } };
  t.deepEqual(tutoringFamily.judge(quiet, p, st, quiz, { type: 'answer' }, st), { reward: -quiet.verifier.turnCost });
  t.deepEqual(tutoringFamily.judge(quiet, p, st, { type: 'end' }, { type: 'bye' }, st), { reward: 0, end: 'agent-ended' });
});

test('students leave when patience runs out, sooner when explanations are too hard', (t) => {
  const p = persona([0.1, 0.1, 0.1, 0.1, 0.1, 0.1], { patience: 4, learningRate: 0.01 });
  const rng = Rng.from(3);
  let st = tutoringFamily.init(quiet, p, rng);
  const hard = { type: 'explain', args: { concept: 'fractions', level: 'formal' } };
  const r1 = tutoringFamily.respond(quiet, p, st, hard, rng);
  t.falsy(r1.left);
  t.is(r1.state.patience, 4 - 1 - quiet.student.frustration);
  const r2 = tutoringFamily.respond(quiet, p, r1.state, hard, rng);
  t.true(r2.left);
  t.is(r2.act.type, 'leave');
  // Fitting explanations use one unit each: four of them.
  let turns = 0;
  for (;;) {
    turns++;
    const r = tutoringFamily.respond(quiet, p, st, { type: 'explain', args: { concept: 'fractions', level: 'intuitive' } }, rng);
    st = r.state;
    if (r.left) break;
  }
  t.is(turns, 4);
});

test('the view is flat JSON and end is masked before the first turn', (t) => {
  const s = teacher;
  let v = tutoringFamily.initialView(s);
  v = tutoringFamily.updateView(s, v, null, { type: 'greet', args: { weak: 'ratios' } });
  v = tutoringFamily.updateView(s, v, { type: 'quiz', args: { concept: 'fractions' } }, { type: 'answer', args: { concept: 'fractions', right: 3, of: 4 } });
  v = tutoringFamily.updateView(s, v, { type: 'explain', args: { concept: 'ratios', level: 'formal' } }, { type: 'react', args: { concept: 'ratios', reaction: 'confused', restless: true } });
  t.deepEqual(JSON.parse(JSON.stringify(v)), v);
  t.deepEqual(v.quizRight, [0, 3, 0, 0, 0, 0]);
  t.deepEqual(v.quizWrong, [0, 1, 0, 0, 0, 0]);
  t.deepEqual(v.saidWeak, [false, false, false, false, false, true]);
  t.is(v.explained[5 * 3 + 2], 1);
  t.is(v.lastReaction[5], 1);
  t.true(v.restless);
  const end = tutoringFamily.actions(s).length - 1;
  t.false(tutoringFamily.mask(s, v, 0)[end]);
  t.true(tutoringFamily.mask(s, v, 1)[end]);
});
