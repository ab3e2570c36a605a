/**
 * AMFT (He, Feng, Li 2025; withdrawn from arXiv, see ../shared/PAPERS.md §3) on the token policy:
 * one training loop minimising
 *
 *   L(μ) = (1 − μ)·L_RL + μ·L_SFT
 *
 * L_SFT: masked next-token cross-entropy on the scripted reasoner's demonstrations (`sftLoss`).
 * L_RL:  GRPO's clipped surrogate (`grpoLoss`, no KL term) on G sampled completions of each of P
 *        prompts from the current policy, verifier reward, group-normalised advantages, minus
 *        `entropyCoef` × the mean token entropy on the sampled tokens (the paper code's bonus).
 * μ is a feed of the compiled step (`mu`), so one graph serves every μ. Demonstration rows and
 * rollout rows go through the model as one batch: the SFT mask is 0 on rollout rows, the RL
 * weights 0 on demonstration rows.
 *
 * μ schedule (`mu.kind`):
 * - `amft`: steps 1..W are SFT only (μ = 1, no rollouts); H_target = mean SFT-token entropy over
 *   the last min(20, W) warm-up steps. Then μ starts at `init` and after step t
 *     μ ← clip(μ − metaLr·m_t + entropyLr·(H_target − H_t), min, max)
 *   with m_t = −η⟨g_V, g_S − g_R⟩ = ∂L_val(θ')/∂μ for θ' = θ − η[(1−μ)g_R + μ g_S] (η =
 *   `lookaheadLr`) every `every` steps (0 otherwise). g_S, g_R and g_V are the gradients at θ_t of
 *   L_SFT (this step's demonstrations), L_RL (this step's rollouts) and L_val = cross-entropy on
 *   held-out demonstrations (`valLevels`, their own seed stream). This DESCENDS L_val; the
 *   authors' code adds metaLr·m, which ascends it. H_t is the SFT-token entropy of step t's
 *   forward pass. The paper applies μ's update before θ's in a step; here it applies to step t+1,
 *   so the gradients and entropy come from the step's own forward passes at no extra cost.
 * - `fixed`: μ = 1 for the W warm-up steps, then `value`.
 * - `two-stage` (SFT→RL): μ = 1 until step `switchAt`, then 0.
 *
 * A run directory holds config.json, metrics.jsonl (one row per step: mu (used this step),
 * mu_next, h_target, entropy (SFT tokens), entropy_rl, loss_sft, loss_rl, loss_val and meta_grad
 * (meta steps), accuracy and reward_mean (steps with rollouts), ...), trainer.ckpt (every
 * `checkpointEvery` steps and at the end; a rerun resumes from it and reads μ back from the
 * metrics row of the checkpointed step), and policy.onnx + reasoner.json as sft.ts writes them,
 * so `openReasoner` and `reverie eval` read it.
 *
 * @example
 * await runAmft({ scenario: 'addition', out: 'runs/amft', sftLevels: [{ level: 1, weight: 1 }], rlLevels: [{ level: 2, weight: 1 }], steps: 300 });
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { z } from 'zod';
import { deriveSeed } from '../../scenarios/random.js';
import type { ReasoningTask } from '../../scenarios/reasoning/index.js';
import { compileForward, compileGradients, compileTrainStep, type Loss } from '../graph/compile.js';
import type { CompiledGraph } from '../graph/compiled.js';
import { GraphError } from '../graph/errors.js';
import { adamw } from '../graph/optim.js';
import { bakeParameters, type HostArray } from '../runtime/onnx.js';
import { DeviceSession } from '../runtime/session.js';
import { Trainer } from '../runtime/trainer.js';
import { sftBatch } from '../reasoning/data.js';
import type { DecodeStats } from '../reasoning/decode.js';
import { ADV_FEED, LOGP_OLD_FEED, REF_LOGP_FEED, WEIGHT_FEED, grpoLoss } from '../reasoning/grpo.js';
import { kvPolicyModel, kvShape } from '../reasoning/kv.js';
import { MASK_FEED, PolicyConfig, TARGETS_FEED, TOKENS_FEED, policyModel, sftLoss } from '../reasoning/policy.js';
import { groupAdvantages, groupRows, grpoPrompts, lossWeights, packRows, rollout, type Group } from '../reasoning/rollout.js';
import { reasonerSpec, taskOf, type ReasonerSpec } from '../reasoning/sft.js';

const Levels = z.array(z.strictObject({ level: z.number().int().min(1), weight: z.number().positive() })).min(1);

/**
 * The AMFT controller. Defaults: the authors' configs/main_config.yaml (init 0.8; their README
 * says 0.5), except `metaLr`: the paper's 1e-4 multiplies inner products of a 7B model's gradients
 * with lookahead lr 1e-6 (a product of 1e-10); only metaLr·lookaheadLr matters. Ours, 100, is OUR
 * choice: on a d_model-48 policy after 400 SFT steps ⟨g_V, g_S⟩ measured 0.03–0.18 and ⟨g_V, g_R⟩
 * 0.007–0.024, so with lr 2e-3 a meta step moves μ by about 0.005–0.03.
 */
export const AmftController = z.strictObject({
  kind: z.literal('amft'),
  init: z.number().min(0).max(1).default(0.8),
  /** η_meta (ours, see above). */
  metaLr: z.number().min(0).default(100),
  /** η of the lookahead θ' = θ − η[(1−μ)g_R + μ g_S]; default: the policy's lr after the warm-up (`mixedLr`, else `lr`). */
  lookaheadLr: z.number().positive().optional(),
  /** η_H of the entropy term (paper code 5e-4; nats, not gradient units, so kept). */
  entropyLr: z.number().min(0).default(5e-4),
  min: z.number().min(0).max(1).default(0.05),
  max: z.number().min(0).max(1).default(0.95),
  /** Meta-gradient every `every` steps (paper code 20). */
  every: z.number().int().positive().default(20),
});
export type AmftController = z.infer<typeof AmftController>;

export const MuSchedule = z.discriminatedUnion('kind', [
  AmftController,
  z.strictObject({ kind: z.literal('fixed'), value: z.number().min(0).max(1) }),
  /** SFT then RL: μ = 1 up to and including step `switchAt`, 0 after. */
  z.strictObject({ kind: z.literal('two-stage'), switchAt: z.number().int().min(0) }),
]);
export type MuSchedule = z.infer<typeof MuSchedule>;

export const AmftConfig = z.strictObject({
  /** Built-in reasoning scenario id or a scenario file. */
  scenario: z.string().min(1),
  out: z.string().min(1),
  /** Levels of the demonstrations (L_SFT). */
  sftLevels: Levels.default([{ level: 1, weight: 1 }]),
  /** Levels of the RL prompts (L_RL). */
  rlLevels: Levels.default([{ level: 1, weight: 1 }]),
  /** Levels of the held-out validation demonstrations (L_val); default: sftLevels. */
  valLevels: Levels.optional(),
  policy: PolicyConfig.prefault({}),
  /** Total steps, warm-up included (paper code 500). */
  steps: z.number().int().positive().default(500),
  /** SFT-only warm-up steps W (paper code 50); every schedule has it. */
  warmup: z.number().int().min(0).default(50),
  mu: MuSchedule.prefault({ kind: 'amft' }),
  /** Demonstrations per step (paper code batch 8). */
  batchSize: z.number().int().positive().default(8),
  /** RL prompts per step (P) and samples per prompt (G): ours, GRPO-style groups instead of the paper code's value head. */
  prompts: z.number().int().positive().default(8),
  groupSize: z.number().int().min(2).default(4),
  /** Validation demonstrations per meta step. */
  valBatch: z.number().int().positive().default(32),
  /** AdamW lr of the warm-up, constant (ours; the paper's 1e-6 is for a 7B model). */
  lr: z.number().positive().default(5e-4),
  /** AdamW lr after the warm-up (default: lr); also the lookahead η unless `mu.lookaheadLr` is set. */
  mixedLr: z.number().positive().optional(),
  weightDecay: z.number().min(0).default(0),
  /** Global gradient-norm clip (paper code 1.0). */
  clipNorm: z.number().positive().default(1),
  /** ε of the clipped ratio (paper code 0.2). */
  clip: z.number().positive().default(0.2),
  /** Entropy bonus in L_RL (paper code 0.01). */
  entropyCoef: z.number().min(0).default(0.01),
  reward: z.enum(['correct', 'score']).default('correct'),
  formatPenalty: z.number().min(0).default(0),
  normalise: z.enum(['token', 'sequence']).default('token'),
  temperature: z.number().positive().default(1),
  seed: z.number().int().default(1),
  /** Seed of the demonstration, prompt, validation and sampling streams. */
  dataSeed: z.number().int().default(1),
  checkpointEvery: z.number().int().positive().default(50),
  resume: z.boolean().default(true),
  decodeBatch: z.number().int().positive().optional(),
  threads: z.number().int().positive().optional(),
  device: z.string().optional(),
});
export type AmftConfig = z.infer<typeof AmftConfig>;
export type AmftConfigInput = z.input<typeof AmftConfig>;

export const MU_FEED = 'mu';

/**
 * (1 − μ)·(L_clip − c·H_rl) + μ·L_SFT with μ the scalar feed `mu`. Feeds: tokens, targets, mask
 * (SFT positions), weight (RL positions, 0 on demonstrations), logp_old, adv, ref_logp (read only
 * by grpoLoss's kl_ref metric: no KL term here), mu. Metrics: loss_sft, loss_rl, entropy (mean
 * over SFT positions), token_acc (SFT positions), entropy_rl (weighted over RL positions), clip_frac.
 */
export function amftLoss(o: { readonly clip: number; readonly entropyCoef: number }): Loss {
  return (g, outputs) => {
    const logits = outputs.logits;
    if (!logits) throw new GraphError('name', "amftLoss: the model has no output 'logits'");
    const sft = sftLoss()(g, outputs);
    const rl = grpoLoss({ clip: o.clip, klCoef: 0 })(g, outputs);
    if ('graph' in sft || 'graph' in rl) throw new GraphError('invalid', 'amftLoss: expected loss results with metrics');
    const lead = logits.shape.slice(0, -1);
    const mask = g.input(MASK_FEED, g.dtype, lead);
    const w = g.input(WEIGHT_FEED, g.dtype, lead);
    const mu = g.input(MU_FEED, g.dtype, []);
    const lp = logits.logSoftmax(-1);
    const perToken = lp.exp().mul(lp).sum(-1).neg();
    const hRl = perToken.mul(w).sum();
    const lossRl = o.entropyCoef > 0 ? rl.loss.sub(hRl.mul(o.entropyCoef)) : rl.loss;
    const loss = lossRl.mul(mu.neg().add(1)).add(sft.loss.mul(mu));
    const hSft = perToken.stopGradient().mul(mask).sum().div(mask.sum().max(1));
    const sftMetrics = sft.metrics ?? {};
    const rlMetrics = rl.metrics ?? {};
    return {
      loss,
      metrics: { loss_sft: sft.loss, loss_rl: lossRl, token_acc: sftMetrics.token_acc, entropy: hSft, entropy_rl: hRl.stopGradient(), clip_frac: rlMetrics.clip_frac },
    };
  };
}

/** Gradients by parameter name. */
export type Grads = ReadonlyMap<string, ArrayLike<number>>;

/** ⟨a, b − c⟩ over every parameter, accumulated in float64. */
export function innerDiff(a: Grads, b: Grads, c: Grads): number {
  let s = 0;
  for (const [name, x] of a) {
    const y = b.get(name);
    const z2 = c.get(name);
    if (!y || !z2 || y.length !== x.length || z2.length !== x.length) throw new RangeError(`innerDiff: gradient '${name}' is missing or of another size`);
    for (let i = 0; i < x.length; i++) s += x[i] * (y[i] - z2[i]);
  }
  return s;
}

/** m = ∂L_val(θ')/∂μ = −η⟨g_V, g_S − g_R⟩ for θ' = θ − η[(1−μ)g_R + μ g_S] (g_V taken at θ: first order in η). */
export function metaGradient(gV: Grads, gS: Grads, gR: Grads, eta: number): number {
  return -eta * innerDiff(gV, gS, gR);
}

/** The controller's step: μ − metaLr·m + entropyLr·(H_target − H), clipped to [min, max] (descent on L_val). */
export function nextMu(mu: number, c: Pick<AmftController, 'metaLr' | 'entropyLr' | 'min' | 'max'>, m: number, hTarget: number, h: number): number {
  const v = mu - c.metaLr * m + c.entropyLr * (hTarget - h);
  return Math.min(c.max, Math.max(c.min, v));
}

/** μ of step `step` (1-based) for the non-adaptive schedules, and for AMFT during the warm-up. */
export function scheduledMu(config: Pick<AmftConfig, 'mu' | 'warmup'>, step: number): number | undefined {
  const m = config.mu;
  if (m.kind === 'two-stage') return step <= m.switchAt ? 1 : 0;
  if (step <= config.warmup) return 1;
  return m.kind === 'fixed' ? m.value : undefined;
}

/** A session of {@link compileGradients}(model, amftLoss): the loss and every parameter's gradient at given parameters and feeds. */
export class GradientProbe {
  private constructor(
    readonly graph: CompiledGraph,
    private readonly session: DeviceSession,
  ) {}

  static async open(graph: CompiledGraph, runtime: { readonly threads?: number; readonly device?: string } = {}): Promise<GradientProbe> {
    return new GradientProbe(graph, await DeviceSession.open(graph.bytes, { threads: runtime.threads, device: runtime.device, spinning: false }));
  }

  /** Loss and gradients; `feeds` may hold more than the graph reads (the rest is ignored). */
  async run(params: ReadonlyMap<string, HostArray>, feeds: Readonly<Record<string, ort.Tensor>>): Promise<{ loss: number; grads: Map<string, Float32Array | Float64Array> }> {
    const input: Record<string, ort.Tensor> = {};
    for (const p of this.graph.params) {
      const v = params.get(p.name);
      if (!v) throw new Error(`GradientProbe: no value for parameter '${p.name}'`);
      const dims = p.shape as number[];
      if (p.dtype === 'float64') input[p.name] = new ort.Tensor('float64', v instanceof Float64Array ? v : Float64Array.from(v as Float32Array), dims);
      else input[p.name] = new ort.Tensor('float32', v instanceof Float32Array ? v : Float32Array.from(v as Float64Array), dims);
    }
    for (const f of this.graph.feeds) {
      const v = feeds[f.name];
      if (!v) throw new Error(`GradientProbe: feed '${f.name}' is missing`);
      input[f.name] = v;
    }
    const out = await this.session.run(input);
    const grads = new Map<string, Float32Array | Float64Array>();
    for (const p of this.graph.params) grads.set(p.name, (out[`grad.${p.name}`].data as Float32Array | Float64Array).slice());
    const loss = Number((out.loss.data as Float32Array)[0]);
    for (const t of Object.values(out)) t.dispose();
    return { loss, grads };
  }

  dispose(): Promise<void> {
    return this.session.dispose();
  }
}

/** One step's rows: demonstrations first, then rollouts, with every feed of {@link amftLoss} (host arrays, [size, seq]). */
export interface StepRows {
  readonly size: number;
  readonly seq: number;
  readonly tokens: BigInt64Array;
  readonly targets: BigInt64Array;
  readonly mask: Float32Array;
  readonly weight: Float32Array;
  readonly logpOld: Float32Array;
  readonly adv: Float32Array;
}

/** Demonstration rows (SFT mask) and, optionally, packed rollout rows (RL weights) joined into one batch. */
export function joinRows(demo: { size: number; seq: number; tokens: BigInt64Array; targets: BigInt64Array; mask: Float32Array }, rl: ReturnType<typeof packRows> | undefined, normalise: 'token' | 'sequence'): StepRows {
  const seq = demo.seq;
  const nr = rl?.size ?? 0;
  const size = demo.size + nr;
  const n = size * seq;
  const d = demo.size * seq;
  const tokens = new BigInt64Array(n);
  const targets = new BigInt64Array(n);
  const mask = new Float32Array(n);
  const weight = new Float32Array(n);
  const logpOld = new Float32Array(n);
  const adv = new Float32Array(n);
  tokens.set(demo.tokens);
  targets.set(demo.targets);
  mask.set(demo.mask);
  if (rl) {
    if (rl.seq !== seq) throw new RangeError(`joinRows: rollout rows have seq ${rl.seq}, demonstrations ${seq}`);
    tokens.set(rl.tokens, d);
    targets.set(rl.targets, d);
    weight.set(lossWeights(rl.mask, rl.size, seq, normalise), d);
    logpOld.set(rl.logpOld, d);
    adv.set(rl.adv, d);
  }
  return { size, seq, tokens, targets, mask, weight, logpOld, adv };
}

/** The rows as onnxruntime feeds with μ; ref_logp gets the behaviour log-probs (no KL term is trained). */
export function stepFeeds(r: StepRows, mu: number, dtype: 'float32' | 'float64' = 'float32'): Record<string, ort.Tensor> {
  const dims = [r.size, r.seq];
  const f = (a: Float32Array) => (dtype === 'float64' ? new ort.Tensor('float64', Float64Array.from(a), dims) : new ort.Tensor('float32', a, dims));
  return {
    [TOKENS_FEED]: new ort.Tensor('int64', r.tokens, dims),
    [TARGETS_FEED]: new ort.Tensor('int64', r.targets, dims),
    [MASK_FEED]: f(r.mask),
    [WEIGHT_FEED]: f(r.weight),
    [LOGP_OLD_FEED]: f(r.logpOld),
    [ADV_FEED]: f(r.adv),
    [REF_LOGP_FEED]: f(r.logpOld),
    [MU_FEED]: dtype === 'float64' ? new ort.Tensor('float64', Float64Array.of(mu), []) : new ort.Tensor('float32', Float32Array.of(mu), []),
  };
}

export interface AmftResult {
  readonly out: string;
  readonly steps: number;
  readonly ranSteps: number;
  readonly seconds: number;
  readonly final: Readonly<Record<string, number>> | undefined;
  readonly spec: ReasonerSpec;
}

type Row = Record<string, number>;

/** The validation demonstrations' seed: its own stream, derived from the data seed. */
export function valDataSeed(dataSeed: number): number {
  return deriveSeed(dataSeed, 'amft-val');
}

function checkLevels(task: ReasoningTask, config: AmftConfig): void {
  for (const [name, ls] of [['sftLevels', config.sftLevels], ['rlLevels', config.rlLevels], ['valLevels', config.valLevels ?? []]] as const) {
    for (const l of ls) if (l.level > task.levels) throw new RangeError(`${name}: scenario '${task.scenario.id}' has ${task.levels} levels, got level ${l.level}`);
  }
  const m = config.mu;
  if (m.kind === 'amft' && m.min > m.max) throw new RangeError(`mu: min ${m.min} is above max ${m.max}`);
  if (m.kind === 'two-stage' && m.switchAt < config.warmup) throw new RangeError(`mu: two-stage switchAt ${m.switchAt} is inside the ${config.warmup}-step warm-up`);
  if (config.warmup > config.steps) throw new RangeError(`warmup: ${config.warmup} steps is more than steps (${config.steps})`);
}

/** Trains (or resumes) and writes the run directory; see the module comment. */
export async function runAmft(input: AmftConfigInput, hooks: { readonly log?: (row: Row) => void } = {}): Promise<AmftResult> {
  const config = AmftConfig.parse(input);
  const task = taskOf(config.scenario);
  checkLevels(task, config);
  const seq = config.policy.seq;
  const modelConfig = { ...config.policy, vocab: task.tokenizer.size };
  const model = policyModel(modelConfig);
  const loss = amftLoss(config);
  const trainGraph = compileTrainStep(model, loss, adamw({ weightDecay: config.weightDecay, clipNorm: config.clipNorm }), { seed: config.seed });
  const controller = config.mu.kind === 'amft' ? config.mu : undefined;
  const gradGraph = controller ? compileGradients(model, loss, { seed: config.seed }) : undefined;
  const kvForward = compileForward(kvPolicyModel(modelConfig));
  const forward = compileForward(model, { seed: config.seed, outputs: ['logits'] });
  const runtime = { threads: config.threads, device: config.device, spinning: false };

  mkdirSync(config.out, { recursive: true });
  const ckpt = join(config.out, 'trainer.ckpt');
  const metricsPath = join(config.out, 'metrics.jsonl');
  const options = { seed: config.seed, lr: (s: number) => (s <= config.warmup ? config.lr : (config.mixedLr ?? config.lr)), config: JSON.parse(JSON.stringify(config)), ...runtime };
  const resuming = config.resume && existsSync(ckpt);
  if (resuming) {
    const saved = JSON.parse(readFileSync(join(config.out, 'config.json'), 'utf8')) as AmftConfig;
    for (const k of ['scenario', 'policy', 'sftLevels', 'rlLevels', 'valLevels', 'warmup', 'mu', 'batchSize', 'prompts', 'groupSize', 'valBatch', 'lr', 'mixedLr', 'clip', 'entropyCoef', 'reward', 'formatPenalty', 'normalise', 'temperature', 'seed', 'dataSeed'] as const) {
      if (JSON.stringify(saved[k]) !== JSON.stringify(config[k])) throw new Error(`${config.out}: resuming with a different '${k}' (${JSON.stringify(saved[k])} saved, ${JSON.stringify(config[k])} now); use another out directory or resume: false`);
    }
  } else if (existsSync(metricsPath)) writeFileSync(metricsPath, '');
  writeFileSync(join(config.out, 'config.json'), JSON.stringify(config, null, 2) + '\n');
  const trainer = resuming ? await Trainer.resume(ckpt, trainGraph, options) : await Trainer.create(trainGraph, options);
  // the controller's state: μ for the next step and H_target (and the warm-up entropies it is the mean of)
  let mu = controller?.init ?? NaN;
  let hTarget = NaN;
  const warmEntropy: number[] = [];
  if (resuming && existsSync(metricsPath)) {
    // rows after the checkpoint are redone: drop them; the checkpointed step's row holds μ and H_target
    const kept = readFileSync(metricsPath, 'utf8').split('\n').filter((l) => l.trim() !== '' && (JSON.parse(l) as Row).step <= trainer.steps);
    writeFileSync(metricsPath, kept.map((l) => l + '\n').join(''));
    const rows = kept.map((l) => JSON.parse(l) as Row);
    const last = rows[rows.length - 1];
    if (trainer.steps > 0 && last?.step !== trainer.steps) throw new Error(`${metricsPath}: no row for step ${trainer.steps}, the checkpoint's; cannot restore μ`);
    if (last && controller) {
      mu = last.mu_next;
      hTarget = last.h_target ?? NaN;
      for (const r of rows) if (r.step <= config.warmup) warmEntropy.push(r.entropy);
    }
  }

  const cache = kvShape(config.policy);
  const probe = gradGraph ? await GradientProbe.open(gradGraph, runtime) : undefined;
  const started = Date.now();
  const first = trainer.steps;
  let final: Row | undefined;
  const sampling = { temperature: config.temperature };
  const valLevels = config.valLevels ?? config.sftLevels;
  try {
    while (trainer.steps < config.steps) {
      const t0 = Date.now();
      const step = trainer.steps + 1;
      const muNow = scheduledMu(config, step) ?? mu;
      const demo = sftBatch(task, { seq, levels: config.sftLevels, dataSeed: config.dataSeed }, step - 1, config.batchSize);
      let groups: Group[] | undefined;
      let packed: ReturnType<typeof packRows> | undefined;
      const stats: DecodeStats = { runs: 0, tokens: 0, seconds: 0 };
      if (muNow < 1) {
        const kv = await DeviceSession.open(bakeParameters(kvForward.bytes, kvForward.params, await trainer.read('params')), runtime);
        try {
          const prompts = grpoPrompts(task, { dataSeed: config.dataSeed, first: (step - 1) * config.prompts, count: config.prompts }, config.rlLevels);
          groups = await rollout(task, { session: kv, cache }, prompts, { seq, groupSize: config.groupSize, sampling, reward: config.reward, formatPenalty: config.formatPenalty, batchSize: config.decodeBatch }, stats);
        } finally {
          await kv.dispose();
        }
        const advs = groups.map((g) => groupAdvantages(g.samples.map((s) => s.reward)));
        packed = packRows(groupRows(groups, advs.map((a) => a.adv)), seq, task.tokenizer.pad);
      }
      const rows = joinRows(demo, packed, config.normalise);
      const row: Row = { step, mu: muNow };
      // the meta-gradient at θ_t, before the update (AMFT after the warm-up, every `every` steps, when there are rollouts)
      let m = 0;
      if (controller && probe && packed && step > config.warmup && (step - config.warmup) % controller.every === 0) {
        const params = await trainer.read('params');
        const feeds = stepFeeds(rows, 1);
        const gS = await probe.run(params, feeds);
        const gR = await probe.run(params, { ...feeds, [MU_FEED]: new ort.Tensor('float32', Float32Array.of(0), []) });
        const val = sftBatch(task, { seq, levels: valLevels, dataSeed: valDataSeed(config.dataSeed) }, step - 1, config.valBatch);
        const gV = await probe.run(params, stepFeeds(joinRows(val, undefined, config.normalise), 1));
        const eta = controller.lookaheadLr ?? config.mixedLr ?? config.lr;
        m = metaGradient(gV.grads, gS.grads, gR.grads, eta);
        row.loss_val = gV.loss;
        row.meta_grad = m;
        row.inner_v_s = innerDiff(gV.grads, gS.grads, zerosLike(gS.grads));
        row.inner_v_r = innerDiff(gV.grads, gR.grads, zerosLike(gR.grads));
      }
      const t1 = Date.now();
      const { metrics } = await trainer.step(Object.fromEntries(Object.entries(stepFeeds(rows, muNow)).filter(([k]) => trainer.graph.feeds.some((f) => f.name === k))));
      if (!Number.isFinite(metrics.loss)) throw new Error(`step ${step}: the loss is ${metrics.loss}; lower lr`);
      row.loss = metrics.loss;
      row.loss_sft = metrics.loss_sft;
      row.entropy = metrics.entropy;
      row.token_acc = metrics.token_acc;
      if (groups) {
        const samples = groups.flatMap((g) => g.samples);
        row.loss_rl = metrics.loss_rl;
        row.entropy_rl = metrics.entropy_rl;
        row.clip_frac = metrics.clip_frac;
        row.accuracy = samples.filter((s) => s.correct).length / samples.length;
        row.reward_mean = samples.reduce((a, s) => a + s.reward, 0) / samples.length;
        row.mean_length = samples.reduce((a, s) => a + s.completion.length, 0) / samples.length;
      }
      row.grad_norm = metrics.grad_norm;
      if (controller) {
        if (step <= config.warmup) {
          warmEntropy.push(metrics.entropy);
          if (step === config.warmup) hTarget = mean(warmEntropy.slice(-20));
        } else {
          if (Number.isNaN(hTarget)) hTarget = metrics.entropy; // no warm-up: the first step's entropy is the target
          mu = nextMu(muNow, controller, m, hTarget, metrics.entropy);
        }
        row.mu_next = mu;
        row.h_target = hTarget;
      } else row.mu_next = scheduledMu(config, step + 1) ?? NaN;
      row.rollout_seconds = (t1 - t0) / 1000;
      row.update_seconds = (Date.now() - t1) / 1000;
      row.seconds = (Date.now() - started) / 1000;
      appendFileSync(metricsPath, JSON.stringify(row) + '\n');
      hooks.log?.(row);
      final = row;
      if (step % config.checkpointEvery === 0 && step < config.steps) await trainer.checkpoint(ckpt);
    }
    await trainer.checkpoint(ckpt);
    await trainer.exportInference(forward, join(config.out, 'policy.onnx'));
  } finally {
    await probe?.dispose();
    await trainer.dispose();
  }
  const levels = [...new Set([...config.sftLevels, ...config.rlLevels].map((l) => l.level))].sort((a, b) => a - b);
  const spec: ReasonerSpec & { readonly trainedBy: Record<string, unknown> } = {
    ...reasonerSpec(task, { scenario: config.scenario, policy: config.policy, levels: levels.map((level) => ({ level, weight: 1 })), steps: config.steps }),
    trainedBy: { algo: 'amft', mu: config.mu, warmup: config.warmup },
  };
  writeFileSync(join(config.out, 'reasoner.json'), JSON.stringify(spec, null, 2) + '\n');
  return { out: config.out, steps: config.steps, ranSteps: config.steps - first, seconds: (Date.now() - started) / 1000, final, spec };
}

function mean(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

function zerosLike(g: Grads): Map<string, Float64Array> {
  return new Map([...g].map(([k, v]) => [k, new Float64Array(v.length)]));
}
