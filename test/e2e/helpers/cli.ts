// Runs the built CLI (bin/reverie.js → dist/cli/index.js) as a user would.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../../../../', import.meta.url));
export const bin = join(root, 'bin', 'reverie.js');

export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function start(args: string[]): { child: ChildProcess; done: Promise<CliResult>; stderr: () => string } {
  const child = spawn(process.execPath, [bin, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => { stdout += d.toString(); });
  child.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); });
  const done = new Promise<CliResult>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, done, stderr: () => stderr };
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

/** p, or a rejection naming what did not finish within ms. */
export function within<X>(p: Promise<X>, ms: number, what: string): Promise<X> {
  let timer: NodeJS.Timeout;
  return Promise.race([p, new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms); })]).finally(() => clearTimeout(timer));
}

/** Polls ok() every `every` ms until it holds; throws after ms. */
export async function until(ok: () => boolean | Promise<boolean>, ms: number, what: string, every = 5): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(every);
  }
}

/** A loopback port free at the time of asking. */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

export interface Proc { readonly child: ChildProcess; readonly done: Promise<CliResult>; stderr(): string }

/** `reverie ...` in its own process group; the group, if still alive, is killed in teardown. */
export function proc(t: { teardown: (fn: () => void) => void }, args: string[]): Proc {
  const child = spawn(process.execPath, [bin, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => { stdout += d.toString(); });
  child.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); });
  const done = new Promise<CliResult>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  t.teardown(() => kill9(child));
  return { child, done, stderr: () => stderr };
}

/** SIGKILL to a child's process group (its Piscina workers too). */
export function kill9(child: ChildProcess): void {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** The port a learner prints on stderr ("listening on 127.0.0.1:PORT"). */
export async function portOf(p: Proc): Promise<number> {
  let port = 0;
  await until(() => {
    const m = /listening on 127\.0\.0\.1:(\d+)/.exec(p.stderr());
    if (m) port = Number(m[1]);
    return port > 0 || p.child.exitCode !== null;
  }, 30_000, 'the learner listening', 20);
  if (!port) throw new Error(`the learner exited before listening:\n${p.stderr()}`);
  return port;
}

/** The waits an actor announced while it could not reach its learner, in seconds. */
export function retries(p: Proc): number[] {
  return [...p.stderr().matchAll(/retrying in (\d+\.\d) s/g)].map((m) => Number(m[1]));
}

/**
 * Actor processes started before their learner, back once each is up and retrying: all of them
 * attach as soon as the learner listens, however slowly a loaded machine starts processes (an
 * actor started after the learner may find training already over and its port closed).
 */
export async function waitingActors(t: { teardown: (fn: () => void) => void }, argsList: string[][]): Promise<Proc[]> {
  const actors = argsList.map((args) => proc(t, args));
  await until(() => actors.every((a) => retries(a).length >= 1 || a.child.exitCode !== null), 30_000, 'the actors up and retrying', 50);
  for (const a of actors) if (a.child.exitCode !== null) throw new Error(`an actor exited before its learner started:\n${a.stderr()}`);
  return actors;
}
