import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import type { ScenarioContext } from '../actors/episode-core.js';
import { MANIFEST_FILE, SCENARIO_FILE } from '../environments/dataset/manifest.js';
import { readManifest } from '../environments/dataset/writer.js';
import { ENCODER_KINDS, makeEncoder } from '../environments/encoding/index.js';
import type { EncoderKind } from '../environments/encoding/encoder.js';
import { loadTransitions, type LoadedTransitions } from '../environments/offline/load.js';
import { ALGORITHMS, ConfigError, TRAINER_FILE, exportPolicy, makeAlgorithm, trainOffline, type AlgorithmName, type MetricsRow } from '../learners/algorithms/index.js';
import { DeviceUnavailableError } from '../learners/runtime/device.js';
import { builtinIds } from '../scenarios/registry.js';
import { CliError, EXIT_FAILURE, EXIT_USAGE, Output, fmt, intOption, parseOptions, progress } from './common.js';
import { loadScenario } from './shared.js';

const Options = z.object({
  algo: z.enum(ALGORITHMS, { error: `expected one of: ${ALGORITHMS.join(', ')}` }),
  data: z.string({ error: 'expected a dataset directory, e.g. --data data/travel' }).min(1),
  out: z.string({ error: 'expected the checkpoint directory, e.g. --out runs/ilql' }).min(1),
  scenario: z.string().min(1).optional(),
  steps: intOption('the number of gradient steps', 1, 1_000_000_000).optional(),
  config: z.string().optional(),
  encoder: z.enum(['structured', 'text'], { error: `expected one of: ${ENCODER_KINDS.join(', ')}` }),
  device: z.enum(['cpu', 'webgpu', 'cuda'], { error: 'expected cpu, webgpu or cuda' }),
  seed: intOption('the training seed', 0, 0xffffffff),
  threads: intOption('onnxruntime threads', 1, 1024).optional(),
  logEvery: intOption('steps between metrics lines', 1),
  checkpointEvery: intOption('steps between checkpoints', 1),
  resume: z.boolean().default(false),
  force: z.boolean().default(false),
  allowPartial: z.boolean().default(false),
  json: z.boolean().default(false),
});

/** `--config` as inline JSON or a .json file: fields of the algorithm's config (see learners/algorithms/<algo>.config.ts). */
function readConfig(arg: string | undefined): Record<string, unknown> {
  if (!arg) return {};
  let text = arg;
  if (!arg.trim().startsWith('{')) {
    if (!existsSync(arg)) throw new CliError(`--config: expected inline JSON (e.g. '{"beta": 8}') or a .json file, got '${arg}' (no such file)`, EXIT_USAGE);
    text = readFileSync(arg, 'utf8');
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new CliError(`--config: not valid JSON (${(err as Error).message})`, EXIT_USAGE);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new CliError('--config: expected a JSON object of config fields, e.g. {"beta": 8, "steps": 2000}', EXIT_USAGE);
  return v as Record<string, unknown>;
}

/**
 * The scenario a dataset is trained against: `--scenario` when given; else the built-in of the
 * dataset's scenario id (so a dataset of an older version is refused, naming both), else the
 * dataset's own copy (a scenario file that is not built in).
 */
async function datasetScenario(data: string, arg: string | undefined): Promise<{ ctx: ScenarioContext; source: string }> {
  if (arg) return { ctx: loadScenario(arg).ctx, source: arg };
  const m = await readManifest(data);
  if (!m) throw new CliError(`--data: ${data} is not a dataset (no ${MANIFEST_FILE} in it); make one with \`reverie generate --out ${data}\``, EXIT_FAILURE, { file: join(data, MANIFEST_FILE) });
  if (builtinIds().includes(m.scenario.id)) return { ctx: loadScenario(m.scenario.id).ctx, source: m.scenario.id };
  return { ctx: loadScenario(join(data, SCENARIO_FILE)).ctx, source: join(data, SCENARIO_FILE) };
}

export interface TrainCommandResult {
  readonly out: string;
  readonly algo: AlgorithmName;
  readonly steps: number;
  readonly resumedFrom: number;
  readonly seconds: number;
  readonly samplesPerSecond: number;
  readonly final: MetricsRow | undefined;
  readonly transitions: number;
}

/** Prints one metrics line on stderr (non-TTY runs: a line per log interval keeps logs readable). */
function metricsLine(r: MetricsRow): string {
  const keys = Object.keys(r).filter((k) => k.startsWith('loss') || k === 'q_mean' || k === 'v_mean');
  return `train: step ${r.step} ` + keys.map((k) => `${k} ${fmt(r[k], 4)}`).join(' ');
}

export function registerTrain(program: Command): void {
  program
    .command('train')
    .description('train an agent offline on a dataset (BC, filtered BC, ILQL, IQL/AWR) and write a policy checkpoint')
    .option('-a, --algo <name>', `algorithm: ${ALGORITHMS.join(', ')}`)
    .option('-d, --data <dir>', 'dataset directory (from `reverie generate`)')
    .option('-o, --out <dir>', 'checkpoint directory: policy.json + policy.onnx, trainer.ckpt, metrics.jsonl')
    .option('-s, --scenario <id|file>', 'scenario to train against (default: the built-in of the dataset\'s scenario id, else the dataset\'s own copy)')
    .option('--steps <n>', 'gradient steps (default: the algorithm config\'s)')
    .option('-c, --config <json|file>', 'algorithm config fields as JSON, e.g. \'{"beta": 8, "tau": 0.8}\' (see learners/algorithms/<algo>.config.ts)')
    .option('-e, --encoder <kind>', `observation encoder: ${ENCODER_KINDS.join(', ')}`, 'structured')
    .option('--device <d>', 'cpu, webgpu or cuda', 'cpu')
    .option('--seed <s>', 'seed of the initial weights and of the minibatches', '0')
    .option('--threads <n>', 'onnxruntime threads (default: one per core)')
    .option('--log-every <n>', 'steps between lines of metrics.jsonl', '50')
    .option('--checkpoint-every <n>', 'steps between trainer checkpoints (one is always written at the end)', '500')
    .option('--resume', 'continue the run in --out from its last checkpoint')
    .option('--force', 'start over in an --out that already holds a run')
    .option('--allow-partial', 'use what a killed generation left: skip a cut-off last line, read an unfinished dataset')
    .option('--json', 'print one JSON object on stdout (human text goes to stderr)')
    .addHelpText('after', '\nExamples:\n  $ reverie train --algo ilql --data data/travel --out runs/ilql --steps 3000\n  $ reverie train --algo ilql --data data/travel --out runs/ilql --resume      # after an interruption\n  $ reverie eval --scenario travel-agent --policy runs/ilql --episodes 2000')
    .action(async (raw: Record<string, unknown>) => {
      const o = parseOptions(Options, raw);
      const out = new Output(o.json);
      const r = await runTrain({ ...o, encoder: o.encoder as EncoderKind, config: readConfig(o.config) }, out);
      out.result({ command: 'train', ...r }, [
        `wrote ${r.out}: ${r.algo} policy after ${r.steps} steps${r.resumedFrom ? ` (resumed from step ${r.resumedFrom})` : ''} on ${r.transitions} transitions`,
        `  ${fmt(r.seconds, 1)} s, ${Math.round(r.samplesPerSecond)} samples/s`,
        ...(r.final ? ['  ' + metricsLine(r.final).replace(/^train: /, 'final ')] : []),
        `  evaluate it: reverie eval --scenario <id|file> --policy ${r.out} --episodes 2000`,
      ].join('\n'));
    });
}

export interface RunTrainOptions {
  readonly algo: AlgorithmName;
  readonly data: string;
  readonly out: string;
  readonly scenario?: string;
  readonly steps?: number;
  readonly config: Record<string, unknown>;
  readonly encoder: EncoderKind;
  readonly device: string;
  readonly seed: number;
  readonly threads?: number;
  readonly logEvery: number;
  readonly checkpointEvery: number;
  readonly resume: boolean;
  readonly force: boolean;
  readonly allowPartial: boolean;
  /** Already-loaded transitions of `data` (the demo trains several algorithms on one load). */
  readonly transitions?: LoadedTransitions;
}

/** The train command's work: load, train, checkpoint, export. Errors come out as one CliError/DatasetError message. */
export async function runTrain(o: RunTrainOptions, out: Output): Promise<TrainCommandResult> {
  if (o.resume && o.force) throw new CliError('--resume and --force cannot be used together: --resume continues the run in --out, --force starts it over', EXIT_USAGE);
  if (!o.resume && !o.force && existsSync(join(o.out, TRAINER_FILE))) {
    throw new CliError(`${o.out} already holds a training run (${TRAINER_FILE}); continue it with --resume, start over with --force, or choose another --out`, EXIT_USAGE);
  }
  const { ctx, source } = await datasetScenario(o.data, o.scenario);
  const encoder = makeEncoder(o.encoder, ctx);

  let t = o.transitions;
  if (!t) {
    out.note(`train: loading ${o.data} (scenario ${ctx.scenario.id} ${ctx.scenario.version} from ${source}, ${o.encoder} encoder, ${encoder.size} features)`);
    t = await loadTransitions(o.data, encoder, ctx, { allowPartial: o.allowPartial, onWarning: (m) => out.note(`train: warning: ${m}`) });
  }
  if (t.count === 0) throw new CliError(`${o.data}: no agent decisions to train on (${t.report.episodes} episodes read, ${t.report.errored} errored, ${t.report.empty} without an agent turn)`, EXIT_FAILURE);

  let algo;
  try {
    algo = makeAlgorithm(o.algo, t, { ...o.config, ...(o.steps !== undefined ? { steps: o.steps } : {}) }, o.seed);
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(`--config: ${err.message}`, EXIT_USAGE);
    throw err;
  }
  out.note(`train: ${o.algo} on ${t.count} transitions (${t.report.used} episodes), ${algo.rows.length} used, ${algo.config.steps} steps of ${algo.config.batchSize} on ${o.device} → ${o.out}`);

  const bar = progress(`train ${o.algo}`, 'steps');
  const tty = process.stderr.isTTY;
  let run;
  try {
    run = await trainOffline({
      algorithm: algo, transitions: t, dir: o.out, seed: o.seed, device: o.device, threads: o.threads,
      resume: o.resume, logEvery: o.logEvery, checkpointEvery: o.checkpointEvery,
      meta: { scenario: { id: ctx.scenario.id, version: ctx.scenario.version, hash: ctx.hash }, encoder: { kind: encoder.kind, size: encoder.size } },
      onProgress: (d, total) => bar.update(d, total),
      onMetrics: (row) => { if (!tty && !o.transitions) out.note(metricsLine(row)); },
    });
  } catch (err) {
    if (err instanceof DeviceUnavailableError) throw new CliError(`--device ${o.device}: ${err.message}`, EXIT_FAILURE);
    if (err instanceof Error && /cannot resume|checkpoint|diverged/.test(err.message)) throw new CliError(err.message, EXIT_FAILURE);
    throw err;
  } finally {
    bar.stop();
  }
  try {
    await exportPolicy(run.trainer, algo, o.out, ctx, encoder);
  } finally {
    await run.trainer.dispose();
  }
  const trained = run.steps - run.resumedFrom;
  return {
    out: o.out,
    algo: o.algo,
    steps: run.steps,
    resumedFrom: run.resumedFrom,
    seconds: run.seconds,
    samplesPerSecond: run.seconds > 0 ? (trained * algo.config.batchSize) / run.seconds : 0,
    final: run.last,
    transitions: t.count,
  };
}
