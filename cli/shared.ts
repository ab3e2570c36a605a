import { availableParallelism } from 'node:os';
import { makeContext } from '../actors/context.js';
import { POLICY_NAMES, policyByName } from '../actors/policies/index.js';
import type { ScenarioContext } from '../actors/episode-core.js';
import { getScenario } from '../scenarios/registry.js';
import type { Scenario } from '../scenarios/schema.js';
import type { Summary } from '../environments/stats.js';
import { CliError, EXIT_FAILURE, EXIT_USAGE, fmt, pct } from './common.js';

export const DEFAULT_WORKERS = availableParallelism();
export const POLICY_HELP = `behaviour policy: ${POLICY_NAMES.join(', ')}`;

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

/** Summary lines shared by generate, inspect and eval. */
export function summaryText(s: Summary): string {
  return [
    `  episodes      ${s.episodes}${s.errored ? ` (${s.errored} errored)` : ''}`,
    `  success rate  ${pct(s.successRate)}  (95% CI ${pct(s.successRateCI95[0])} – ${pct(s.successRateCI95[1])})`,
    `  mean return   ${fmt(s.meanReturn)}  (95% CI ${fmt(s.returnCI95[0])} – ${fmt(s.returnCI95[1])}, sd ${fmt(s.stdReturn)})`,
    `  mean turns    ${fmt(s.meanTurns, 2)}`,
  ].join('\n');
}
