import { existsSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { ScenarioError, didYouMean } from '../errors.js';
import { builtinDir } from '../registry.js';
import { loadReasoningFile } from './load.js';
import type { ReasoningScenario, TaskName } from './schema.js';

export interface ReasoningSummary {
  readonly id: string;
  readonly task: TaskName;
  readonly version: string;
  readonly title: string;
  readonly levels: number;
  readonly file: string;
}

/** `scenarios/builtin/reasoning/` under the package root. */
export function reasoningBuiltinDir(): string {
  return join(builtinDir(), 'reasoning');
}

export function reasoningBuiltinFiles(): string[] {
  const dir = reasoningBuiltinDir();
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort().map((f) => join(dir, f)) : [];
}

export function reasoningBuiltinIds(): string[] {
  return reasoningBuiltinFiles().map((f) => basename(f, '.yaml'));
}

/** Every built-in reasoning scenario (a broken file throws its ScenarioError). */
export function listReasoningScenarios(): ReasoningSummary[] {
  return reasoningBuiltinFiles().map((file) => {
    const s = loadReasoningFile(file);
    return { id: s.id, task: s.task, version: s.version, title: s.title, levels: s.difficulty.length, file };
  });
}

/** Whether the argument names a file rather than a built-in id. */
export function looksLikePath(idOrPath: string): boolean {
  return /[\\/]/.test(idOrPath) || /\.(ya?ml|json)$/i.test(idOrPath);
}

/**
 * A built-in reasoning scenario by id (`addition`) or a file by path; errors are ScenarioErrors
 * in the same style as dialogue scenarios.
 *
 * @example
 * const s = loadReasoningScenario('countdown');
 * const mine = loadReasoningScenario('./addition-hard.yaml');
 */
export function loadReasoningScenario(idOrPath: string): ReasoningScenario {
  if (looksLikePath(idOrPath)) return loadReasoningFile(idOrPath);
  const ids = reasoningBuiltinIds();
  if (!ids.includes(idOrPath)) {
    const guess = didYouMean(idOrPath, ids);
    throw new ScenarioError('not-found', idOrPath, [{ path: '', message: `no built-in reasoning scenario with this id${guess ? ` (did you mean '${guess}'?)` : ''}; built-in reasoning scenarios: ${ids.join(', ') || '(none)'} (or give the path of a .yaml or .json file)` }]);
  }
  const file = join(reasoningBuiltinDir(), `${idOrPath}.yaml`);
  const s = loadReasoningFile(file);
  if (s.id !== idOrPath) throw new ScenarioError('invalid', file, [{ path: 'id', message: `the built-in file is named '${idOrPath}' but its id is '${s.id}'; they must agree` }]);
  return s;
}
