/**
 * The online training loop shared by ppo.ts, grpo.ts and reinforce.ts (the online twin of
 * train.ts). Synchronous, one policy version per iteration:
 *
 *   publish version v → collect episodes with it → drop errored / too-stale trajectories →
 *   critic values, advantages → epochs of shuffled minibatch steps (KL early stop) → v + 1
 *
 * `metrics.jsonl` gets a row per iteration; held-out seeds are evaluated every `evalEvery`
 * iterations; the Trainer checkpoint (parameters, Adam state, RNG) and `online.json` (iteration,
 * episodes, version) are written every `checkpointEvery` iterations and at the end, and `resume`
 * continues exactly: a resumed run ends with the parameters of one that never stopped.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as ort from 'onnxruntime-node';
import type { EpisodeRequest, ExperienceSource, InferFn, Trajectory } from '../../environments/online/types.js';
import { RunningStats } from '../../environments/stats.js';
import { deriveSeed } from '../../scenarios/random.js';
import { bakeParameters } from '../runtime/onnx.js';
import { readCheckpoint, writeFileAtomic, type Json } from '../runtime/checkpoint.js';
import { DeviceSession, hostTensor } from '../runtime/session.js';
import { Trainer, type FeedValue } from '../runtime/trainer.js';
import { flatten, gatherRows, normalise, permutation, type OnlineAlgorithm, type OnlineColumn, type StepBatch, type StepValues } from './online-common.js';
import { METRICS_FILE, TRAINER_FILE } from './train.js';

/** The loop's own progress beside trainer.ckpt (written after it). */
export const ONLINE_STATE_FILE = 'online.json';

/** A frozen policy whose scores are added to the trained logits (`--init`): `x` [rows, obsSize] → [rows, numActions]. */
export interface BasePolicy {
  scores(x: Float32Array, rows: number): Promise<Float32Array>;
  /** One inference model x → logits computing base(x) + f(x) from the trained part's model (for publishing and export). */
  merge(trained: Uint8Array): Uint8Array;
  close(): Promise<void>;
}

export interface OnlineMetricsRow {
  readonly iteration: number;
  readonly version: number;
  readonly episodes: number;
  readonly updates: number;
  readonly seconds: number;
  readonly [metric: string]: number | null;
}

export interface TrainOnlineOptions {
  readonly algorithm: OnlineAlgorithm;
  /** Builds the experience source around the loop's central inference (the current policy). */
  readonly source: (infer: InferFn) => ExperienceSource | Promise<ExperienceSource>;
  readonly dir: string;
  /** Total training episodes (rounded up to whole iterations). */
  readonly episodes: number;
  /** Seed of the initial weights (given to the algorithm), of minibatch order and of the training episodes. */
  readonly seed: number;
  readonly device?: string;
  readonly threads?: number;
  readonly resume?: boolean;
  /** Evaluate every this many iterations (0: never; default 10) on `evalEpisodes` held-out seeds. */
  readonly evalEvery?: number;
  readonly evalEpisodes?: number;
  /** Held-out episode i plays seed deriveSeed(evalSeed, i), as `reverie eval --seed evalSeed` (default 1000). */
  readonly evalSeed?: number;
  /** Checkpoint every this many iterations (default 10), and at the end. */
  readonly checkpointEvery?: number;
  /** Stop after this many iterations in this call (tests: an interrupted run). */
  readonly stopAfter?: number;
  readonly base?: BasePolicy;
  readonly meta?: Json;
  readonly onProgress?: (episodes: number, total: number, row?: OnlineMetricsRow) => void;
}

export interface TrainOnlineResult {
  readonly trainer: Trainer;
  readonly iterations: number;
  readonly episodes: number;
  readonly resumedFrom: number;
  readonly last: OnlineMetricsRow | undefined;
  readonly seconds: number;
  /** The current inference model (x → logits, the base merged in). */
  readonly model: Uint8Array;
}

interface LoopState {
  iteration: number;
  episodes: number;
  trainerStep: number;
}

/** The training episodes of an iteration: seeds disjoint from evaluation seeds (their own label), groups of `groupSize` sharing a seed. */
export function trainingRequests(seed: number, iteration: number, count: number, groupSize: number): EpisodeRequest[] {
  const base = deriveSeed(deriveSeed(seed, 'online-train'), iteration);
  return Array.from({ length: count }, (_, i) => {
    const group = Math.floor(i / groupSize);
    const s = deriveSeed(base, group);
    return { seed: s, actionSeed: deriveSeed(s, `action-${i % groupSize}`), ...(groupSize > 1 ? { group } : {}) };
  });
}

/** Held-out episodes: seed deriveSeed(evalSeed, i), one action stream each. */
export function evaluationRequests(evalSeed: number, count: number): EpisodeRequest[] {
  return Array.from({ length: count }, (_, i) => {
    const s = deriveSeed(evalSeed, i);
    return { seed: s, actionSeed: deriveSeed(s, 'eval-action') };
  });
}

/** Runs a logits/value model on rows of x. */
async function runModel(session: DeviceSession, output: string, x: Float32Array, rows: number, obsSize: number, extra: Record<string, ort.Tensor> = {}): Promise<Float32Array> {
  const out = await session.run({ x: hostTensor(x, 'float32', [rows, obsSize]), ...extra }, [output]);
  return (out[output].data as Float32Array).slice();
}

/** Trajectories kept for learning: not errored, and at most `maxLag` versions behind `version`. */
export function keepFresh(trajs: readonly Trajectory[], version: number, maxLag: number): { kept: Trajectory[]; stale: number; errored: number } {
  let stale = 0;
  let errored = 0;
  const kept: Trajectory[] = [];
  for (const t of trajs) {
    if (t.error) errored++;
    else if (version - t.policyVersion > maxLag) stale++;
    else if (t.length > 0) kept.push(t);
  }
  return { kept, stale, errored };
}

/**
 * `online.json` holds the loop state of the newest checkpoint and of the one before it: it is
 * written before `trainer.ckpt`, so a process killed between the two writes leaves a state that
 * matches whichever checkpoint survived.
 */
function readState(dir: string, trainerStep: number): LoopState | undefined {
  const p = join(dir, ONLINE_STATE_FILE);
  if (!existsSync(p)) return undefined;
  const s = JSON.parse(readFileSync(p, 'utf8')) as LoopState & { previous?: LoopState };
  return [s, s.previous].find((x) => x?.trainerStep === trainerStep);
}

function truncateMetrics(path: string, iteration: number): void {
  if (!existsSync(path)) return;
  const kept = readFileSync(path, 'utf8').split('\n').filter((l) => {
    try {
      return l.trim() !== '' && (JSON.parse(l) as { iteration: number }).iteration <= iteration;
    } catch {
      return false;
    }
  });
  writeFileSync(path, kept.map((l) => l + '\n').join(''));
}

/** Trains `algorithm` online for `episodes` episodes from `source`. */
export async function trainOnline(o: TrainOnlineOptions): Promise<TrainOnlineResult> {
  const algo = o.algorithm;
  const c = algo.config;
  const perIter = c.episodesPerIteration;
  const iterations = Math.ceil(o.episodes / perIter);
  const evalEvery = o.evalEvery ?? 10;
  const evalEpisodes = o.evalEpisodes ?? 200;
  const evalSeed = o.evalSeed ?? 1000;
  const checkpointEvery = o.checkpointEvery ?? 10;
  const dims = { obsSize: algo.train.feeds.find((f) => f.name === 'x')?.shape[1] as number, numActions: algo.train.feeds.find((f) => f.name === 'mask')?.shape[1] as number };
  mkdirSync(o.dir, { recursive: true });
  const ckptPath = join(o.dir, TRAINER_FILE);
  const metricsPath = join(o.dir, METRICS_FILE);
  const saved: Json = { algorithm: algo.name, config: c, seed: o.seed, meta: o.meta ?? null };

  // TRY NOT TO MODIFY: start or resume
  const options = { device: o.device, threads: o.threads, seed: o.seed, lr: c.lr, config: saved };
  let trainer: Trainer;
  let state: LoopState = { iteration: 0, episodes: 0, trainerStep: 0 };
  if (o.resume && existsSync(ckptPath)) {
    const ck = readCheckpoint(ckptPath);
    const want = JSON.stringify(saved);
    if (JSON.stringify(ck.config) !== want) throw new Error(`${ckptPath}: cannot resume: the checkpoint was trained with ${JSON.stringify(ck.config)}, not ${want}; use the same options, or another --out without --resume`);
    trainer = await Trainer.resume(ckptPath, algo.train, options);
    const s = readState(o.dir, trainer.steps);
    if (!s) throw new Error(`${join(o.dir, ONLINE_STATE_FILE)}: missing or not matching ${TRAINER_FILE} (step ${trainer.steps}); cannot resume this checkpoint`);
    state = s;
    truncateMetrics(metricsPath, state.iteration);
  } else {
    trainer = await Trainer.create(algo.train, options);
    writeFileSync(metricsPath, '');
  }
  const resumedFrom = state.iteration;
  // the loop state of the checkpoint on disk (kept in online.json until the next one is written)
  let checkpointed: LoopState | undefined = resumedFrom > 0 ? state : undefined;

  const sessions: DeviceSession[] = [];
  const open = async (bytes: Uint8Array) => {
    const s = await DeviceSession.open(bytes, { device: 'cpu', threads: 1 });
    sessions.push(s);
    return s;
  };
  let policy!: { session: DeviceSession; version: number; bytes: Uint8Array };
  const refresh = async () => {
    const trained = await trainer.exportInference(algo.policy);
    const next = { session: await open(trained), version: state.iteration, bytes: o.base ? o.base.merge(trained) : trained };
    const old = policy;
    policy = next;
    if (old) await old.session.dispose();
  };
  // central inference: the current version's logits (base scores added with --init)
  const logitsOf = async (session: DeviceSession, x: Float32Array, rows: number) => {
    const extra: Record<string, ort.Tensor> = o.base ? { base: hostTensor(await o.base.scores(x, rows), 'float32', [rows, dims.numActions]) } : {};
    return runModel(session, 'logits', x, rows, dims.obsSize, extra);
  };
  const infer: InferFn = async (x, rows) => {
    const { session, version } = policy;
    return { logits: await logitsOf(session, x, rows), version };
  };
  // GRPO's reference: the initial policy, frozen (its parameters' initial values)
  const needsRef = algo.columns.includes('ref_logp');
  const ref = needsRef ? await open(bakeParameters(algo.policy.bytes, algo.policy.params, new Map(algo.policy.params.map((p) => [p.name, p.init])))) : undefined;

  await refresh();
  const source = await o.source(infer);
  const t0 = performance.now();
  let last: OnlineMetricsRow | undefined;
  try {
    await source.publish(policy.version, policy.bytes);
    o.onProgress?.(state.episodes, iterations * perIter);
    let ran = 0;
    while (state.iteration < iterations && (o.stopAfter === undefined || ran < o.stopAfter)) {
      const tIter = performance.now();
      // ALGO LOGIC: collect with version v
      const requests = trainingRequests(o.seed, state.iteration, perIter, algo.groupSize);
      const trajs = await source.collect(requests);
      const tCollect = performance.now();
      const { kept, stale, errored } = keepFresh(trajs, policy.version, c.maxPolicyLag);
      const batch = flatten(kept, dims);

      // critic values (V(s_t), V(finalObs)), frozen base scores and reference log-probs
      let values: StepValues | undefined;
      if (algo.value) {
        const vs = await open(await trainer.exportInference(algo.value));
        const finals = new Float32Array(kept.length * dims.obsSize);
        kept.forEach((t, i) => finals.set(t.finalObs, i * dims.obsSize));
        values = {
          steps: batch.size ? await runModel(vs, 'value', batch.x, batch.size, dims.obsSize) : new Float32Array(0),
          final: kept.length ? await runModel(vs, 'value', finals, kept.length, dims.obsSize) : new Float32Array(0),
        };
        await vs.dispose();
        sessions.splice(sessions.indexOf(vs), 1);
      }
      const base = o.base && batch.size ? await o.base.scores(batch.x, batch.size) : undefined;
      const refLogp = ref && batch.size ? chosenLogProbs(await logitsOf(ref, batch.x, batch.size), batch) : undefined;
      const { adv, ret } = algo.advantages(kept, values);
      if (algo.normaliseAdvantages) normalise(adv);
      const columns: Partial<Record<OnlineColumn, { data: Float32Array | Int32Array; width: number }>> = {
        x: { data: batch.x, width: dims.obsSize },
        mask: { data: batch.mask, width: dims.numActions },
        action: { data: batch.action, width: 1 },
        logp_old: { data: batch.logpOld, width: 1 },
        adv: { data: adv, width: 1 },
        ret: { data: ret, width: 1 },
        v_old: { data: values?.steps ?? new Float32Array(batch.size), width: 1 },
        ...(base ? { base: { data: base, width: dims.numActions } } : {}),
        ...(refLogp ? { ref_logp: { data: refLogp, width: 1 } } : {}),
      };

      // epochs of shuffled minibatches, stopped when the policy moved too far from the behaviour one
      const sums: Record<string, number> = {};
      let updates = 0;
      let stopped = false;
      for (let epoch = 0; epoch < c.epochs && !stopped && batch.size > 0; epoch++) {
        const order = permutation(batch.size, (k) => trainer.rng.int(k));
        for (let start = 0; start < batch.size; start += c.minibatchSize) {
          const idx = order.subarray(start, Math.min(batch.size, start + c.minibatchSize));
          const feeds: Record<string, FeedValue> = {};
          for (const name of algo.columns) {
            const col = columns[name];
            if (!col) throw new Error(`online: no column '${name}'`);
            const rows = gatherRows(col.data, idx, col.width);
            const dimsOf = col.width === 1 ? [idx.length] : [idx.length, col.width];
            feeds[name] = name === 'action' ? { data: BigInt64Array.from(rows as Int32Array, (a) => BigInt(a)), dims: dimsOf } : { data: rows, dims: dimsOf };
          }
          const { step, metrics } = await trainer.step(feeds);
          if (!Object.values(metrics).every(Number.isFinite)) throw new Error(`training diverged at update ${step}: ${JSON.stringify(metrics)}; lower config.lr`);
          for (const [k, v] of Object.entries(metrics)) sums[k] = (sums[k] ?? 0) + v;
          updates++;
          if (algo.targetKl !== undefined && metrics.approx_kl > algo.targetKl) {
            stopped = true;
            break;
          }
        }
      }

      // publish version v + 1
      state = { iteration: state.iteration + 1, episodes: state.episodes + trajs.length, trainerStep: trainer.steps };
      ran++;
      await refresh();
      await source.publish(policy.version, policy.bytes);

      // TRY NOT TO MODIFY: metrics, evaluation, checkpoints
      const returns = new RunningStats();
      let successes = 0;
      for (const t of trajs) {
        returns.push(t.return);
        if (t.success) successes++;
      }
      const seconds = (performance.now() - tIter) / 1000;
      let row: OnlineMetricsRow = {
        iteration: state.iteration,
        version: policy.version,
        episodes: state.episodes,
        updates: trainer.steps,
        seconds: (performance.now() - t0) / 1000,
        episodes_per_s: trajs.length / ((tCollect - tIter) / 1000),
        iteration_s: seconds,
        return_mean: returns.mean,
        success_rate: trajs.length ? successes / trajs.length : 0,
        turns_mean: batch.size / Math.max(1, kept.length),
        steps: batch.size,
        dropped_stale: stale,
        dropped_error: errored,
        lr: c.lr,
        kl_stop: stopped ? 1 : 0,
        ...Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, v / Math.max(1, updates)])),
      };
      const done = state.iteration === iterations;
      if (evalEvery > 0 && (state.iteration % evalEvery === 0 || done)) {
        const ev = await evaluateSampled(source, evalSeed, evalEpisodes);
        row = { ...row, eval_return: ev.mean, eval_ci_lo: ev.ci[0], eval_ci_hi: ev.ci[1], eval_success: ev.success, eval_turns: ev.turns };
      }
      appendFileSync(metricsPath, JSON.stringify(row) + '\n');
      last = row;
      if (state.iteration % checkpointEvery === 0 || done || (o.stopAfter !== undefined && ran === o.stopAfter)) {
        writeFileAtomic(join(o.dir, ONLINE_STATE_FILE), [Buffer.from(JSON.stringify({ ...state, previous: checkpointed }) + '\n')]);
        await trainer.checkpoint(ckptPath);
        checkpointed = state;
      }
      o.onProgress?.(state.episodes, iterations * perIter, row);
    }
  } catch (err) {
    await trainer.dispose();
    throw err;
  } finally {
    await source.close();
    for (const s of sessions) await s.dispose().catch(() => undefined);
  }
  return { trainer, iterations: state.iteration, episodes: state.episodes, resumedFrom, last, seconds: (performance.now() - t0) / 1000, model: policy.bytes };
}

/** log π(a_t|s_t) over the valid actions from raw logits, on the host. */
export function chosenLogProbs(logits: Float32Array, batch: StepBatch): Float32Array {
  const A = batch.numActions;
  const out = new Float32Array(batch.size);
  for (let r = 0; r < batch.size; r++) {
    let m = -Infinity;
    for (let a = 0; a < A; a++) if (batch.mask[r * A + a]) m = Math.max(m, logits[r * A + a]);
    let s = 0;
    for (let a = 0; a < A; a++) if (batch.mask[r * A + a]) s += Math.exp(logits[r * A + a] - m);
    out[r] = logits[r * A + batch.action[r]] - m - Math.log(s);
  }
  return out;
}

/** The sampled policy on held-out seeds: mean return with its 95% CI, success rate, mean turns. */
export async function evaluateSampled(source: ExperienceSource, evalSeed: number, episodes: number): Promise<{ mean: number; ci: [number, number]; success: number; turns: number }> {
  const trajs = await source.collect(evaluationRequests(evalSeed, episodes));
  const r = new RunningStats();
  let success = 0;
  let turns = 0;
  for (const t of trajs) {
    r.push(t.return);
    if (t.success) success++;
    turns += t.length;
  }
  return { mean: r.mean, ci: r.ci95(), success: success / Math.max(1, trajs.length), turns: turns / Math.max(1, trajs.length) };
}
