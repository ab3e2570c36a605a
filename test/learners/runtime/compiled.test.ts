// The runtime over graphs from the graph compiler (learners/graph, learners/models): small versions
// of the benchmark models, trained on CPU and, when an adapter is there, on WebGPU.
import test from 'ava';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { adam, adamw, compileForward, compileTrainStep, crossEntropyLoss } from '../../../learners/graph/index.js';
import { mlp, transformer } from '../../../learners/models/index.js';
import { Trainer, probeDevice, type FeedValue } from '../../../learners/runtime/index.js';
import { Rng } from '../../../scenarios/random.js';

const probe = probeDevice('webgpu');
const gpuTest = probe.ok ? test : (title: string, _fn: unknown) => test.skip(`${title} [skipped: no WebGPU adapter: ${probe.reason}]`, () => {});

const mlpModel = mlp({ sizes: [16, 32, 32, 4], activation: 'relu' });
const mlpTrain = compileTrainStep(mlpModel, crossEntropyLoss(), adam(), { seed: 3 });
function mlpBatch(rng: Rng): Record<string, FeedValue> {
  const x = Float32Array.from({ length: 32 * 16 }, () => rng.normal());
  const labels = BigInt64Array.from({ length: 32 }, (_, i) => BigInt((x[i * 16] > 0 ? 1 : 0) + (x[i * 16 + 1] > 0 ? 2 : 0)));
  return { x, labels };
}

const gptModel = transformer({ vocab: 16, dModel: 32, heads: 2, layers: 1, dMlp: 64, seq: 8 });
const gptTrain = compileTrainStep(gptModel, crossEntropyLoss({ labels: 'targets' }), adamw({ weightDecay: 0.01 }), { seed: 4 });
function gptBatch(rng: Rng): Record<string, FeedValue> {
  const n = 8 * 8;
  const tokens = new BigInt64Array(n);
  const targets = new BigInt64Array(n);
  for (let b = 0; b < 8; b++) {
    let s = rng.int(16);
    for (let t = 0; t < 8; t++) {
      tokens[b * 8 + t] = BigInt(s);
      s = (3 * s + 1) % 16;
      targets[b * 8 + t] = BigInt(s);
    }
  }
  return { tokens: { data: tokens, dims: [8, 8] }, targets: { data: targets, dims: [8, 8] } };
}

async function losses(graph: typeof mlpTrain, batch: (r: Rng) => Record<string, FeedValue>, device: 'cpu' | 'webgpu', steps: number, lr: number): Promise<number[]> {
  const trainer = await Trainer.create(graph, { device, seed: 11, lr, threads: 1 });
  const out: number[] = [];
  for (let i = 0; i < steps; i++) {
    out.push((await trainer.step(batch(trainer.rng))).metrics.loss);
    if (device === 'webgpu' && Object.values(trainer.locations()).some((l) => l !== 'gpu-buffer')) throw new Error(`step ${i + 1}: a state tensor left the GPU`);
  }
  if (trainer.transfers.toHost !== 0) throw new Error(`${trainer.transfers.toHost} values came to the host during training`);
  await trainer.dispose();
  return out;
}

function close(t: import('ava').ExecutionContext, a: number[], b: number[], tol: number): void {
  for (let i = 0; i < a.length; i++) t.true(Math.abs(a[i] - b[i]) <= tol * Math.max(1, Math.abs(a[i])), `step ${i + 1}: cpu ${a[i]} webgpu ${b[i]}`);
}

test('a compiled MLP train step learns on CPU, and resumes bit-identically', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'reverie-compiled-'));
  const all = await losses(mlpTrain, mlpBatch, 'cpu', 60, 1e-2);
  t.true(all[59] < all[0] / 3, `loss ${all[0]} -> ${all[59]}`);
  const a = await Trainer.create(mlpTrain, { device: 'cpu', seed: 11, lr: 1e-2, threads: 1 });
  for (let i = 0; i < 30; i++) await a.step(mlpBatch(a.rng));
  await a.checkpoint(join(dir, 'ck.bin'));
  await a.dispose();
  const b = await Trainer.resume(join(dir, 'ck.bin'), mlpTrain, { device: 'cpu', lr: 1e-2, threads: 1 });
  const rest: number[] = [];
  for (let i = 0; i < 30; i++) rest.push((await b.step(mlpBatch(b.rng))).metrics.loss);
  t.deepEqual(rest, all.slice(30));
  // export: the forward graph with the trained weights runs in a fresh session
  const bytes = await b.exportInference(compileForward(mlpModel, { seed: 3 }));
  await b.dispose();
  const s = await ort.InferenceSession.create(bytes);
  t.deepEqual(s.inputNames, ['x']);
  const out = await s.run({ x: new ort.Tensor('float32', new Float32Array(16), [1, 16]) });
  t.deepEqual(out.logits.dims, [1, 4]);
  await s.release();
});

gpuTest('a compiled MLP gives the same losses on CPU and WebGPU, with state resident on the GPU', async (t) => {
  close(t, await losses(mlpTrain, mlpBatch, 'cpu', 20, 1e-2), await losses(mlpTrain, mlpBatch, 'webgpu', 20, 1e-2), 1e-4);
});

gpuTest('a compiled causal transformer gives the same losses on CPU and WebGPU', async (t) => {
  const cpu = await losses(gptTrain, gptBatch, 'cpu', 12, 3e-3);
  t.true(cpu[11] < cpu[0], `loss ${cpu[0]} -> ${cpu[11]}`);
  close(t, cpu, await losses(gptTrain, gptBatch, 'webgpu', 12, 3e-3), 1e-3);
});
