import test from 'ava';
import { DistinctCounter, EpisodeStats, Histogram, RunningStats, wilson95 } from '../../environments/stats.js';

test('running mean and variance match the two-pass formulas', (t) => {
  const xs = [3, -1, 4, 1, -5, 9, 2, 6];
  const r = new RunningStats();
  for (const x of xs) r.push(x);
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1);
  t.true(Math.abs(r.mean - mean) < 1e-12);
  t.true(Math.abs(r.variance - variance) < 1e-12);
  const [lo, hi] = r.ci95();
  t.true(Math.abs((hi - lo) / 2 - 2.365 * Math.sqrt(variance / xs.length)) < 1e-9, 'small n uses Student t (df 7)');
});

test('Wilson interval contains the rate and stays in [0, 1]', (t) => {
  const [lo, hi] = wilson95(0, 10);
  t.is(lo, 0);
  t.true(hi > 0.2 && hi < 0.35);
  const [a, b] = wilson95(500, 1000);
  t.true(a < 0.5 && b > 0.5 && b - a < 0.07);
});

test('episode stats count successes, errors and decisions', (t) => {
  const s = new EpisodeStats();
  s.add({ return: 1, agentTurns: 3, success: true, errored: false });
  s.add({ return: -1, agentTurns: 5, success: false, errored: true });
  const sum = s.summary();
  t.like(sum, { episodes: 2, successes: 1, errored: 1, successRate: 0.5, meanReturn: 0, meanTurns: 4, decisions: 8 });
});

test('histogram quantiles', (t) => {
  const h = new Histogram();
  for (const v of [1, 1, 2, 3, 3, 3, 10]) h.add(v);
  t.deepEqual(h.entries(), [[1, 2], [2, 1], [3, 3], [10, 1]]);
  t.is(h.quantile(0.5), 3);
  t.is(h.quantile(1), 10);
});

test('distinct counter is exact below its limit and close above it', (t) => {
  const small = new DistinctCounter();
  for (let i = 0; i < 1000; i++) small.add(`utterance ${i % 250}`);
  t.deepEqual(small.count(), { count: 250, approximate: false });
  const big = new DistinctCounter(1000);
  for (let i = 0; i < 50_000; i++) big.add(`u${i}`);
  const c = big.count();
  t.true(c.approximate);
  t.true(Math.abs(c.count - 50_000) / 50_000 < 0.03, `estimate ${c.count}`);
});
