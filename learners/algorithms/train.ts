/**
 * The offline training loop shared by every algorithm file: minibatches drawn with the Trainer's
 * seeded RNG, one compiled train step per batch on the device, metrics averaged over a window and
 * appended to `metrics.jsonl`, atomic Trainer checkpoints at intervals and at the end, and
 * `resume` from the last one (the steps that follow are those of a run that never stopped).
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ScenarioContext } from '../../actors/episode-core.js';
import type { Encoder } from '../../environments/encoding/encoder.js';
import type { Transitions } from '../../environments/offline/transitions.js';
import { writePolicyCheckpoint, type PolicySpec } from '../policies/checkpoint.js';
import type { Json } from '../runtime/checkpoint.js';
import { readCheckpoint } from '../runtime/checkpoint.js';
import { Trainer } from '../runtime/trainer.js';
import { awr } from './awr.js';
import { bc } from './bc.js';
import { batchFeeds, sampleRows, type AlgorithmName, type OfflineAlgorithm } from './common.js';
import { filteredBc } from './filtered-bc.js';
import { ilql } from './ilql.js';

/** The Trainer checkpoint and the metrics log inside a run directory. */
export const TRAINER_FILE = 'trainer.ckpt';
export const METRICS_FILE = 'metrics.jsonl';

/** Builds `name`'s graphs for a dataset; `config` is validated by the algorithm's zod schema. */
export function makeAlgorithm(name: AlgorithmName, t: Transitions, config: unknown, seed: number): OfflineAlgorithm {
  switch (name) {
    case 'bc': return bc(t, config, seed);
    case 'filtered-bc': return filteredBc(t, config, seed);
    case 'ilql': return ilql(t, config, seed);
    case 'awr': return awr(t, config, seed);
  }
}

/** One line of `metrics.jsonl`: the step, the learning rate, throughput and the graph's metrics averaged since the last line. */
export interface MetricsRow {
  readonly step: number;
  readonly lr: number;
  readonly samples: number;
  readonly seconds: number;
  readonly [metric: string]: number;
}

export interface TrainOfflineOptions {
  readonly algorithm: OfflineAlgorithm;
  readonly transitions: Transitions;
  /** The run directory (created): trainer.ckpt, metrics.jsonl. */
  readonly dir: string;
  /** Seed of the learner's RNG (minibatches) and of the parameter initialisation (given to the algorithm). */
  readonly seed: number;
  readonly device?: string;
  /** onnxruntime intra-op threads. */
  readonly threads?: number;
  /** Continue from `dir/trainer.ckpt` when there is one. */
  readonly resume?: boolean;
  /** A metrics line every this many steps (default 50). */
  readonly logEvery?: number;
  /** A checkpoint every this many steps (default 500), and always at the end. */
  readonly checkpointEvery?: number;
  /** Extra JSON kept in the checkpoint beside the algorithm's config (dataset, encoder). */
  readonly meta?: Json;
  readonly onProgress?: (step: number, total: number) => void;
  readonly onMetrics?: (row: MetricsRow) => void;
}

export interface TrainOfflineResult {
  /** The trainer, open: export the policy from it, then dispose it. */
  readonly trainer: Trainer;
  readonly steps: number;
  /** The step the run started from (0, or the resumed checkpoint's). */
  readonly resumedFrom: number;
  readonly last: MetricsRow | undefined;
  readonly seconds: number;
}

/** `a.b.c: x vs y` for each leaf where two JSON values differ. */
function differences(a: unknown, b: unknown, path = ''): string[] {
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
    return keys.flatMap((k) => differences((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], path ? `${path}.${k}` : k));
  }
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [`${path}: ${JSON.stringify(a)} in the checkpoint, ${JSON.stringify(b)} now`];
}

/**
 * Refuses to mix runs: what a resumed checkpoint was trained with must be what is asked now
 * (the number of steps aside: a run may be extended).
 */
function checkResumable(path: string, want: Json): void {
  const diff = differences(readCheckpoint(path).config, want).filter((d) => !d.startsWith('config.steps:'));
  if (diff.length) throw new Error(`${path}: cannot resume: ${diff.join('; ')}; use the same options, or another --out without --resume`);
}

/** Keeps the metrics lines up to `step` (a resumed run rewrites what came after its checkpoint). */
function truncateMetrics(path: string, step: number): void {
  if (!existsSync(path)) return;
  const kept = readFileSync(path, 'utf8').split('\n').filter((l) => {
    if (!l.trim()) return false;
    try {
      return (JSON.parse(l) as { step: number }).step <= step;
    } catch {
      return false;
    }
  });
  writeFileSync(path, kept.map((l) => l + '\n').join(''));
}

/**
 * Trains `algorithm` on `transitions` for `algorithm.config.steps` steps.
 *
 * @example
 * const algo = makeAlgorithm('ilql', transitions, { steps: 2000 }, 1);
 * const { trainer } = await trainOffline({ algorithm: algo, transitions, dir: 'runs/ilql', seed: 1 });
 * const onnx = await trainer.exportInference(algo.forward);
 */
export async function trainOffline(o: TrainOfflineOptions): Promise<TrainOfflineResult> {
  const { algorithm: algo, transitions: t, dir } = o;
  const total = algo.config.steps;
  const logEvery = o.logEvery ?? 50;
  const checkpointEvery = o.checkpointEvery ?? 500;
  mkdirSync(dir, { recursive: true });
  const ckptPath = join(dir, TRAINER_FILE);
  const metricsPath = join(dir, METRICS_FILE);
  const saved: Json = { algorithm: algo.name, config: algo.config, seed: o.seed, meta: o.meta ?? null };

  // TRY NOT TO MODIFY: start or resume (parameters, optimiser state, target params, RNG, step)
  const options = { device: o.device, threads: o.threads, seed: o.seed, lr: algo.config.lr, config: saved };
  let trainer: Trainer;
  if (o.resume && existsSync(ckptPath)) {
    checkResumable(ckptPath, saved);
    trainer = await Trainer.resume(ckptPath, algo.train, options);
    truncateMetrics(metricsPath, trainer.steps);
  } else {
    trainer = await Trainer.create(algo.train, options);
    writeFileSync(metricsPath, '');
  }
  const resumedFrom = trainer.steps;

  const t0 = performance.now();
  let last: MetricsRow | undefined;
  const sums: Record<string, number> = {};
  let window = 0;
  try {
    o.onProgress?.(trainer.steps, total);
    while (trainer.steps < total) {
      // ALGO LOGIC: one minibatch, one compiled step (forward, losses, backward, Adam, target update)
      const idx = sampleRows(trainer.rng, algo.rows, algo.config.batchSize);
      const { step, metrics } = await trainer.step(batchFeeds(t, idx, algo.columns));
      for (const [k, v] of Object.entries(metrics)) sums[k] = (sums[k] ?? 0) + v;
      window++;
      if (!Object.values(metrics).every(Number.isFinite)) {
        throw new Error(`training diverged at step ${step}: ${Object.entries(metrics).filter(([, v]) => !Number.isFinite(v)).map(([k, v]) => `${k} = ${v}`).join(', ')}; lower --lr (config.lr) or the reward scale`);
      }

      // TRY NOT TO MODIFY: logging and checkpoints
      if (step % logEvery === 0 || step === total) {
        const row: MetricsRow = {
          step,
          lr: algo.config.lr,
          samples: step * algo.config.batchSize,
          seconds: (performance.now() - t0) / 1000,
          ...Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, v / window])),
        };
        appendFileSync(metricsPath, JSON.stringify(row) + '\n');
        for (const k of Object.keys(sums)) sums[k] = 0;
        window = 0;
        last = row;
        o.onMetrics?.(row);
      }
      if (step % checkpointEvery === 0 || step === total) await trainer.checkpoint(ckptPath);
      o.onProgress?.(step, total);
    }
  } catch (err) {
    await trainer.dispose();
    throw err;
  }
  return { trainer, steps: trainer.steps, resumedFrom, last, seconds: (performance.now() - t0) / 1000 };
}

/**
 * Writes the trained policy into `dir` as a policy checkpoint (policy.onnx with the trainer's
 * current weights baked in, then policy.json with the scenario, encoder and action scores), which
 * `reverie eval --policy DIR` and the rollout workers load.
 */
export async function exportPolicy(trainer: Trainer, algo: OfflineAlgorithm, dir: string, ctx: ScenarioContext, encoder: Pick<Encoder, 'kind' | 'size'>): Promise<PolicySpec> {
  const model = await trainer.exportInference(algo.forward);
  return writePolicyCheckpoint(dir, { algo: algo.name, ctx, encoder, model, scores: algo.scores, step: trainer.steps, config: algo.config as Record<string, unknown> });
}
