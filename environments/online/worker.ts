import { BroadcastChannel } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import { move, transferableSymbol, valueSymbol, workerData } from 'piscina';
import type { ScenarioContext } from '../../actors/episode-core.js';
import type { Encoder } from '../encoding/encoder.js';
import { sourceSetup } from './options.js';
import { addPlayStats, emptyPlayStats, playRequests, type Forward } from './player.js';
import type { Trajectory } from './types.js';
import { ModelMessage, OnlineTask, OnlineWorkerConfig, type InferReply, type InferRequest, type OnlineResult } from './protocol.js';

interface State {
  readonly cfg: OnlineWorkerConfig;
  readonly ctx: ScenarioContext;
  readonly encoder: Encoder;
}

let state: State | null = null;
/** Local copies: the newest model this worker has heard of, and the sessions built so far. */
let latest: ModelMessage | null = null;
const sessions = new Map<number, Promise<ort.InferenceSession>>();
const models = new Map<number, Uint8Array>();
let loadMs = 0;

function setup(): State {
  if (state) return state;
  const cfg = OnlineWorkerConfig.parse(workerData);
  const { ctx, encoder } = sourceSetup(cfg);
  if (cfg.channel) {
    const channel = new BroadcastChannel(cfg.channel);
    channel.onmessage = (e) => offer(ModelMessage.parse((e as MessageEvent).data));
    channel.unref();
  }
  state = { cfg, ctx, encoder };
  return state;
}

function offer(m: ModelMessage): void {
  if (latest && m.version <= latest.version) return;
  latest = m;
  models.set(m.version, m.bytes);
}

function session(version: number): Promise<ort.InferenceSession> {
  let s = sessions.get(version);
  if (!s) {
    const bytes = models.get(version);
    if (!bytes) throw new Error(`local copy: no model bytes for version ${version}`);
    const t0 = performance.now();
    // onnxruntime reads the bytes; copy them out of the SharedArrayBuffer into a plain one
    s = ort.InferenceSession.create(new Uint8Array(bytes), { intraOpNumThreads: 1, interOpNumThreads: 1, executionProviders: ['cpu'] });
    void s.then(() => { loadMs += performance.now() - t0; }, () => undefined);
    sessions.set(version, s);
  }
  return s;
}

/** Keeps only the newest model's session between tasks (an episode never spans tasks). */
async function prune(): Promise<void> {
  for (const [v, s] of sessions) {
    if (latest && v === latest.version) continue;
    sessions.delete(v);
    models.delete(v);
    await (await s).release();
  }
}

async function runLocal(obs: Float32Array, rows: number, v: number, obsSize: number): Promise<Float32Array> {
  const out = await (await session(v)).run({ x: new ort.Tensor('float32', obs, [rows, obsSize]) });
  const logits = out.logits;
  if (!logits) throw new Error(`local copy: model version ${v} has no output named 'logits'`);
  return logits.data as Float32Array;
}

/** Local copies: rows grouped by the version their episode is pinned to, one run per version. */
function localForward(obsSize: number, numActions: number): Forward {
  return {
    pin: () => latest!.version,
    async forward(obs, rows, pins) {
      const first = pins[0];
      if (pins.every((p) => p === first)) return { logits: await runLocal(obs, rows, first, obsSize), version: pins };
      const logits = new Float32Array(rows * numActions);
      for (const v of new Set(pins)) {
        const idx = [...pins.keys()].filter((i) => pins[i] === v);
        const x = new Float32Array(idx.length * obsSize);
        idx.forEach((r, j) => x.set(obs.subarray(r * obsSize, (r + 1) * obsSize), j * obsSize));
        const y = await runLocal(x, idx.length, v, obsSize);
        idx.forEach((r, j) => logits.set(y.subarray(j * numActions, (j + 1) * numActions), r * numActions));
      }
      return { logits, version: pins };
    },
    fallbackVersion: () => latest!.version,
  };
}

/** Central inference: each tick's rows go to the main thread over the task's port. */
function centralForward(port: NonNullable<OnlineTask['ports']>[number]): Forward & { close(): void } {
  let next = 0;
  let version = 0;
  const waiting = new Map<number, { resolve: (r: { logits: Float32Array; version: number }) => void; reject: (e: Error) => void }>();
  port.on('message', (m: InferReply) => {
    const w = waiting.get(m.id);
    if (!w) return;
    waiting.delete(m.id);
    if ('error' in m) w.reject(new Error(m.error));
    else {
      version = m.version;
      w.resolve({ logits: m.logits, version: m.version });
    }
  });
  return {
    forward(obs, rows) {
      const id = next++;
      const msg: InferRequest = { id, rows, obs };
      return new Promise((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        port.postMessage(msg, [obs.buffer as ArrayBuffer]);
      });
    },
    fallbackVersion: () => version,
    close: () => {
      port.close();
      // a group still waiting when its task ends (another group failed) fails too, instead of hanging
      for (const w of waiting.values()) w.reject(new Error('the task ended while this tick waited for logits'));
      waiting.clear();
    },
  };
}

/**
 * The Piscina task handler: plays a range of requests K at a time (runEpisodes, one forward per
 * tick) and returns their trajectories with every array transferred.
 */
export default async function onlineTask(raw: unknown): Promise<unknown> {
  const { cfg, ctx, encoder } = setup();
  const task = OnlineTask.parse(raw);
  const t0 = performance.now();
  const before = loadMs;
  const stats = emptyPlayStats();
  let trajectories: Trajectory[];
  if (cfg.mode === 'central') {
    if (!task.ports) throw new Error('central inference task without ports');
    // contiguous groups, one per port; each plays its share of K
    const ports = task.ports;
    const size = Math.ceil(task.requests.length / ports.length);
    const k = Math.max(1, Math.ceil(cfg.concurrency / ports.length));
    const forwards = ports.map(centralForward);
    try {
      const parts = await Promise.all(forwards.map((f, g) => {
        const reqs = task.requests.slice(g * size, (g + 1) * size);
        const s = emptyPlayStats();
        return reqs.length === 0 ? [] : playRequests(ctx, encoder, reqs, k, f, { stats: s }).finally(() => addPlayStats(stats, s));
      }));
      trajectories = parts.flat();
    } finally {
      for (const f of forwards) f.close();
    }
    // the groups ran side by side: the task's wall time, not their sum
    stats.wallMs = performance.now() - t0;
  } else {
    if (task.model) offer(task.model);
    if (!latest) throw new Error('local copies: no model was published');
    try {
      trajectories = await playRequests(ctx, encoder, task.requests, cfg.concurrency, localForward(encoder.size, ctx.actions.length), { stats });
    } finally {
      await prune();
    }
  }
  const result: OnlineResult = { start: task.start, trajectories, stats, loadMs: loadMs - before };
  const buffers = new Set<ArrayBuffer>();
  for (const t of trajectories) for (const a of [t.obs, t.mask, t.actions, t.logProbs, t.rewards, t.finalObs]) buffers.add(a.buffer as ArrayBuffer);
  return move({ [transferableSymbol]: [...buffers], [valueSymbol]: result });
}
