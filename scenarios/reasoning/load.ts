import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { LineCounter, isMap, isPair, isScalar, isSeq, parseDocument } from 'yaml';
import type { Node as YamlNode } from 'yaml';
import type { z } from 'zod';
import { ScenarioError, didYouMean, formatPath } from '../errors.js';
import type { ScenarioErrorCode, ScenarioIssue } from '../errors.js';
import { jsonSyntaxError } from '../load.js';
import { ReasoningScenario, TASK_NAMES } from './schema.js';

type Locate = (path: readonly PropertyKey[]) => number | undefined;

const EMPTY_HINT = 'the file is empty; expected a reasoning scenario with kind, id, version, title, task, difficulty, maxTokens and vocabulary (`reverie scenarios schema --kind reasoning` prints the JSON Schema)';

/**
 * Reasoning scenario text → a validated {@link ReasoningScenario}, or a {@link ScenarioError}
 * (the same style as dialogue scenarios: `file:line: field.path — what is wrong; what is expected`).
 */
export function parseReasoningScenario(text: string, opts: { file: string; format: 'yaml' | 'json' }): ReasoningScenario {
  const { data, locate } = readSource(text, opts.file, opts.format);
  return validateReasoningScenario(data, opts.file, locate);
}

/** Reads a `.yaml`, `.yml` or `.json` reasoning scenario file. */
export function loadReasoningFile(path: string): ReasoningScenario {
  return parseReasoningScenario(readText(path), { file: path, format: formatOf(path) });
}

/** Whether a file declares `kind: reasoning` at the top level (false for anything unreadable: the dialogue loader explains those). */
export function isReasoningFile(path: string): boolean {
  try {
    const doc = parseDocument(readFileSync(path, 'utf8'));
    const kind: unknown = isMap(doc.contents) ? doc.contents.get('kind') : undefined;
    return kind === 'reasoning';
  } catch {
    return false;
  }
}

function formatOf(path: string): 'yaml' | 'json' {
  const ext = extname(path).toLowerCase();
  if (ext === '.json') return 'json';
  if (ext === '.yaml' || ext === '.yml') return 'yaml';
  throw new ScenarioError('unreadable', path, [{ path: '', message: `unsupported file type '${ext || '(none)'}'; expected a .yaml, .yml or .json scenario file` }]);
}

function readText(path: string): string {
  formatOf(path);
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ScenarioError('not-found', path, [{ path: '', message: 'no such file; check the path' }]);
    throw new ScenarioError('unreadable', path, [{ path: '', message: code === 'EISDIR' ? 'is a directory; expected a scenario file' : `cannot read the file (${code ?? String(err)})` }]);
  }
}

function readSource(text: string, file: string, format: 'yaml' | 'json'): { data: unknown; locate: Locate } {
  if (text.trim() === '') throw new ScenarioError('empty', file, [{ path: '', message: EMPTY_HINT }]);
  if (format === 'json') {
    const bad = jsonSyntaxError(text);
    if (bad) {
      const line = text.slice(0, bad.offset).split('\n').length;
      throw new ScenarioError('syntax', file, [{ path: '', line, message: `JSON syntax error: ${bad.message}` }]);
    }
  }
  // JSON is YAML's flow style, so one parser gives line numbers for both.
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, uniqueKeys: true });
  if (doc.errors.length) {
    const dup = doc.errors.some((e) => e.code === 'DUPLICATE_KEY');
    const issues = doc.errors.map((e): ScenarioIssue => {
      const pos = e.linePos?.[0];
      const what = e.message.split(/ at line \d+, column \d+/)[0].split('\n')[0];
      return { path: '', message: e.code === 'DUPLICATE_KEY' ? `${what}; each key may appear once — remove or rename one` : `${format === 'json' ? 'JSON' : 'YAML'} syntax error: ${what}`, ...(pos ? { line: pos.line, column: pos.col } : {}) };
    });
    throw new ScenarioError(dup ? 'duplicate-key' : 'syntax', file, issues);
  }
  if (doc.contents === null) throw new ScenarioError('empty', file, [{ path: '', message: EMPTY_HINT }]);
  return { data: doc.toJS({ maxAliasCount: 1000 }), locate: locator(doc.contents, lc) };
}

/** The line of a field path (for a missing field, its parent's line). */
function locator(root: unknown, lc: LineCounter): Locate {
  const start = (n: unknown) => (n && typeof n === 'object' && 'range' in n ? (n as YamlNode).range?.[0] : undefined);
  return (path) => {
    let node = root;
    let pos = start(root);
    for (const seg of path) {
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
        if (!pair) break;
        pos = start(pair.key) ?? pos;
        node = pair.value;
      } else if (isSeq(node) && typeof seg === 'number' && seg < node.items.length) {
        node = node.items[seg];
        pos = start(node) ?? pos;
      } else break;
    }
    return pos === undefined ? undefined : lc.linePos(pos).line;
  };
}

/** Validates parsed data; `locate` maps field paths to source lines. */
export function validateReasoningScenario(data: unknown, file: string, locate: Locate = () => undefined): ReasoningScenario {
  // Without `kind: reasoning` nothing else is worth reporting (it may be a dialogue scenario).
  const kind = valueAt(data, ['kind']);
  if (data !== null && typeof data === 'object' && !Array.isArray(data) && kind !== 'reasoning') {
    const guess = typeof kind === 'string' && didYouMean(kind, ['reasoning']) ? " (did you mean 'reasoning'?)" : '';
    const message = kind === undefined
      ? "missing required field 'kind'; a reasoning scenario starts with `kind: reasoning` (dialogue scenarios have a `family` instead)"
      : `unexpected kind ${show(kind)}${guess}; expected 'reasoning'`;
    const line = kind === undefined ? undefined : locate(['kind']);
    throw new ScenarioError('invalid', file, [{ path: 'kind', ...(line ? { line } : {}), message }]);
  }
  const r = ReasoningScenario.safeParse(data);
  if (r.success) return r.data;
  let code: ScenarioErrorCode = 'invalid';
  const issues = r.error.issues.flatMap((issue) => {
    const d = describe(issue, data);
    if (d.unknownTask) code = 'unknown-family';
    const line = d.missing && d.path.length === 1 ? undefined : locate(d.path);
    return [{ path: formatPath(d.path), ...(line ? { line } : {}), message: d.message }];
  });
  issues.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  throw new ScenarioError(code, file, issues);
}

function describe(issue: z.core.$ZodIssue, data: unknown): { path: PropertyKey[]; message: string; missing?: boolean; unknownTask?: boolean } {
  const path = [...issue.path];
  const value = valueAt(data, path);
  switch (issue.code) {
    case 'invalid_type':
      if (path.length === 0) return { path, message: `expected a mapping of scenario fields (kind, id, task, ...) at the top level, got ${show(value)}` };
      if (value === undefined) return { path, message: `missing required field '${String(path[path.length - 1])}'; expected ${expectedText(issue.expected)}`, missing: true };
      return { path, message: `expected ${expectedText(issue.expected)}, got ${show(value)}` };
    case 'unrecognized_keys': {
      const known = knownKeys(data, path);
      return issue.keys.length === 1 && didYouMean(issue.keys[0], known)
        ? { path: [...path, issue.keys[0]], message: `unknown key '${issue.keys[0]}' (did you mean '${didYouMean(issue.keys[0], known)}'?)` }
        : { path, message: `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')}; expected one of: ${known.join(', ')}` };
    }
    case 'invalid_union': {
      if ((issue as { discriminator?: string }).discriminator !== 'task') return { path, message: `${issue.message}; got ${show(value)}` };
      if (value === undefined) return { path, message: `missing required field 'task'; expected one of: ${TASK_NAMES.join(', ')}`, missing: true, unknownTask: true };
      const guess = typeof value === 'string' ? didYouMean(value, TASK_NAMES) : undefined;
      return { path, message: `unknown task ${show(value)}${guess ? ` (did you mean '${guess}'?)` : ''}; known tasks: ${TASK_NAMES.join(', ')}`, unknownTask: true };
    }
    case 'invalid_value': {
      const values = issue.values.map(String);
      const guess = typeof value === 'string' ? didYouMean(value, values) : undefined;
      return { path, message: `unexpected value ${show(value)}${guess ? ` (did you mean '${guess}'?)` : ''}; expected ${values.length === 1 ? `'${values[0]}'` : `one of: ${values.join(', ')}`}` };
    }
    case 'too_small':
    case 'too_big': {
      const small = issue.code === 'too_small';
      const bound = small ? (issue as { minimum: number | bigint }).minimum : (issue as { maximum: number | bigint }).maximum;
      const op = small ? 'at least' : 'at most';
      if (issue.origin === 'array') return { path, message: `expected ${op} ${bound} item${Number(bound) === 1 ? '' : 's'}, got ${Array.isArray(value) ? value.length : 0}` };
      if (issue.origin === 'string') return { path, message: `expected a text of ${op} ${bound} characters` };
      return { path, message: `expected a number ${op} ${bound}, got ${show(value)}` };
    }
    case 'invalid_format':
      return { path, message: `${issue.message}; got ${show(value)}` };
    default:
      return { path, message: issue.message };
  }
}

function expectedText(expected: string): string {
  const words: Record<string, string> = { object: 'a mapping (key: value pairs)', array: 'a list', int: 'an integer', number: 'a number', string: 'a text', boolean: 'true or false' };
  return words[expected] ?? expected;
}

function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'an empty value (null)';
  if (typeof v === 'string') return `'${v.length > 60 ? v.slice(0, 57) + '...' : v}'`;
  if (Array.isArray(v)) return `a list of ${v.length}`;
  return typeof v === 'object' ? 'a mapping' : String(v);
}

function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let v = data;
  for (const seg of path) v = v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[seg] : undefined;
  return v;
}

/** The keys an object at `path` allows, for "did you mean" (the task picks the union option). */
function knownKeys(data: unknown, path: readonly PropertyKey[]): string[] {
  const task = valueAt(data, ['task']);
  const option = ReasoningScenario.def.options.find((o) => o.shape.task.value === task) ?? ReasoningScenario.def.options[0];
  let s: unknown = option;
  for (const seg of path) {
    s = unwrap(s);
    const def = (s as { def: { type: string; shape?: Record<string, unknown>; element?: unknown } }).def;
    if (def.type === 'object') s = def.shape?.[String(seg)];
    else if (def.type === 'array') s = def.element;
    else return [];
  }
  s = unwrap(s);
  const def = (s as { def?: { type: string; shape?: Record<string, unknown> } } | undefined)?.def;
  return def?.type === 'object' && def.shape ? Object.keys(def.shape) : [];
}

function unwrap(s: unknown): unknown {
  for (;;) {
    const def = (s as { def?: { type: string; innerType?: unknown; in?: unknown } } | undefined)?.def;
    if (!def) return s;
    if (def.innerType) s = def.innerType;
    else if (def.type === 'pipe' && def.in) s = def.in;
    else return s;
  }
}
