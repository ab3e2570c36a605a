import test from 'ava';
import { basename } from 'node:path';
import { encodeBatch, makeEncoder, TEXT_HISTORY_BUCKETS, TEXT_LAST_BUCKETS, type EncoderKind } from '../../environments/encoding/index.js';
import { PREFERENCE_USER_ACTS, TUTORING_USER_ACTS, GUESSING_USER_ACTS } from '../../environments/encoding/index.js';
import { ALL_SCENARIOS, contextOf, observations } from './helpers/offline-data.js';

const KINDS: readonly EncoderKind[] = ['structured', 'text'];

for (const id of ALL_SCENARIOS) {
  for (const kind of KINDS) {
    test(`${kind} encoder on ${basename(id)}: one size for every observation, deterministic, finite and bounded`, (t) => {
      const ctx = contextOf(id);
      const enc = makeEncoder(kind, ctx);
      t.is(enc.kind, kind);
      t.is(makeEncoder(kind, contextOf(id)).size, enc.size, 'the size depends only on the scenario');
      if (kind === 'text') t.is(enc.size, TEXT_HISTORY_BUCKETS + TEXT_LAST_BUCKETS + 2 + ctx.actions.length);
      const obs = [...observations(ctx, 'random', 6, 1), ...observations(ctx, 'heuristic', 6, 2)];
      t.true(obs.length > 12);
      const other = makeEncoder(kind, ctx);
      const a = new Float32Array(enc.size);
      const b = new Float32Array(enc.size + 7).fill(42);
      const distinct = new Set<string>();
      for (const o of obs) {
        enc.encode(o, a);
        other.encode(o, b, 7); // a fresh encoder, at an offset, over garbage: the same features
        t.deepEqual(Array.from(b.subarray(7)), Array.from(a));
        enc.encode(o, b, 7);
        t.deepEqual(Array.from(b.subarray(7)), Array.from(a), 'encoding twice gives the same features');
        for (const x of a) {
          if (!Number.isFinite(x)) t.fail(`non-finite feature at turn ${o.turn}`);
          if (kind === 'structured' && (x < -1 || x > 1)) t.fail(`structured feature ${x} outside [-1, 1]`);
          if (kind === 'text' && x < 0) t.fail(`negative text feature ${x}`);
        }
        distinct.add(Array.from(a).join(','));
      }
      t.true(distinct.size > obs.length / 3, `features tell observations apart (${distinct.size} distinct of ${obs.length})`);
      // A batch is the rows side by side.
      const batch = encodeBatch(enc, obs.slice(0, 5));
      for (let i = 0; i < 5; i++) {
        enc.encode(obs[i], a);
        t.deepEqual(Array.from(batch.subarray(i * enc.size, (i + 1) * enc.size)), Array.from(a));
      }
    });
  }
}

test('structured encoding starts with turn, last user act and the mask', (t) => {
  const families: Record<string, readonly string[]> = { 'travel-agent': PREFERENCE_USER_ACTS, teacher: TUTORING_USER_ACTS, 'twenty-questions': GUESSING_USER_ACTS };
  for (const [id, acts] of Object.entries(families)) {
    const ctx = contextOf(id);
    const enc = makeEncoder('structured', ctx);
    const obs = observations(ctx, 'heuristic', 3, 4);
    const x = new Float32Array(enc.size);
    for (const o of obs) {
      enc.encode(o, x);
      t.is(x[0], Math.fround(o.turn / o.maxTurns));
      const slot = acts.indexOf(o.lastUserAct!.type);
      t.true(slot >= 0, `${id}: user act '${o.lastUserAct!.type}' is one of the family's`);
      t.is(x[2 + slot], 1);
      t.is(x.subarray(2, 2 + acts.length + 1).reduce((s, v) => s + v, 0), 1);
      const m = Array.from(x.subarray(3 + acts.length, 3 + acts.length + ctx.actions.length));
      t.deepEqual(m, o.mask.map((v) => (v ? 1 : 0)));
    }
  }
});

test('text encoding weighs the transcript and the last user utterance', (t) => {
  const ctx = contextOf('travel-agent');
  const enc = makeEncoder('text', ctx);
  const obs = observations(ctx, 'heuristic', 1, 3);
  const x = new Float32Array(enc.size);
  enc.encode(obs[0], x);
  const history = x.subarray(0, TEXT_HISTORY_BUCKETS).filter((v) => v > 0).length;
  const last = x.subarray(TEXT_HISTORY_BUCKETS, TEXT_HISTORY_BUCKETS + TEXT_LAST_BUCKETS).filter((v) => v > 0).length;
  t.true(history > 3 && last > 3, `${history} history and ${last} last-utterance buckets set`);
  // Later observations carry more of the transcript.
  enc.encode(obs[obs.length - 1], x);
  t.true(x.subarray(0, TEXT_HISTORY_BUCKETS).filter((v) => v > 0).length > history);
});

test('an observation of another scenario is refused', (t) => {
  const travel = contextOf('travel-agent');
  const teacher = contextOf('teacher');
  const o = observations(teacher, 'heuristic', 1)[0];
  for (const kind of KINDS) {
    const enc = makeEncoder(kind, travel);
    t.throws(() => enc.encode(o, new Float32Array(enc.size)), { message: /mask has \d+ actions, the scenario \d+/ });
  }
  t.throws(() => makeEncoder('pixels' as EncoderKind, travel), { message: /unknown encoder kind 'pixels'; expected one of: structured, text/ });
});
