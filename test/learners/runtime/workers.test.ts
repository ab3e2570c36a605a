import test from 'ava';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Piscina } from 'piscina';
import { DeviceSession, Trainer } from '../../../learners/runtime/index.js';
import { Rng } from '../../../scenarios/random.js';
import * as ort from 'onnxruntime-node';
import { linreg } from './helpers/linreg.js';

// onnxruntime-node has crashed natively when worker threads opened sessions (microsoft/onnxruntime#24486, 1.21)
test('four Piscina workers open inference sessions at once and agree with the main thread', async (t) => {
  const lr = linreg();
  const trainer = await Trainer.create(lr.train, { device: 'cpu', threads: 1, seed: 8, lr: 0.02 });
  for (let i = 0; i < 10; i++) await trainer.step(lr.batch(trainer.rng, 32));
  const model = join(mkdtempSync(join(tmpdir(), 'reverie-workers-')), 'policy.onnx');
  await trainer.exportInference(lr.forward, model);
  await trainer.dispose();

  const { x } = lr.batch(Rng.from(1), 6);
  const main = await DeviceSession.open(model, { device: 'cpu', threads: 1 });
  const expected = Array.from((await main.run({ x: new ort.Tensor('float32', x, [6, 8]) })).pred.data as Float32Array);
  await main.dispose();

  const pool = new Piscina({ filename: new URL('./fixtures/infer-worker.js', import.meta.url).href, minThreads: 4, maxThreads: 4 });
  try {
    const results = await Promise.all(Array.from({ length: 12 }, () => pool.run({ model, x, n: 6, d: 8 })));
    t.true(new Set(results.map((r) => r.threadId)).size >= 2, 'tasks ran on more than one worker');
    for (const r of results) t.deepEqual(r.pred, expected);
  } finally {
    await pool.destroy();
  }
});
