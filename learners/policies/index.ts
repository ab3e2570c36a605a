/**
 * Policies backed by trained models: checkpoint directories (policy.json + policy.onnx) loaded as
 * batched ONNX policies, and {@link createPolicy}, the factory rollout workers import to build a
 * policy from a `--policy` argument (a checkpoint directory, or a scripted policy name).
 */
import type { ScenarioContext } from '../../actors/episode-core.js';
import type { Policy } from '../../actors/policy.js';
import { policyByName } from '../../actors/policies/index.js';
import { isPolicyCheckpoint, loadPolicy, type LoadPolicyOptions } from './checkpoint.js';

export {
  POLICY_FILE, POLICY_MODEL_FILE, POLICY_FORMAT, PolicySpec, ScoreTerm, PolicyError,
  writePolicyCheckpoint, readPolicySpec, loadPolicy, isPolicyCheckpoint, checkPolicyScenario, logitScores, ilqlScores,
} from './checkpoint.js';
export type { WritePolicyOptions, LoadPolicyOptions } from './checkpoint.js';
export { OnnxPolicy } from './onnx.js';
export type { DecodeMode, OnnxPolicyParts } from './onnx.js';

/** A `--policy` argument that names a checkpoint: `DIR`, `DIR#sample` or `DIR#sample:T` (temperature T). */
export interface CheckpointRef {
  readonly dir: string;
  readonly options: LoadPolicyOptions;
}

/** The checkpoint a policy argument names, or null when it names none (a scripted policy). */
export function parseCheckpointRef(arg: string): CheckpointRef | null {
  const hash = arg.lastIndexOf('#');
  const dir = hash >= 0 ? arg.slice(0, hash) : arg;
  if (!dir || !isPolicyCheckpoint(dir)) return null;
  if (hash < 0) return { dir, options: {} };
  const m = /^sample(?::([0-9.eE+-]+))?$|^greedy$/.exec(arg.slice(hash + 1));
  if (!m) throw new Error(`policy '${arg}': after '#' expected greedy, sample or sample:TEMPERATURE (e.g. ${dir}#sample:0.7)`);
  if (arg.slice(hash + 1) === 'greedy') return { dir, options: { mode: 'greedy' } };
  const temperature = m[1] === undefined ? 1 : Number(m[1]);
  if (!(temperature > 0 && Number.isFinite(temperature))) throw new Error(`policy '${arg}': the temperature must be a positive number`);
  return { dir, options: { mode: 'sample', temperature } };
}

/**
 * The policy a `--policy` argument names: a checkpoint directory (see {@link parseCheckpointRef})
 * loaded with {@link loadPolicy}, else a scripted policy by name (`policyByName`). Rollout workers
 * import this module by URL (`policyModule` in the worker config) and call it once per worker.
 */
export async function createPolicy(name: string, ctx: ScenarioContext): Promise<Policy> {
  const ref = parseCheckpointRef(name);
  if (ref) return loadPolicy(ref.dir, ctx, ref.options);
  return policyByName(name, ctx);
}

/** This module's URL, for `policyModule` (workers import it to build checkpoint policies). */
export const POLICY_MODULE_URL: string = import.meta.url;
