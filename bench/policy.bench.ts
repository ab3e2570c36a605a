// Policy evaluation benchmark (issue 5), one JSON object per line on stdout, progress on stderr:
//   policy-eval      agent decisions/s of an ONNX checkpoint policy played by 2 Piscina workers, with its
//                    decisions batched across K = 64 live episodes per worker (one forward per tick) and
//                    with K = 1 (one `act`, so one forward, per decision); the same for the scripted
//                    heuristic (the runtime's own cost per decision, no model)
//   policy-ratio     batched / per-decision decisions/s (target ≥ 5 with 2 workers)
//   policy-forward   the limit: raw onnxruntime rows/s of the same model on the main thread at B = 1 and B = 64
// The model is an MLP (encoder size → 128 → 128 → actions), the size BC/ILQL train, with seeded random
// weights (speed does not depend on training). Environment: REVERIE_BENCH_QUICK=1 for a short run;
// REVERIE_BENCH_SCENARIOS=travel-agent,teacher (default all built-ins); REVERIE_BENCH_ENCODERS=structured,text;
// REVERIE_BENCH_ROUNDS (default 3) interleaved rounds per K after a warm-up pass, the best kept.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { makeContext } from '../actors/context.js';
import type { Observation } from '../actors/acts.js';
import { policyByName } from '../actors/policies/index.js';
import { runEpisodes } from '../actors/run.js';
import { deriveSeed } from '../scenarios/random.js';
import { builtinIds, getScenario } from '../scenarios/registry.js';
import type { Scenario } from '../scenarios/schema.js';
import { RolloutPool } from '../environments/rollout/pool.js';
import { makeEncoder, type EncoderKind } from '../environments/encoding/index.js';
import { compileForward } from '../learners/graph/index.js';
import { mlp } from '../learners/models/index.js';
import { POLICY_MODULE_URL, writePolicyCheckpoint } from '../learners/policies/index.js';
import { bakeParameters, DeviceSession } from '../learners/runtime/index.js';

const quick = process.env.REVERIE_BENCH_QUICK === '1';
const WORKERS = 2;
const emit = (o: Record<string, unknown>) => process.stdout.write(JSON.stringify(o) + '\n');
const note = (s: string) => process.stderr.write(s + '\n');
const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;
const list = (v: string | undefined, dflt: string[]) => (v ? v.split(',').map((s) => s.trim()).filter(Boolean) : dflt);

const ROUNDS = quick ? 1 : Number(process.env.REVERIE_BENCH_ROUNDS ?? 3);

/** One timed pass: decisions/s of `episodes` episodes through the pool (tasks of 4K episodes: a worker keeps K alive for most of a task). */
async function pass(pool: RolloutPool, runSeed: number, episodes: number): Promise<{ seconds: number; decisions: number }> {
  let decisions = 0;
  const t0 = performance.now();
  for await (const c of pool.run({ runSeed, end: episodes, taskSize: Math.max(32, 4 * pool.concurrency), emit: 'summary' })) for (const s of c.summaries) decisions += s.agentTurns;
  return { seconds: (performance.now() - t0) / 1000, decisions };
}

/**
 * Decisions/s of one policy at each K, side by side: the pools warmed up with a full pass each
 * (threads started, sessions open, code compiled, heaps grown), then interleaved rounds, the
 * best round of each kept (a single short pass measured mostly the warm-up: teacher's heuristic
 * at K = 64 gave 68,000 decisions/s in one pass and 128,000 at steady state).
 */
async function poolRates(scenario: Scenario, policy: string, policyModule: string | undefined, ks: readonly number[], episodesOf: (k: number) => number): Promise<Map<number, { rate: number; decisions: number; seconds: number; episodes: number }>> {
  const pools = ks.map((k) => new RolloutPool({ scenario, policy, policyModule, workers: WORKERS, concurrency: k }));
  const best = new Map<number, { rate: number; decisions: number; seconds: number; episodes: number }>();
  try {
    for (const pool of pools) await pass(pool, 99, episodesOf(pool.concurrency));
    for (let r = 0; r < ROUNDS; r++) {
      for (const pool of pools) {
        const episodes = episodesOf(pool.concurrency);
        const { seconds, decisions } = await pass(pool, r + 1, episodes);
        if (decisions / seconds > (best.get(pool.concurrency)?.rate ?? 0)) best.set(pool.concurrency, { rate: decisions / seconds, decisions, seconds, episodes });
      }
    }
  } finally {
    await Promise.all(pools.map((p) => p.close()));
  }
  return best;
}

async function checkpoint(scenario: Scenario, kind: EncoderKind, dir: string): Promise<{ model: Uint8Array; size: number }> {
  const ctx = makeContext(scenario);
  const enc = makeEncoder(kind, ctx);
  const fwd = compileForward(mlp({ sizes: [enc.size, 128, 128, ctx.actions.length] }), { seed: 7 });
  const model = bakeParameters(fwd.bytes, fwd.params, new Map(fwd.params.map((p) => [p.name, p.init])));
  writePolicyCheckpoint(dir, { algo: 'bench', ctx, encoder: enc, model });
  return { model, size: enc.size };
}

/** Raw onnxruntime rows/s of the model at batch B (1 thread, as the policy runs), features precomputed. */
async function forwardRate(model: Uint8Array, size: number, B: number): Promise<number> {
  const s = await DeviceSession.open(model, { device: 'cpu', threads: 1 });
  try {
    const x = new ort.Tensor('float32', new Float32Array(B * size).fill(0.1), [B, size]);
    for (let i = 0; i < 50; i++) await s.run({ x });
    const rows = quick ? 20_000 : 100_000;
    const t0 = performance.now();
    for (let n = 0; n < rows; n += B) await s.run({ x });
    return rows / ((performance.now() - t0) / 1000);
  } finally {
    await s.dispose();
  }
}

/** µs to encode one observation (main thread), over observations from heuristic episodes. */
function encodeMicros(scenario: Scenario, kind: EncoderKind, obs: readonly Observation[]): number {
  const enc = makeEncoder(kind, makeContext(scenario));
  const x = new Float32Array(enc.size);
  for (const o of obs) enc.encode(o, x);
  const t0 = performance.now();
  let n = 0;
  while (performance.now() - t0 < 300) for (const o of obs) { enc.encode(o, x); n++; }
  return ((performance.now() - t0) * 1000) / n;
}

async function main(): Promise<void> {
  const tmp = await mkdtemp(join(tmpdir(), 'reverie-bench-policy-'));
  try {
    for (const id of list(process.env.REVERIE_BENCH_SCENARIOS, builtinIds())) {
      const scenario = getScenario(id);
      const ctx = makeContext(scenario);
      const h = policyByName('heuristic', ctx);
      const obs: Observation[] = [];
      await runEpisodes(ctx, { ...h, act: (o, r) => { obs.push(...o); return h.act(o, r); } }, Array.from({ length: 50 }, (_, i) => ({ index: i, seed: deriveSeed(3, i), id: `b${i}` })), { concurrency: 8 });
      for (const kind of list(process.env.REVERIE_BENCH_ENCODERS, ['structured', 'text']) as EncoderKind[]) {
        const dir = join(tmp, `${id}-${kind}`);
        const { model, size } = await checkpoint(scenario, kind, dir);
        const rates: Record<string, number> = {};
        for (const [label, policy, module] of [['onnx', dir, POLICY_MODULE_URL], ['heuristic', 'heuristic', undefined]] as const) {
          note(`policy-eval ${id} ${kind} ${label}: K = 64 and K = 1 on ${WORKERS} workers, ${ROUNDS} rounds...`);
          const best = await poolRates(scenario, policy, module, [64, 1], (k) => (quick ? 1 : 4) * (k === 1 ? 300 : 1500));
          for (const [k, r] of best) {
            rates[`${label}-${k}`] = r.rate;
            emit({ bench: 'policy-eval', scenario: id, encoder: kind, obsSize: size, actions: ctx.actions.length, policy: label, workers: WORKERS, concurrency: k, episodes: r.episodes, rounds: ROUNDS, decisions: r.decisions, seconds: round(r.seconds, 3), decisionsPerSecond: Math.round(r.rate) });
          }
        }
        emit({ bench: 'policy-ratio', scenario: id, encoder: kind, workers: WORKERS, batchedOverPerDecision: round(rates['onnx-64'] / rates['onnx-1'], 2), target: 5, heuristicK64OverOnnxK64: round(rates['heuristic-64'] / rates['onnx-64'], 2) });
        const f1 = await forwardRate(model, size, 1);
        const f64 = await forwardRate(model, size, 64);
        emit({ bench: 'policy-forward', scenario: id, encoder: kind, obsSize: size, rowsPerSecondB1: Math.round(f1), rowsPerSecondB64: Math.round(f64), ratio: round(f64 / f1, 2), encodeMicros: round(encodeMicros(scenario, kind, obs), 1) });
      }
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

await main();
