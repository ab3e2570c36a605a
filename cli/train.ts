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
import cliProgress from 'cli-progress';
import { ONLINE_ALGORITHMS, type OnlineAlgorithm, type OnlineAlgorithmName, type OnlineDims } from '../learners/algorithms/online-common.js';
import { trainOnline, type OnlineMetricsRow } from '../learners/algorithms/online.js';
import { createInProcessSource } from '../environments/online/in-process.js';
import { createCentralSource, createLocalCopiesSource } from '../environments/online/workers.js';
import type { ExperienceSource, InferFn } from '../environments/online/types.js';
import type { Scenario } from '../scenarios/schema.js';
import { loadBasePolicy } from '../learners/algorithms/online-init.js';
import { ppo } from '../learners/algorithms/ppo.js';
import { grpo } from '../learners/algorithms/grpo.js';
import { reinforce } from '../learners/algorithms/reinforce.js';
import { PolicyError, logitScores, writePolicyCheckpoint } from '../learners/policies/checkpoint.js';
import { ALGORITHMS, ConfigError, TRAINER_FILE, exportPolicy, makeAlgorithm, trainOffline, type AlgorithmName, type MetricsRow } from '../learners/algorithms/index.js';
import { DeviceUnavailableError } from '../learners/runtime/device.js';
import { builtinIds } from '../scenarios/registry.js';
import { CliError, EXIT_FAILURE, EXIT_USAGE, Output, fmt, intOption, parseOptions, progress } from './common.js';
import { isReasoningScenario, runTrainReasoningAmft, runTrainReasoningGrpo, runTrainSft } from './reasoning.js';
import { loadScenario } from './shared.js';

const ALL_ALGORITHMS = [...ALGORITHMS, ...ONLINE_ALGORITHMS, 'sft', 'amft'] as const;

const Options = z.object({
  algo: z.enum(ALL_ALGORITHMS, { error: `expected one of: ${ALL_ALGORITHMS.join(', ')}` }),
  data: z.string().min(1).optional(),
  episodes: intOption('the number of training episodes', 1, 1_000_000_000).optional(),
  init: z.string().min(1).optional(),
  workers: intOption('the number of rollout workers', 0, 1024).optional(),
  source: z.enum(['central', 'local'], { error: 'expected central or local' }).default('central'),
  evalEvery: intOption('iterations between evaluations', 0).optional(),
  evalEpisodes: intOption('evaluation episodes', 1).optional(),
  evalSeed: intOption('the evaluation seed', 0, 0xffffffff).optional(),
  out: z.string({ error: 'expected the checkpoint directory, e.g. --out runs/ilql' }).min(1),
  scenario: z.string().min(1).optional(),
  levels: z.string().min(1).optional(),
  curriculum: z.string().min(1).optional(),
  steps: intOption('the number of gradient steps', 1, 1_000_000_000).optional(),
  config: z.string().optional(),
  method: z.string().min(1).optional(),
  methodConfig: z.string().optional(),
  encoder: z.enum(['structured', 'text'], { error: `expected one of: ${ENCODER_KINDS.join(', ')}` }),
  device: z.enum(['cpu', 'webgpu', 'cuda'], { error: 'expected cpu, webgpu or cuda' }),
  seed: intOption('the training seed', 0, 0xffffffff),
  threads: intOption('onnxruntime threads', 1, 1024).optional(),
  logEvery: intOption('steps between metrics lines', 1),
  checkpointEvery: intOption('steps (online: iterations) between checkpoints', 1).optional(),
  resume: z.boolean().default(false),
  force: z.boolean().default(false),
  allowPartial: z.boolean().default(false),
  json: z.boolean().default(false),
});

/** `--config` as inline JSON or a .json file: fields of the algorithm's config (see learners/algorithms/<algo>.config.ts). */
export function readConfig(arg: string | undefined, flag = '--config'): Record<string, unknown> {
  if (!arg) return {};
  let text = arg;
  if (!arg.trim().startsWith('{')) {
    if (!existsSync(arg)) throw new CliError(`${flag}: expected inline JSON (e.g. '{"beta": 8}') or a .json file, got '${arg}' (no such file)`, EXIT_USAGE);
    text = readFileSync(arg, 'utf8');
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new CliError(`${flag}: not valid JSON (${(err as Error).message})`, EXIT_USAGE);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new CliError(`${flag}: expected a JSON object of config fields, e.g. {"beta": 8, "steps": 2000}`, EXIT_USAGE);
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
export function metricsLine(r: MetricsRow): string {
  const keys = Object.keys(r).filter((k) => k.startsWith('loss') || k === 'q_mean' || k === 'v_mean');
  return `train: step ${r.step} ` + keys.map((k) => `${k} ${fmt(r[k], 4)}`).join(' ');
}

export function registerTrain(program: Command): void {
  program
    .command('train')
    .description('train an agent offline on a dataset (BC, filtered BC, ILQL, IQL/AWR) or online against imagined users (PPO, GRPO, REINFORCE) and write a policy checkpoint')
    .option('-a, --algo <name>', `algorithm: ${ALGORITHMS.join(', ')} (offline, need --data); ${ONLINE_ALGORITHMS.join(', ')} (online, need --scenario and --episodes)`)
    .option('-d, --data <dir>', 'offline: dataset directory (from `reverie generate`)')
    .option('-n, --episodes <n>', 'online: training episodes')
    .option('--init <dir>', 'online: start from this policy checkpoint (e.g. an ILQL one): its scores stay as a frozen base the trained logits are added to; grpo on a reasoning scenario: the SFT run to start from (required)')
    .option('-w, --workers <w>', 'online: Piscina rollout workers; 0 = play in this process (default 0)')
    .option('--source <kind>', 'online, with --workers ≥ 1: central (the learner batches every worker\'s decisions) or local (workers run the published model)', 'central')
    .option('--eval-every <n>', 'online: iterations between evaluations on held-out seeds, and one at the end (0: none; default 10)')
    .option('--eval-episodes <n>', 'online: held-out episodes per evaluation (default 200)')
    .option('--eval-seed <s>', 'online: held-out episode i plays seed derive(s, i), as `reverie eval --seed s` (default 1000)')
    .option('-o, --out <dir>', 'checkpoint directory: policy.json + policy.onnx, trainer.ckpt, metrics.jsonl')
    .option('-s, --scenario <id|file>', 'scenario to train against (default: the built-in of the dataset\'s scenario id, else the dataset\'s own copy)')
    .option('--levels <spec>', 'sft, grpo on a reasoning scenario: difficulty levels and weights of the training mixture, e.g. 1:0.3,2:0.7 (default 1)')
    .option('--curriculum <spec>', 'grpo on a reasoning scenario: adaptive:1,2,3[@threshold] or a schedule 0=1;20=1:0.5,2:0.5 (iteration=levels)')
    .option('--steps <n>', 'gradient steps (default: the algorithm config\'s)')
    .option('--method <name>', 'grpo on a reasoning scenario: a reward method of learners/methods: rlsp (verifier − C/length) or mrt (meta-prover progress bonus)')
    .option('--method-config <json|file>', 'the --method\'s config fields as JSON, e.g. \'{"C": 8}\' (see learners/methods/<method>.ts)')
    .option('-c, --config <json|file>', 'algorithm config fields as JSON, e.g. \'{"beta": 8, "tau": 0.8}\' (see learners/algorithms/<algo>.config.ts)')
    .option('-e, --encoder <kind>', `observation encoder: ${ENCODER_KINDS.join(', ')}`, 'structured')
    .option('--device <d>', 'cpu, webgpu or cuda', 'cpu')
    .option('--seed <s>', 'seed of the initial weights and of the minibatches', '0')
    .option('--threads <n>', 'onnxruntime threads (default: one per core)')
    .option('--log-every <n>', 'steps between lines of metrics.jsonl', '50')
    .option('--checkpoint-every <n>', 'steps (online: iterations) between trainer checkpoints (one is always written at the end; default 500, online 10)')
    .option('--resume', 'continue the run in --out from its last checkpoint')
    .option('--force', 'start over in an --out that already holds a run')
    .option('--allow-partial', 'use what a killed generation left: skip a cut-off last line, read an unfinished dataset')
    .option('--json', 'print one JSON object on stdout (human text goes to stderr)')
    .addHelpText('after', '\nExamples:\n  $ reverie train --algo ppo --scenario travel-agent --episodes 100000 --out runs/ppo\n  $ reverie train --algo ppo --scenario travel-agent --episodes 20000 --init runs/ilql --out runs/ppo-ilql\n  $ reverie train --algo ilql --data data/travel --out runs/ilql --steps 3000\n  $ reverie train --algo sft --scenario addition --levels 1 --steps 1500 --out runs/sft   # a reasoning scenario\n  $ reverie train --algo ilql --data data/travel --out runs/ilql --resume      # after an interruption\n  $ reverie eval --scenario travel-agent --policy runs/ilql --episodes 2000')
    .action(async (raw: Record<string, unknown>) => {
      const o = parseOptions(Options, raw);
      const out = new Output(o.json);
      if ((o.method !== undefined || o.methodConfig !== undefined) && !(o.algo === 'grpo' && isReasoningScenario(o.scenario))) throw new CliError('--method: only for --algo grpo on a reasoning scenario', EXIT_USAGE);
      if (o.algo === 'sft') {
        if (!o.scenario) throw new CliError('--scenario: required for --algo sft: a reasoning scenario, e.g. --scenario addition', EXIT_USAGE);
        for (const k of ['episodes', 'init', 'workers'] as const) if (o[k] !== undefined) throw new CliError(`--${k}: not for --algo sft (it trains on the scenario's scripted reasoner, or on --data)`, EXIT_USAGE);
        const r = await runTrainSft({ ...o, scenario: o.scenario, config: readConfig(o.config) }, out);
        out.result({ command: 'train', ...r }, `wrote ${o.out}: sft after ${String(r.steps)} steps\n  evaluate it: reverie eval --scenario ${o.scenario} --policy ${o.out}`);
        return;
      }
      if (o.algo === 'grpo' && isReasoningScenario(o.scenario)) {
        for (const k of ['data', 'episodes', 'workers'] as const) if (o[k] !== undefined) throw new CliError(`--${k}: not for --algo grpo on a reasoning scenario (it samples its own completions; --steps counts iterations)`, EXIT_USAGE);
        const r = await runTrainReasoningGrpo({ ...o, scenario: o.scenario, config: readConfig(o.config), methodConfig: o.methodConfig !== undefined ? readConfig(o.methodConfig, '--method-config') : undefined }, out);
        out.result({ command: 'train', ...r }, `wrote ${o.out}: grpo after ${String(r.iterations)} iterations (${String(r.updates)} updates this run, ${fmt(r.updatesPerSecond as number, 2)} updates/s)\n  evaluate it: reverie eval --scenario ${o.scenario} --policy ${o.out}`);
        return;
      }
      if (o.algo === 'amft') {
        if (!o.scenario) throw new CliError('--scenario: required for --algo amft: a reasoning scenario, e.g. --scenario addition', EXIT_USAGE);
        for (const k of ['data', 'episodes', 'init', 'workers'] as const) if (o[k] !== undefined) throw new CliError(`--${k}: not for --algo amft (it trains from scratch on the scenario's reasoner and its own rollouts)`, EXIT_USAGE);
        const r = await runTrainReasoningAmft({ ...o, scenario: o.scenario, config: readConfig(o.config) }, out);
        out.result({ command: 'train', ...r }, `wrote ${o.out}: amft after ${String(r.steps)} steps\n  evaluate it: reverie eval --scenario ${o.scenario} --policy ${o.out}`);
        return;
      }
      if (o.levels !== undefined) throw new CliError('--levels: only for --algo sft, amft or grpo on a reasoning scenario', EXIT_USAGE);
      if (o.curriculum !== undefined) throw new CliError('--curriculum: only for --algo grpo on a reasoning scenario', EXIT_USAGE);
      if (isOnline(o.algo)) {
        const r = await runTrainOnline({ ...o, algo: o.algo, encoder: o.encoder as EncoderKind, config: readConfig(o.config) }, out);
        out.result({ command: 'train', ...r }, onlineSummary(r));
        return;
      }
      if (!o.data) throw new CliError(`--data: required for --algo ${o.algo}: a dataset directory, e.g. --data data/travel (from \`reverie generate\`)`, EXIT_USAGE);
      for (const k of ['episodes', 'init', 'workers'] as const) if (o[k] !== undefined) throw new CliError(`--${k}: only for the online algorithms (${ONLINE_ALGORITHMS.join(', ')}), not --algo ${o.algo}`, EXIT_USAGE);
      const r = await runTrain({ ...o, algo: o.algo, data: o.data, checkpointEvery: o.checkpointEvery ?? 500, encoder: o.encoder as EncoderKind, config: readConfig(o.config) }, out);
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

// ------------------------------------------------------------------ online: PPO, GRPO, REINFORCE

export function isOnline(algo: string): algo is OnlineAlgorithmName {
  return (ONLINE_ALGORITHMS as readonly string[]).includes(algo);
}

export interface RunTrainOnlineOptions {
  readonly algo: OnlineAlgorithmName;
  readonly scenario?: string;
  readonly out: string;
  readonly episodes?: number;
  readonly init?: string;
  readonly workers?: number;
  readonly source: 'central' | 'local';
  readonly config: Record<string, unknown>;
  readonly encoder: EncoderKind;
  readonly device: string;
  readonly seed: number;
  readonly threads?: number;
  readonly evalEvery?: number;
  readonly evalEpisodes?: number;
  readonly evalSeed?: number;
  readonly checkpointEvery?: number;
  readonly resume: boolean;
  readonly force: boolean;
  readonly data?: string;
  readonly steps?: number;
  /** Another experience source in place of --workers/--source (`reverie learner`: actors over gRPC), with its name for the summary. */
  readonly makeSource?: { readonly name: string; make(infer: InferFn, s: { scenario: Scenario; encoder: EncoderKind; maxLag: number }): ExperienceSource | Promise<ExperienceSource> };
}

export interface TrainOnlineCommandResult {
  readonly out: string;
  readonly algo: OnlineAlgorithmName;
  readonly scenario: string;
  readonly episodes: number;
  readonly iterations: number;
  readonly updates: number;
  readonly resumedFrom: number;
  readonly seconds: number;
  readonly episodesPerSecond: number;
  readonly init: string | null;
  readonly source: string;
  readonly final: OnlineMetricsRow | undefined;
}

function buildOnline(algo: OnlineAlgorithmName, dims: OnlineDims, config: Record<string, unknown>, seed: number, base: boolean): OnlineAlgorithm {
  switch (algo) {
    case 'ppo': return ppo(dims, config, seed, { base });
    case 'grpo': return grpo(dims, config, seed, { base });
    case 'reinforce': return reinforce(dims, config, seed, { base });
  }
}

/** A progress bar of episodes with episodes/s and the mean return of the last iteration. */
function onlineBar(label: string) {
  const t0 = performance.now();
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      { stream: process.stderr, format: `${label} [{bar}] {percentage}% | {value}/{total} episodes | {rate} episodes/s | return {ret} | eta {eta_formatted}`, hideCursor: false, clearOnComplete: true, etaBuffer: 20 },
      cliProgress.Presets.shades_classic,
    );
    let first = -1;
    return {
      update(done: number, total: number, ret?: number) {
        if (first < 0) {
          first = done;
          bar.start(total, done, { rate: 0, ret: '-' });
        }
        const s = (performance.now() - t0) / 1000;
        bar.update(done, { rate: s > 0 ? Math.round((done - first) / s) : 0, ...(ret !== undefined ? { ret: fmt(ret, 3) } : {}) });
      },
      stop: () => bar.stop(),
    };
  }
  let last = 0;
  let first = -1;
  return {
    update(done: number, total: number, ret?: number) {
      if (first < 0) first = done;
      const now = performance.now();
      if (now - last < 5000 && done < total) return;
      last = now;
      const s = (now - t0) / 1000;
      process.stderr.write(`${label}: ${done}/${total} episodes (${total ? Math.floor((100 * done) / total) : 100}%), ${s > 0 ? Math.round((done - first) / s) : 0} episodes/s${ret !== undefined ? `, return ${fmt(ret, 3)}` : ''}\n`);
    },
    stop() {},
  };
}

/** The online train command's work: build the algorithm and the source, train, write the policy checkpoint. */
export async function runTrainOnline(o: RunTrainOnlineOptions, out: Output): Promise<TrainOnlineCommandResult> {
  if (o.data !== undefined) throw new CliError(`--data: --algo ${o.algo} trains online, from episodes it plays itself; drop --data (offline algorithms: ${ALGORITHMS.join(', ')})`, EXIT_USAGE);
  if (o.steps !== undefined) throw new CliError(`--steps: --algo ${o.algo} counts --episodes, not steps`, EXIT_USAGE);
  if (!o.scenario) throw new CliError('--scenario: required for online training: a built-in scenario id (see `reverie scenarios list`) or a scenario file', EXIT_USAGE);
  if (o.episodes === undefined) throw new CliError('--episodes: required for online training, e.g. --episodes 50000', EXIT_USAGE);
  if (o.resume && o.force) throw new CliError('--resume and --force cannot be used together: --resume continues the run in --out, --force starts it over', EXIT_USAGE);
  if (!o.resume && !o.force && existsSync(join(o.out, TRAINER_FILE))) {
    throw new CliError(`${o.out} already holds a training run (${TRAINER_FILE}); continue it with --resume, start over with --force, or choose another --out`, EXIT_USAGE);
  }
  const workers = o.workers ?? 0;
  const sourceName = o.makeSource ? o.makeSource.name : workers === 0 ? 'in-process' : `${o.source === 'central' ? 'central inference' : 'local copies'}, ${workers} worker${workers > 1 ? 's' : ''}`;
  const { scenario, ctx } = loadScenario(o.scenario);
  const encoder = makeEncoder(o.encoder, ctx);
  const dims = { obsSize: encoder.size, numActions: ctx.actions.length };
  let base;
  if (o.init) {
    try {
      base = await loadBasePolicy(o.init, ctx, encoder);
    } catch (err) {
      if (err instanceof PolicyError) throw new CliError(`--init: ${err.message}`, EXIT_FAILURE);
      throw err;
    }
  }
  let algo: OnlineAlgorithm;
  try {
    algo = buildOnline(o.algo, dims, o.config, o.seed, base !== undefined);
  } catch (err) {
    await base?.close();
    if (err instanceof ConfigError) throw new CliError(`--config: ${err.message}`, EXIT_USAGE);
    throw err;
  }
  out.note(`train: ${o.algo} on ${scenario.id} ${scenario.version}, ${o.episodes} episodes (${algo.config.episodesPerIteration} per iteration), ${o.encoder} encoder (${encoder.size} features), ${sourceName} source${o.init ? `, from ${o.init}` : ''} → ${o.out}`);
  const bar = onlineBar(`train ${o.algo}`);
  const tty = process.stderr.isTTY;
  let run;
  try {
    run = await trainOnline({
      algorithm: algo, dir: o.out, episodes: o.episodes, seed: o.seed, device: o.device, threads: o.threads, resume: o.resume,
      evalEvery: o.evalEvery, evalEpisodes: o.evalEpisodes, evalSeed: o.evalSeed, checkpointEvery: o.checkpointEvery, base,
      source: (infer) =>
        o.makeSource ? o.makeSource.make(infer, { scenario, encoder: o.encoder, maxLag: algo.config.maxPolicyLag })
        : workers === 0 ? createInProcessSource({ scenario, encoder: o.encoder }, infer)
          : o.source === 'central' ? createCentralSource({ scenario, encoder: o.encoder, workers }, infer)
            : createLocalCopiesSource({ scenario, encoder: o.encoder, workers }),
      meta: { scenario: { id: ctx.scenario.id, version: ctx.scenario.version, hash: ctx.hash }, encoder: { kind: encoder.kind, size: encoder.size }, init: o.init ?? null },
      onProgress: (done, total, row) => {
        bar.update(done, total, row?.return_mean ?? undefined);
        if (row && !tty && row.eval_return != null) out.note(`train: iteration ${row.iteration}: held-out return ${fmt(row.eval_return as number, 3)} [${fmt(row.eval_ci_lo as number, 3)}, ${fmt(row.eval_ci_hi as number, 3)}] (sampled)`);
      },
    });
  } catch (err) {
    await base?.close();
    if (err instanceof DeviceUnavailableError) throw new CliError(`--device ${o.device}: ${err.message}`, EXIT_FAILURE);
    if (err instanceof Error && /cannot resume|checkpoint|diverged/.test(err.message)) throw new CliError(err.message, EXIT_FAILURE);
    throw err;
  } finally {
    bar.stop();
  }
  try {
    writePolicyCheckpoint(o.out, { algo: o.algo, ctx, encoder, model: run.model, scores: logitScores(), step: run.trainer.steps, config: { ...(algo.config as Record<string, unknown>), init: o.init ?? null } });
  } finally {
    await run.trainer.dispose();
    await base?.close();
  }
  const played = run.episodes - run.resumedFrom * algo.config.episodesPerIteration;
  return {
    out: o.out, algo: o.algo, scenario: scenario.id, episodes: run.episodes, iterations: run.iterations, updates: run.trainer.steps,
    resumedFrom: run.resumedFrom, seconds: run.seconds, episodesPerSecond: run.seconds > 0 ? played / run.seconds : 0,
    init: o.init ?? null, source: sourceName, final: run.last,
  };
}

export function onlineSummary(r: TrainOnlineCommandResult): string {
  const f = r.final;
  return [
    `wrote ${r.out}: ${r.algo} policy after ${r.episodes} episodes (${r.iterations} iterations, ${r.updates} updates)${r.resumedFrom ? ` (resumed from iteration ${r.resumedFrom})` : ''}${r.init ? `, from ${r.init}` : ''}`,
    `  ${fmt(r.seconds, 1)} s, ${Math.round(r.episodesPerSecond)} episodes/s (${r.source})`,
    ...(f ? [`  last iteration: return ${fmt(f.return_mean as number, 3)}, success ${fmt(100 * (f.success_rate as number), 1)}%` + (f.eval_return != null ? `; held-out (sampled) ${fmt(f.eval_return as number, 3)} [${fmt(f.eval_ci_lo as number, 3)}, ${fmt(f.eval_ci_hi as number, 3)}]` : '')] : []),
    `  evaluate it: reverie eval --scenario ${r.scenario} --policy ${r.out} --episodes 2000 --seed 1000`,
  ].join('\n');
}
