// Distributed online RL over gRPC (issue 9), one JSON object per line on stdout, progress on stderr:
//   grpc            agent decisions (= observations through central inference) per second with N =
//                   1, 2, 4 actor processes on 127.0.0.1 (environments/remote, each actor plays K
//                   episodes at once in its main thread and holds one work item) against the
//                   in-process central inference of environments/online (createCentralSource with N
//                   Piscina workers of K episodes each): the same forward, the same batching server
//                   (SeedServer), N threads playing; K = 64 and K = 8; and, at K = 64, both with
//                   the round trip hidden: 2 work items of K/2 per actor (the CLI's default holds 2)
//                   vs 2 tick groups of K/2 per worker (createCentralSource pipelines: 2)
//   grpc-ratio      gRPC ÷ in-process for each N and K; token ÷ plain and TLS ÷ plain (N = 2, K = 64)
//   grpc-bytes      bytes per decision on the wire (a counting TCP proxy between 1 actor and the
//                   learner: HTTP/2 frames, headers, pings, all of it) and the protobuf sizes of the
//                   messages that make them up (inference request / reply, the trajectory's result)
//   grpc-serialise  protobuf encode + decode time of one inference request and reply of K rows
// Where the time goes: the learner's forward (inferMs), its main thread's event-loop utilisation
// (gRPC + batching + the forward) and the process's CPU time.
// Policy: a fixed MLP obs → 256 → 256 → actions (random weights), twenty-questions, structured encoder.
// Each configuration is warmed up, then rounds are interleaved across configurations and the best of
// each is kept (REVERIE_BENCH_WARMUP full-size collects first, default 2; REVERIE_BENCH_ROUNDS, default 3;
// REVERIE_BENCH_EPISODES per collect at K = 64, default 512, in proportion above, a quarter of it at K = 8;
// REVERIE_BENCH_KS, default 64,8). REVERIE_BENCH_QUICK=1 for a short smoke run.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type Server } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import type * as grpc from '@grpc/grpc-js';
import { makeContext } from '../actors/context.js';
import { makeEncoder } from '../environments/encoding/index.js';
import type { SeedStats } from '../environments/online/seed.js';
import type { EpisodeRequest, ExperienceSource, Trajectory } from '../environments/online/types.js';
import { createCentralSource } from '../environments/online/workers.js';
import { createRemoteSource, type RemoteSource } from '../environments/remote/learner.js';
import { toTrajectoryMsg } from '../environments/remote/messages.js';
import { packageDefinition } from '../environments/remote/proto.js';
import { deriveSeed } from '../scenarios/random.js';
import { getScenario } from '../scenarios/registry.js';
import { mlpModel, sessionInfer } from '../test/environments/helpers/online-model.js';

const quick = process.env.REVERIE_BENCH_QUICK === '1';
const emit = (o: Record<string, unknown>) => process.stdout.write(JSON.stringify(o) + '\n');
const note = (s: string) => process.stderr.write(s + '\n');
const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;
const actorScript = fileURLToPath(new URL('./grpc-actor.js', import.meta.url));

type Mode = 'in-process' | 'grpc' | 'grpc-token' | 'grpc-tls' | 'in-process-2groups' | 'grpc-2items';

interface Measure {
  seconds: number;
  decisions: number;
  seed: SeedStats;
  elu: EventLoopUtilization;
  cpuMs: number;
}

interface Config {
  readonly mode: Mode;
  readonly actors: number;
  readonly k: number;
  readonly episodes: number;
  readonly source: ExperienceSource & { readonly stats: { readonly seed?: SeedStats | null } };
  best?: Measure;
  /** decisions/s of every round, for the paired ratios */
  readonly rates: number[];
}

const scenario = getScenario('twenty-questions');
const ctx = makeContext(scenario);
const obsSize = makeEncoder('structured', ctx).size;
const numActions = ctx.actions.length;
const model = mlpModel(obsSize, numActions, { hidden: [256, 256], seed: 1 });
const learner = await sessionInfer(model, 1);
const base = { scenario, encoder: 'structured' as const };
const children: ChildProcess[] = [];
const TOKEN = 'bench-token-0123456789abcdef0123456789abcdef';

function requestsFor(n: number, seed: number): EpisodeRequest[] {
  return Array.from({ length: n }, (_, i) => ({ seed: deriveSeed(seed, i), actionSeed: deriveSeed(seed + 1, i) }));
}

/** Starts `n` actor processes (bench/grpc-actor.ts) against a learner. */
function startActors(connect: string, n: number, k: number, extra: { token?: string; caFile?: string; slots?: number } = {}): void {
  for (let i = 0; i < n; i++) {
    const child = spawn(process.execPath, [actorScript, JSON.stringify({ connect, name: `bench-${i}`, concurrency: k, slots: 1, ...extra })], { stdio: ['ignore', 'ignore', 'inherit'] });
    children.push(child);
  }
}

async function remote(mode: Mode, actors: number, k: number, episodes: number, tls?: { cert: string; key: string; caFile: string }, listen = '127.0.0.1:0'): Promise<RemoteSource> {
  // 2 items: each actor plays two work items of K/2 episodes at once (one steps while the other waits for logits)
  const items = mode === 'grpc-2items' ? 2 : 1;
  const source = await createRemoteSource({
    ...base, concurrency: k / items, listen, chunkSize: Math.ceil(episodes / (items * actors)), maxSlots: items, ...(items > 1 ? { maxWaitMs: 0 } : {}),
    ...(mode === 'grpc-token' ? { token: TOKEN } : {}), ...(tls ? { tls: { cert: tls.cert, key: tls.key } } : {}),
  }, learner.infer);
  await source.publish(1, model);
  startActors(`127.0.0.1:${source.port}`, actors, k / items, { slots: items,  ...(mode === 'grpc-token' ? { token: TOKEN } : {}), ...(tls ? { caFile: tls.caFile } : {}) });
  await source.waitForActors(actors);
  return source;
}

/** A throwaway CA and a server certificate for 127.0.0.1, made with the openssl CLI (null without it). */
function makeCerts(): { dir: string; cert: string; key: string; caFile: string } | null {
  try {
    const dir = mkdtempSync(join(tmpdir(), 'reverie-bench-tls-'));
    const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
    const key = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    ssl('req', '-x509', ...key, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=reverie-bench-ca');
    writeFileSync(join(dir, 'server.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
    ssl('req', ...key, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost');
    ssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '1', '-extfile', 'server.ext');
    const read = (f: string) => readFileSync(join(dir, f), 'utf8');
    return { dir, cert: read('server.pem'), key: read('server.key'), caFile: join(dir, 'ca.pem') };
  } catch (err) {
    note(`TLS rows skipped: ${(err as Error).message}`);
    return null;
  }
}

const copy = <X>(x: X): X => JSON.parse(JSON.stringify(x)) as X;

async function measure(c: Config, requests: EpisodeRequest[]): Promise<Measure & { trajs: Trajectory[] }> {
  const seedBefore = copy(c.source.stats.seed!);
  const elu0 = performance.eventLoopUtilization();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const trajs = await c.source.collect(requests);
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const elu = performance.eventLoopUtilization(elu0);
  const after = c.source.stats.seed!;
  const seed = { calls: after.calls - seedBefore.calls, rows: after.rows - seedBefore.rows, maxRows: after.maxRows, merged: after.merged - seedBefore.merged, timedOut: after.timedOut - seedBefore.timedOut, inferMs: after.inferMs - seedBefore.inferMs };
  return { seconds, decisions: trajs.reduce((s, t) => s + t.length, 0), seed, elu, cpuMs: (cpu.user + cpu.system) / 1000, trajs };
}

/** A TCP proxy that counts the bytes it forwards each way. */
async function countingProxy(target: number): Promise<{ port: number; up: number; down: number; close(): Promise<void> }> {
  const count = { up: 0, down: 0 };
  const server: Server = createServer((down) => {
    const up = createConnection({ host: '127.0.0.1', port: target });
    down.on('data', (d: Buffer) => { count.up += d.length; up.write(d); });
    up.on('data', (d: Buffer) => { count.down += d.length; down.write(d); });
    down.on('close', () => up.destroy());
    up.on('close', () => down.destroy());
    down.on('error', () => down.destroy());
    up.on('error', () => up.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    get up() { return count.up; },
    get down() { return count.down; },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

type Method = grpc.MethodDefinition<unknown, unknown>;
const method = (service: string, name: string) => (packageDefinition()[`reverie.v1.${service}`] as Record<string, Method>)[name];

/** Protobuf encode + decode of one inference request and reply of `rows` rows, µs each (best of 5 × 200). */
function serialiseCost(rows: number): { encodeReqUs: number; decodeReqUs: number; encodeRepUs: number; decodeRepUs: number; reqBytes: number; repBytes: number } {
  const infer = method('Inference', 'Infer');
  const req = { id: 12345, rows, obs: Buffer.from(new Float32Array(rows * obsSize).fill(0.5).buffer) };
  const rep = { id: 12345, logits: Buffer.from(new Float32Array(rows * numActions).fill(-0.25).buffer), policyVersion: 3 };
  const time = (fn: () => unknown) => {
    let best = Infinity;
    for (let r = 0; r < 5; r++) {
      const t0 = performance.now();
      for (let i = 0; i < 200; i++) fn();
      best = Math.min(best, ((performance.now() - t0) * 1000) / 200);
    }
    return best;
  };
  const reqBuf = infer.requestSerialize(req);
  const repBuf = infer.responseSerialize(rep);
  return {
    encodeReqUs: time(() => infer.requestSerialize(req)), decodeReqUs: time(() => infer.requestDeserialize(reqBuf)),
    encodeRepUs: time(() => infer.responseSerialize(rep)), decodeRepUs: time(() => infer.responseDeserialize(repBuf)),
    reqBytes: reqBuf.length, repBytes: repBuf.length,
  };
}

async function main(): Promise<void> {
  note(`load average ${loadavg().map((x) => round(x, 2)).join(' ')}`);
  const ks = (process.env.REVERIE_BENCH_KS ?? '64,8').split(',').map(Number);
  const ns = quick ? [1, 2] : [1, 2, 4];
  const perCollect = Number(process.env.REVERIE_BENCH_EPISODES ?? 512);
  // the same number of ticks per collect at every K ≥ 64
  const episodesFor = (k: number) => (k >= 64 ? ((quick ? 128 : perCollect) * k) / 64 : quick ? 32 : perCollect / 4);
  const configs: Config[] = [];
  for (const k of ks) {
    for (const n of ns) {
      const episodes = episodesFor(k);
      configs.push({ rates: [], mode: 'in-process', actors: n, k, episodes, source: createCentralSource({ ...base, concurrency: k, workers: n, taskSize: Math.ceil(episodes / n) }, learner.infer) });
      configs.push({ rates: [], mode: 'grpc', actors: n, k, episodes, source: await remote('grpc', n, k, episodes) });
      if (k === 64 && n <= 2) {
        // latency hidden the same way on both sides: two tick groups of K/2 per worker / two work items of K/2 per actor
        configs.push({ rates: [], mode: 'in-process-2groups', actors: n, k, episodes, source: createCentralSource({ ...base, concurrency: k, workers: n, taskSize: Math.ceil(episodes / n), pipelines: 2, maxWaitMs: 0 }, learner.infer) });
        configs.push({ rates: [], mode: 'grpc-2items', actors: n, k, episodes, source: await remote('grpc-2items', n, k, episodes) });
      }
    }
  }
  const certs = quick ? null : makeCerts();
  configs.push({ rates: [], mode: 'grpc-token', actors: 2, k: 64, episodes: episodesFor(64), source: await remote('grpc-token', 2, 64, episodesFor(64)) });
  if (certs) configs.push({ rates: [], mode: 'grpc-tls', actors: 2, k: 64, episodes: episodesFor(64), source: await remote('grpc-tls', 2, 64, episodesFor(64), certs) });
  note(`${configs.length} configurations, ${children.length} actor processes; warming up`);
  // warm-up: every process and thread JIT-compiles its own copy of the episode code (rates still climb after one small collect)
  const warmups = quick ? 1 : Number(process.env.REVERIE_BENCH_WARMUP ?? 2);
  for (let w = 0; w < warmups; w++) for (const c of configs) await c.source.collect(requestsFor(quick ? Math.min(2 * c.actors * c.k, c.episodes) : c.episodes, 900 + 2 * w));
  const rounds = quick ? 1 : Number(process.env.REVERIE_BENCH_ROUNDS ?? 3);
  for (let r = 0; r < rounds; r++) {
    for (const c of configs) {
      const m = await measure(c, requestsFor(c.episodes, 1000 + r));
      if (!c.best || m.decisions / m.seconds > c.best.decisions / c.best.seconds) c.best = m;
      c.rates.push(m.decisions / m.seconds);
      note(`round ${r} ${c.mode} N=${c.actors} K=${c.k}: ${round(m.decisions / m.seconds, 0)} decisions/s (load ${round(loadavg()[0], 2)})`);
    }
  }
  const dps = (c: Config) => c.best!.decisions / c.best!.seconds;
  for (const c of configs) {
    const m = c.best!;
    emit({
      bench: 'grpc', scenario: scenario.id, mode: c.mode, actors: c.actors, K: c.k, episodes: c.episodes, decisions: m.decisions, seconds: round(m.seconds, 3),
      decisionsPerSec: round(dps(c), 0), forwards: m.seed.calls, rowsPerForward: round(m.seed.rows / Math.max(1, m.seed.calls), 1), mergedForwards: m.seed.merged,
      // the learner's (bench process's) main thread: forward share of the wall time, event-loop utilisation
      forwardShare: round(m.seed.inferMs / (m.seconds * 1000), 3), mainThreadElu: round(m.elu.utilization, 3),
      // CPU of this process (in-process: includes its worker threads, i.e. the actors; gRPC: the learner only)
      processCpuMs: round(m.cpuMs, 0), loadavg: round(loadavg()[0], 2),
    });
  }
  const find = (mode: Mode, n: number, k: number) => configs.find((c) => c.mode === mode && c.actors === n && c.k === k);
  // the machine's load drifts: the median over rounds of a/b measured back to back is steadier than best ÷ best
  const paired = (a: Config, b: Config) => {
    const r = a.rates.map((x, i) => x / b.rates[i]).sort((x, y) => x - y);
    return round(r.length % 2 ? r[r.length >> 1] : (r[r.length / 2 - 1] + r[r.length / 2]) / 2, 2);
  };
  for (const k of ks) for (const n of ns) emit({ bench: 'grpc-ratio', what: `gRPC ÷ in-process, ${n} actor${n > 1 ? 's' : ''}, K=${k}`, ratio: round(dps(find('grpc', n, k)!) / dps(find('in-process', n, k)!), 2), medianPairedRatio: paired(find('grpc', n, k)!, find('in-process', n, k)!), target: k >= 64 ? 0.8 : null });
  for (const n of ns) {
    const [a, b] = [find('grpc-2items', n, 64), find('in-process-2groups', n, 64)];
    if (a && b) emit({ bench: 'grpc-ratio', what: `gRPC 2 work items ÷ in-process 2 tick groups, ${n} actor${n > 1 ? 's' : ''}, K=64`, ratio: round(dps(a) / dps(b), 2), medianPairedRatio: paired(a, b), target: 0.8 });
  }
  for (const mode of ['grpc-token', 'grpc-tls'] as const) {
    const c = find(mode, 2, 64);
    if (c) emit({ bench: 'grpc-ratio', what: `${mode === 'grpc-token' ? 'token' : 'TLS'} ÷ plain, 2 actors, K=64`, ratio: round(dps(c) / dps(find('grpc', 2, 64)!), 2), medianPairedRatio: paired(c, find('grpc', 2, 64)!) });
  }
  for (const c of configs) await c.source.close();

  // bytes on the wire: 1 actor, K = 64, through a counting proxy
  const episodes = episodesFor(64);
  const inner = await createRemoteSource({ ...base, concurrency: 64, listen: '127.0.0.1:0', chunkSize: episodes, maxSlots: 1 }, learner.infer);
  await inner.publish(1, model);
  const px = await countingProxy(inner.port);
  startActors(`127.0.0.1:${px.port}`, 1, 64);
  await inner.waitForActors(1);
  await inner.collect(requestsFor(8, 999));
  const [up0, down0] = [px.up, px.down];
  const m = await measure({ rates: [], mode: 'grpc', actors: 1, k: 64, episodes, source: inner }, requestsFor(episodes, 2000));
  const play = method('Experience', 'Play');
  const resultBytes = m.trajs.reduce((s, t) => s + play.requestSerialize({ result: { workId: 1, trajectories: [toTrajectoryMsg(t, true)] } }).length, 0);
  const ser = serialiseCost(64);
  emit({
    bench: 'grpc-bytes', K: 64, decisions: m.decisions, forwards: m.seed.calls,
    wireUpPerDecision: round((px.up - up0) / m.decisions, 0), wireDownPerDecision: round((px.down - down0) / m.decisions, 0),
    protobuf: {
      inferRequestPerDecision: round(ser.reqBytes / 64, 1), inferReplyPerDecision: round(ser.repBytes / 64, 1),
      resultPerDecision: round(resultBytes / m.decisions, 1), obsFloatBytes: obsSize * 4, logitBytes: numActions * 4,
    },
  });
  await inner.close();
  await px.close();
  for (const rows of [64, 8]) {
    const s = rows === 64 ? ser : serialiseCost(rows);
    emit({ bench: 'grpc-serialise', rows, ...Object.fromEntries(Object.entries(s).map(([key, v]) => [key, round(v, 1)])), perDecisionUs: round((s.encodeReqUs + s.decodeReqUs + s.encodeRepUs + s.decodeRepUs) / rows, 2) });
  }
  if (certs) rmSync(certs.dir, { recursive: true, force: true });
}

try {
  await main();
} finally {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await learner.release();
}
