/**
 * The policy checkpoint directory: what a trained agent is on disk, and the loader that turns it
 * into a Policy for the actors. See README.md in this folder for the format.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { ScenarioContext } from '../../actors/episode-core.js';
import type { Encoder } from '../../environments/encoding/encoder.js';
import { makeEncoder } from '../../environments/encoding/index.js';
import { DeviceSession } from '../runtime/session.js';
import type { Device } from '../runtime/device.js';
import { writeFileAtomic } from '../runtime/checkpoint.js';
import { OnnxPolicy, type DecodeMode } from './onnx.js';

export const POLICY_FILE = 'policy.json';
export const POLICY_MODEL_FILE = 'policy.onnx';
export const POLICY_FORMAT = 'reverie-policy';

/** One term of the action scores: `weight × output`; an output of shape [batch] (a state value) is broadcast over actions. */
export const ScoreTerm = z.strictObject({
  output: z.string().min(1).describe('name of an output of policy.onnx: [batch, numActions] or [batch]'),
  weight: z.number().describe('its weight in the scores'),
});
export type ScoreTerm = z.infer<typeof ScoreTerm>;

/** `CKPT/policy.json`: everything needed to run `CKPT/policy.onnx` as a policy, and what it may be run on. */
export const PolicySpec = z.strictObject({
  format: z.literal(POLICY_FORMAT),
  formatVersion: z.literal(1),
  algo: z.string().min(1).describe('the algorithm that trained it (bc, filtered-bc, ilql, awr, ...)'),
  scenario: z.strictObject({ id: z.string(), version: z.string(), hash: z.string() }).describe('the scenario it was trained on; loading refuses any other'),
  encoder: z.strictObject({ kind: z.enum(['structured', 'text']), size: z.int().positive() }),
  numActions: z.int().positive(),
  model: z.strictObject({
    file: z.string().min(1).default(POLICY_MODEL_FILE),
    input: z.string().min(1).default('x').describe('the float input [batch, encoder.size]'),
  }),
  scores: z.array(ScoreTerm).min(1).describe('action scores = Σ weight × output; greedy picks the best valid one, sampling draws from softmax(scores / temperature)'),
  /** Training steps behind the weights. */
  step: z.int().nonnegative().optional(),
  /** The training configuration, kept for the record (not read by the loader). */
  config: z.record(z.string(), z.unknown()).optional(),
});
export type PolicySpec = z.infer<typeof PolicySpec>;

/** Scores for a policy head: `logits` (BC, filtered BC, AWR). */
export function logitScores(output = 'logits'): ScoreTerm[] {
  return [{ output, weight: 1 }];
}

/** ILQL decoding, π(a|s) ∝ π_BC(a|s)·exp(β(Q(s,a) − V(s))): scores = logits + β·q − β·v. */
export function ilqlScores(beta: number, names: { logits?: string; q?: string; v?: string } = {}): ScoreTerm[] {
  return [{ output: names.logits ?? 'logits', weight: 1 }, { output: names.q ?? 'q', weight: beta }, { output: names.v ?? 'v', weight: -beta }];
}

/** Errors about a policy checkpoint: the message names the directory or file and what to do. */
export class PolicyError extends Error {
  constructor(message: string, readonly file?: string) {
    super(message);
    this.name = 'PolicyError';
  }
}

/** Whether `path` is a policy checkpoint directory (has a policy.json). */
export function isPolicyCheckpoint(path: string): boolean {
  return existsSync(join(path, POLICY_FILE));
}

export interface WritePolicyOptions {
  readonly algo: string;
  /** The scenario trained on (its id, version and content hash go into policy.json). */
  readonly ctx: ScenarioContext;
  readonly encoder: Pick<Encoder, 'kind' | 'size'>;
  /** The standalone inference model: weights as initializers (`Trainer.exportInference` or `bakeParameters`). */
  readonly model: Uint8Array;
  /** Default: {@link logitScores}. */
  readonly scores?: readonly ScoreTerm[];
  /** The model's input name; default 'x'. */
  readonly input?: string;
  readonly step?: number;
  readonly config?: Record<string, unknown>;
}

/**
 * Writes a policy checkpoint directory: `policy.onnx`, then `policy.json` (each atomically; the
 * JSON last, so a directory with a policy.json is whole). Returns the spec written.
 *
 * @example
 * const model = await trainer.exportInference(forward);
 * writePolicyCheckpoint('runs/bc', { algo: 'bc', ctx, encoder, model });
 * writePolicyCheckpoint('runs/ilql', { algo: 'ilql', ctx, encoder, model, scores: ilqlScores(4) });
 */
export function writePolicyCheckpoint(dir: string, o: WritePolicyOptions): PolicySpec {
  if (o.encoder.kind !== 'structured' && o.encoder.kind !== 'text') throw new TypeError(`writePolicyCheckpoint: encoder.kind must be 'structured' or 'text', got '${String(o.encoder.kind)}'`);
  const spec = PolicySpec.parse({
    format: POLICY_FORMAT,
    formatVersion: 1,
    algo: o.algo,
    scenario: { id: o.ctx.scenario.id, version: o.ctx.scenario.version, hash: o.ctx.hash },
    encoder: { kind: o.encoder.kind, size: o.encoder.size },
    numActions: o.ctx.actions.length,
    model: { file: POLICY_MODEL_FILE, input: o.input ?? 'x' },
    scores: o.scores ?? logitScores(),
    ...(o.step !== undefined ? { step: o.step } : {}),
    ...(o.config !== undefined ? { config: o.config } : {}),
  });
  mkdirSync(dir, { recursive: true });
  writeFileAtomic(join(dir, POLICY_MODEL_FILE), [o.model]);
  writeFileAtomic(join(dir, POLICY_FILE), [Buffer.from(JSON.stringify(spec, null, 2) + '\n')]);
  return spec;
}

/** Reads and checks `dir/policy.json`. */
export function readPolicySpec(dir: string): PolicySpec {
  const file = join(dir, POLICY_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new PolicyError(code === 'ENOENT' ? `${dir} is not a policy checkpoint: no ${POLICY_FILE} in it (train one with \`reverie train --out ${dir}\`)` : `${file}: cannot read (${(err as Error).message})`, file);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new PolicyError(`${file}: not valid JSON (${(err as Error).message})`, file);
  }
  const r = PolicySpec.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new PolicyError(`${file}: not a Reverie policy spec (${i.path.join('.') || '(root)'}: ${i.message})`, file);
  }
  return r.data;
}

/** Refuses a checkpoint trained on another scenario (or version, or content); names both. */
export function checkPolicyScenario(dir: string, spec: PolicySpec, ctx: ScenarioContext): void {
  const m = spec.scenario;
  const s = ctx.scenario;
  const diff: string[] = [];
  if (m.id !== s.id) diff.push(`id '${m.id}' vs '${s.id}'`);
  if (m.version !== s.version) diff.push(`version ${m.version} vs ${s.version}`);
  if (m.hash !== ctx.hash) diff.push(`content hash ${m.hash} vs ${ctx.hash}`);
  if (diff.length) {
    throw new PolicyError(
      `${join(dir, POLICY_FILE)}: the policy was trained on scenario '${m.id}' ${m.version} (hash ${m.hash}), not on '${s.id}' ${s.version} (hash ${ctx.hash}) (${diff.join('; ')}); ` +
        `evaluate it on its own scenario, or train one on this scenario`,
      join(dir, POLICY_FILE),
    );
  }
  if (spec.numActions !== ctx.actions.length) {
    throw new PolicyError(`${join(dir, POLICY_FILE)}: the policy has ${spec.numActions} actions, scenario '${s.id}' has ${ctx.actions.length}`, join(dir, POLICY_FILE));
  }
}

export interface LoadPolicyOptions {
  /** 'greedy' (default): the best valid action; 'sample': draw from softmax(scores / temperature) with the episode's policy stream. */
  readonly mode?: DecodeMode;
  /** Sampling temperature (default 1). */
  readonly temperature?: number;
  /** Default 'cpu'. */
  readonly device?: Device;
  /** onnxruntime intra-op threads; default 1 (rollout workers already use a core each). */
  readonly threads?: number;
  /** The name recorded in episodes; default `onnx:<algo>:<dir>` (plus `#sample` when sampling). */
  readonly name?: string;
}

/**
 * Loads a policy checkpoint as a batched Policy for `ctx`'s scenario: checks that the checkpoint
 * was trained on this scenario (id, version, content hash) with an encoder of the size this
 * scenario gives, opens policy.onnx on the device, and checks its input and score outputs.
 *
 * @example
 * const policy = await loadPolicy('runs/ilql', ctx);
 * const episodes = await runEpisodes(ctx, policy, specs, { concurrency: 64 });
 * await policy.close();
 */
export async function loadPolicy(dir: string, ctx: ScenarioContext, opts: LoadPolicyOptions = {}): Promise<OnnxPolicy> {
  const spec = readPolicySpec(dir);
  checkPolicyScenario(dir, spec, ctx);
  const encoder = makeEncoder(spec.encoder.kind, ctx);
  if (encoder.size !== spec.encoder.size) {
    throw new PolicyError(`${join(dir, POLICY_FILE)}: the ${spec.encoder.kind} encoder gives ${encoder.size} features for scenario '${ctx.scenario.id}', the policy expects ${spec.encoder.size}; the encoder changed since training: retrain the policy`, join(dir, POLICY_FILE));
  }
  const mode = opts.mode ?? 'greedy';
  const temperature = opts.temperature ?? 1;
  if (mode !== 'greedy' && mode !== 'sample') throw new TypeError(`options.mode must be 'greedy' or 'sample', got '${String(mode)}'`);
  if (!(temperature > 0 && Number.isFinite(temperature))) throw new TypeError(`options.temperature must be a positive number, got ${temperature}`);
  const modelPath = join(dir, spec.model.file);
  if (!existsSync(modelPath)) throw new PolicyError(`${modelPath}: missing; the checkpoint ${dir} is incomplete`, modelPath);
  let session: DeviceSession;
  try {
    session = await DeviceSession.open(modelPath, { device: opts.device ?? 'cpu', threads: opts.threads ?? 1 });
  } catch (err) {
    throw new PolicyError(`${modelPath}: onnxruntime cannot load it (${(err as Error).message})`, modelPath);
  }
  const inputs = session.session.inputNames;
  const outputs = session.session.outputNames;
  const problems: string[] = [];
  if (!inputs.includes(spec.model.input)) problems.push(`no input '${spec.model.input}' (inputs: ${inputs.join(', ')})`);
  for (const t of spec.scores) if (!outputs.includes(t.output)) problems.push(`no output '${t.output}' (outputs: ${outputs.join(', ')})`);
  if (problems.length) {
    await session.dispose();
    throw new PolicyError(`${modelPath}: does not match ${POLICY_FILE}: ${problems.join('; ')}`, modelPath);
  }
  const name = opts.name ?? `onnx:${spec.algo}:${dir}${mode === 'sample' ? '#sample' + (temperature !== 1 ? `:${temperature}` : '') : ''}`;
  return new OnnxPolicy({ name, session, encoder, spec, mode, temperature, numActions: ctx.actions.length });
}
