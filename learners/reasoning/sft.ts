/**
 * Supervised fine-tuning of the token policy on the scripted reasoner's data: masked next-token
 * cross-entropy, AdamW, linear warm-up then cosine decay (or a constant rate), one compiled ONNX
 * train step run by the runtime's {@link Trainer}. A run writes a directory:
 *
 * | file | what |
 * | --- | --- |
 * | `config.json` | the parsed {@link SftConfig} (and `data`, with a {@link SftSource}) |
 * | `metrics.jsonl` | one row per `logEvery` steps: step, loss, token_acc (window means), lr, seconds |
 * | `trainer.ckpt` | Trainer checkpoint (params, AdamW state, step, RNG), every `checkpointEvery` steps and at the end; a rerun with `resume` continues from it |
 * | `policy.onnx` | the inference model (weights baked in; input `tokens` int64 [batch, seq], output `logits`) |
 * | `reasoner.json` | {@link ReasonerSpec}: scenario id/version/hash, vocabulary, context length, model config |
 *
 * @example
 * const result = await runSft({ scenario: 'addition', out: 'runs/sft', levels: [{ level: 1, weight: 1 }], steps: 600 });
 * const reasoner = await openReasoner('runs/sft');   // then decode / evaluate
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { contentHash } from '../../scenarios/hash.js';
import { ReasoningTask, loadReasoningScenario } from '../../scenarios/reasoning/index.js';
import { compileForward, compileTrainStep } from '../graph/compile.js';
import { adamw } from '../graph/optim.js';
import { DeviceSession } from '../runtime/session.js';
import { Trainer } from '../runtime/trainer.js';
import { sftBatch, type SftBatch } from './data.js';
import type { CacheShape } from './decode.js';
import { kvModelFromPolicy, kvShape } from './kv.js';
import { PolicyConfig, policyModel, sftLoss } from './policy.js';

export const SftConfig = z.strictObject({
  /** Built-in reasoning scenario id or a path to a scenario file. */
  scenario: z.string().min(1),
  /** Output directory. */
  out: z.string().min(1),
  /** The mixture over difficulty levels the data is drawn from. */
  levels: z.array(z.strictObject({ level: z.number().int().min(1), weight: z.number().positive() })).min(1).default([{ level: 1, weight: 1 }]),
  policy: PolicyConfig.prefault({}),
  steps: z.number().int().positive().default(1000),
  batchSize: z.number().int().positive().default(32),
  lr: z.number().positive().default(1e-3),
  schedule: z.enum(['cosine', 'constant']).default('cosine'),
  warmup: z.number().int().min(0).default(50),
  /** Cosine floor as a share of lr. */
  minLrRatio: z.number().min(0).max(1).default(0.1),
  weightDecay: z.number().min(0).default(0.01),
  /** Global gradient-norm clip (none when absent). */
  clipNorm: z.number().positive().optional(),
  /** Seed of parameter initialisation and of the trainer's RNG. */
  seed: z.number().int().default(1),
  /** Seed of the data stream (problem seeds derive from it; see data.ts). */
  dataSeed: z.number().int().default(1),
  logEvery: z.number().int().positive().default(25),
  checkpointEvery: z.number().int().positive().default(500),
  /** Continue from `out/trainer.ckpt` when it is there. */
  resume: z.boolean().default(true),
  /** onnxruntime intra-op threads (default: onnxruntime's). */
  threads: z.number().int().positive().optional(),
  device: z.string().optional(),
});
export type SftConfig = z.infer<typeof SftConfig>;
export type SftConfigInput = z.input<typeof SftConfig>;

/** What `reasoner.json` says: enough to decode and grade with the model without the run's config. */
export interface ReasonerSpec {
  readonly format: 'reverie-reasoner';
  readonly formatVersion: 1;
  readonly scenario: { readonly id: string; readonly version: string; readonly hash: string; readonly task: string; readonly source: string };
  readonly vocab: readonly string[];
  readonly pad: number;
  readonly eos: number;
  /** Context length: the model reads `contextLength` tokens; sequences are at most contextLength + 1 long. */
  readonly contextLength: number;
  readonly policy: PolicyConfig;
  readonly levels: SftConfig['levels'];
  readonly steps: number;
  readonly model: string;
  /** Where the training data came from, when not the scripted reasoner ({@link SftSource}). */
  readonly data?: Readonly<Record<string, unknown>>;
}

/**
 * Training data other than the scripted reasoner's on-the-fly stream (e.g. a generated dataset):
 * `batches(step, size)` gives the batch of 0-based step `step` (a pure function of the step, so a
 * resumed run sees the same batches), and `data` describes it; it is recorded as `data` in
 * config.json and reasoner.json, and a resume on other data (or none) is refused.
 */
export interface SftSource {
  readonly batches: (step: number, size: number) => Omit<SftBatch, 'examples'>;
  readonly data: Readonly<Record<string, unknown>>;
  /** Whether a run that recorded `saved` as its data may resume on this source (default: the same JSON). */
  readonly sameAs?: (saved: Readonly<Record<string, unknown>>) => boolean;
}

export interface SftResult {
  readonly out: string;
  readonly steps: number;
  /** Steps run by this call (fewer than `steps` when resumed). */
  readonly ranSteps: number;
  readonly seconds: number;
  readonly final: { readonly loss: number; readonly token_acc: number };
  readonly spec: ReasonerSpec;
}

/** The learning rate at 1-based step `step`: linear warm-up, then cosine to minLrRatio·lr (or constant). */
export function lrAt(config: Pick<SftConfig, 'lr' | 'schedule' | 'warmup' | 'minLrRatio' | 'steps'>, step: number): number {
  if (config.warmup > 0 && step <= config.warmup) return (config.lr * step) / config.warmup;
  if (config.schedule === 'constant') return config.lr;
  const span = Math.max(1, config.steps - config.warmup);
  const progress = Math.min(1, (step - config.warmup) / span);
  const floor = config.lr * config.minLrRatio;
  return floor + (config.lr - floor) * 0.5 * (1 + Math.cos(Math.PI * progress));
}

export function taskOf(scenario: string): ReasoningTask {
  return new ReasoningTask(loadReasoningScenario(scenario));
}

/** The reasoner.json of a run trained from scratch on `task` (`scenario` as the user named it); `policy.onnx` beside it. */
export function reasonerSpec(task: ReasoningTask, o: { readonly scenario: string; readonly policy: PolicyConfig; readonly levels: SftConfig['levels']; readonly steps: number }): ReasonerSpec {
  return {
    format: 'reverie-reasoner',
    formatVersion: 1,
    scenario: { id: task.scenario.id, version: task.scenario.version, hash: contentHash(task.scenario), task: task.scenario.task, source: o.scenario },
    vocab: task.tokenizer.tokens,
    pad: task.tokenizer.pad,
    eos: task.tokenizer.eos,
    contextLength: o.policy.seq,
    policy: o.policy,
    levels: o.levels,
    steps: o.steps,
    model: 'policy.onnx',
  };
}

/** Trains (or resumes) and writes the run directory; see the module comment. */
export async function runSft(input: SftConfigInput, hooks: { readonly log?: (row: Record<string, number>) => void; readonly source?: SftSource } = {}): Promise<SftResult> {
  const config = SftConfig.parse(input);
  const task = taskOf(config.scenario);
  for (const l of config.levels) if (l.level > task.levels) throw new RangeError(`levels: scenario '${task.scenario.id}' has ${task.levels} levels, got level ${l.level}`);
  const vocab = task.tokenizer.size;
  const model = policyModel({ ...config.policy, vocab });
  const trainGraph = compileTrainStep(model, sftLoss(), adamw({ weightDecay: config.weightDecay, ...(config.clipNorm ? { clipNorm: config.clipNorm } : {}) }), { seed: config.seed });
  mkdirSync(config.out, { recursive: true });
  const ckpt = join(config.out, 'trainer.ckpt');
  const metricsPath = join(config.out, 'metrics.jsonl');
  const options = { seed: config.seed, lr: (s: number) => lrAt(config, s), config: JSON.parse(JSON.stringify(config)), threads: config.threads, device: config.device, spinning: false };
  const resuming = config.resume && existsSync(ckpt);
  if (resuming) {
    const saved = JSON.parse(readFileSync(join(config.out, 'config.json'), 'utf8')) as SftConfig & { data?: Readonly<Record<string, unknown>> };
    for (const k of ['scenario', 'policy', 'batchSize', 'dataSeed', 'seed', 'levels'] as const) {
      if (JSON.stringify(saved[k]) !== JSON.stringify(config[k])) throw new Error(`${config.out}: resuming with a different '${k}' (${JSON.stringify(saved[k])} saved, ${JSON.stringify(config[k])} now); use another out directory or resume: false`);
    }
    const source = hooks.source;
    const same = !saved.data || !source ? saved.data === source?.data : source.sameAs ? source.sameAs(saved.data) : JSON.stringify(saved.data) === JSON.stringify(source.data);
    if (!same) throw new Error(`${config.out}: resuming on other training data than it was trained on; use another out directory or resume: false`);
  } else if (existsSync(metricsPath)) writeFileSync(metricsPath, '');
  writeFileSync(join(config.out, 'config.json'), JSON.stringify(hooks.source ? { ...config, data: hooks.source.data } : config, null, 2) + '\n');
  const trainer = resuming ? await Trainer.resume(ckpt, trainGraph, options) : await Trainer.create(trainGraph, options);
  if (resuming && existsSync(metricsPath)) {
    // rows written after the checkpoint by the interrupted run are redone: drop them
    const kept = readFileSync(metricsPath, 'utf8').split('\n').filter((l) => l.trim() !== '' && (JSON.parse(l) as { step: number }).step <= trainer.steps);
    writeFileSync(metricsPath, kept.map((l) => l + '\n').join(''));
  }
  const started = Date.now();
  const first = trainer.steps;
  let window = { loss: 0, acc: 0, n: 0 };
  let final = { loss: NaN, token_acc: NaN };
  try {
    const data = { seq: config.policy.seq, levels: config.levels, dataSeed: config.dataSeed };
    while (trainer.steps < config.steps) {
      const b = hooks.source ? hooks.source.batches(trainer.steps, config.batchSize) : sftBatch(task, data, trainer.steps, config.batchSize);
      const dims = [b.size, b.seq];
      const { step, metrics } = await trainer.step({ tokens: { data: b.tokens, dims }, targets: { data: b.targets, dims }, mask: { data: b.mask, dims } });
      if (!Number.isFinite(metrics.loss)) throw new Error(`step ${step}: the loss is ${metrics.loss}; lower lr or set clipNorm`);
      window = { loss: window.loss + metrics.loss, acc: window.acc + metrics.token_acc, n: window.n + 1 };
      if (step % config.logEvery === 0 || step === config.steps) {
        final = { loss: window.loss / window.n, token_acc: window.acc / window.n };
        const row = { step, loss: final.loss, token_acc: final.token_acc, lr: lrAt(config, step), seconds: (Date.now() - started) / 1000 };
        appendFileSync(metricsPath, JSON.stringify(row) + '\n');
        hooks.log?.(row);
        window = { loss: 0, acc: 0, n: 0 };
      }
      if (step % config.checkpointEvery === 0 && step < config.steps) await trainer.checkpoint(ckpt);
    }
    await trainer.checkpoint(ckpt);
    const forward = compileForward(model, { seed: config.seed, outputs: ['logits'] });
    await trainer.exportInference(forward, join(config.out, 'policy.onnx'));
  } finally {
    await trainer.dispose();
  }
  const spec: ReasonerSpec = { ...reasonerSpec(task, config), ...(hooks.source ? { data: hooks.source.data } : {}) };
  writeFileSync(join(config.out, 'reasoner.json'), JSON.stringify(spec, null, 2) + '\n');
  return { out: config.out, steps: config.steps, ranSteps: config.steps - first, seconds: (Date.now() - started) / 1000, final, spec };
}

/** A trained reasoner opened for inference: its spec, its task (scenario checked against the hash) and an onnxruntime session. */
export interface Reasoner {
  readonly spec: ReasonerSpec;
  readonly task: ReasoningTask;
  /** The full-context model (policy.onnx). */
  readonly session: DeviceSession;
  /** The KV-cache step model built from the same weights (kv.ts), unless opened with `kvCache: false`. */
  readonly kv?: { readonly session: DeviceSession; readonly cache: CacheShape };
  dispose(): Promise<void>;
}

/** Opens a run directory written by {@link runSft}. The scenario must be the one it was trained on (same content hash). */
export async function openReasoner(dir: string, options: { readonly threads?: number; readonly device?: string; readonly kvCache?: boolean } = {}): Promise<Reasoner> {
  const spec = JSON.parse(readFileSync(join(dir, 'reasoner.json'), 'utf8')) as ReasonerSpec;
  if (spec.format !== 'reverie-reasoner') throw new Error(`${dir}/reasoner.json: not a reasoner spec (format '${String(spec.format)}')`);
  const task = taskOf(spec.scenario.source);
  const hash = contentHash(task.scenario);
  if (hash !== spec.scenario.hash) throw new Error(`${dir}: trained on scenario '${spec.scenario.id}' ${spec.scenario.version} (hash ${spec.scenario.hash}) but '${spec.scenario.source}' now has hash ${hash}`);
  const runtime = { threads: options.threads, device: options.device, spinning: false };
  const bytes = new Uint8Array(readFileSync(join(dir, spec.model)));
  const session = await DeviceSession.open(bytes, runtime);
  const config = { ...spec.policy, vocab: spec.vocab.length };
  const kv = options.kvCache === false ? undefined : { session: await DeviceSession.open(kvModelFromPolicy(bytes, config), runtime), cache: kvShape(config) };
  return {
    spec,
    task,
    session,
    kv,
    async dispose() {
      await session.dispose();
      await kv?.session.dispose();
    },
  };
}
