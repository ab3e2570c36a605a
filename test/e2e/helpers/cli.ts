// Runs the built CLI (bin/reverie.js → dist/cli/index.js) as a user would.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../../../../', import.meta.url));
export const bin = join(root, 'bin', 'reverie.js');

export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function start(args: string[]): { child: ChildProcess; done: Promise<CliResult> } {
  const child = spawn(process.execPath, [bin, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => { stdout += d.toString(); });
  child.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); });
  const done = new Promise<CliResult>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, done };
}

export function reverie(...args: string[]): Promise<CliResult> {
  return start(args).done;
}

export async function tmp(prefix = 'reverie-e2e-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/** Every file of a directory, name → bytes (as text). */
export async function files(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const n of (await readdir(dir)).sort()) out[n] = await readFile(join(dir, n), 'utf8');
  return out;
}

/** The one JSON object a --json command prints on stdout. */
export function json(r: CliResult): Record<string, any> {
  const text = r.stdout.trim();
  if (text.includes('\n')) throw new Error(`expected one JSON line on stdout, got:\n${text}`);
  return JSON.parse(text);
}
