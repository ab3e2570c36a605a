import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { LineCounter, isMap, isPair, isScalar, isSeq, parseDocument } from 'yaml';
import type { Node as YamlNode } from 'yaml';
import type { z } from 'zod';
import { Scenario } from './schema.js';
import { ScenarioError, didYouMean, formatPath } from './errors.js';
import type { ScenarioErrorCode, ScenarioIssue } from './errors.js';

export type ScenarioFormat = 'yaml' | 'json';

export interface ParseOptions {
  /** Named in every message (the path as the user gave it). */
  readonly file: string;
  readonly format: ScenarioFormat;
}

/**
 * Scenario text → a validated {@link Scenario} (defaults filled in), or a {@link ScenarioError}
 * whose message names the file, the line, the field path and what is expected.
 *
 * @example
 * const s = parseScenario(readFileSync('my.yaml', 'utf8'), { file: 'my.yaml', format: 'yaml' });
 */
export function parseScenario(text: string, opts: ParseOptions): Scenario {
  const { data, locate } = opts.format === 'json' ? readJson(text, opts.file) : readYaml(text, opts.file);
  return validateScenario(data, opts.file, locate);
}

/** Reads a `.yaml`, `.yml` or `.json` scenario file; every failure is a {@link ScenarioError}. */
export function loadScenarioFile(path: string): Scenario {
  const ext = extname(path).toLowerCase();
  const format: ScenarioFormat | undefined = ext === '.json' ? 'json' : ext === '.yaml' || ext === '.yml' ? 'yaml' : undefined;
  if (!format) {
    throw new ScenarioError('unreadable', path, [{ path: '', message: `unsupported file type '${ext || '(none)'}'; expected a .yaml, .yml or .json scenario file` }]);
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ScenarioError('not-found', path, [{ path: '', message: 'no such file; check the path' }]);
    if (code === 'EISDIR') throw new ScenarioError('unreadable', path, [{ path: '', message: 'is a directory; expected a scenario file' }]);
    throw new ScenarioError('unreadable', path, [{ path: '', message: `cannot read the file (${code ?? String(err)})` }]);
  }
  return parseScenario(text, { file: path, format });
}

/** Parsed data and a way to find the line of a field path in the source. */
interface Source {
  readonly data: unknown;
  readonly locate: Locate;
}
type Locate = (path: readonly PropertyKey[]) => { line: number; column: number } | undefined;

const EMPTY_HINT = 'the file is empty; expected a scenario with id, version, title, family, maxTurns, user and the family\'s data (`reverie scenarios schema` prints the JSON Schema)';

function readYaml(text: string, file: string): Source {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: true });
  if (doc.errors.length > 0) {
    const dup = doc.errors.some((e) => e.code === 'DUPLICATE_KEY');
    const issues = doc.errors.map((e): ScenarioIssue => {
      const pos = e.linePos?.[0];
      // The library's message ends with " at line L, column C:" and a code frame; keep the first clause.
      const what = e.message.split(/ at line \d+, column \d+/)[0].split('\n')[0];
      const message = e.code === 'DUPLICATE_KEY'
        ? `duplicate key${duplicateKeyName(doc.contents, e.pos[0])}; each key may appear once in a mapping — remove or rename one`
        : `YAML syntax error: ${what}`;
      return { path: '', message, ...(pos ? { line: pos.line, column: pos.col } : {}) };
    });
    throw new ScenarioError(dup ? 'duplicate-key' : 'syntax', file, issues);
  }
  if (doc.contents === null) throw new ScenarioError('empty', file, [{ path: '', message: EMPTY_HINT }]);
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 1000 });
  } catch (err) {
    throw new ScenarioError('syntax', file, [{ path: '', message: `YAML error: ${err instanceof Error ? err.message : String(err)}` }]);
  }
  return { data, locate: nodeLocator(doc.contents, lineCounter) };
}

/** The name of the repeated key at `offset`, when it can be found (for the message). */
function duplicateKeyName(root: unknown, offset: number): string {
  let found = '';
  const visit = (n: unknown): void => {
    if (found) return;
    if (isMap(n)) {
      for (const p of n.items) {
        if (isScalar(p.key) && p.key.range && p.key.range[0] === offset) { found = ` '${String(p.key.value)}'`; return; }
        visit(p.value);
      }
    } else if (isSeq(n)) n.items.forEach(visit);
  };
  visit(root);
  return found;
}

function readJson(text: string, file: string): Source {
  if (text.trim() === '') throw new ScenarioError('empty', file, [{ path: '', message: EMPTY_HINT }]);
  const bad = jsonSyntaxError(text);
  if (bad) {
    const { line, column } = lineCol(text, bad.offset);
    throw new ScenarioError('syntax', file, [{ path: '', line, column, message: `JSON syntax error: ${bad.message}` }]);
  }
  const data: unknown = JSON.parse(text);
  // JSON is YAML's flow style: the YAML parser gives the source ranges for line numbers (and catches repeated keys).
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true });
  const dup = doc.errors.find((e) => e.code === 'DUPLICATE_KEY');
  if (dup) {
    const pos = dup.linePos?.[0];
    throw new ScenarioError('duplicate-key', file, [{ path: '', message: `duplicate key${duplicateKeyName(doc.contents, dup.pos[0])}; each key may appear once in an object — remove or rename one`, ...(pos ? { line: pos.line, column: pos.col } : {}) }]);
  }
  return { data, locate: doc.errors.length ? () => undefined : nodeLocator(doc.contents, lineCounter) };
}

function lineCol(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) { line++; start = i + 1; }
  }
  return { line, column: offset - start + 1 };
}

/**
 * The offset and a description of the first JSON syntax error, or null when the text is JSON.
 * (Node 20's JSON.parse does not always say where.)
 */
export function jsonSyntaxError(text: string): { offset: number; message: string } | null {
  let i = 0;
  const describe = (at: number) => (at >= text.length ? 'the end of the file' : `'${text[at]}'`);
  class Bad { constructor(readonly offset: number, readonly message: string) {} }
  const ws = () => { while (i < text.length && ' \t\n\r'.includes(text[i])) i++; };
  const expect = (what: string): never => { throw new Bad(i, `expected ${what}, found ${describe(i)}`); };
  const str = () => {
    i++; // opening quote
    while (i < text.length && text[i] !== '"') {
      const c = text.charCodeAt(i);
      if (c < 0x20) throw new Bad(i, 'unescaped line break or control character inside a string; close the string with "');
      if (text[i] === '\\') {
        i++;
        if (text[i] === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) throw new Bad(i, 'bad \\u escape; expected 4 hex digits');
          i += 4;
        } else if (!'"\\/bfnrt'.includes(text[i] ?? '')) throw new Bad(i, `bad escape '\\${text[i] ?? ''}'`);
      }
      i++;
    }
    if (i >= text.length) throw new Bad(i, 'unterminated string; expected a closing "');
    i++;
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++; ws();
      if (text[i] === '}') { i++; return; }
      for (;;) {
        ws();
        if (text[i] !== '"') expect(text[i] === '}' ? 'another key after \',\' (JSON allows no trailing comma)' : 'a key in double quotes');
        str(); ws();
        if (text[i] !== ':') expect("':' after the key");
        i++; value(); ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === '}') { i++; return; }
        expect("',' or '}' after a value");
      }
    }
    if (c === '[') {
      i++; ws();
      if (text[i] === ']') { i++; return; }
      for (;;) {
        ws();
        if (text[i] === ']') expect('another value after \',\' (JSON allows no trailing comma)');
        value(); ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === ']') { i++; return; }
        expect("',' or ']' after a value");
      }
    }
    if (c === '"') return str();
    const m = /^(?:-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)/.exec(text.slice(i, i + 400));
    if (!m) expect('a value (a string in double quotes, a number, true, false, null, an object or a list)');
    i += m![0].length;
  };
  try {
    value(); ws();
    if (i < text.length) expect('the end of the file after the top-level value');
    return null;
  } catch (e) {
    if (e instanceof Bad) return { offset: e.offset, message: e.message };
    throw e;
  }
}

/** Finds the source position of a field path: the key's line for mapping fields, else the node's. */
function nodeLocator(root: unknown, lc: LineCounter): Locate {
  return (path) => {
    let node: unknown = root;
    let pos: number | undefined = rangeStart(root);
    for (const seg of path) {
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
        if (!pair) break; // a missing field: point at its parent
        pos = rangeStart(pair.key) ?? pos;
        node = pair.value;
      } else if (isSeq(node) && typeof seg === 'number' && seg < node.items.length) {
        node = node.items[seg];
        pos = rangeStart(node) ?? pos;
      } else break;
    }
    if (pos === undefined) return undefined;
    const p = lc.linePos(pos);
    return { line: p.line, column: p.col };
  };
}

function rangeStart(n: unknown): number | undefined {
  return n && typeof n === 'object' && 'range' in n ? (n as YamlNode).range?.[0] : undefined;
}

// ---------------------------------------------------------------------------------------------
// zod issues → messages people can act on

/** Validates parsed data against the scenario schema; `locate` maps field paths to source lines. */
export function validateScenario(data: unknown, file: string, locate: Locate = () => undefined): Scenario {
  if (data === undefined) throw new ScenarioError('empty', file, [{ path: '', message: EMPTY_HINT }]);
  const r = Scenario.safeParse(data);
  if (r.success) return r.data;
  let code: ScenarioErrorCode = 'invalid';
  const issues: ScenarioIssue[] = [];
  for (const issue of r.error.issues) {
    for (const d of describeIssue(issue, data)) {
      if (d.unknownFamily) code = 'unknown-family';
      // A missing top-level field has no line of its own (line 1 would mislead).
      const at = d.missing && d.path.length === 1 ? undefined : locate(d.path);
      issues.push({ path: formatPath(d.path), ...(at ? { line: at.line } : {}), message: d.message });
    }
  }
  issues.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  throw new ScenarioError(code, file, issues);
}

interface Described {
  path: PropertyKey[];
  message: string;
  unknownFamily?: boolean;
  missing?: boolean;
}

function describeIssue(issue: z.core.$ZodIssue, data: unknown): Described[] {
  const path = [...issue.path];
  const value = valueAt(data, path);
  const field = path.length ? String(path[path.length - 1]) : '';
  switch (issue.code) {
    case 'invalid_type': {
      if (path.length === 0) {
        return [{ path, message: `expected a mapping of scenario fields (id, version, title, family, ...) at the top level, got ${describeValue(value)}` }];
      }
      const expected = expectedText(issue.expected);
      if (value === undefined && typeof path[path.length - 1] === 'string') {
        return [{ path, message: `missing required field '${field}'; expected ${expected}`, missing: true }];
      }
      return [{ path, message: `expected ${expected}, got ${describeValue(value)}` }];
    }
    case 'unrecognized_keys': {
      const known = knownKeys(path, data);
      return issue.keys.map((key) => {
        const guess = didYouMean(key, known);
        const message = guess
          ? `unknown key '${key}' (did you mean '${guess}'?)`
          : `unknown key '${key}'; expected one of: ${known.join(', ')} (remove it or fix its spelling)`;
        return { path: [...path, key], message };
      });
    }
    case 'invalid_union': {
      const disc = (issue as { discriminator?: string }).discriminator;
      const options = ((issue as { options?: unknown[] }).options ?? []).map(String);
      if (disc === 'family') {
        if (value === undefined) {
          return [{ path, message: `missing required field 'family'; expected one of: ${options.join(', ')}`, unknownFamily: true, missing: true }];
        }
        const guess = typeof value === 'string' ? didYouMean(value, options) : undefined;
        return [{
          path,
          message: `unknown family ${describeValue(value)}${guess ? ` (did you mean '${guess}'?)` : ''}; known families: ${options.join(', ')}`,
          unknownFamily: true,
        }];
      }
      return [{ path, message: `${issue.message}; got ${describeValue(value)}` }];
    }
    case 'too_small':
    case 'too_big': {
      const small = issue.code === 'too_small';
      const bound = small ? (issue as { minimum: number | bigint }).minimum : (issue as { maximum: number | bigint }).maximum;
      const incl = issue.inclusive !== false;
      const op = small ? (incl ? 'at least' : 'more than') : (incl ? 'at most' : 'less than');
      if (issue.origin === 'array' || issue.origin === 'set') {
        const n = Array.isArray(value) ? value.length : 0;
        return [{ path, message: `expected ${op} ${bound} item${Number(bound) === 1 ? '' : 's'}, got ${n}` }];
      }
      if (issue.origin === 'string') {
        if (small && Number(bound) === 1) return [{ path, message: 'expected a non-empty text, got an empty one' }];
        return [{ path, message: `expected a text of ${op} ${bound} characters, got ${String(value).length}` }];
      }
      return [{ path, message: `expected a number ${op} ${bound}, got ${describeValue(value)}` }];
    }
    case 'invalid_value': {
      const values = issue.values.map((v) => String(v));
      const guess = typeof value === 'string' ? didYouMean(value, values) : undefined;
      const label = field === 'name' && path.includes('styles') ? 'unknown style' : 'unexpected value';
      return [{ path, message: `${label} ${describeValue(value)}${guess ? ` (did you mean '${guess}'?)` : ''}; expected one of: ${values.join(', ')}` }];
    }
    case 'invalid_format':
      return [{ path, message: `${issue.message}; got ${describeValue(value)}` }];
    case 'not_multiple_of':
      return [{ path, message: `expected a multiple of ${issue.divisor}, got ${describeValue(value)}` }];
    case 'invalid_key':
      return [{ path, message: `bad key: ${issue.issues.map((i) => i.message).join('; ')}` }];
    default:
      return [{ path, message: issue.message }];
  }
}

function expectedText(expected: string): string {
  switch (expected) {
    case 'object': return 'a mapping (key: value pairs)';
    case 'array': return 'a list';
    case 'int': return 'an integer';
    case 'number': return 'a number';
    case 'string': return 'a text';
    case 'boolean': return 'true or false';
    default: return expected;
  }
}

function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'an empty value (null)';
  if (typeof v === 'string') return `'${v.length > 60 ? v.slice(0, 57) + '...' : v}'`;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `a list of ${v.length}`;
  if (typeof v === 'object') return 'a mapping';
  return typeof v;
}

function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let v = data;
  for (const seg of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[seg];
  }
  return v;
}

// ---------------------------------------------------------------------------------------------
// Walking the schema beside the data, to list the keys an object allows (for "did you mean")

interface SchemaLike {
  readonly def: {
    readonly type: string;
    readonly shape?: Record<string, SchemaLike>;
    readonly innerType?: SchemaLike;
    readonly in?: SchemaLike;
    readonly element?: SchemaLike;
    readonly valueType?: SchemaLike;
    readonly options?: readonly SchemaLike[];
    readonly discriminator?: string;
    readonly values?: readonly unknown[];
    readonly getter?: () => SchemaLike;
  };
}

function unwrap(s: SchemaLike): SchemaLike {
  for (;;) {
    const d = s.def;
    if (d.innerType) s = d.innerType;
    else if (d.type === 'pipe' && d.in) s = d.in;
    else if (d.type === 'lazy' && d.getter) s = d.getter();
    else return s;
  }
}

/** The object schema at `path` (choosing union options by the data), or undefined. */
function schemaAt(path: readonly PropertyKey[], data: unknown): SchemaLike | undefined {
  let s: SchemaLike | undefined = Scenario as unknown as SchemaLike;
  let v = data;
  for (let k = 0; k <= path.length && s; k++) {
    s = unwrap(s);
    if (s.def.type === 'union' && s.def.options) {
      const disc = s.def.discriminator;
      const dv = disc && v && typeof v === 'object' ? (v as Record<string, unknown>)[disc] : undefined;
      s = s.def.options.find((o) => {
        const lit = disc ? unwrap(o).def.shape?.[disc] : undefined;
        return lit ? (lit.def.values ?? []).includes(dv) : unwrap(o).def.type === 'object';
      });
      if (!s) return undefined;
      s = unwrap(s);
    }
    if (k === path.length) return s;
    const seg = path[k];
    if (s.def.type === 'object') s = s.def.shape?.[String(seg)];
    else if (s.def.type === 'array') s = s.def.element;
    else if (s.def.type === 'record') s = s.def.valueType;
    else return undefined;
    v = v && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[seg] : undefined;
  }
  return s;
}

function knownKeys(path: readonly PropertyKey[], data: unknown): string[] {
  const s = schemaAt(path, data);
  return s?.def.type === 'object' && s.def.shape ? Object.keys(s.def.shape) : [];
}
