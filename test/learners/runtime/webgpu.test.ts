// WebGPU (on CI: Mesa's software Vulkan, lavapipe). The adapter is probed in a child process when
// this file loads; without one, every test here is registered as skipped with the reason.
import test from 'ava';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { Trainer, probeDevice } from '../../../learners/runtime/index.js';
import { linreg } from './helpers/linreg.js';

const probe = probeDevice('webgpu');
const gpuTest = probe.ok ? test : (title: string, _fn: unknown) => test.skip(`${title} [skipped: no WebGPU adapter: ${probe.reason}]`, () => {});

gpuTest('parameters and optimiser state stay in GPU buffers; only checkpoint, export and read copy them to the host', async (t) => {
  const lr = linreg();
  const trainer = await Trainer.create(lr.train, { device: 'webgpu', seed: 4, lr: 0.02 });
  const stateCount = lr.train.params.length + lr.train.optimiserState.length;
  const allOnGpu = () => t.deepEqual(Object.values(trainer.locations()), Array(stateCount).fill('gpu-buffer'));
  allOnGpu();
  let previous = Object.values((trainer as unknown as { state: Map<string, ort.Tensor> }).state);
  let loss0 = 0;
  for (let i = 0; i < 30; i++) {
    const { metrics } = await trainer.step(lr.batch(trainer.rng, 32));
    if (i === 0) loss0 = metrics.loss;
    allOnGpu();
    t.is(trainer.transfers.toHost, 0, `a value came to the host during step ${i + 1}`);
    // the previous step's GPU tensors were disposed
    t.true(previous.every((p) => p.location === 'none'));
    previous = [...(trainer as unknown as { state: Map<string, ort.Tensor> }).state.values()];
  }
  const { metrics } = await trainer.step(lr.batch(trainer.rng, 32));
  t.true(metrics.loss < loss0 / 5, `loss ${loss0} -> ${metrics.loss}`);

  const dir = mkdtempSync(join(tmpdir(), 'reverie-webgpu-'));
  await trainer.checkpoint(join(dir, 'ck.bin'));
  t.is(trainer.transfers.byReason.checkpoint, stateCount);
  await trainer.exportInference(lr.forward, join(dir, 'policy.onnx'));
  t.is(trainer.transfers.byReason.export, lr.forward.params.length);
  t.is(trainer.transfers.toHost, stateCount + lr.forward.params.length);
  allOnGpu();
  const session = await ort.InferenceSession.create(join(dir, 'policy.onnx'));
  t.deepEqual(session.inputNames, ['x']);
  await session.release();
  await trainer.dispose();
});

gpuTest('CPU and WebGPU give the same losses on the same steps', async (t) => {
  const lr = linreg();
  const run = async (device: 'cpu' | 'webgpu') => {
    const trainer = await Trainer.create(lr.train, { device, seed: 5, lr: 0.02, threads: 1 });
    const out: number[] = [];
    for (let i = 0; i < 25; i++) out.push((await trainer.step(lr.batch(trainer.rng, 64))).metrics.loss);
    const params = await trainer.read();
    await trainer.dispose();
    return { out, params };
  };
  const cpu = await run('cpu');
  const gpu = await run('webgpu');
  for (let i = 0; i < cpu.out.length; i++) t.true(Math.abs(cpu.out[i] - gpu.out[i]) <= 1e-4 * Math.max(1, cpu.out[i]), `step ${i + 1}: cpu ${cpu.out[i]} webgpu ${gpu.out[i]}`);
  const w = cpu.params.get('w1') as Float32Array;
  const g = gpu.params.get('w1') as Float32Array;
  t.true(w.every((v, i) => Math.abs(v - g[i]) < 1e-4), 'parameters after 25 steps differ');
});

gpuTest('a WebGPU checkpoint resumes on CPU', async (t) => {
  const lr = linreg();
  const dir = mkdtempSync(join(tmpdir(), 'reverie-webgpu-'));
  const gpu = await Trainer.create(lr.train, { device: 'webgpu', seed: 6, lr: 0.02 });
  for (let i = 0; i < 5; i++) await gpu.step(lr.batch(gpu.rng, 16));
  await gpu.checkpoint(join(dir, 'ck.bin'));
  const expected = await gpu.read('all');
  const rng = gpu.rng.state();
  await gpu.dispose();
  const cpu = await Trainer.resume(join(dir, 'ck.bin'), lr.train, { device: 'cpu', threads: 1, lr: 0.02 });
  t.is(cpu.steps, 5);
  t.deepEqual(cpu.rng.state(), rng);
  for (const [k, v] of await cpu.read('all')) t.deepEqual(v, expected.get(k), k);
  await cpu.dispose();
});
