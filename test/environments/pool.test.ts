import test from 'ava';
import { RolloutPool, type RolloutChunk } from '../../environments/rollout/pool.js';
import { JsonLines, OrderedJsonLines } from '../../environments/rollout/lines.js';
import { deriveSeed } from '../../scenarios/random.js';
import { EpisodeSchema } from '../../actors/episode.js';
import { valueSymbol } from 'piscina';
import { makeWorker } from '../../environments/rollout/worker.js';
import type { Runtime } from '../../environments/rollout/runtime.js';
import { toyRuntime, toyScenario } from './helpers/toy.js';

const toyWorker = new URL('./helpers/toy-worker.js', import.meta.url);
const flakyWorker = new URL('./helpers/flaky-worker.js', import.meta.url);

async function collect(pool: RolloutPool, end: number, taskSize = 16): Promise<RolloutChunk[]> {
  const out: RolloutChunk[] = [];
  try {
    for await (const c of pool.run({ runSeed: 7, end, taskSize })) out.push(c);
  } finally {
    await pool.close();
  }
  return out;
}

const lines = (chunks: RolloutChunk[]) => chunks.map((c) => Buffer.from(c.bytes).toString('utf8')).join('');

test('chunks come back in index order with derived seeds and ids', async (t) => {
  const chunks = await collect(new RolloutPool({ scenario: toyScenario, policy: 'heuristic', workers: 2, concurrency: 4, workerFile: toyWorker }), 100, 7);
  // 7 per task; the last ones shrink to a quarter of what is left (2 workers, 2 tasks each), down to K = 4.
  t.deepEqual(chunks.map((c) => c.start), [0, 7, 14, 21, 28, 35, 42, 49, 56, 63, 70, 77, 83, 88, 92, 96]);
  const eps = lines(chunks).trimEnd().split('\n').map((l) => EpisodeSchema.parse(JSON.parse(l)));
  t.is(eps.length, 100);
  eps.forEach((ep, i) => {
    if (ep.index !== i || ep.seed !== deriveSeed(7, i) || ep.id !== `toy-numbers-7-${i}`) t.fail(`episode ${i}: ${ep.id} ${ep.seed}`);
  });
  t.is(chunks.reduce((n, c) => n + c.summaries.filter((s) => s.success).length, 0), eps.filter((e) => e.outcome.success).length);
});

test('one worker and two workers give the same episodes', async (t) => {
  const a = await collect(new RolloutPool({ scenario: toyScenario, policy: 'random', workers: 1, concurrency: 3, workerFile: toyWorker }), 300);
  const b = await collect(new RolloutPool({ scenario: toyScenario, policy: 'random', workers: 2, concurrency: 8, workerFile: toyWorker }), 300, 33);
  t.is(lines(a), lines(b));
});

test('a worker given its next task early plays its tasks one after the other, each as if it came alone', async (t) => {
  let live = 0;
  let most = 0;
  const order: number[] = [];
  const runtime: Runtime = {
    ...toyRuntime,
    async run(ctx, policy, specs, opts) {
      live++;
      most = Math.max(most, live);
      await new Promise((r) => setTimeout(r, 5)); // a turn of the event loop, as an ONNX policy gives
      order.push(specs[0].index);
      await toyRuntime.run(ctx, policy, specs, opts);
      live--;
    },
  };
  const worker = makeWorker(runtime, { scenario: toyScenario, policy: 'heuristic', concurrency: 4 });
  const tasks = [0, 10, 20].map((start) => worker({ runSeed: 7, start, count: 10, emit: 'lines' }));
  const bytes = (await Promise.all(tasks)).map((r) => Buffer.from((r as { [valueSymbol]: { bytes: Uint8Array } })[valueSymbol].bytes).toString());
  t.is(most, 1);
  t.deepEqual(order, [0, 10, 20]);
  const alone = makeWorker(toyRuntime, { scenario: toyScenario, policy: 'heuristic', concurrency: 4 });
  const first = (await alone({ runSeed: 7, start: 0, count: 10, emit: 'lines' })) as { [valueSymbol]: { bytes: Uint8Array } };
  t.is(bytes[0], Buffer.from(first[valueSymbol].bytes).toString());
});

test('with recycle, each chunk\'s memory goes back to a worker once the next is asked for, and the bytes are the same', async (t) => {
  const run = async (workerFile: URL, recycle: boolean) => {
    const pool = new RolloutPool({ scenario: toyScenario, policy: 'random', workers: 2, concurrency: 4, workerFile });
    const text: string[] = [];
    const views: Uint8Array[] = [];
    try {
      for await (const c of pool.run({ runSeed: 3, end: 300, taskSize: 16, recycle })) {
        text.push(Buffer.from(c.bytes).toString('utf8'));
        views.push(c.bytes);
      }
    } finally {
      await pool.close();
    }
    return { text: text.join(''), handedBack: views.filter((v) => v.buffer.byteLength === 0).length, chunks: views.length };
  };
  const kept = await run(toyWorker, false);
  const recycled = await run(toyWorker, true);
  t.is(recycled.text, kept.text);
  t.is(kept.handedBack, 0);
  // Chunks whose memory went to a later task are detached here (the last few had no later task).
  t.true(recycled.handedBack >= recycled.chunks - 6, `${recycled.handedBack} of ${recycled.chunks}`);
  // A late task (given an earlier chunk's memory) that fails: each retry runs without that memory, now detached here.
  const pool = new RolloutPool({ scenario: { ...toyScenario, failTaskAt: 200 }, policy: 'random', workers: 2, concurrency: 4, retries: 1, workerFile: toyWorker });
  const failed: string[] = [];
  try {
    for await (const c of pool.run({ runSeed: 3, end: 300, taskSize: 16, recycle: true })) if (c.failed) failed.push(c.failed);
  } finally {
    await pool.close();
  }
  t.deepEqual(failed, ['worker task for episodes [192, 208) failed 2 times: toy task failure at 200']);
});

test('OrderedJsonLines writes into the memory it is given when the lines fit, else into fresh memory with room to spare', (t) => {
  const out = new OrderedJsonLines(2);
  out.put(0, { a: 1 });
  out.put(1, { b: 2 });
  const roomy = new ArrayBuffer(64);
  const inRoomy = out.bytes(roomy);
  t.is(inRoomy.buffer, roomy);
  t.is(Buffer.from(inRoomy).toString(), '{"a":1}\n{"b":2}\n');
  const fresh = out.bytes(new ArrayBuffer(4));
  t.is(Buffer.from(fresh).toString(), '{"a":1}\n{"b":2}\n');
  t.true(fresh.buffer.byteLength > fresh.byteLength);
});

test('an episode that throws is recorded as errored and the run goes on', async (t) => {
  const chunks = await collect(new RolloutPool({ scenario: { ...toyScenario, failEpisodeAt: 5 }, policy: 'heuristic', workers: 1, workerFile: toyWorker }), 20);
  const eps = lines(chunks).trimEnd().split('\n').map((l) => JSON.parse(l));
  t.is(eps.length, 20);
  t.is(eps[5].outcome.reason, 'error');
  t.regex(eps[5].outcome.error, /policy exploded/);
  t.is(eps.filter((e) => e.outcome.reason === 'error').length, 1);
});

test('a task that keeps failing is recorded as errored episodes; the others are kept', async (t) => {
  const pool = new RolloutPool({ scenario: { ...toyScenario, failTaskAt: 20 }, policy: 'heuristic', workers: 2, retries: 1, workerFile: toyWorker });
  const chunks = await collect(pool, 64);
  const failed = chunks.filter((c) => c.failed);
  t.is(failed.length, 1);
  t.is(failed[0].start, 16);
  t.regex(failed[0].failed ?? '', /episodes \[16, 32\) failed 2 times: toy task failure at 20/);
  const eps = lines(chunks).trimEnd().split('\n').map((l) => EpisodeSchema.parse(JSON.parse(l)));
  t.is(eps.length, 64);
  t.deepEqual(eps.map((e) => e.index), [...Array(64).keys()]);
  t.is(eps.filter((e) => e.outcome.reason === 'error').length, 16);
  t.true(failed[0].summaries.every((s) => s.errored));
});

test('a task that fails once is retried and gives the same episodes as a clean run', async (t) => {
  const once = await collect(new RolloutPool({ scenario: toyScenario, policy: 'heuristic', workers: 1, workerFile: flakyWorker, retries: 0 }), 48);
  t.is(once.filter((c) => c.failed).length, 1, 'without retries the failure is recorded');
  const retried = await collect(new RolloutPool({ scenario: toyScenario, policy: 'heuristic', workers: 1, workerFile: flakyWorker }), 48);
  const clean = await collect(new RolloutPool({ scenario: toyScenario, policy: 'heuristic', workers: 1, workerFile: toyWorker }), 48);
  t.is(retried.filter((c) => c.failed).length, 0);
  t.is(lines(retried), lines(clean));
});

test('tasks in flight stay bounded while the consumer is slow', async (t) => {
  const pool = new RolloutPool({ scenario: toyScenario, policy: 'heuristic', workers: 2, workerFile: toyWorker });
  let max = 0;
  try {
    for await (const _c of pool.run({ runSeed: 1, end: 400, taskSize: 10, maxInFlight: 3 })) {
      max = Math.max(max, pool.inFlight);
      await new Promise((r) => setTimeout(r, 5));
    }
  } finally {
    await pool.close();
  }
  t.true(max <= 3, `in flight ${max}`);
});

test('options are checked up front', (t) => {
  t.throws(() => new RolloutPool({ scenario: toyScenario, policy: 'x', workers: 0, workerFile: toyWorker }), { message: /options.workers must be a positive integer/ });
});

test('OrderedJsonLines gives the lines in position order whatever order they came in, and refuses gaps, repeats and strays', (t) => {
  const values = Array.from({ length: 2000 }, (_, i) => ({ i, text: i % 5 === 0 ? `é🙂 ${'x'.repeat(i % 90)}` : 'plain' }));
  const order = values.map((_, i) => i).sort((a, b) => ((a * 7919) % 2000) - ((b * 7919) % 2000));
  const out = new OrderedJsonLines(values.length);
  for (const i of order) out.put(i, values[i]);
  const inOrder = new JsonLines();
  for (const v of values) inOrder.push(v);
  t.true(Buffer.from(out.bytes()).equals(Buffer.from(inOrder.bytes())));
  const gap = new OrderedJsonLines(3);
  gap.put(0, 1);
  gap.put(2, 3);
  t.throws(() => gap.bytes(), { message: 'line 1 of 3 is missing' });
  t.throws(() => gap.put(2, 3), { message: 'line 2 was given twice' });
  t.throws(() => gap.put(3, 4), { instanceOf: RangeError });
});

test('OrderedJsonLines over a reused buffer gives each batch its own lines only, in bytes the next batch does not change', (t) => {
  const buffer = new JsonLines();
  const first = new OrderedJsonLines(2, buffer);
  first.put(1, { long: 'y'.repeat(100_000) });
  first.put(0, { a: 1 });
  const firstBytes = first.bytes();
  const second = new OrderedJsonLines(2, buffer);
  second.put(1, { b: 2 });
  second.put(0, { c: 3 });
  t.is(Buffer.from(second.bytes()).toString(), '{"c":3}\n{"b":2}\n');
  t.is(Buffer.from(firstBytes).toString(), `{"a":1}\n{"long":"${'y'.repeat(100_000)}"}\n`);
});

test('JsonLines gives the bytes of the JSON lines encoded at once, non-ASCII and past its first buffer included', (t) => {
  const values = Array.from({ length: 3000 }, (_, i) => ({ i, text: i % 7 === 0 ? `café ${'é'.repeat(i % 50)} 🙂 “quoted” \u2028` : 'plain '.repeat(i % 13), x: i / 3 }));
  const out = new JsonLines();
  for (const v of values) out.push(v);
  const bytes = out.bytes();
  const expected = new TextEncoder().encode(values.map((v) => JSON.stringify(v) + '\n').join(''));
  t.true(expected.length > 1 << 16);
  t.is(bytes.byteLength, expected.byteLength);
  t.true(Buffer.from(bytes).equals(Buffer.from(expected)));
  t.is(bytes.buffer.byteLength, bytes.byteLength, 'a buffer of its own, to transfer');
  t.is(new JsonLines().bytes().byteLength, 0);
});
