import test from 'ava';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { Trainer, readCheckpoint } from '../../../learners/runtime/index.js';
import { linreg } from './helpers/linreg.js';

const opts = { device: 'cpu', threads: 1, lr: 0.02 } as const;
const scratch = () => mkdtempSync(join(tmpdir(), 'reverie-runtime-'));

async function losses(trainer: Trainer, lr: ReturnType<typeof linreg>, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push((await trainer.step(lr.batch(trainer.rng, 32))).metrics.loss);
  return out;
}

test('training lowers the loss and feeds step (1-based) and lr itself', async (t) => {
  const lr = linreg();
  const trainer = await Trainer.create(lr.train, { ...opts, seed: 3 });
  const first = await trainer.step(lr.batch(trainer.rng, 32));
  t.is(first.step, 1);
  t.is(first.metrics.step_seen, 1);
  const rest = await losses(trainer, lr, 150);
  t.is(trainer.steps, 151);
  t.true(rest[rest.length - 1] < first.metrics.loss / 10, `loss ${first.metrics.loss} -> ${rest[rest.length - 1]}`);
  t.deepEqual(Object.values(trainer.locations()), Array(8).fill('cpu'));
  await trainer.dispose();
});

test('a resumed run gives the same losses, bit for bit, as one that never stopped', async (t) => {
  const lr = linreg();
  const dir = scratch();
  const whole = await Trainer.create(lr.train, { ...opts, seed: 9, config: { run: 'a' } });
  const all = await losses(whole, lr, 40);

  const first = await Trainer.create(lr.train, { ...opts, seed: 9, config: { run: 'a' } });
  const before = await losses(first, lr, 25);
  await first.checkpoint(join(dir, 'ck.bin'));
  await first.step(lr.batch(first.rng, 32)); // work after the checkpoint is lost, as in a crash
  await first.dispose();

  const resumed = await Trainer.resume(join(dir, 'ck.bin'), lr.train, opts);
  t.is(resumed.steps, 25);
  t.deepEqual(resumed.config, { run: 'a' });
  const after = await losses(resumed, lr, 15);
  t.deepEqual([...before, ...after], all);
  const [a, b] = [await whole.read('all'), await resumed.read('all')];
  for (const [k, v] of a) t.deepEqual(b.get(k), v, k);
  await Promise.all([whole.dispose(), resumed.dispose()]);
});

test('checkpoints are written atomically: no temporary file is left and an old one is replaced whole', async (t) => {
  const lr = linreg();
  const dir = scratch();
  const path = join(dir, 'ck.bin');
  writeFileSync(path, 'an older checkpoint');
  const trainer = await Trainer.create(lr.train, { ...opts, seed: 1, config: { note: 'x' } });
  await losses(trainer, lr, 3);
  await trainer.checkpoint(path);
  t.deepEqual(readdirSync(dir), ['ck.bin']);
  const ck = readCheckpoint(path);
  t.is(ck.step, 3);
  t.deepEqual(ck.config, { note: 'x' });
  t.deepEqual(ck.rng, trainer.rng.state());
  t.deepEqual(ck.tensors.map((x) => x.name), ['w1', 'b1', 'w2', 'b2', 'm.w1', 'm.b1', 'm.w2', 'm.b2']);
  t.deepEqual(ck.tensors[0].data, (await trainer.read()).get('w1'));
  await trainer.dispose();
});

test('a damaged or mismatched checkpoint is refused with the reason', async (t) => {
  const dir = scratch();
  writeFileSync(join(dir, 'bad.bin'), 'not a checkpoint at all');
  t.throws(() => readCheckpoint(join(dir, 'bad.bin')), { message: /not a Reverie checkpoint/ });
  const small = await Trainer.create(linreg(4).train, opts);
  await small.checkpoint(join(dir, 'small.bin'));
  await small.dispose();
  await t.throwsAsync(Trainer.resume(join(dir, 'small.bin'), linreg(8).train, opts), { message: /tensor 'w1' is float32\[4,16\] in the checkpoint but float32\[8,16\] in the graph/ });
});

test('the exported inference model loads in a fresh InferenceSession with only the data inputs', async (t) => {
  const lr = linreg();
  const dir = scratch();
  const trainer = await Trainer.create(lr.train, { ...opts, seed: 2 });
  await losses(trainer, lr, 20);
  const path = join(dir, 'policy.onnx');
  await trainer.exportInference(lr.forward, path);
  t.true(existsSync(path));

  const session = await ort.InferenceSession.create(path);
  t.deepEqual(session.inputNames, ['x']);
  const { x } = lr.batch(trainer.rng, 5);
  const baked = (await session.run({ x: new ort.Tensor('float32', x, [5, 8]) })).pred.data as Float32Array;

  // the same forward graph fed the trained parameters as inputs gives the same predictions
  const fwd = await ort.InferenceSession.create(lr.forward.bytes);
  const params = await trainer.read();
  const feeds: Record<string, ort.Tensor> = { x: new ort.Tensor('float32', x, [5, 8]) };
  for (const p of lr.forward.params) feeds[p.name] = new ort.Tensor('float32', params.get(p.name) as Float32Array, p.shape as number[]);
  const fed = (await fwd.run(feeds)).pred.data as Float32Array;
  // constant weights let onnxruntime prepack the MatMuls, which may change the last bit
  for (let i = 0; i < 5; i++) t.true(Math.abs(baked[i] - fed[i]) <= 1e-5 * Math.max(1, Math.abs(fed[i])), `${baked[i]} vs ${fed[i]}`);
  await Promise.all([session.release(), fwd.release(), trainer.dispose()]);
});

test('bad feeds fail with what is wrong and what the graph needs', async (t) => {
  const lr = linreg();
  const trainer = await Trainer.create(lr.train, { device: 'cpu', threads: 1 });
  const { x, y } = lr.batch(trainer.rng, 4);
  await t.throwsAsync(trainer.step({ x, y }), { message: /needs a learning rate/ });
  await t.throwsAsync(trainer.step({ x }, { lr: 0.1 }), { message: /feed 'y' is missing; this graph needs x, y/ });
  await t.throwsAsync(trainer.step({ x, y, z: x }, { lr: 0.1 }), { message: /'z' is not a feed of this graph/ });
  await t.throwsAsync(trainer.step({ x: x.subarray(0, 7), y }, { lr: 0.1 }), { message: /feed 'x': 7 values do not fit shape \[batch,8\]/ });
  t.is(trainer.steps, 0);
  await trainer.dispose();
});
