import { readFileSync } from 'node:fs';
import { z } from 'zod';
import cliProgress from 'cli-progress';
import { ScenarioError } from '../scenarios/errors.js';
import { DatasetError } from '../environments/dataset/files.js';

/** Exit codes: 1 when the work failed (bad scenario file, damaged dataset), 2 when the command line was wrong. */
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** An error meant for the person at the terminal: one clear message, no stack trace. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode: number = EXIT_FAILURE, readonly details?: Record<string, unknown>) {
    super(message);
    this.name = 'CliError';
  }
}

export function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/**
 * Where a command's output goes. With `--json`: one JSON object on stdout, human text on stderr.
 * Without: the human text on stdout. Progress and notes always go to stderr.
 */
export class Output {
  constructor(readonly json: boolean) {}

  /** A note for people (stderr). */
  note(text: string): void {
    process.stderr.write(text.endsWith('\n') ? text : text + '\n');
  }

  /** The command's result: `data` as JSON (with --json) or `human` text. */
  result(data: Record<string, unknown>, human: string): void {
    if (this.json) {
      process.stdout.write(JSON.stringify({ ok: true, ...data }) + '\n');
      if (human) this.note(human);
    } else if (human) {
      process.stdout.write(human.endsWith('\n') ? human : human + '\n');
    }
  }
}

/** The message and exit code of any error, for people; stacks only with REVERIE_DEBUG=1. */
export function describeError(err: unknown): { message: string; exitCode: number; details?: Record<string, unknown> } {
  if (err instanceof CliError) return { message: err.message, exitCode: err.exitCode, details: err.details };
  if (err instanceof ScenarioError) {
    return { message: err.message, exitCode: EXIT_FAILURE, details: { code: err.code, file: err.file, issues: err.issues } };
  }
  if (err instanceof DatasetError) return { message: err.message, exitCode: EXIT_FAILURE, details: { file: err.file, line: err.line } };
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e.code === 'string' && typeof e.path === 'string') {
    const why: Record<string, string> = { EACCES: 'permission denied', ENOSPC: 'no space left on the device', ENOENT: 'no such file or directory', EROFS: 'read-only file system', ENOTDIR: 'a part of the path is not a directory', EEXIST: 'already exists' };
    return { message: `${e.path}: ${why[e.code] ?? e.message}`, exitCode: EXIT_FAILURE, details: { code: e.code } };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { message: `internal error: ${message} (run with REVERIE_DEBUG=1 for the stack trace, and please report it)`, exitCode: EXIT_FAILURE };
}

/** Prints an error (stderr, and a JSON object on stdout with --json) and sets the exit code. */
export function reportError(err: unknown, json: boolean): void {
  const { message, exitCode, details } = describeError(err);
  process.stderr.write(`reverie: ${message.replace(/\n/g, '\n  ')}\n`);
  if (process.env.REVERIE_DEBUG && err instanceof Error && err.stack) process.stderr.write(err.stack + '\n');
  if (json) process.stdout.write(JSON.stringify({ ok: false, error: { message, exitCode, ...(details ?? {}) } }) + '\n');
  process.exitCode = exitCode;
}

/** Parses raw commander options with a zod schema; a bad value becomes a usage error naming the option. */
export function parseOptions<S extends z.ZodType>(schema: S, raw: Record<string, unknown>): z.infer<S> {
  const r = schema.safeParse(raw);
  if (r.success) return r.data;
  const lines = r.error.issues.map((i) => {
    const key = String(i.path[0] ?? '');
    const flag = key ? `--${key.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())}` : 'options';
    const got = key in raw && raw[key] !== undefined ? ` (got '${String(raw[key])}')` : '';
    return `${flag}: ${i.message}${got}`;
  });
  throw new CliError(lines.join('\n'), EXIT_USAGE);
}

/** A whole number from an option string, with a message that says what is expected. */
export function intOption(what: string, min: number, max = Number.MAX_SAFE_INTEGER) {
  const expected = `expected ${what}: a whole number${max < Number.MAX_SAFE_INTEGER ? ` from ${min} to ${max}` : ` of at least ${min}`}`;
  return z
    .union([z.string(), z.number()])
    .transform((v, ctx) => {
      const s = String(v).trim().replace(/_/g, '');
      const n = /^\d+$/.test(s) ? Number(s) : /^\d+(\.\d+)?e\d+$/i.test(s) ? Number(s) : NaN;
      if (!Number.isSafeInteger(n) || n < min || n > max) {
        ctx.addIssue({ code: 'custom', message: expected });
        return z.NEVER;
      }
      return n;
    });
}

/** Progress on stderr: a bar on a terminal, a plain line every few seconds otherwise (logs, CI). */
export interface Progress {
  update(done: number, total: number): void;
  stop(): void;
}

export function progress(label: string, unit = 'episodes'): Progress {
  const t0 = performance.now();
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      { stream: process.stderr, format: `${label} [{bar}] {percentage}% | {value}/{total} ${unit} | {rate}/s | eta {eta_formatted}`, hideCursor: false, clearOnComplete: true, etaBuffer: 50 },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    let first = 0;
    return {
      update(done, total) {
        if (!started) {
          bar.start(total, done, { rate: 0 });
          started = true;
          first = done;
        }
        const s = (performance.now() - t0) / 1000;
        bar.update(done, { rate: s > 0 ? Math.round((done - first) / s) : 0 });
      },
      stop() {
        if (started) bar.stop();
      },
    };
  }
  let last = 0;
  let first = -1;
  return {
    update(done, total) {
      if (first < 0) first = done;
      const now = performance.now();
      if (now - last < 5000 && done < total) return;
      if (last === 0 && done < total && now - t0 < 1000) return;
      last = now;
      const s = (now - t0) / 1000;
      const pct = total ? Math.floor((100 * done) / total) : 100;
      process.stderr.write(`${label}: ${done}/${total} ${unit} (${pct}%)${s > 0 ? `, ${Math.round((done - first) / s)}/s` : ''}\n`);
    },
    stop() {},
  };
}

/** Peak resident memory of this process (all threads), in MiB. */
export function peakRssMiB(): number {
  return Math.round((process.resourceUsage().maxRSS / 1024) * 10) / 10;
}

export function fmt(x: number, digits = 3): string {
  return Number.isInteger(x) ? String(x) : x.toFixed(digits);
}

export function pct(x: number): string {
  return `${(100 * x).toFixed(1)}%`;
}
