import test from 'ava';
import { Rng, deriveSeed } from '../../scenarios/random.js';

test('same seed gives the same stream', (t) => {
  const a = Rng.from(7);
  const b = Rng.from(7);
  t.deepEqual([a.float(), a.int(10), a.normal()], [b.float(), b.int(10), b.normal()]);
});

test('forks are independent of the parent position', (t) => {
  const a = Rng.from(7);
  a.float();
  t.is(a.fork('user').float(), Rng.from(7).fork('user').float());
  t.not(Rng.from(7).fork('user').float(), Rng.from(7).fork('policy').float());
});

test('floats lie in [0, 1) and ints in range', (t) => {
  const r = Rng.from(1);
  for (let i = 0; i < 10000; i++) {
    const x = r.float();
    const k = r.int(3);
    if (x < 0 || x >= 1 || k < 0 || k > 2) t.fail(`out of range: ${x} ${k}`);
  }
  t.pass();
});

test('uniform ints are roughly uniform', (t) => {
  const r = Rng.from(3);
  const counts = [0, 0, 0, 0];
  for (let i = 0; i < 40000; i++) counts[r.int(4)]++;
  for (const c of counts) t.true(Math.abs(c - 10000) < 400, `count ${c}`);
});

test('derived seeds differ by index and are stable', (t) => {
  t.is(deriveSeed(42, 0), deriveSeed(42, 0));
  t.not(deriveSeed(42, 0), deriveSeed(42, 1));
  t.not(deriveSeed(42, 0), deriveSeed(43, 0));
});

test('state round-trips', (t) => {
  const r = Rng.from(9);
  r.float();
  const copy = Rng.fromState(r.state());
  t.is(copy.float(), r.float());
});
