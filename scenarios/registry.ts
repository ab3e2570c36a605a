import { existsSync, readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ScenarioError, didYouMean } from './errors.js';
import { loadScenarioFile } from './load.js';
import type { Scenario } from './schema.js';

/** One line of `reverie scenarios list`. */
export interface ScenarioSummary {
  readonly id: string;
  readonly title: string;
  readonly family: Scenario['family'];
  readonly version: string;
  /** The file it was read from. */
  readonly file: string;
}

/**
 * The folder of built-in scenarios, `scenarios/builtin/` under the package root. Found by walking up
 * from this module to the folder holding package.json: the code runs from `dist/` after tsc, and the
 * YAML files are not copied there.
 */
export function builtinDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return join(dir, 'scenarios', 'builtin');
    const up = dirname(dir);
    if (up === dir) throw new Error(`cannot find the package root (a folder with package.json) above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
}

/** The built-in scenario files, sorted by name. */
export function builtinFiles(): string[] {
  const dir = builtinDir();
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort().map((f) => join(dir, f));
}

/** Every built-in scenario (each file is validated; a broken one throws its ScenarioError). */
export function listScenarios(): ScenarioSummary[] {
  return builtinFiles().map((file) => {
    const s = loadScenarioFile(file);
    return { id: s.id, title: s.title, family: s.family, version: s.version, file };
  });
}

/** The ids of the built-in scenarios (from their file names, without reading them). */
export function builtinIds(): string[] {
  return builtinFiles().map((f) => basename(f, '.yaml'));
}

/**
 * A built-in scenario by id (`travel-agent`), or a scenario file by path (`./my.yaml`, `x.json`).
 * Anything with a path separator or a .yaml/.yml/.json ending is read as a file.
 *
 * @example
 * const s = getScenario('teacher');
 * const mine = getScenario('scenarios/mine.yaml');
 */
export function getScenario(idOrPath: string): Scenario {
  if (/[\\/]/.test(idOrPath) || /\.(ya?ml|json)$/i.test(idOrPath)) return loadScenarioFile(idOrPath);
  const ids = builtinIds();
  if (ids.includes(idOrPath)) {
    const s = loadScenarioFile(join(builtinDir(), `${idOrPath}.yaml`));
    if (s.id !== idOrPath) {
      throw new ScenarioError('invalid', join(builtinDir(), `${idOrPath}.yaml`), [{ path: 'id', message: `the built-in file is named '${idOrPath}' but its id is '${s.id}'; they must agree` }]);
    }
    return s;
  }
  const known = ids.length ? ids.join(', ') : '(none yet)';
  const guess = didYouMean(idOrPath, ids);
  throw new ScenarioError('not-found', idOrPath, [{
    path: '',
    message: `no built-in scenario with this id${guess ? ` (did you mean '${guess}'?)` : ''}; built-in scenarios: ${known} (or give the path of a .yaml or .json file)`,
  }]);
}
