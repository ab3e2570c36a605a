/** What can go wrong with a scenario file, as data (`code`, `file`, `issues`) and as a readable message. */

export type ScenarioErrorCode =
  /** The file is not valid YAML or JSON (the issue carries line and column). */
  | 'syntax'
  /** A mapping repeats a key. */
  | 'duplicate-key'
  /** The file holds nothing (or only comments). */
  | 'empty'
  /** The data does not fit the scenario schema (wrong type, missing field, bad reference...). */
  | 'invalid'
  /** The `family` field names no known family. */
  | 'unknown-family'
  /** No such built-in scenario id, or no such file. */
  | 'not-found'
  /** The file cannot be read, or its extension is neither .yaml/.yml nor .json. */
  | 'unreadable';

/** One problem: the field path (`concepts[2].prerequisites[0]`, empty for the whole file), the line when known, and what to do. */
export interface ScenarioIssue {
  readonly path: string;
  readonly line?: number;
  readonly column?: number;
  readonly message: string;
}

/**
 * A scenario that cannot be used, with every problem found. The message has one line per issue,
 * `file:line: path — what is wrong; what is expected`, and never a stack trace worth reading.
 *
 * @example
 * try { loadScenarioFile('teacher.yaml'); }
 * catch (e) { if (e instanceof ScenarioError) console.error(e.message); }
 * // teacher.yaml:14: concepts[2].prerequisites[0] — unknown concept 'algebr'; expected one of: fractions, decimals
 */
export class ScenarioError extends Error {
  override readonly name = 'ScenarioError';
  readonly code: ScenarioErrorCode;
  readonly file: string;
  readonly issues: readonly ScenarioIssue[];

  constructor(code: ScenarioErrorCode, file: string, issues: readonly ScenarioIssue[]) {
    super(formatIssues(file, issues));
    this.code = code;
    this.file = file;
    this.issues = issues;
  }
}

/** Most issues printed in a message (all of them stay in `issues`). */
const MAX_PRINTED = 20;

/** `file:line:col: path — message`, one line per issue. */
export function formatIssues(file: string, issues: readonly ScenarioIssue[]): string {
  const lines = issues.slice(0, MAX_PRINTED).map((i) => formatIssue(file, i));
  if (issues.length > MAX_PRINTED) lines.push(`${file}: ... and ${issues.length - MAX_PRINTED} more problems`);
  return lines.join('\n');
}

export function formatIssue(file: string, i: ScenarioIssue): string {
  const where = i.line === undefined ? file : i.column === undefined ? `${file}:${i.line}` : `${file}:${i.line}:${i.column}`;
  return i.path ? `${where}: ${i.path} — ${i.message}` : `${where}: ${i.message}`;
}

/** `['concepts', 2, 'name']` → `concepts[2].name`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out;
}

/** The closest candidate to `word` when it is close enough to be a likely typo, else undefined. */
export function didYouMean(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  const w = word.toLowerCase();
  for (const c of candidates) {
    const d = c.toLowerCase() === w ? 0 : editDistance(w, c.toLowerCase());
    if (d < bestD) { bestD = d; best = c; }
  }
  if (best === undefined) return undefined;
  // A prefix of a longer name ('tutor' for 'tutoring') is a likely slip too.
  if (w.length >= 3) {
    const prefixed = candidates.find((c) => c.toLowerCase().startsWith(w) || w.startsWith(c.toLowerCase()));
    if (prefixed && bestD > 1) return prefixed;
  }
  const limit = Math.max(1, Math.floor(Math.max(word.length, best.length) / 3));
  return bestD <= limit ? best : undefined;
}

/** Levenshtein distance (insert, delete, substitute; adjacent swaps count 1). */
function editDistance(a: string, b: string): number {
  const m = a.length;
  const n = b.length;
  const d: number[][] = Array.from({ length: m + 1 }, (_, i) => [i, ...new Array<number>(n).fill(0)]);
  for (let j = 1; j <= n; j++) d[0][j] = j;
  for (let i = 1; i <= m; i++) {
    for (let j = 1; j <= n; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[m][n];
}
