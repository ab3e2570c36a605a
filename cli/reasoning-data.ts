/**
 * Datasets of reasoning episodes (actors/reasoning): `generate` on a reasoning scenario, their
 * prompt/completion export, and `train --algo sft --data DIR` on them. The dataset layout is the
 * dialogue one (JSONL shards, manifest with sha256, resume) with `family: 'reasoning'` in the
 * manifest's scenario and a `reasoning.json` beside it holding the level mixture.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import {
  ReasoningEpisodeSchema, makeReasoningContext, reasoningPolicyByName, reasoningSpecs, runReasoningEpisodes, toPromptCompletion,
  type ReasoningEpisode, type ReasoningPolicy, type Written,
} from '../actors/reasoning/index.js';
import type { Episode } from '../actors/episode.js';
import { DatasetError, writeFileAtomic } from '../environments/dataset/files.js';
import { SCENARIO_FILE, type DatasetPlan, type Manifest } from '../environments/dataset/manifest.js';
import { openDataset, readEpisodes } from '../environments/dataset/reader.js';
import { exportRecords } from '../environments/dataset/export.js';
import { DatasetWriter, readManifest } from '../environments/dataset/writer.js';
import { summarizeEpisode, type Summary } from '../environments/stats.js';
import { datasetBatch, parseLevels, type DatasetRow, type LevelWeight } from '../learners/reasoning/data.js';
import { decodeCached } from '../learners/reasoning/decode.js';
import { SftConfig, openReasoner, runSft, type Reasoner, type ReasonerSpec, type SftConfigInput } from '../learners/reasoning/sft.js';
import * as ort from 'onnxruntime-node';
import { contentHash } from '../scenarios/hash.js';
import { loadReasoningScenario, type ReasoningScenario } from '../scenarios/reasoning/index.js';
import { CliError, EXIT_USAGE, Output, fmt, intOption, parseOptions, peakRssMiB, pct, progress } from './common.js';
import { isReasoningScenario } from './reasoning.js';

/** The manifest's `scenario.family` of a reasoning dataset. */
export const REASONING_FAMILY = 'reasoning';
/** Beside the manifest: what else decides a reasoning dataset's bytes (the level mixture). */
export const REASONING_FILE = 'reasoning.json';

/** Whether `generate` was asked for a reasoning dataset (a reasoning `--scenario`, or `--resume` of one). */
export async function isReasoningGenerate(raw: Record<string, unknown>): Promise<boolean> {
  if (typeof raw.scenario === 'string') return isReasoningScenario(raw.scenario);
  return raw.resume === true && typeof raw.out === 'string' && (await readManifest(raw.out).catch(() => null))?.scenario.family === REASONING_FAMILY;
}

/** Whether a dataset directory holds reasoning episodes. */
export async function isReasoningDataset(dir: string): Promise<boolean> {
  return (await readManifest(dir).catch(() => null))?.scenario.family === REASONING_FAMILY;
}

const Options = z.object({
  scenario: z.string().min(1).optional(),
  policy: z.string().min(1, 'expected a policy name'),
  episodes: intOption('the number of episodes', 1, 1_000_000_000),
  seed: intOption('the run seed', 0, 0xffffffff),
  concurrency: intOption('episodes played at once', 1, 100_000),
  shardSize: intOption('episodes per shard file', 1, 100_000_000),
  taskSize: intOption('episodes per chunk', 1, 10_000_000),
  levels: z.string().optional(),
  out: z.string({ error: 'expected the output directory, e.g. --out data/addition' }).min(1),
  resume: z.boolean().default(false),
  force: z.boolean().default(false),
  json: z.boolean().default(false),
});

const ReasoningFile = z.object({ format: z.literal('reverie-reasoning-dataset'), levels: z.array(z.object({ level: z.number(), weight: z.number() })) });

function levelsArg(text: string | undefined, scenario: ReasoningScenario): LevelWeight[] {
  if (text === undefined) return scenario.difficulty.map((_, i) => ({ level: i + 1, weight: 1 }));
  let levels: LevelWeight[];
  try {
    levels = parseLevels(text);
  } catch (err) {
    throw new CliError(`--levels: ${(err as Error).message}; e.g. --levels 1:0.5,2:0.5`, EXIT_USAGE);
  }
  for (const l of levels) if (l.level > scenario.difficulty.length) throw new CliError(`--levels: '${scenario.id}' has levels 1 to ${scenario.difficulty.length}, got ${l.level}`, EXIT_USAGE);
  return levels;
}

/**
 * `generate` on a reasoning scenario: plays reasoning episodes in this process (K at once, the
 * policy's writes batched per tick) and streams them through the dataset writer in index order.
 * Episode i has seed `deriveSeed(seed, i)` and a level drawn from `--levels` (default: every
 * level, equal weights); the same command gives the same bytes, and `--resume` continues.
 */
export async function runGenerateReasoning(raw: Record<string, unknown>, cmd: Command): Promise<void> {
  const o = parseOptions(Options, raw);
  const out = new Output(o.json);
  if (o.resume && o.force) throw new CliError('--resume and --force cannot be used together: --resume continues the dataset in --out, --force overwrites it', EXIT_USAGE);
  const explicit = (name: string) => cmd.getOptionValueSource(name) === 'cli';
  let { policy, seed, episodes, shardSize } = o;
  let scenarioArg = o.scenario;
  let levelsText = o.levels;
  const m = o.resume ? await readManifest(o.out) : null;
  if (m) {
    if (!explicit('policy')) policy = m.policy;
    if (!explicit('seed')) seed = m.seed;
    if (!explicit('episodes')) episodes = m.episodes;
    if (!explicit('shardSize')) shardSize = m.shardSize;
    if (!scenarioArg) scenarioArg = join(o.out, SCENARIO_FILE);
    const saved = existsSync(join(o.out, REASONING_FILE)) ? ReasoningFile.parse(JSON.parse(readFileSync(join(o.out, REASONING_FILE), 'utf8'))) : null;
    if (saved && levelsText === undefined) levelsText = saved.levels.map((l) => `${l.level}:${l.weight}`).join(',');
  }
  if (!scenarioArg) throw new CliError('--scenario: required', EXIT_USAGE);
  const scenario = loadReasoningScenario(scenarioArg);
  const ctx = makeReasoningContext(scenario);
  const levels = levelsArg(levelsText, scenario);
  if (m && existsSync(join(o.out, REASONING_FILE))) {
    const saved = ReasoningFile.parse(JSON.parse(readFileSync(join(o.out, REASONING_FILE), 'utf8')));
    if (JSON.stringify(saved.levels) !== JSON.stringify(levels)) throw new DatasetError(`cannot resume ${o.out}: it was generated with --levels ${saved.levels.map((l) => `${l.level}:${l.weight}`).join(',')}; use the same levels, or --force to start over`);
  }
  let policyImpl: ReasoningPolicy;
  let reasoner: Reasoner | undefined;
  const ckpt = checkpointArg(policy);
  if (ckpt) {
    reasoner = await openReasoner(ckpt.dir);
    if (reasoner.spec.scenario.hash !== ctx.hash) {
      await reasoner.dispose();
      throw new CliError(`--policy: ${ckpt.dir} was trained on '${reasoner.spec.scenario.id}' (hash ${reasoner.spec.scenario.hash}), not on this '${scenario.id}' (hash ${ctx.hash})`, EXIT_USAGE);
    }
    policyImpl = checkpointPolicy(reasoner, ckpt.temperature, policy);
  } else {
    try {
      policyImpl = reasoningPolicyByName(policy, ctx.task);
    } catch (err) {
      throw new CliError(`--policy: ${(err as Error).message}`, EXIT_USAGE);
    }
  }
  const plan: DatasetPlan = { scenario: { id: scenario.id, version: scenario.version, hash: ctx.hash, family: REASONING_FAMILY }, policy, seed, episodes, shardSize };
  out.note(`generate: ${scenario.id} ${scenario.version} (${ctx.hash}) × ${policy}, levels ${levels.map((l) => `${l.level}:${l.weight}`).join(',')}, seed ${seed}, ${episodes} episodes → ${o.out}${o.resume ? ' (resume)' : ''}`);
  const t0 = performance.now();
  const writer = await DatasetWriter.open(o.out, plan, scenario, o.resume ? 'resume' : o.force ? 'force' : 'fresh');
  const resumedFrom = writer.next;
  const bar = progress('generate');
  let manifest: Manifest;
  try {
    await writeFileAtomic(join(o.out, REASONING_FILE), JSON.stringify({ format: 'reverie-reasoning-dataset', levels }, null, 2) + '\n');
    bar.update(writer.next, episodes);
    while (writer.next < episodes) {
      const start = writer.next;
      const end = Math.min(episodes, start + o.taskSize, (Math.floor(start / shardSize) + 1) * shardSize);
      const eps = await runReasoningEpisodes(ctx, policyImpl, reasoningSpecs(ctx, seed, start, end, levels), { concurrency: o.concurrency });
      const text = eps.map((e) => JSON.stringify(e) + '\n').join('');
      await writer.write({ start, bytes: Buffer.from(text), summaries: eps.map((e) => summarizeEpisode(e as Episode)) });
      bar.update(writer.next, episodes);
    }
    manifest = await writer.finish();
  } finally {
    bar.stop();
    await writer.close();
    await reasoner?.dispose();
  }
  const seconds = (performance.now() - t0) / 1000;
  const generated = episodes - resumedFrom;
  const s = manifest.summary;
  out.result({
    command: 'generate', kind: 'reasoning', out: o.out, scenario: manifest.scenario, policy, seed, episodes, levels, shardSize,
    shards: manifest.shards.length, resumedFrom, generated, seconds, episodesPerSecond: seconds > 0 ? generated / seconds : 0,
    concurrency: o.concurrency, summary: s, peakRssMiB: peakRssMiB(),
  }, [
    `wrote ${o.out}: ${episodes} reasoning episodes in ${manifest.shards.length} shard${manifest.shards.length === 1 ? '' : 's'}${resumedFrom ? ` (${resumedFrom} kept from before, ${generated} new)` : ''} in ${fmt(seconds, 2)} s`,
    ...(s ? [reasoningSummaryText(s)] : []),
  ].join('\n'));
}

/** `DIR` (greedy), `DIR#sample` (temperature 1) or `DIR#sample:T` when DIR holds a reasoner run (reasoner.json); else null. */
function checkpointArg(arg: string): { dir: string; temperature: number } | null {
  const m = /^(.*?)(?:#sample(?::([0-9.]+))?)?$/.exec(arg);
  const dir = m?.[1] ?? arg;
  if (!existsSync(join(dir, 'reasoner.json'))) return null;
  const temperature = arg.includes('#sample') ? Number(m?.[2] ?? 1) : 0;
  if (!(temperature >= 0)) throw new CliError(`--policy: '${arg}': the temperature after #sample: must be a number ≥ 0`, EXIT_USAGE);
  return { dir, temperature };
}

/**
 * A trained reasoner (learners/reasoning) as an actors' `ReasoningPolicy`: one tick writes every
 * waiting episode's whole completion with the KV-cache decoder (one seeded stream per episode, so
 * a completion does not depend on its batch), then one full-model run scores the written tokens:
 * `logProbs` are log softmax(logits / T) of each token (T = 1 when greedy). A completion that
 * fills the model's context ends the episode (`end`).
 */
export function checkpointPolicy(reasoner: Reasoner, temperature: number, name: string): ReasoningPolicy {
  const { spec, task } = reasoner;
  const seq = spec.contextLength;
  const { eos, pad } = task.tokenizer;
  const kv = reasoner.kv;
  if (!kv) throw new Error('checkpointPolicy: the reasoner was opened without its KV-cache model');
  return {
    name,
    async write(requests): Promise<Written[]> {
      if (requests.some((r) => r.written.length > 0)) throw new Error(`policy '${name}' writes whole completions; it was asked to continue one`);
      const prompts = requests.map((r) => r.problem.prompt);
      const out = await decodeCached(kv.session, kv.cache, prompts, { seq, eos, pad, temperature, rngs: requests.map((r) => r.rng), maxNewTokens: Math.min(...requests.map((r) => r.budget)) });
      const tokens = new BigInt64Array(requests.length * seq).fill(BigInt(pad));
      out.forEach((d, b) => [...prompts[b], ...d.completion].slice(0, seq).forEach((t, k) => (tokens[b * seq + k] = BigInt(t))));
      const run = await reasoner.session.run({ tokens: new ort.Tensor('int64', tokens, [requests.length, seq]) }, ['logits']);
      const logits = run.logits.data as Float32Array;
      const vocab = logits.length / (requests.length * seq);
      const t = temperature > 0 ? temperature : 1;
      const written = out.map((d, b) => {
        const logProbs = d.completion.map((tok, k) => {
          const row = logits.subarray((b * seq + prompts[b].length + k - 1) * vocab, (b * seq + prompts[b].length + k) * vocab);
          let max = -Infinity;
          for (const x of row) max = Math.max(max, x / t);
          let sum = 0;
          for (const x of row) sum += Math.exp(x / t - max);
          return row[tok] / t - max - Math.log(sum);
        });
        return { tokens: d.completion, logProbs, ...(d.stop === 'context' ? { end: true } : {}) };
      });
      run.logits.dispose();
      return written;
    },
  };
}

/** Streams a reasoning dataset's episodes (shards' sha256 checked; every line against ReasoningEpisodeSchema). */
export async function* readReasoningEpisodes(dir: string): AsyncGenerator<ReasoningEpisode> {
  let k = 0;
  for await (const raw of readEpisodes(dir, { validate: false })) {
    const r = ReasoningEpisodeSchema.safeParse(raw);
    if (!r.success) {
      const i = r.error.issues[0];
      throw new DatasetError(`${dir}: episode ${k} is not a valid reasoning episode: ${i.path.join('.') || '(root)'}: ${i.message}`);
    }
    k++;
    yield r.data;
  }
}

/**
 * `export --format chat` of a reasoning dataset: one prompt/completion record per line (see
 * `toPromptCompletion` and cli/README.md), written to a temp file, then renamed.
 */
export async function exportReasoningDataset(dir: string, out: string, onProgress?: (done: number, total: number) => void): Promise<{ episodes: number; file: string }> {
  return await exportRecords(dir, out, readReasoningEpisodes(dir), toPromptCompletion, onProgress);
}

/** The training rows of a reasoning dataset (errored episodes left out) and its level mixture. */
export async function loadReasoningRows(dir: string): Promise<{ manifest: Manifest; rows: DatasetRow[]; levels: LevelWeight[] }> {
  const manifest = await openDataset(dir);
  if (manifest.scenario.family !== REASONING_FAMILY) throw new CliError(`--data: ${dir} holds dialogue episodes (${manifest.scenario.id}); --algo sft trains on a reasoning dataset (\`reverie generate --scenario addition --policy reasoner\`)`, EXIT_USAGE);
  const rows: DatasetRow[] = [];
  const counts = new Map<number, number>();
  for await (const ep of readReasoningEpisodes(dir)) {
    if (ep.stop === 'error') continue;
    rows.push({ tokens: ep.tokens, promptLength: ep.promptLength });
    counts.set(ep.level, (counts.get(ep.level) ?? 0) + 1);
  }
  const levels = [...counts].sort((a, b) => a[0] - b[0]).map(([level, n]) => ({ level, weight: n / rows.length }));
  return { manifest, rows, levels };
}

/**
 * SFT on a generated reasoning dataset: `runSft` (same config, graph, trainer, checkpoints,
 * resume, metrics and exported files) with its `source` hook giving batches of the dataset's rows
 * (`datasetBatch`) instead of the on-the-fly reasoner. `config.json` and `reasoner.json` record
 * the data source (`data: { dir, manifest hash, episodes }`); `levels` are the dataset's.
 */
export async function runSftOnDataset(input: SftConfigInput, data: string, hooks: { readonly log?: (row: Record<string, number>) => void } = {}) {
  const { manifest, rows, levels } = await loadReasoningRows(data);
  const config = SftConfig.parse({ ...input, levels });
  const scenario = loadReasoningScenario(config.scenario);
  const hash = contentHash(scenario);
  if (hash !== manifest.scenario.hash) throw new CliError(`--data: ${data} was generated from '${manifest.scenario.id}' ${manifest.scenario.version} (hash ${manifest.scenario.hash}), not '${config.scenario}' (hash ${hash})`, EXIT_USAGE);
  const source = { dir: data, scenario: manifest.scenario, policy: manifest.policy, seed: manifest.seed, episodes: manifest.episodes, rows: rows.length, shards: manifest.shards.map((s) => s.sha256) };
  if (config.resume && existsSync(join(config.out, 'trainer.ckpt'))) {
    // checked here too, so that a mismatch is a usage error naming the CLI's options (runSft checks the same and more)
    const saved = JSON.parse(readFileSync(join(config.out, 'config.json'), 'utf8')) as SftConfig & { data?: typeof source };
    for (const k of ['scenario', 'policy', 'batchSize', 'dataSeed', 'seed'] as const) {
      if (JSON.stringify(saved[k]) !== JSON.stringify(config[k])) throw new CliError(`${config.out}: resuming with a different '${k}' (${JSON.stringify(saved[k])} saved, ${JSON.stringify(config[k])} now); use another --out or --force`, EXIT_USAGE);
    }
    if (JSON.stringify(saved.data?.shards) !== JSON.stringify(source.shards)) throw new CliError(`${config.out}: resuming on other data than it was trained on (${saved.data?.dir ?? 'the scripted reasoner'}); use another --out or --force`, EXIT_USAGE);
  }
  const pad = makeReasoningContext(scenario).task.tokenizer.pad;
  const r = await runSft(config, {
    ...hooks,
    source: {
      batches: (step, size) => datasetBatch(rows, { seq: config.policy.seq, dataSeed: config.dataSeed }, step, size, pad),
      data: source,
      sameAs: (saved) => JSON.stringify(saved.shards) === JSON.stringify(source.shards), // the same shards, wherever the directory now is
    },
  });
  return { ...r, spec: r.spec as ReasonerSpec & { data: typeof source }, data: source };
}

/** A dataset summary in reasoning words: correct = success, score = return. */
export function reasoningSummaryText(s: Summary): string {
  return [
    `  episodes      ${s.episodes}${s.errored ? ` (${s.errored} errored)` : ''}`,
    `  correct       ${pct(s.successRate)}  (95% CI ${pct(s.successRateCI95[0])} – ${pct(s.successRateCI95[1])})`,
    `  mean score    ${fmt(s.meanReturn)}  (95% CI ${fmt(s.returnCI95[0])} – ${fmt(s.returnCI95[1])})`,
  ].join('\n');
}
