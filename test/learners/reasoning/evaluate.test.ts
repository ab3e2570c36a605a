import test from 'ava';
import { passAtK, wilson, meanInterval } from '../../../learners/reasoning/evaluate.js';

function binom(n: number, k: number): number {
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return r;
}

test('passAtK is 1 − C(n−c,k)/C(n,k), and pass@1 is c/n', (t) => {
  for (const [n, c, k] of [[10, 3, 1], [10, 3, 5], [20, 1, 10], [16, 0, 4], [16, 16, 4], [8, 5, 4], [50, 7, 25]]) {
    const direct = 1 - binom(n - c, k) / binom(n, k);
    t.true(Math.abs(passAtK(n, c, k) - direct) < 1e-12, `n=${n} c=${c} k=${k}: ${passAtK(n, c, k)} vs ${direct}`);
  }
  t.is(passAtK(10, 4, 1), 0.4);
  t.is(passAtK(10, 8, 3), 1, 'fewer than k failures: some draw of k holds a success');
  t.throws(() => passAtK(4, 1, 5), { instanceOf: RangeError });
});

test('Wilson interval: known values, contains the rate, narrows with n', (t) => {
  const w = wilson(90, 100);
  // reference (statsmodels proportion_confint(90, 100, method='wilson')): (0.8256, 0.9448)
  t.true(Math.abs(w.lo - 0.8256) < 1e-3 && Math.abs(w.hi - 0.9448) < 1e-3, `${w.lo} ${w.hi}`);
  t.is(wilson(0, 50).lo, 0);
  t.true(wilson(0, 50).hi > 0.05 && wilson(0, 50).hi < 0.09);
  t.true(wilson(900, 1000).hi - wilson(900, 1000).lo < w.hi - w.lo);
  const m = meanInterval([1, 0, 1, 1]);
  t.is(m.rate, 0.75);
  t.true(m.lo < 0.75 && m.hi === 1);
});
