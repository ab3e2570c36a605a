// Reasoning (issue 7): batched greedy decoding tokens/s of a trained reasoner, Reverie (onnxruntime,
// learners/reasoning/decode.ts) side by side with PyTorch (bench/peers/torch_decode.py, Debian's
// python3-torch) on the SAME weights (exported from policy.onnx's initializers), the same prompts and
// the same batch, with and without a KV cache, in one run. PyTorch's logits are checked against
// Reverie's first (max abs diff printed), and the tokens both decode are compared.
//
//   npm run bench -- reasoning-decode                         trains a small reasoner first (1-2 min)
//   REVERIE_BENCH_REASONER=/tmp/rsft/full2 npm run bench -- reasoning-decode
//   node dist/bench/reasoning-decode.bench.js --dir DIR --batches 1,16,128 --threads 2 --min-tokens 2000
//
// One JSON line per (batch, kvCache): Reverie's and PyTorch's tokens/s and the ratio Reverie ÷ PyTorch.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import onnxProto from 'onnx-proto';
import { decode, decodeCached, type DecodeStats } from '../learners/reasoning/decode.js';
import { evalProblems } from '../learners/reasoning/evaluate.js';
import { openReasoner, runSft } from '../learners/reasoning/sft.js';

const { onnx } = onnxProto;
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const PYTHON = process.env.REVERIE_BENCH_PYTHON ?? '/usr/bin/python3';

const { values: a } = parseArgs({
  options: {
    dir: { type: 'string', default: process.env.REVERIE_BENCH_REASONER },
    level: { type: 'string', default: '1' },
    batches: { type: 'string', default: '1,16,128' },
    threads: { type: 'string', default: '2' },
    'min-tokens': { type: 'string', default: '2000' },
  },
});
const threads = Number(a.threads);
const scratch = mkdtempSync(join(tmpdir(), 'reverie-decode-bench-'));
const log = (s: string) => process.stderr.write(s + '\n');

/**
 * Debian's OpenBLAS (pthreads) unpacked beside the train bench's copy: python3-torch with Debian's
 * reference BLAS is many times slower, and OpenBLAS is what a PyTorch user would run. Null when it
 * cannot be had (then PyTorch runs on the reference BLAS, and the line says so).
 */
function openblasDir(): string | null {
  const scratch = join(tmpdir(), 'reverie-bench-openblas');
  const dir = join(scratch, 'root', 'usr', 'lib', 'x86_64-linux-gnu', 'openblas-pthread');
  if (existsSync(join(dir, 'libblas.so.3'))) return dir;
  mkdirSync(scratch, { recursive: true });
  log('# fetching libopenblas0-pthread with apt-get download (once)');
  if (spawnSync('apt-get', ['download', 'libopenblas0-pthread'], { cwd: scratch }).status !== 0) return null;
  const deb = readdirSync(scratch).find((f) => f.startsWith('libopenblas0-pthread_') && f.endsWith('.deb'));
  if (!deb || spawnSync('dpkg-deb', ['-x', join(scratch, deb), join(scratch, 'root')]).status !== 0) return null;
  return existsSync(join(dir, 'libblas.so.3')) ? dir : null;
}

try {
  let dir = a.dir;
  if (!dir) {
    dir = join(scratch, 'reasoner');
    log(`# training a reasoner for the benchmark (addition level 1, 150 steps of 16, context 128) in ${dir}; pass --dir or REVERIE_BENCH_REASONER to use one`);
    await runSft({ scenario: 'addition', out: dir, policy: { dModel: 128, heads: 4, layers: 2, seq: 128 }, steps: 150, batchSize: 16, lr: 2e-3, warmup: 20, threads, logEvery: 50 });
  }
  const reasoner = await openReasoner(dir, { threads });
  const { task, spec } = reasoner;
  const seq = spec.contextLength;
  const { eos, pad } = task.tokenizer;

  // The weights, as policy.onnx holds them: one float32 file plus names, shapes and offsets.
  const model = onnx.ModelProto.decode(readFileSync(join(dir, spec.model)));
  const tensors: Record<string, { shape: number[]; offset: number }> = {};
  const parts: Buffer[] = [];
  let offset = 0;
  for (const t of model.graph?.initializer ?? []) {
    if (t.dataType !== onnx.TensorProto.DataType.FLOAT || !t.rawData || !t.name) continue;
    const shape = (t.dims ?? []).map(Number);
    if (!/^(wte|wpe|head|lnf|h\d+)\b/.test(t.name)) continue;
    tensors[t.name] = { shape, offset };
    parts.push(Buffer.from(t.rawData.buffer, t.rawData.byteOffset, t.rawData.byteLength));
    offset += t.rawData.byteLength / 4;
  }
  writeFileSync(join(scratch, 'weights.bin'), Buffer.concat(parts));
  writeFileSync(join(scratch, 'weights.json'), JSON.stringify({ config: { ...spec.policy, vocab: spec.vocab.length }, tensors, bin: 'weights.bin' }));

  // Reverie's logits on a few prompts (the check the peer repeats).
  const check = evalProblems(task, Number(a.level), 4, 99).map((p) => [...p.problem.prompt]);
  const checkLogits: number[][][] = [];
  for (const ids of check) {
    const tokens = new BigInt64Array(seq).fill(BigInt(pad));
    ids.forEach((t, k) => (tokens[k] = BigInt(t)));
    const out = await reasoner.session.run({ tokens: new ort.Tensor('int64', tokens, [1, seq]) }, ['logits']);
    const logits = out.logits.data as Float32Array;
    const vocab = logits.length / seq;
    checkLogits.push(ids.map((_, k) => Array.from(logits.subarray(k * vocab, (k + 1) * vocab))));
  }

  // PyTorch in its own process, on the same prompts (one call per configuration, right after Reverie's).
  const probe = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
  const missing = probe.status === 0 ? undefined : `python3-torch is not importable by ${PYTHON} (install it with: apt-get install python3-torch)`;
  const blas = missing ? null : openblasDir();
  const env = {
    ...process.env, OMP_NUM_THREADS: String(threads), GOMP_SPINCOUNT: '0',
    ...(blas ? { LD_LIBRARY_PATH: [blas, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':'), OPENBLAS_NUM_THREADS: String(threads) } : {}),
  };
  let checkLine: Record<string, unknown> = missing ? { peer: 'pytorch', skipped: missing } : { blas: blas ? 'openblas-pthread' : 'reference (Debian default)' };
  type PeerRow = { check?: string; batch: number; kvCache: number; tokens: number; tokensPerSecond: number; completions: number[][] };
  const torch = (run: { batch: number; kvCache: number; rounds: number[][][] }): PeerRow | undefined => {
    if (missing) return undefined;
    writeFileSync(join(scratch, 'prompts.json'), JSON.stringify({ eos, pad, check, checkLogits, runs: [run] }));
    const r = spawnSync(PYTHON, [join(root, 'bench', 'peers', 'torch_decode.py'), '--weights', join(scratch, 'weights.json'), '--prompts', join(scratch, 'prompts.json'), '--threads', String(threads)], { encoding: 'utf8', maxBuffer: 1 << 28, env });
    if (r.status !== 0) throw new Error(`torch_decode.py failed: ${r.stderr.split('\n').slice(-5).join('\n')}`);
    let row: PeerRow | undefined;
    for (const line of r.stdout.trim().split('\n')) {
      const o = JSON.parse(line) as PeerRow;
      if (o.check) checkLine = { ...o, ...checkLine };
      else row = o;
    }
    return row;
  };

  const options = { seq, eos, pad, temperature: 0 };
  const warm = evalProblems(task, Number(a.level), 1, 500).map((p) => p.problem.prompt);
  const rate = (st: DecodeStats) => ({ tokensPerSecond: st.tokens / st.seconds, msPerRun: (1000 * st.seconds) / st.runs });
  const r2 = (x: number) => Math.round(x * 100) / 100;

  // Per configuration, one after another: Reverie on rounds of `batch` fresh prompts until
  // min-tokens are generated, then PyTorch on the same rounds.
  const lines: Record<string, unknown>[] = [];
  for (const batch of a.batches.split(',').map(Number)) for (const kv of [0, 1]) {
    const stats: DecodeStats = { runs: 0, tokens: 0, seconds: 0 };
    const rounds: number[][][] = [];
    const completions: number[][] = [];
    if (kv && reasoner.kv) await decodeCached(reasoner.kv.session, reasoner.kv.cache, warm, options);
    else await decode(reasoner.session, warm, options);
    while (stats.tokens < Number(a['min-tokens'])) {
      const prompts = evalProblems(task, Number(a.level), batch, 1000 + rounds.length).map((p) => [...p.problem.prompt]);
      rounds.push(prompts);
      const out = kv && reasoner.kv ? await decodeCached(reasoner.kv.session, reasoner.kv.cache, prompts, options, stats) : await decode(reasoner.session, prompts, options, stats);
      completions.push(...out.map((d) => d.completion));
    }
    const rev = rate(stats);
    log(`# reverie batch ${batch} kv ${kv}: ${Math.round(rev.tokensPerSecond)} tokens/s`);
    const p = torch({ batch, kvCache: kv, rounds });
    if (p) log(`# pytorch batch ${batch} kv ${kv}: ${Math.round(p.tokensPerSecond)} tokens/s`);
    lines.push({
      bench: 'reasoning-decode', batch, kvCache: kv === 1, tokens: stats.tokens,
      reverieTokensPerSecond: Math.round(rev.tokensPerSecond), reverieMsPerRun: r2(rev.msPerRun),
      ...(p ? { pytorchTokensPerSecond: Math.round(p.tokensPerSecond), ratio: r2(rev.tokensPerSecond / p.tokensPerSecond), sameTokens: JSON.stringify(p.completions) === JSON.stringify(completions) } : {}),
    });
  }
  await reasoner.dispose();
  const load = loadavg().map((x) => r2(x));
  console.log(JSON.stringify({ bench: 'reasoning-decode', ...checkLine, model: spec.policy, contextLength: seq, threads, loadavg: load }));
  for (const l of lines) console.log(JSON.stringify(l));
} finally {
  if (existsSync(scratch)) rmSync(scratch, { recursive: true, force: true });
}
