import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { makeContext } from '../actors/context.js';
import { POLICY_NAMES, policyByName } from '../actors/policies/index.js';
import type { ScenarioContext } from '../actors/episode-core.js';
import { getScenario } from '../scenarios/registry.js';
import type { Scenario } from '../scenarios/schema.js';
import type { Summary } from '../environments/stats.js';
import { POLICY_MODULE_URL, PolicyError, loadPolicy, parseCheckpointRef } from '../learners/policies/index.js';
import { CliError, EXIT_FAILURE, EXIT_USAGE, fmt, pct } from './common.js';

export const DEFAULT_WORKERS = availableParallelism();
export const POLICY_HELP = `behaviour policy: ${POLICY_NAMES.join(', ')}, or a trained checkpoint directory (DIR, DIR#sample, DIR#sample:TEMPERATURE)`;

/** A built-in scenario id or a scenario file, with its context; ScenarioErrors pass through (they name file and line). */
export function loadScenario(idOrPath: string): { scenario: Scenario; ctx: ScenarioContext } {
  const scenario = getScenario(idOrPath);
  let ctx: ScenarioContext;
  try {
    ctx = makeContext(scenario);
  } catch (err) {
    throw new CliError(`scenario '${scenario.id}': ${(err as Error).message}`, EXIT_FAILURE);
  }
  return { scenario, ctx };
}

/** Checks the policy name in this thread before any worker starts (a usage error names the choices). */
export function checkPolicy(name: string, ctx: ScenarioContext): void {
  try {
    const p = policyByName(name, ctx);
    void p.close?.();
  } catch (err) {
    throw new CliError(`--policy: ${(err as Error).message}`, EXIT_USAGE);
  }
}

/**
 * Checks a `--policy` argument before any worker starts: a checkpoint directory is loaded once here
 * (so a checkpoint of another scenario is refused with both named), a name must be a scripted policy.
 * Returns what the rollout pool needs to build it in its workers.
 */
export async function checkPolicyArg(name: string, ctx: ScenarioContext): Promise<{ policyModule?: string }> {
  let ref;
  try {
    ref = parseCheckpointRef(name);
  } catch (err) {
    throw new CliError(`--policy: ${(err as Error).message}`, EXIT_USAGE);
  }
  if (!ref) {
    const dir = name.includes('#') ? name.slice(0, name.lastIndexOf('#')) : name;
    if (existsSync(dir)) throw new CliError(`--policy: ${dir} is not a policy checkpoint (no policy.json in it); expected a checkpoint directory or one of: ${POLICY_NAMES.join(', ')}`, EXIT_USAGE);
    checkPolicy(name, ctx);
    return {};
  }
  try {
    const policy = await loadPolicy(ref.dir, ctx, ref.options);
    await policy.close();
  } catch (err) {
    if (err instanceof PolicyError || err instanceof TypeError) throw new CliError(`--policy: ${err.message}`, EXIT_FAILURE, { file: (err as PolicyError).file });
    throw err;
  }
  return { policyModule: POLICY_MODULE_URL };
}

/** Summary lines shared by generate, inspect and eval. */
export function summaryText(s: Summary): string {
  return [
    `  episodes      ${s.episodes}${s.errored ? ` (${s.errored} errored)` : ''}`,
    `  success rate  ${pct(s.successRate)}  (95% CI ${pct(s.successRateCI95[0])} – ${pct(s.successRateCI95[1])})`,
    `  mean return   ${fmt(s.meanReturn)}  (95% CI ${fmt(s.returnCI95[0])} – ${fmt(s.returnCI95[1])}, sd ${fmt(s.stdReturn)})`,
    `  mean turns    ${fmt(s.meanTurns, 2)}`,
  ].join('\n');
}
