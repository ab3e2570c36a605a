// Online RL rollouts (issue 6), one JSON object per line on stdout, progress on stderr:
//   online         agent decisions/s of the experience sources on each built-in scenario: in-process,
//                  central inference (SEED: workers send observations, the main thread runs one
//                  infer for all) and local copies (an onnxruntime session per worker), 1 and 2
//                  workers, K = 32 episodes per worker (batched) and K = 1 (one decision per call);
//                  where the time goes (worker: actors / waiting for logits or running the model /
//                  encode+sample; main thread: infer)
//   online-ratio   2-worker ÷ 1-worker, central ÷ local, K=32 ÷ K=1, SEED max-wait 0 ÷ 1 ms,
//                  2 tick groups per worker ÷ 1 (central, K=32; the groups' waits overlap, so those rows
//                  give summed ms instead of shares)
// Policy: a fixed MLP obs → 256 → 256 → actions (ReLU, random weights), structured encoder.
// Each configuration is warmed up, then rounds are interleaved across configurations and the best
// round of each is kept. REVERIE_BENCH_QUICK=1 for a short smoke run.
import { loadavg } from 'node:os';
import { makeContext } from '../actors/context.js';
import { makeEncoder } from '../environments/encoding/index.js';
import { createInProcessSource, type InProcessSource } from '../environments/online/in-process.js';
import type { PlayStats } from '../environments/online/player.js';
import type { SeedStats } from '../environments/online/seed.js';
import type { EpisodeRequest } from '../environments/online/types.js';
import { createCentralSource, createLocalCopiesSource, type WorkerSource } from '../environments/online/workers.js';
import { deriveSeed } from '../scenarios/random.js';
import { getScenario } from '../scenarios/registry.js';
import { mlpModel, sessionInfer } from '../test/environments/helpers/online-model.js';

const quick = process.env.REVERIE_BENCH_QUICK === '1';
const emit = (o: Record<string, unknown>) => process.stdout.write(JSON.stringify(o) + '\n');
const note = (s: string) => process.stderr.write(s + '\n');
const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

interface Config {
  readonly mode: 'in-process' | 'central' | 'central-nowait' | 'central-pipelined' | 'local';
  readonly workers: number;
  readonly k: number;
  readonly source: InProcessSource | WorkerSource;
  best?: Measure;
}

interface Measure {
  seconds: number;
  decisions: number;
  episodes: number;
  play: PlayStats;
  seed: SeedStats | null;
  loadMs: number;
}

const copy = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;

function diff<T extends object>(after: T, before: T): T {
  const out = {} as Record<string, number>;
  for (const [k, v] of Object.entries(after)) out[k] = k.startsWith('max') ? (v as number) : (v as number) - ((before as Record<string, number>)[k] ?? 0);
  return out as T;
}

async function measure(c: Config, requests: EpisodeRequest[]): Promise<Measure> {
  const src = c.source;
  const playBefore = copy('play' in src.stats ? src.stats.play : src.stats);
  const seedBefore = 'seed' in src.stats && src.stats.seed ? copy(src.stats.seed) : null;
  const loadBefore = 'loadMs' in src.stats ? src.stats.loadMs : 0;
  const t0 = performance.now();
  const trajs = await src.collect(requests);
  const seconds = (performance.now() - t0) / 1000;
  const play = diff('play' in src.stats ? src.stats.play : src.stats, playBefore);
  const seed = seedBefore && 'seed' in src.stats && src.stats.seed ? diff(src.stats.seed, seedBefore) : null;
  return { seconds, decisions: trajs.reduce((s, t) => s + t.length, 0), episodes: trajs.length, play, seed, loadMs: ('loadMs' in src.stats ? src.stats.loadMs : 0) - loadBefore };
}

function requestsFor(n: number, base: number): EpisodeRequest[] {
  return Array.from({ length: n }, (_, i) => ({ seed: deriveSeed(base, i), actionSeed: deriveSeed(base + 1, i) }));
}

async function bench(id: string): Promise<void> {
  const scenario = getScenario(id);
  const ctx = makeContext(scenario);
  const obsSize = makeEncoder('structured', ctx).size;
  const numActions = ctx.actions.length;
  const model = mlpModel(obsSize, numActions, { hidden: [256, 256], seed: 1 });
  const learner = await sessionInfer(model, 1);
  const base = { scenario, encoder: 'structured' as const };
  const configs: Config[] = [];
  for (const k of [32, 1]) {
    configs.push({ mode: 'in-process', workers: 0, k, source: createInProcessSource({ ...base, concurrency: k }, learner.infer) });
    for (const workers of [1, 2]) {
      configs.push({ mode: 'central', workers, k, source: createCentralSource({ ...base, concurrency: k, workers }, learner.infer) });
      const local = createLocalCopiesSource({ ...base, concurrency: k, workers });
      await local.publish(1, model);
      configs.push({ mode: 'local', workers, k, source: local });
    }
    // SEED's max-wait: 0 flushes on the next macrotask instead of waiting up to 1 ms for the other worker
    configs.push({ mode: 'central-nowait', workers: 2, k, source: createCentralSource({ ...base, concurrency: k, workers: 2, maxWaitMs: 0 }, learner.infer) });
    // two tick groups of K/2 per worker: one steps while the other waits for logits
    if (k > 1) for (const workers of [1, 2]) configs.push({ mode: 'central-pipelined', workers, k, source: createCentralSource({ ...base, concurrency: k, workers, maxWaitMs: 0, pipelines: 2 }, learner.infer) });
  }
  const episodes = (k: number) => (k === 1 ? (quick ? 16 : 48) : quick ? 128 : 512);
  const rounds = quick ? 1 : 3;
  for (const c of configs) await c.source.collect(requestsFor(Math.min(8, episodes(c.k)), 999)); // warm-up: threads, sessions, JIT
  for (let r = 0; r < rounds; r++) {
    for (const c of configs) {
      const m = await measure(c, requestsFor(episodes(c.k), 1000 + r));
      if (!c.best || m.decisions / m.seconds > c.best.decisions / c.best.seconds) c.best = m;
      note(`${id} round ${r} ${c.mode} w${c.workers} K${c.k}: ${round(m.decisions / m.seconds, 0)} decisions/s`);
    }
  }
  const dps = (c: Config) => c.best!.decisions / c.best!.seconds;
  for (const c of configs) {
    const m = c.best!;
    const p = m.play;
    const actorsMs = p.wallMs - p.forwardMs - p.policyMs;
    emit({
      bench: 'online', scenario: id, mode: c.mode, workers: c.workers, K: c.k, episodes: m.episodes, decisions: m.decisions,
      seconds: round(m.seconds, 3), decisionsPerSec: round(dps(c), 0), decisionsPerForward: round(p.decisions / Math.max(1, p.forwards), 1),
      // worker (or in-process) thread time, summed over workers
      // with 2 tick groups the groups' times overlap: no shares of the wall time
      threadMs: round(p.wallMs), ...(c.mode === 'central-pipelined' ? { forwardMs: round(p.forwardMs), policyMs: round(p.policyMs) } : { actorsShare: round(actorsMs / p.wallMs, 3), forwardShare: round(p.forwardMs / p.wallMs, 3), policyShare: round(p.policyMs / p.wallMs, 3) }),
      forwardIs: c.mode.startsWith('central') ? 'waiting for logits from the main thread' : 'running the model',
      ...(m.seed ? { mainInferMs: round(m.seed.inferMs), inferCalls: m.seed.calls, rowsPerInfer: round(m.seed.rows / Math.max(1, m.seed.calls), 1), mergedCalls: m.seed.merged, timedOutFlushes: m.seed.timedOut } : {}),
      ...(m.loadMs ? { modelLoadMs: round(m.loadMs) } : {}),
      loadavg: round(loadavg()[0], 2),
    });
  }
  const find = (mode: Config['mode'], workers: number, k: number) => configs.find((c) => c.mode === mode && c.workers === workers && c.k === k)!;
  for (const k of [32, 1]) {
    for (const mode of ['central', 'local'] as const) emit({ bench: 'online-ratio', scenario: id, what: `${mode} K=${k}: 2 workers ÷ 1 worker`, ratio: round(dps(find(mode, 2, k)) / dps(find(mode, 1, k)), 2) });
    for (const w of [1, 2]) emit({ bench: 'online-ratio', scenario: id, what: `${w} worker(s) K=${k}: central ÷ local`, ratio: round(dps(find('central', w, k)) / dps(find('local', w, k)), 2) });
    emit({ bench: 'online-ratio', scenario: id, what: `central 2 workers K=${k}: maxWait 0 ÷ maxWait 1 ms`, ratio: round(dps(find('central-nowait', 2, k)) / dps(find('central', 2, k)), 2) });
  }
  for (const w of [1, 2]) emit({ bench: 'online-ratio', scenario: id, what: `central ${w} worker(s) K=32: 2 tick groups (max-wait 0) ÷ 1`, ratio: round(dps(find('central-pipelined', w, 32)) / dps(find('central', w, 32)), 2) });
  for (const mode of ['central', 'local'] as const) for (const w of [1, 2]) emit({ bench: 'online-ratio', scenario: id, what: `${mode} ${w} worker(s): K=32 ÷ K=1`, ratio: round(dps(find(mode, w, 32)) / dps(find(mode, w, 1)), 1) });
  for (const c of configs) await c.source.close();
  await learner.release();
}

note(`load average ${loadavg().map((x) => round(x, 2)).join(' ')}`);
for (const id of ['twenty-questions', 'travel-agent', 'teacher']) await bench(id);
