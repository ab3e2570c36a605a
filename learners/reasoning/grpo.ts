/**
 * GRPO (Shao et al. 2024) on the token-level reasoning policy, from an SFT checkpoint:
 *
 *   per iteration: P prompts (seeds in the `grpo:` namespace, levels from the mixture or the
 *   curriculum), G completions each sampled with the KV-cache decoder (behaviour log-probs kept
 *   per token), rewards from the scenario's verifier and format check,
 *   Â_i   = (R_i − mean_group R) / (std_group R + eps)     on every policy token of sample i
 *           (`advantage: 'mean'`: R_i − mean_group R, no std division, as Dr. GRPO)
 *   L_pi  = −Σ_t w_t · min(r_t Â, clip(r_t, 1−ε, 1+ε) Â),  r_t = π(y_t|y_<t) / π_behaviour(y_t|y_<t)
 *   L_kl  = Σ_t w_t · (π_ref/π − log(π_ref/π) − 1)         (k3 estimator, at the sampled token)
 *   loss  = L_pi + β · L_kl
 *
 * w_t is the loss mask made into weights: 0 on prompt (environment) targets and padding, and on
 * policy tokens 1/(policy tokens in the minibatch) (`normalise: 'token'`, Dr. GRPO's token mean,
 * the default: long completions are not down-weighted per token) or 1/(row's policy tokens ·
 * rows) (`'sequence'`: the GRPO paper's per-sequence mean, then the mean over sequences).
 * Groups whose rewards are all equal get advantage 0 (no signal; `zero_std_frac` in the metrics).
 * The reference policy is the SFT checkpoint, frozen: its log-probs come from a forward of its
 * `policy.onnx`. `epochs` passes over the batch in shuffled minibatches, one AdamW step each.
 *
 * A run directory holds `config.json`, `metrics.jsonl` (one row per iteration), `trainer.ckpt`
 * (every `checkpointEvery` iterations and at the end; a rerun resumes from it), and `policy.onnx`
 * + `reasoner.json` in the format of sft.ts, so `openReasoner` and `reverie eval` read it unchanged.
 *
 * @example
 * const r = await runGrpo({ scenario: 'addition', init: 'runs/sft', out: 'runs/grpo', levels: [{ level: 2, weight: 1 }], iterations: 100 });
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { z } from 'zod';
import { contentHash } from '../../scenarios/hash.js';
import { permutation } from '../algorithms/online-common.js';
import { compileForward, compileTrainStep, type Loss } from '../graph/compile.js';
import type { CompiledGraph } from '../graph/compiled.js';
import { GraphError } from '../graph/errors.js';
import type { Tensor } from '../graph/graph.js';
import { chosenLogProb } from '../graph/losses.js';
import { adamw } from '../graph/optim.js';
import { bakeParameters } from '../runtime/onnx.js';
import { DeviceSession } from '../runtime/session.js';
import { Trainer } from '../runtime/trainer.js';
import type { LevelWeight } from './data.js';
import type { CacheShape, DecodeStats, SamplingOptions } from './decode.js';
import type { ReasoningTask } from '../../scenarios/reasoning/index.js';
import { initializersOf, kvPolicyModel, kvShape } from './kv.js';
import { TARGETS_FEED, TOKENS_FEED, policyModel } from './policy.js';
import { groupAdvantages, groupRows, grpoPrompts, lossWeights, packRows, rollout, type Group, type PackedRows } from './rollout.js';
import { taskOf, type ReasonerSpec } from './sft.js';

const Levels = z.array(z.strictObject({ level: z.number().int().min(1), weight: z.number().min(0) })).min(1);

/** A schedule of level weights: stage i applies from iteration `from` (0-based) until the next stage. */
const ScheduleCurriculum = z.strictObject({
  kind: z.literal('schedule'),
  stages: z.array(z.strictObject({ from: z.number().int().min(0), levels: Levels })).min(1),
});

/**
 * Adaptive: start on the first of `levels`; once the running accuracy (an exponential moving
 * average of each iteration's training accuracy, `smoothing` the weight of the newest) of the
 * highest open level passes `threshold`, open the next. The highest open level gets weight 1,
 * every lower open level `review` (so it is not forgotten).
 */
const AdaptiveCurriculum = z.strictObject({
  kind: z.literal('adaptive'),
  levels: z.array(z.number().int().min(1)).min(1),
  threshold: z.number().gt(0).max(1).default(0.7),
  smoothing: z.number().gt(0).max(1).default(0.2),
  review: z.number().min(0).default(0.25),
});

export const Curriculum = z.discriminatedUnion('kind', [ScheduleCurriculum, AdaptiveCurriculum]);
export type Curriculum = z.infer<typeof Curriculum>;

export const ReasoningGrpoConfig = z.strictObject({
  /** Built-in reasoning scenario id or a scenario file; must be the one `init` was trained on. */
  scenario: z.string().min(1),
  /** The SFT run directory to start from (policy.onnx + reasoner.json); also the frozen reference policy. */
  init: z.string().min(1),
  out: z.string().min(1),
  /** The mixture over levels the prompts are drawn from (ignored when `curriculum` is set). */
  levels: Levels.default([{ level: 1, weight: 1 }]),
  curriculum: Curriculum.optional(),
  /** Iterations (one batch of rollouts and its updates each). */
  iterations: z.number().int().positive().default(100),
  /** Prompts per iteration (P). */
  prompts: z.number().int().positive().default(16),
  /** Samples per prompt (G). */
  groupSize: z.number().int().min(2).default(8),
  /** Passes over each iteration's batch. */
  epochs: z.number().int().positive().default(1),
  /** Rows (sequences) per AdamW step; default: the whole batch (one update per epoch). */
  minibatch: z.number().int().positive().optional(),
  lr: z.number().positive().default(1e-4),
  weightDecay: z.number().min(0).default(0),
  /** Global gradient-norm clip. */
  clipNorm: z.number().positive().default(1),
  /** ε of the clipped ratio. */
  clip: z.number().positive().default(0.2),
  /** β of the k3 KL penalty to the reference (SFT) policy; 0 turns it off (kl_ref is still reported). */
  klCoef: z.number().min(0).default(0.04),
  normalise: z.enum(['token', 'sequence']).default('token'),
  /** 'correct' (1/0: well-formed and verified) or 'score' (the verifier's partial credit, 0 when malformed). */
  reward: z.enum(['correct', 'score']).default('correct'),
  /** Subtracted from the reward of a malformed completion. */
  formatPenalty: z.number().min(0).default(0),
  /** Sampling of the rollouts (behaviour log-probs are the model's own, temperature 1: keep 1 for on-policy ratios). */
  temperature: z.number().positive().default(1),
  topK: z.number().int().min(0).default(0),
  topP: z.number().gt(0).max(1).default(1),
  epsStd: z.number().positive().default(1e-6),
  /** 'std': (R − mean)/(std + eps) per group (GRPO); 'mean': R − mean, no std division (Dr. GRPO). */
  advantage: z.enum(['std', 'mean']).default('std'),
  /** Seed of the trainer's RNG (minibatch order). */
  seed: z.number().int().default(1),
  /** Seed of the prompt stream (`grpo:` namespace) and of the sampling streams. */
  dataSeed: z.number().int().default(1),
  checkpointEvery: z.number().int().positive().default(10),
  resume: z.boolean().default(true),
  /** Most tokens a rollout may generate (a token budget below the context; default: until the context is full). A cut-off completion has no answer. */
  maxNewTokens: z.number().int().positive().optional(),
  /** Rows per decoder run (default: all rows of the iteration). */
  decodeBatch: z.number().int().positive().optional(),
  threads: z.number().int().positive().optional(),
  device: z.string().optional(),
});
export type ReasoningGrpoConfig = z.infer<typeof ReasoningGrpoConfig>;
export type ReasoningGrpoConfigInput = z.input<typeof ReasoningGrpoConfig>;

export const LOGP_OLD_FEED = 'logp_old';
export const ADV_FEED = 'adv';
export const REF_LOGP_FEED = 'ref_logp';
/** Per-position loss weights: the loss mask normalised (see the module comment). */
export const WEIGHT_FEED = 'weight';

/**
 * The GRPO loss on the token policy's logits. Feeds (all [batch, seq]): `targets` int64, `weight`
 * (0 off the policy tokens), `logp_old`, `adv`, `ref_logp`. Positions of weight 0 are multiplied
 * out before the exponentials, so what is fed there cannot reach the loss or the gradient.
 * Metrics: loss_pi, kl_ref, approx_kl (k3 of behaviour vs current), clip_frac, ratio_dev
 * (max |r − 1| over policy tokens), entropy (weighted mean over policy positions).
 */
export function grpoLoss(o: { readonly clip: number; readonly klCoef: number }): Loss {
  return (g, outputs) => {
    const logits = outputs.logits;
    if (!logits) throw new GraphError('name', "grpoLoss: the model has no output 'logits'");
    const lead = logits.shape.slice(0, -1);
    const targets = g.input(TARGETS_FEED, 'int64', lead);
    const w = g.input(WEIGHT_FEED, g.dtype, lead);
    const logpOld = g.input(LOGP_OLD_FEED, g.dtype, lead);
    const adv = g.input(ADV_FEED, g.dtype, lead);
    const refLogp = g.input(REF_LOGP_FEED, g.dtype, lead);
    const on = w.gt(0).cast(g.dtype);
    const wsum = (x: Tensor) => x.mul(w).sum();
    const logp = chosenLogProb(logits, targets);
    const logRatio = logp.sub(logpOld).mul(on);
    const ratio = logRatio.exp();
    const surrogate = ratio.mul(adv).min(ratio.clip(1 - o.clip, 1 + o.clip).mul(adv));
    const lossPi = wsum(surrogate).neg();
    const d = refLogp.sub(logp).mul(on);
    const klRef = wsum(d.exp().sub(d).sub(1));
    const loss = o.klCoef > 0 ? lossPi.add(klRef.mul(o.klCoef)) : lossPi;
    const frozen = logRatio.stopGradient();
    const r = frozen.exp();
    const lp = logits.stopGradient().logSoftmax(-1);
    return {
      loss,
      metrics: {
        loss_pi: lossPi,
        kl_ref: klRef.stopGradient(),
        approx_kl: wsum(r.sub(1).sub(frozen)),
        clip_frac: wsum(r.sub(1).abs().gt(o.clip).cast(g.dtype)),
        ratio_dev: r.sub(1).abs().mul(on).maxOver(),
        entropy: wsum(lp.exp().mul(lp).sum(-1).neg()),
      },
    };
  };
}

/** The level weights of iteration `it` (0-based): the curriculum's, else the fixed mixture. */
export function levelWeights(config: Pick<ReasoningGrpoConfig, 'levels' | 'curriculum'>, it: number, state: CurriculumState): LevelWeight[] {
  const c = config.curriculum;
  if (!c) return config.levels;
  if (c.kind === 'schedule') {
    let stage = c.stages[0];
    for (const s of c.stages) if (s.from <= it) stage = s;
    return stage.levels;
  }
  return c.levels.slice(0, state.open).map((level, i) => ({ level, weight: i === state.open - 1 ? 1 : c.review }));
}

/** What the adaptive curriculum carries from iteration to iteration (restored from the last metrics row on resume). */
export interface CurriculumState {
  /** How many of the curriculum's levels are open. */
  open: number;
  /** Running accuracy by level. */
  running: Record<number, number>;
}

/** Folds an iteration's per-level accuracy into the state and opens the next level when due. */
export function advanceCurriculum(config: Pick<ReasoningGrpoConfig, 'curriculum'>, state: CurriculumState, accuracy: ReadonlyMap<number, number>): CurriculumState {
  const c = config.curriculum;
  if (!c || c.kind !== 'adaptive') return state;
  const running = { ...state.running };
  for (const [level, acc] of accuracy) running[level] = level in running ? (1 - c.smoothing) * running[level] + c.smoothing * acc : acc;
  const top = c.levels[state.open - 1];
  const open = state.open < c.levels.length && (running[top] ?? 0) >= c.threshold ? state.open + 1 : state.open;
  return { open, running };
}

export interface GrpoResult {
  readonly out: string;
  readonly iterations: number;
  readonly ranIterations: number;
  readonly updates: number;
  readonly seconds: number;
  /** AdamW steps per second of this call's wall time (rollouts included). */
  readonly updatesPerSecond: number;
  /** Generated tokens per second of this call's wall time. */
  readonly tokensPerSecond: number;
  readonly final: Readonly<Record<string, number>> | undefined;
  readonly spec: ReasonerSpec;
}

/** What a {@link Shaper} may use besides the groups: the current policy's step model and the rollout settings. */
export interface ShapeContext {
  readonly task: ReasoningTask;
  readonly kv: { readonly session: DeviceSession; readonly cache: CacheShape };
  readonly seq: number;
  readonly sampling: SamplingOptions;
  /** 0-based iteration being trained (seed streams derived from it are fresh every iteration). */
  readonly iteration: number;
  readonly dataSeed: number;
  readonly decodeBatch?: number;
}

/** A shaper's verdict on one iteration's groups. */
export interface Shaped {
  /** rewards[i][j]: the reward of group i's sample j that the group advantage is computed from. */
  readonly rewards: readonly (readonly number[])[];
  /** bonus[i][j]: per completion token, added to that sample's advantage after the group normalisation (a dense term). */
  readonly bonus?: readonly (readonly (readonly number[] | undefined)[])[];
  /** Means added to the iteration's metrics row (prefixed by nothing: name them uniquely). */
  readonly metrics?: Readonly<Record<string, number>>;
}

/**
 * A reward method plugged into GRPO (RLSP's length term, MRT's progress bonus, ...): it replaces
 * the verifier's reward used for the group advantages and may add a per-token bonus. `id` is
 * recorded in config.json as `shaping` (a resume with another shaping is refused).
 */
export interface Shaper {
  readonly id: Readonly<Record<string, unknown>>;
  readonly shape: (groups: readonly Group[], ctx: ShapeContext) => Promise<Shaped>;
}

export interface GrpoHooks {
  /** Each iteration's metrics row. */
  readonly log?: (row: Record<string, number>) => void;
  /** A reward method (default: the verifier's reward as configured by `reward` and `formatPenalty`). */
  readonly shaper?: Shaper;
  /** Each AdamW step's graph metrics (tests read the first step's ratio and KL). */
  readonly step?: (metrics: Readonly<Record<string, number>>) => void;
}

type Row = Record<string, number>;

/** Reads an SFT (or GRPO) run directory's spec and weights, checked against the scenario. */
function readInit(dir: string, scenario: string): { spec: ReasonerSpec; bytes: Uint8Array } {
  const path = join(dir, 'reasoner.json');
  if (!existsSync(path)) throw new Error(`init: ${dir} is not a reasoning run directory (no reasoner.json); train one with \`reverie train --algo sft\``);
  const spec = JSON.parse(readFileSync(path, 'utf8')) as ReasonerSpec;
  if (spec.format !== 'reverie-reasoner') throw new Error(`init: ${path} is not a reasoner spec (format '${String(spec.format)}')`);
  const task = taskOf(scenario);
  const hash = contentHash(task.scenario);
  if (spec.scenario.id !== task.scenario.id || spec.scenario.hash !== hash) {
    throw new Error(`init: ${dir} was trained on scenario '${spec.scenario.id}' ${spec.scenario.version} (hash ${spec.scenario.hash}), not on '${scenario}' ('${task.scenario.id}' ${task.scenario.version}, hash ${hash})`);
  }
  return { spec, bytes: new Uint8Array(readFileSync(join(dir, spec.model))) };
}

/** Rows `idx` of packed rows (every array is [size, seq]). */
function pick(p: PackedRows, idx: ArrayLike<number>, extra: Float32Array): PackedRows & { ref: Float32Array } {
  const n = idx.length;
  const seq = p.seq;
  const sub = <A extends BigInt64Array | Float32Array>(src: A): A => {
    const out = new (src.constructor as new (k: number) => A)(n * seq);
    for (let i = 0; i < n; i++) out.set(src.subarray(idx[i] * seq, (idx[i] + 1) * seq) as never, i * seq);
    return out;
  };
  return { size: n, seq, tokens: sub(p.tokens), targets: sub(p.targets), mask: sub(p.mask), logpOld: sub(p.logpOld), adv: sub(p.adv), ref: sub(extra) };
}

/** log π_ref(target) at every policy position (0 elsewhere), from the reference session, `chunk` rows per run. */
export async function referenceLogProbs(ref: DeviceSession, p: PackedRows, chunk: number): Promise<Float32Array> {
  const out = new Float32Array(p.size * p.seq);
  for (let b0 = 0; b0 < p.size; b0 += chunk) {
    const n = Math.min(chunk, p.size - b0);
    const tokens = p.tokens.subarray(b0 * p.seq, (b0 + n) * p.seq);
    const res = await ref.run({ [TOKENS_FEED]: new ort.Tensor('int64', tokens, [n, p.seq]) }, ['logits']);
    const logits = res.logits.data as Float32Array;
    const vocab = logits.length / (n * p.seq);
    for (let i = 0; i < n * p.seq; i++) {
      const at = b0 * p.seq + i;
      if (p.mask[at] === 0) continue;
      const row = logits.subarray(i * vocab, (i + 1) * vocab);
      let max = -Infinity;
      for (const v of row) if (v > max) max = v;
      let s = 0;
      for (const v of row) s += Math.exp(v - max);
      out[at] = row[Number(p.targets[at])] - max - Math.log(s);
    }
    res.logits.dispose();
  }
  return out;
}

/** Trains (or resumes) and writes the run directory; see the module comment. */
export async function runGrpo(input: ReasoningGrpoConfigInput, hooks: GrpoHooks = {}): Promise<GrpoResult> {
  const config = ReasoningGrpoConfig.parse(input);
  const task = taskOf(config.scenario);
  const used = config.curriculum ? (config.curriculum.kind === 'schedule' ? config.curriculum.stages.flatMap((s) => s.levels.map((l) => l.level)) : config.curriculum.levels) : config.levels.map((l) => l.level);
  for (const l of used) if (l > task.levels) throw new RangeError(`levels: scenario '${task.scenario.id}' has ${task.levels} levels, got level ${l}`);
  if (!config.curriculum && !config.levels.some((l) => l.weight > 0)) throw new RangeError('levels: at least one level needs a weight above 0');
  if (config.curriculum?.kind === 'schedule') {
    config.curriculum.stages.forEach((s, i) => {
      if (!s.levels.some((l) => l.weight > 0)) throw new RangeError(`curriculum.stages.${i}: at least one level needs a weight above 0`);
    });
  }
  const init = readInit(config.init, config.scenario);
  const policy = init.spec.policy;
  const seq = init.spec.contextLength;
  const modelConfig = { ...policy, vocab: task.tokenizer.size };
  const model = policyModel(modelConfig);
  const trainGraph = compileTrainStep(model, grpoLoss(config), adamw({ weightDecay: config.weightDecay, clipNorm: config.clipNorm }), { seed: config.seed });
  const initial = initializersOf(init.bytes);
  const seeded: CompiledGraph = {
    ...trainGraph,
    params: trainGraph.params.map((p) => {
      const v = initial.get(p.name);
      if (!(v instanceof Float32Array) || v.length !== p.init.length) throw new Error(`init: ${config.init}/${init.spec.model} has no weights for '${p.name}' of the policy's shape`);
      return { ...p, init: v };
    }),
  };
  const kvForward = compileForward(kvPolicyModel(modelConfig));
  const forward = compileForward(model, { seed: config.seed, outputs: ['logits'] });
  const runtime = { threads: config.threads, device: config.device, spinning: false };

  mkdirSync(config.out, { recursive: true });
  const ckpt = join(config.out, 'trainer.ckpt');
  const metricsPath = join(config.out, 'metrics.jsonl');
  const rowsPerIteration = config.prompts * config.groupSize;
  const minibatch = Math.min(config.minibatch ?? rowsPerIteration, rowsPerIteration);
  const updatesPerIteration = config.epochs * Math.ceil(rowsPerIteration / minibatch);
  const options = { seed: config.seed, lr: config.lr, config: JSON.parse(JSON.stringify(config)), threads: config.threads, device: config.device, spinning: false };
  const resuming = config.resume && existsSync(ckpt);
  let state: CurriculumState = { open: 1, running: {} };
  if (resuming) {
    // runs from before `advantage` existed normalised by the std
    const saved = { advantage: 'std', ...(JSON.parse(readFileSync(join(config.out, 'config.json'), 'utf8')) as Partial<ReasoningGrpoConfig> & { shaping?: unknown }) };
    const now = { ...config, shaping: hooks.shaper?.id };
    for (const k of ['scenario', 'init', 'levels', 'curriculum', 'prompts', 'groupSize', 'epochs', 'minibatch', 'seed', 'dataSeed', 'clip', 'klCoef', 'normalise', 'advantage', 'reward', 'shaping'] as const) {
      if (JSON.stringify(saved[k]) !== JSON.stringify(now[k])) throw new Error(`${config.out}: resuming with a different '${k}' (${JSON.stringify(saved[k])} saved, ${JSON.stringify(now[k])} now); use another out directory or resume: false`);
    }
  } else if (existsSync(metricsPath)) writeFileSync(metricsPath, '');
  writeFileSync(join(config.out, 'config.json'), JSON.stringify(hooks.shaper ? { ...config, shaping: hooks.shaper.id } : config, null, 2) + '\n');
  const trainer = resuming ? await Trainer.resume(ckpt, seeded, options) : await Trainer.create(seeded, options);
  if (trainer.steps % updatesPerIteration !== 0) throw new Error(`${ckpt}: ${trainer.steps} updates is not a whole number of iterations of ${updatesPerIteration}`);
  let iteration = trainer.steps / updatesPerIteration;
  if (resuming && existsSync(metricsPath)) {
    // rows written after the checkpoint by the interrupted run are redone: drop them; the last kept one holds the curriculum's state
    const kept = readFileSync(metricsPath, 'utf8').split('\n').filter((l) => l.trim() !== '' && (JSON.parse(l) as Row).iteration <= iteration);
    writeFileSync(metricsPath, kept.map((l) => l + '\n').join(''));
    const last = kept.length ? (JSON.parse(kept[kept.length - 1]) as Row) : undefined;
    if (last && last.iteration === iteration) state = curriculumFromRow(last);
  }

  const ref = await DeviceSession.open(init.bytes, runtime);
  const cache = kvShape(policy);
  const openKv = async () => DeviceSession.open(bakeParameters(kvForward.bytes, kvForward.params, await trainer.read('params')), runtime);
  let kv = await openKv();
  const started = Date.now();
  const firstIteration = iteration;
  let tokens = 0;
  let final: Row | undefined;
  const sampling = { temperature: config.temperature, topK: config.topK, topP: config.topP };
  try {
    while (iteration < config.iterations) {
      const t0 = Date.now();
      const weights = levelWeights(config, iteration, state).filter((l) => l.weight > 0);
      const prompts = grpoPrompts(task, { dataSeed: config.dataSeed, first: iteration * config.prompts, count: config.prompts }, weights);
      const stats: DecodeStats = { runs: 0, tokens: 0, seconds: 0 };
      const groups = await rollout(task, { session: kv, cache }, prompts, { seq, groupSize: config.groupSize, sampling, reward: config.reward, formatPenalty: config.formatPenalty, batchSize: config.decodeBatch, maxNewTokens: config.maxNewTokens }, stats);
      tokens += stats.tokens;
      const shaped = hooks.shaper ? await hooks.shaper.shape(groups, { task, kv: { session: kv, cache }, seq, sampling, iteration, dataSeed: config.dataSeed, decodeBatch: config.decodeBatch }) : undefined;
      const advs = groups.map((g, i) => groupAdvantages(shaped ? shaped.rewards[i] : g.samples.map((s) => s.reward), config.epsStd, config.advantage));
      const packed = packRows(groupRows(groups, advs.map((a) => a.adv), shaped?.bonus), seq, task.tokenizer.pad);
      const refLogp = await referenceLogProbs(ref, packed, minibatch);
      const t1 = Date.now();
      const sums: Row = {};
      for (let e = 0; e < config.epochs; e++) {
        const order = permutation(packed.size, (k) => trainer.rng.int(k));
        for (let m0 = 0; m0 < packed.size; m0 += minibatch) {
          const mb = pick(packed, order.subarray(m0, Math.min(packed.size, m0 + minibatch)), refLogp);
          const dims = [mb.size, seq];
          const weight = lossWeights(mb.mask, mb.size, seq, config.normalise);
          const { step, metrics } = await trainer.step({
            [TOKENS_FEED]: { data: mb.tokens, dims }, [TARGETS_FEED]: { data: mb.targets, dims }, [WEIGHT_FEED]: { data: weight, dims },
            [LOGP_OLD_FEED]: { data: mb.logpOld, dims }, [ADV_FEED]: { data: mb.adv, dims }, [REF_LOGP_FEED]: { data: mb.ref, dims },
          });
          if (!Number.isFinite(metrics.loss)) throw new Error(`update ${step}: the loss is ${metrics.loss}; lower lr`);
          hooks.step?.(metrics);
          for (const [k, v] of Object.entries(metrics)) sums[k] = k === 'ratio_dev' ? Math.max(sums[k] ?? 0, v) : (sums[k] ?? 0) + v;
        }
      }
      await kv.dispose();
      kv = await openKv();
      iteration++;
      const accuracy = levelAccuracy(groups);
      state = advanceCurriculum(config, state, accuracy);
      const row = metricsRow(iteration, trainer.steps, groups, advs.filter((a) => a.zeroStd).length, sums, updatesPerIteration, weights, accuracy, state, stats.tokens, t1 - t0, Date.now() - t1, (Date.now() - started) / 1000);
      if (shaped) {
        for (const [k, v] of Object.entries(shaped.metrics ?? {})) row[k] = v;
        const all = shaped.rewards.flat();
        row.shaped_reward_mean = all.reduce((a, b) => a + b, 0) / all.length;
      }
      appendFileSync(metricsPath, JSON.stringify(row) + '\n');
      hooks.log?.(row);
      final = row;
      if (iteration % config.checkpointEvery === 0 && iteration < config.iterations) await trainer.checkpoint(ckpt);
    }
    await trainer.checkpoint(ckpt);
    await trainer.exportInference(forward, join(config.out, 'policy.onnx'));
  } finally {
    await kv.dispose();
    await ref.dispose();
    await trainer.dispose();
  }
  const spec: ReasonerSpec & { readonly trainedBy: Record<string, unknown> } = {
    ...init.spec,
    scenario: { ...init.spec.scenario, source: config.scenario },
    levels: [...new Set(used)].sort((a, b) => a - b).map((level) => ({ level, weight: 1 })),
    steps: config.iterations,
    model: 'policy.onnx',
    trainedBy: { algo: 'grpo', init: config.init, initSteps: init.spec.steps, iterations: config.iterations },
  };
  writeFileSync(join(config.out, 'reasoner.json'), JSON.stringify(spec, null, 2) + '\n');
  const seconds = (Date.now() - started) / 1000;
  const ran = iteration - firstIteration;
  return {
    out: config.out, iterations: config.iterations, ranIterations: ran, updates: ran * updatesPerIteration, seconds,
    updatesPerSecond: seconds > 0 ? (ran * updatesPerIteration) / seconds : 0, tokensPerSecond: seconds > 0 ? tokens / seconds : 0, final, spec,
  };
}

/** Training accuracy of an iteration's samples, by level. */
function levelAccuracy(groups: readonly Group[]): Map<number, number> {
  const by = new Map<number, { c: number; n: number }>();
  for (const g of groups) {
    const e = by.get(g.prompt.problem.level) ?? { c: 0, n: 0 };
    for (const s of g.samples) e.c += s.correct ? 1 : 0;
    e.n += g.samples.length;
    by.set(g.prompt.problem.level, e);
  }
  return new Map([...by].map(([l, e]) => [l, e.c / e.n]));
}

function curriculumFromRow(row: Row): CurriculumState {
  const running: Record<number, number> = {};
  for (const [k, v] of Object.entries(row)) if (k.startsWith('run_acc_l')) running[Number(k.slice(9))] = v;
  return { open: row.curriculum_open ?? 1, running };
}

function metricsRow(
  iteration: number, updates: number, groups: readonly Group[], zeroStd: number, sums: Row, perIteration: number,
  weights: readonly LevelWeight[], accuracy: ReadonlyMap<number, number>, state: CurriculumState, tokens: number, rolloutMs: number, updateMs: number, seconds: number,
): Row {
  const samples = groups.flatMap((g) => g.samples);
  const n = samples.length;
  const mean = (f: (s: (typeof samples)[number]) => number) => samples.reduce((a, s) => a + f(s), 0) / n;
  const total = weights.reduce((a, l) => a + l.weight, 0);
  const row: Row = {
    iteration,
    updates,
    reward_mean: mean((s) => s.reward),
    accuracy: mean((s) => (s.correct ? 1 : 0)),
    format_error_rate: mean((s) => (s.formatOk ? 0 : 1)),
    mean_length: mean((s) => s.completion.length),
    zero_std_frac: zeroStd / groups.length,
  };
  for (const [k, v] of Object.entries(sums)) row[k] = k === 'ratio_dev' ? v : v / perIteration;
  for (const l of weights) row[`weight_l${l.level}`] = l.weight / total;
  for (const [l, a] of [...accuracy].sort((x, y) => x[0] - y[0])) row[`acc_l${l}`] = a;
  for (const [l, a] of Object.entries(state.running)) row[`run_acc_l${l}`] = a;
  row.curriculum_open = state.open;
  row.tokens = tokens;
  row.rollout_seconds = rolloutMs / 1000;
  row.update_seconds = updateMs / 1000;
  row.seconds = seconds;
  return row;
}
