// MoDoMoDo's pieces on hand-computed cases: the pilot mixtures, domain sampling, the surrogate fit
// recovering a known quadratic, R² and its cross-validation, the Gaussian simplex search, and the
// mixed-family SFT and GRPO data on the built-in families.
import test from 'ava';
import { Rng } from '../../../scenarios/random.js';
import { checkMixture, crossValidate, drawDomain, features, fitSurrogate, pilotMixtures, predict, proposeMixture, rSquared, solve, type Surrogate } from '../../../learners/methods/modomodo.js';
import { domainTasks, mixedSftExample, mixedSftSource, mixturePrompts } from '../../../learners/methods/modomodo/train.js';

test('the 11 pilot mixtures of 5 domains: 5 single, 5 leave-one-out, uniform', (t) => {
  const p = pilotMixtures(['a', 'b', 'c', 'd', 'e']);
  t.is(p.length, 11);
  t.deepEqual(p[0].weights, [1, 0, 0, 0, 0]);
  t.deepEqual(p[4].weights, [0, 0, 0, 0, 1]);
  t.deepEqual(p[5].weights, [0, 0.25, 0.25, 0.25, 0.25]);
  t.deepEqual(p[9].weights, [0.25, 0.25, 0.25, 0.25, 0]);
  t.deepEqual(p[10].weights, [0.2, 0.2, 0.2, 0.2, 0.2]);
  t.deepEqual(p.map((x) => x.kind), [...Array(5).fill('single'), ...Array(5).fill('exclude-one'), 'uniform']);
  for (const x of p) t.notThrows(() => checkMixture(x.weights, 5));
  t.throws(() => pilotMixtures(['a']), { message: /at least 2 domains/ });
  t.throws(() => checkMixture([0.5, 0.6], 2), { message: /sum to 1/ });
  t.throws(() => checkMixture([1.5, -0.5], 2), { message: /non-negative/ });
  t.throws(() => checkMixture([1], 2), { message: /expected 2 weights/ });
});

test('drawDomain draws domains in proportion to w and never one of weight 0', (t) => {
  const rng = Rng.from(3);
  const counts = [0, 0, 0];
  for (let i = 0; i < 6000; i++) counts[drawDomain([0.5, 0, 0.5], rng)]++;
  t.is(counts[1], 0);
  t.true(Math.abs(counts[0] / 6000 - 0.5) < 0.03, String(counts));
});

test('features: [1, w] and [1, w, upper triangle of w⊗w]', (t) => {
  t.deepEqual(features([0.2, 0.8], 'linear'), [1, 0.2, 0.8]);
  const q = features([0.5, 0.3, 0.2], 'quadratic');
  t.is(q.length, 1 + 3 + 6);
  const want = [1, 0.5, 0.3, 0.2, 0.25, 0.15, 0.1, 0.09, 0.06, 0.04];
  q.forEach((x, i) => t.true(Math.abs(x - want[i]) < 1e-12, `feature ${i}`));
});

test('solve: a 3×3 system by hand', (t) => {
  // 2x + y = 5, x + 3y + z = 10, y + 2z = 7 → x = 1.5, y = 2, z = 2.5
  const x = solve([[2, 1, 0], [1, 3, 1], [0, 1, 2]], [5, 10, 7]);
  [1.5, 2, 2.5].forEach((v, i) => t.true(Math.abs(x[i] - v) < 1e-12));
  t.throws(() => solve([[1, 1], [1, 1]], [1, 2]), { message: /singular/ });
});

/** Random points of the simplex (Dirichlet(1) by normalised exponentials). */
function simplexPoints(n: number, m: number, seed: number): number[][] {
  const rng = Rng.from(seed);
  return Array.from({ length: n }, () => {
    const e = Array.from({ length: m }, () => -Math.log(1 - rng.float()));
    const s = e.reduce((a, b) => a + b, 0);
    return e.map((x) => x / s);
  });
}

test('the quadratic fit recovers a known quadratic on the simplex (predictions exact, R² = 1); the linear one cannot', (t) => {
  // L(w) = 0.3 + 0.2 w0 − 0.1 w2 + 0.5 w0 w1 − 0.8 w2²: its maximum is inside the simplex
  const f = (w: readonly number[]) => 0.3 + 0.2 * w[0] - 0.1 * w[2] + 0.5 * w[0] * w[1] - 0.8 * w[2] * w[2];
  const ws = simplexPoints(40, 3, 1);
  const ys = ws.map(f);
  const q = fitSurrogate(ws, ys, 'quadratic');
  for (const w of simplexPoints(20, 3, 2)) t.true(Math.abs(predict(q, w) - f(w)) < 1e-6, `at ${w.join(',')}`);
  const cvq = crossValidate(ws, ys, 'quadratic', { seed: 3 });
  const cvl = crossValidate(ws, ys, 'linear', { seed: 3 });
  t.true(cvq.meanR2 > 0.999999, String(cvq.meanR2));
  t.true(cvl.meanR2 < 0.99, String(cvl.meanR2));
  t.is(cvq.splits.length, 5);
  t.true(cvq.splits.every((s) => s.test.length === 8), '20% of 40 held out');
});

test('the linear fit recovers a linear function exactly', (t) => {
  const f = (w: readonly number[]) => 1 + 2 * w[0] + 3 * w[1] - w[3];
  const ws = simplexPoints(12, 4, 5);
  const l = fitSurrogate(ws, ws.map(f), 'linear');
  for (const w of simplexPoints(5, 4, 6)) t.true(Math.abs(predict(l, w) - f(w)) < 1e-6);
});

test('rSquared by hand: perfect, the mean, and worse than the mean', (t) => {
  t.is(rSquared([1, 2, 3], [1, 2, 3]), 1);
  t.is(rSquared([1, 2, 3], [2, 2, 2]), 0);
  // SS_res = 1 + 0 + 1 = 2, SS_tot = 2: R² = 0; predictions [3,2,1]: SS_res = 8 → 1 − 4 = −3
  t.is(rSquared([1, 2, 3], [3, 2, 1]), -3);
  t.true(Number.isNaN(rSquared([2, 2], [1, 3])));
});

test('crossValidate: splits are seeded, held-out sets differ, too few points is an error', (t) => {
  const ws = simplexPoints(11, 3, 7);
  const ys = ws.map((w) => w[0] - w[1] * w[2]);
  const a = crossValidate(ws, ys, 'linear', { seed: 9 });
  const b = crossValidate(ws, ys, 'linear', { seed: 9 });
  t.deepEqual(a.splits.map((s) => s.test), b.splits.map((s) => s.test));
  t.true(new Set(a.splits.map((s) => s.test.join(','))).size > 1);
  t.true(a.splits.every((s) => s.test.length === 2), 'round(0.2 · 11) = 2');
  // the best split's model is the one with the highest held-out R²
  const best = a.splits.reduce((x, y) => (y.r2 > x.r2 ? y : x));
  t.deepEqual(a.best, best.surrogate);
  t.throws(() => crossValidate(ws.slice(0, 3), ys.slice(0, 3), 'linear'), { message: /too few/ });
});

test('proposeMixture finds the maximum of a known concave quadratic within the simplex', (t) => {
  // L(w) = −Σ (w_i − c_i)², c = (0.5, 0.3, 0.2, 0, 0): coefficients on [1, w, w_i w_j (i ≤ j)]
  const c = [0.5, 0.3, 0.2, 0, 0];
  const m = c.length;
  const coef = [-c.reduce((a, x) => a + x * x, 0), ...c.map((x) => 2 * x)];
  for (let i = 0; i < m; i++) for (let j = i; j < m; j++) coef.push(i === j ? -1 : 0);
  const s: Surrogate = { kind: 'quadratic', coef };
  const pilots = pilotMixtures(['a', 'b', 'c', 'd', 'e']).map((p) => p.weights);
  const p = proposeMixture(s, pilots, { candidates: 20000, seed: 4 });
  t.true(Math.abs(p.weights.reduce((a, b) => a + b, 0) - 1) < 1e-9);
  t.true(p.weights.every((x) => x >= 0));
  p.weights.forEach((x, i) => t.true(Math.abs(x - c[i]) < 0.12, `w${i} = ${x}, want ≈ ${c[i]}`));
  t.true(p.predicted > -0.02 && p.predicted <= 1e-12, String(p.predicted));
  t.is(p.predicted, predict(s, p.weights));
  // better than every pilot mixture
  for (const w of pilots) t.true(p.predicted >= predict(s, w));
  t.deepEqual(proposeMixture(s, pilots, { candidates: 500, seed: 4 }), proposeMixture(s, pilots, { candidates: 500, seed: 4 }));
  t.throws(() => proposeMixture(s, [pilots[0]]), { message: /at least 2/ });
});

const DOMAINS = [
  { name: 'add', scenario: 'addition', level: 1 },
  { name: 'sum', scenario: 'digit-sum', level: 1 },
  { name: 'sort', scenario: 'sort', level: 1 },
];

test('mixed SFT data: each example is its drawn domain\'s problem with its scripted completion; weight 0 never drawn', (t) => {
  const tasks = domainTasks(DOMAINS);
  const seen = new Set<number>();
  for (let i = 0; i < 40; i++) {
    const ex = mixedSftExample(tasks, DOMAINS, [0.5, 0, 0.5], 64, 1, i);
    seen.add(ex.domain);
    t.is(ex.problem.task, tasks[ex.domain].scenario.task);
    t.true(tasks[ex.domain].grade(ex.problem, ex.completion).correct, 'the demonstration verifies');
    t.deepEqual(ex.sequence, [...ex.problem.prompt, ...ex.completion]);
  }
  t.deepEqual([...seen].sort(), [0, 2]);
  const src = mixedSftSource(DOMAINS, [1 / 3, 1 / 3, 1 / 3], 64, 2);
  const b = src.batches(3, 4);
  t.is(b.size, 4);
  t.deepEqual(b.tokens, src.batches(3, 4).tokens, 'a pure function of the step');
  t.throws(() => mixedSftSource(DOMAINS, [0.5, 0.5], 64, 1), { message: /expected 3 weights/ });
});

test('mixture prompts follow w; domains must share a vocabulary and have the level', (t) => {
  const tasks = domainTasks(DOMAINS);
  const ps = mixturePrompts(tasks, DOMAINS, [0, 1, 0], 1, 0, 10);
  t.true(ps.every((p) => p.domain === 1 && p.prompt.problem.task === 'digit-sum'));
  t.deepEqual(ps.map((p) => p.prompt.index), [...Array(10).keys()]);
  t.throws(() => domainTasks([{ name: 'x', scenario: 'sort', level: 9 }]), { message: /has 4 levels/ });
});
