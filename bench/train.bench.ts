// Learner core benchmark (issue 4): training steps/s of Reverie's compiled ONNX train step against
// PyTorch (reference BLAS as Debian installs it, and Debian's OpenBLAS) and TensorFlow.js (cpu, wasm),
// side by side in one run, plus achieved GFLOP/s against onnxruntime's own MatMul GFLOP/s (the limit).
//
//   npm run bench -- train                      all workloads and peers
//   REVERIE_BENCH_WORKLOADS=mlp-bc REVERIE_BENCH_PEERS=reverie,pytorch-openblas npm run bench -- train
//   REVERIE_BENCH_QUICK=1 ...                   a smoke run (short blocks), not a measurement
//   REVERIE_BENCH_PROFILE=dir ...               also writes onnxruntime profiles of Reverie's steps and
//                                               prints the nodes that dominate
//
// Each contestant runs in its own process, one after another, with 2 threads. One JSON line per
// workload and contestant on stdout; progress on stderr.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import onnxProto from 'onnx-proto';
import { DeviceSession, Trainer } from '../learners/runtime/index.js';
import type { CompiledGraph } from '../learners/graph/compiled.js';
import { Rng } from '../scenarios/random.js';
import { median, timeSteps, timingOptions, type Timing } from './peers/timing.js';
import { buildWorkload, type Source } from './peers/reverie_workloads.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const THREADS = 2;

export const WORKLOADS = ['mlp-bc', 'tiny-gpt'] as const;
export type Workload = (typeof WORKLOADS)[number];
const PEERS = ['reverie', 'onnx-hand', 'pytorch-reference', 'pytorch-openblas', 'tfjs-cpu', 'tfjs-wasm'] as const;
type Peer = (typeof PEERS)[number];

/**
 * Matrix-multiply FLOPs of one training step (forward + backward, 2·m·n·k per MatMul; the input
 * gradient of the first layer is not needed and not counted). W1: 146.8 MFLOP, W2: 5,335 MFLOP.
 */
export function flopsPerStep(w: Workload): number {
  if (w === 'mlp-bc') {
    const [B, dims] = [256, [128, 256, 256, 32]];
    let fwd = 0;
    for (let i = 0; i + 1 < dims.length; i++) fwd += 2 * B * dims[i] * dims[i + 1];
    return 3 * fwd - 2 * B * dims[0] * dims[1];
  }
  const [B, T, D, L, M, V] = [32, 64, 128, 2, 512, 64];
  const N = B * T;
  const perLayer = 2 * N * D * 3 * D + 2 * N * D * D + 2 * 2 * N * D * M + 2 * 2 * B * T * T * D;
  return 3 * (L * perLayer + 2 * N * D * V);
}

// ---------------------------------------------------------------------------------------------
// contestants, each in a child process

function log(msg: string): void {
  process.stderr.write(`${msg}\n`);
}

type Result = ({ available: true } & Timing & Record<string, unknown>) | { available: false; reason: string };

function runChild(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): Result {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 20 * 60_000, maxBuffer: 1 << 24 });
  const line = (r.stdout ?? '').trim().split('\n').filter((l) => l.startsWith('{')).pop();
  if (r.status !== 0 || !line) {
    const lines = (r.stderr || `exit ${r.status}`).trim().split('\n');
    const why = r.error?.message ?? (lines.find((l) => /Error\b/.test(l)) ?? lines.slice(-3).join(' | '));
    return { available: false, reason: `${cmd} ${args.join(' ')} failed: ${why}`.slice(0, 600) };
  }
  return { available: true, ...(JSON.parse(line) as Timing & Record<string, unknown>) };
}

const PYTHON = process.env.REVERIE_BENCH_PYTHON ?? '/usr/bin/python3'; // Debian's python, whose python3-torch the bench installs

function sh(cmd: string, args: string[], cwd?: string): { ok: boolean; out: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', cwd, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, timeout: 30 * 60_000 });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error?.message ?? ''}`.trim() };
}

/** Debian's python3-torch, installed with apt when missing (as root); a reason when it cannot be had. */
function ensureTorch(): string | undefined {
  const probe = () => sh(PYTHON, ['-c', 'import torch']);
  if (probe().ok) return undefined;
  if (process.getuid?.() !== 0) return `python3-torch is not installed and the bench is not root; install it with: apt-get install python3-torch`;
  log('# installing python3-torch with apt-get (once)');
  let r = sh('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'python3-torch']);
  if (!r.ok) {
    sh('apt-get', ['update', '-qq']);
    r = sh('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'python3-torch']);
  }
  if (!r.ok) return `could not install python3-torch with apt-get: ${r.out.split('\n').slice(-2).join(' | ')}`;
  const p = probe();
  if (!p.ok) return `python3-torch is installed but ${PYTHON} cannot import torch: ${p.out.split('\n').slice(-1)[0]}`;
  return undefined;
}

/** Debian's OpenBLAS (pthreads build) unpacked into a scratch folder; the folder to put first on LD_LIBRARY_PATH. */
function ensureOpenblas(): { dir: string } | { reason: string } {
  const scratch = join(tmpdir(), 'reverie-bench-openblas');
  const dir = join(scratch, 'root', 'usr', 'lib', 'x86_64-linux-gnu', 'openblas-pthread');
  if (existsSync(join(dir, 'libblas.so.3'))) return { dir };
  mkdirSync(scratch, { recursive: true });
  log('# fetching libopenblas0-pthread with apt-get download (once)');
  let r = sh('apt-get', ['download', 'libopenblas0-pthread'], scratch);
  if (!r.ok) return { reason: `apt-get download libopenblas0-pthread failed: ${r.out.split('\n').slice(-2).join(' | ')}` };
  const deb = readdirSync(scratch).find((f) => f.startsWith('libopenblas0-pthread_') && f.endsWith('.deb'));
  if (!deb) return { reason: 'apt-get download left no libopenblas0-pthread .deb' };
  r = sh('dpkg-deb', ['-x', join(scratch, deb), join(scratch, 'root')]);
  if (!r.ok || !existsSync(join(dir, 'libblas.so.3'))) return { reason: `dpkg-deb -x ${deb} failed: ${r.out}` };
  return { dir };
}

function torchArgs(w: Workload): string[] {
  const o = timingOptions();
  return [join(root, 'bench', 'peers', 'torch_train.py'), '--workload', w, '--threads', String(THREADS),
    '--warmup', String(o.warmup), '--warmup-seconds', String(o.warmupSeconds), '--block-steps', String(o.blockSteps),
    '--block-seconds', String(o.blockSeconds), '--blocks', String(o.blocks)];
}

function runPeer(peer: Peer, w: Workload, torchMissing: string | undefined, openblas: ReturnType<typeof ensureOpenblas> | undefined): Result {
  switch (peer) {
    case 'reverie':
      return runChild(process.execPath, [fileURLToPath(import.meta.url), '--child', w, 'compiled']);
    case 'onnx-hand':
      if (w !== 'mlp-bc') return { available: false, reason: 'only W1 has a hand-built graph' };
      return runChild(process.execPath, [fileURLToPath(import.meta.url), '--child', w, 'hand']);
    case 'pytorch-reference':
      if (torchMissing) return { available: false, reason: torchMissing };
      return runChild(PYTHON, torchArgs(w), { OMP_NUM_THREADS: String(THREADS) });
    case 'pytorch-openblas':
      if (torchMissing) return { available: false, reason: torchMissing };
      if (!openblas || 'reason' in openblas) return { available: false, reason: openblas?.reason ?? 'no OpenBLAS' };
      return runChild(PYTHON, torchArgs(w), {
        LD_LIBRARY_PATH: [openblas.dir, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':'),
        GOMP_SPINCOUNT: '0',
        OPENBLAS_NUM_THREADS: String(THREADS),
        OMP_NUM_THREADS: String(THREADS),
      });
    case 'tfjs-cpu':
    case 'tfjs-wasm':
      return runChild(process.execPath, [join(here, 'peers', 'tfjs_train.js'), w, peer.slice(5)]);
  }
}

// ---------------------------------------------------------------------------------------------
// the limit: onnxruntime's own MatMul

/** GFLOP/s of one onnxruntime fp32 MatMul n×n×n with THREADS intra-op threads (median of 15 runs). */
async function matmulGflops(n = 1024): Promise<number> {
  const { onnx } = onnxProto;
  const F = onnx.TensorProto.DataType.FLOAT;
  const vi = (name: string) => onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType: F, shape: { dim: [{ dimValue: n }, { dimValue: n }] } } } });
  const graph = onnx.GraphProto.create({ name: 'mm', input: [vi('a'), vi('b')], output: [vi('c')], node: [onnx.NodeProto.create({ opType: 'MatMul', input: ['a', 'b'], output: ['c'] })] });
  const bytes = onnx.ModelProto.encode(onnx.ModelProto.create({ irVersion: 8, opsetImport: [{ domain: '', version: 17 }], graph })).finish();
  const s = await DeviceSession.open(bytes, { device: 'cpu', threads: THREADS });
  const rng = Rng.from(7);
  const data = () => new ort.Tensor('float32', Float32Array.from({ length: n * n }, () => rng.uniform(-1, 1)), [n, n]);
  const feeds = { a: data(), b: data() };
  for (let i = 0; i < 5; i++) await s.run(feeds);
  const rates: number[] = [];
  for (let i = 0; i < 15; i++) {
    const t = performance.now();
    await s.run(feeds);
    rates.push((2 * n * n * n) / ((performance.now() - t) / 1000) / 1e9);
  }
  await s.dispose();
  return median(rates);
}

// ---------------------------------------------------------------------------------------------
// Reverie's own contestant (child mode)

async function reverieChild(w: Workload, source: Source): Promise<void> {
  const { train, batches, lr } = await buildWorkload(w, 1234, source);
  const profileDir = process.env.REVERIE_BENCH_PROFILE;
  if (profileDir) mkdirSync(profileDir, { recursive: true });
  const session = JSON.parse(process.env.REVERIE_BENCH_ORT ?? '{}') as Record<string, unknown>;
  const trainer = await Trainer.create(train, {
    threads: THREADS,
    seed: 1,
    lr,
    ...session,
    ...(profileDir ? { profilePrefix: join(profileDir, `${source}-${w}`) } : {}),
  });
  const lossName = train.metrics[0]?.name ?? 'loss';
  const t0 = performance.now();
  const timing = await timeSteps(async (i) => (await trainer.step(batches[i % batches.length])).metrics[lossName], timingOptions());
  const elapsed = (performance.now() - t0) / 1000;
  if (profileDir) {
    trainer.endProfiling();
    const file = readdirSync(profileDir).filter((f) => f.startsWith(`${source}-${w}`) && f.endsWith('.json')).sort().pop();
    if (file) log(summariseProfile(join(profileDir, file), timing.steps, elapsed));
  }
  const info = { device: trainer.device, threads: THREADS, params: train.params.length, stateTensors: train.params.length + train.optimiserState.length, nodes: nodeCount(train) };
  await trainer.dispose();
  console.log(JSON.stringify({ ...timing, ...info }));
}

function nodeCount(g: CompiledGraph): number {
  return onnxProto.onnx.ModelProto.decode(g.bytes).graph?.node?.length ?? 0;
}

interface TraceEvent {
  cat: string;
  name: string;
  dur: number;
  args?: { op_name?: string };
}

/** Which operators and nodes take the time, and how much of a step is outside the kernels. */
function summariseProfile(file: string, steps: number, elapsedSec: number): string {
  const events = JSON.parse(readFileSync(file, 'utf8')) as TraceEvent[];
  const kernels = events.filter((e) => e.cat === 'Node' && e.name.endsWith('_kernel_time'));
  const runs = events.filter((e) => e.cat === 'Session' && e.name === 'model_run');
  const byOp = new Map<string, number>();
  const byNode = new Map<string, number>();
  let kernelUs = 0;
  for (const e of kernels) {
    const op = e.args?.op_name ?? '?';
    byOp.set(op, (byOp.get(op) ?? 0) + e.dur);
    const node = `${e.name.replace(/_kernel_time$/, '')} (${op})`;
    byNode.set(node, (byNode.get(node) ?? 0) + e.dur);
    kernelUs += e.dur;
  }
  const runUs = runs.reduce((a, e) => a + e.dur, 0);
  const perRun = (us: number) => (us / Math.max(1, runs.length) / 1000).toFixed(3);
  const top = (m: Map<string, number>, k: number) =>
    [...m].sort((a, b) => b[1] - a[1]).slice(0, k).map(([name, us]) => `  ${((100 * us) / kernelUs).toFixed(1).padStart(5)}%  ${perRun(us)} ms/step  ${name}`);
  return [
    `# profile ${file}: ${runs.length} runs of ${steps} steps; wall ${((1000 * elapsedSec) / steps).toFixed(3)} ms/step, ` +
      `model_run ${perRun(runUs)} ms, kernels ${perRun(kernelUs)} ms (outside kernels in run: ${perRun(runUs - kernelUs)} ms)`,
    '# by operator:',
    ...top(byOp, 12),
    '# by node:',
    ...top(byNode, 15),
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// the run

function selected<T extends string>(all: readonly T[], env: string | undefined): T[] {
  if (!env) return [...all];
  const want = env.split(',').map((s) => s.trim());
  const bad = want.filter((x) => !all.includes(x as T));
  if (bad.length) throw new Error(`unknown ${bad.join(', ')}; choose from ${all.join(', ')}`);
  return all.filter((x) => want.includes(x));
}

async function main(): Promise<void> {
  if (process.argv[2] === '--child') return reverieChild(process.argv[3] as Workload, process.argv[4] as Source);
  const workloads = selected(WORKLOADS, process.env.REVERIE_BENCH_WORKLOADS);
  const peers = selected(PEERS, process.env.REVERIE_BENCH_PEERS);
  const usesTorch = peers.some((p) => p.startsWith('pytorch'));
  const torchMissing = usesTorch ? ensureTorch() : undefined;
  const openblas = peers.includes('pytorch-openblas') && !torchMissing ? ensureOpenblas() : undefined;

  log('# onnxruntime MatMul 1024³ (the limit)');
  const limit = await matmulGflops();
  console.log(JSON.stringify({ bench: 'train', what: 'limit', op: 'onnxruntime MatMul fp32 1024x1024x1024', threads: THREADS, gflops: round(limit) }));

  for (const w of workloads) {
    const flops = flopsPerStep(w);
    const results = new Map<Peer, Result>();
    for (const p of peers) {
      log(`# ${w}: ${p}`);
      results.set(p, runPeer(p, w, torchMissing, openblas));
    }
    const ours = results.get('reverie');
    for (const [p, r] of results) {
      const base = { bench: 'train', workload: w, peer: p, mflopPerStep: round(flops / 1e6) };
      if (!r.available) {
        console.log(JSON.stringify({ ...base, available: false, reason: r.reason }));
        continue;
      }
      const gflops = (r.stepsPerSec * flops) / 1e9;
      const { rates, blockSteps, steps, lossFirst, lossLast, stepsPerSec: _s, available: _a, ...extra } = r;
      console.log(
        JSON.stringify({
          ...base,
          stepsPerSec: round(r.stepsPerSec),
          ...(p !== 'reverie' && ours?.available ? { ratio: round(ours.stepsPerSec / r.stepsPerSec) } : {}),
          gflops: round(gflops),
          ofLimit: round(gflops / limit),
          rates,
          blockSteps,
          steps,
          loss: [round(lossFirst), round(lossLast)],
          ...extra,
        }),
      );
    }
  }
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

await main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.stack : e);
  process.exit(1);
});

