// Faults between the remote source (the learner, in this process) and its actors: an actor process
// killed with SIGKILL in the middle of a collect, and connections cut by a TCP proxy in the middle
// of their streams. Whatever happens, a collect returns the trajectories the in-process source
// plays for the same requests and weights: each request's once, none half-played. Each test bounds
// its time and kills the processes it started (their process groups) even when it fails.
import test from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { makeContext } from '../../../actors/context.js';
import { makeEncoder } from '../../../environments/encoding/index.js';
import { createInProcessSource } from '../../../environments/online/in-process.js';
import type { EpisodeRequest, InferFn, Trajectory } from '../../../environments/online/types.js';
import { runRemoteActor, type RemoteActorResult } from '../../../environments/remote/actor.js';
import { createRemoteSource, type RemoteSource } from '../../../environments/remote/learner.js';
import { getScenario } from '../../../scenarios/registry.js';
import { bin, root } from '../../e2e/helpers/cli.js';
import { mlpModel, sessionInfer } from '../helpers/online-model.js';

const scenario = getScenario('twenty-questions');
const ctx = makeContext(scenario);
const F = makeEncoder('structured', ctx).size;
const model = mlpModel(F, ctx.actions.length, { hidden: [16], seed: 5 });

function requests(n: number, base: number): EpisodeRequest[] {
  return Array.from({ length: n }, (_, i) => ({ seed: base + i, actionSeed: 7000 + base + i }));
}

/** The reference: what the in-process source plays for these requests with the same weights. */
async function reference(reqs: EpisodeRequest[]): Promise<Trajectory[]> {
  const s = await sessionInfer(model, 1);
  try {
    return await createInProcessSource({ scenario, encoder: 'structured', concurrency: 8 }, s.infer).collect(reqs);
  } finally {
    await s.release();
  }
}

type T = { is: (a: unknown, b: unknown, m?: string) => void; true: (a: boolean, m?: string) => void };

/** Same trajectories, in request order (log-probs to float tolerance: batches differ in size). */
function same(t: T, got: readonly Trajectory[], want: readonly Trajectory[]): void {
  t.is(got.length, want.length, 'one trajectory per request');
  got.forEach((x, i) => {
    const y = want[i];
    const m = `trajectory ${i} (seed ${y.seed})`;
    for (const k of ['seed', 'actionSeed', 'length', 'policyVersion', 'terminated', 'truncated', 'return', 'success'] as const) t.is(x[k], y[k], `${m}: ${k}`);
    for (const k of ['actions', 'mask', 'obs', 'rewards', 'finalObs'] as const) t.is(Array.from(x[k]).join(), Array.from(y[k]).join(), `${m}: ${k}`);
    t.true(x.logProbs.every((v, s) => Math.abs(v - y.logProbs[s]) <= 1e-5), `${m}: logProbs`);
  });
}

/** A learner on 127.0.0.1:0 whose forward takes a few ms more, so that episodes are long enough to be cut. */
async function learner(t: { teardown: (fn: () => Promise<void>) => void }, lines: string[], extra: { keepaliveMs?: number } = {}): Promise<RemoteSource> {
  const s = await sessionInfer(model, 1);
  const slow: InferFn = async (obs, rows) => {
    await sleep(4);
    return s.infer(obs, rows);
  };
  const source = await createRemoteSource({ scenario, encoder: 'structured', concurrency: 4, chunkSize: 4, listen: '127.0.0.1:0', log: (l) => lines.push(l), ...extra }, slow);
  t.teardown(async () => {
    await source.close();
    await s.release();
  });
  await source.publish(1, model);
  return source;
}

interface Proc {
  readonly child: ChildProcess;
  readonly done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

/** `reverie actors ...` in its own process group; every group still alive is killed in teardown. */
function actorsProcess(t: { teardown: (fn: () => void) => void }, args: string[]): Proc {
  const child = spawn(process.execPath, [bin, 'actors', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => { stdout += d.toString(); });
  child.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); });
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  t.teardown(() => killGroup(child));
  return { child, done };
}

function killGroup(child: ChildProcess): void {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** Polls until `ok()` holds; throws after `ms`. */
async function until(ok: () => boolean, ms: number, what: string, every = 2): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(every);
  }
}

function within<X>(p: Promise<X>, ms: number, what: string): Promise<X> {
  let timer: NodeJS.Timeout;
  return Promise.race([p, new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms); })]).finally(() => clearTimeout(timer));
}

test('kill -9 of an actor process mid-collect: the other actor plays its work, each request comes back once, as the in-process source plays it', async (t) => {
  t.timeout(75_000);
  const reqs = requests(64, 100);
  const more = requests(16, 500);
  const want = await reference([...reqs, ...more]);
  const lines: string[] = [];
  const source = await learner(t, lines);
  const common = ['--connect', `127.0.0.1:${source.port}`, '--workers', '0', '--give-up-after', '30', '--retry-max-ms', '500', '--json'];
  const survivor = actorsProcess(t, [...common, '--name', 'survivor']);
  const victim = actorsProcess(t, [...common, '--name', 'victim']);
  await within(source.waitForActors(2), 30_000, 'two actors');
  const collect = source.collect(reqs);
  let finished = false;
  void collect.then(() => { finished = true; }, () => { finished = true; });
  // the victim holds work and the collect is still waiting for some of it
  const victimBusy = () => source.status().actors.some((a) => a.name === 'victim' && a.workInFlight > 0);
  await until(() => victimBusy() || finished, 30_000, 'the victim holding work');
  t.false(finished, 'the kill must land while the collect is in flight');
  const admittedBefore = source.stats.episodes;
  process.kill(-victim.child.pid!, 'SIGKILL');
  const got = await within(collect, 40_000, 'the collect after the kill');
  t.true(admittedBefore < reqs.length, `killed with ${reqs.length - admittedBefore} episodes not yet admitted`);
  same(t, got, want.slice(0, reqs.length));
  t.true(source.stats.reassigned >= 1, `reassigned work items: ${source.stats.reassigned}`);
  t.is(source.stats.episodes, reqs.length, 'admitted episodes = requests: the lost ones are not counted');
  t.is(source.stats.malformed, 0);
  t.true(lines.some((l) => /victim\) left with \d+ unfinished work item/.test(l)), lines.join('\n'));
  const v = await within(victim.done, 10_000, 'the victim');
  t.is(v.signal, 'SIGKILL');
  // the learner goes on with the survivor alone
  t.deepEqual(source.status().actors.map((a) => a.name), ['survivor']);
  same(t, await within(source.collect(more), 30_000, 'a collect with one actor'), want.slice(reqs.length));
  await source.close();
  const s = await within(survivor.done, 15_000, 'the survivor');
  t.is(s.code, 0, s.stderr);
  const r = JSON.parse(s.stdout) as RemoteActorResult;
  t.is(r.reason, 'training is over');
  t.true(r.episodes >= more.length && r.episodes <= reqs.length + more.length, `the survivor played ${r.episodes}`);
});

/**
 * A TCP proxy that forwards bytes both ways; `cut()` destroys every connection it carries (the
 * peers see the connection close), `freeze()` silently drops whatever they send from then on, closes
 * included (a network that went dark: only timeouts and keepalive pings can tell). New connections work.
 */
async function proxy(target: number): Promise<{ port: number; connections: number; cut(): void; freeze(): void; close(): Promise<void> }> {
  const live = new Set<Socket>();
  const frozen = new WeakSet<Socket>();
  const state = { connections: 0 };
  const server: Server = createServer((down) => {
    state.connections++;
    const up = createConnection({ host: '127.0.0.1', port: target });
    for (const [from, to] of [[down, up], [up, down]] as const) {
      live.add(from);
      from.on('data', (d: Buffer) => { if (!frozen.has(from)) to.write(d); });
      // a frozen connection does not pass on a close either: the other side can only find out by itself
      from.on('close', () => { live.delete(from); if (!frozen.has(from)) to.destroy(); });
      from.on('error', () => from.destroy());
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    get connections() { return state.connections; },
    cut() {
      for (const s of live) s.destroy();
    },
    freeze() {
      for (const s of live) frozen.add(s);
    },
    close: () => new Promise<void>((resolve) => {
      for (const s of live) s.destroy();
      server.close(() => resolve());
    }),
  };
}

test('a proxy cuts every actor connection mid-stream: the actors reconnect through it, the learner replays the cut work, the collects are complete and exact', async (t) => {
  t.timeout(75_000);
  const reqs = requests(64, 900);
  const more = requests(16, 1200);
  const want = await reference([...reqs, ...more]);
  const lines: string[] = [];
  // lowered keepalive (the CLI has no flag for it): a peer that stops answering is dropped within ~1 s + 10 s
  const source = await learner(t, lines, { keepaliveMs: 1000 });
  const px = await proxy(source.port);
  t.teardown(() => px.close());
  const abort = new AbortController();
  t.teardown(() => abort.abort());
  const actorLogs: string[][] = [[], []];
  // in this process (the harness of parity.test.ts): fast to start, and their logs are at hand
  const actors = [0, 1].map((k) => runRemoteActor({
    connect: `127.0.0.1:${px.port}`, name: `a${k}`, signal: abort.signal, keepaliveMs: 1000, inferTimeoutMs: 5000, seed: k + 1,
    retry: { initialMs: 50, maxMs: 400, giveUpMs: 20_000 }, log: (l) => actorLogs[k].push(l),
  }));
  await within(source.waitForActors(2), 20_000, 'two actors');
  const collect = source.collect(reqs);
  let finished = false;
  void collect.then(() => { finished = true; }, () => { finished = true; });
  await until(() => source.status().actors.filter((a) => a.workInFlight > 0).length === 2 || finished, 20_000, 'both actors holding work');
  t.false(finished, 'the cut must land while the collect is in flight');
  const admittedBefore = source.stats.episodes;
  px.cut();
  const got = await within(collect, 40_000, 'the collect after the cut');
  t.true(admittedBefore < reqs.length);
  same(t, got, want.slice(0, reqs.length));
  t.true(source.stats.reassigned >= 1, `reassigned work items: ${source.stats.reassigned}`);
  t.is(source.stats.episodes, reqs.length, 'admitted episodes = requests');
  t.is(source.stats.malformed, 0);
  t.true(lines.some((l) => /left with \d+ unfinished work item/.test(l)), lines.join('\n'));
  for (const log of actorLogs) t.true(log.some((l) => /retrying in \d/.test(l)), log.join('\n'));
  // grpc-js shares one TCP connection between channels to the same address in a process: 1 before the cut, at least 1 after
  t.true(px.connections >= 2, `connections through the proxy: ${px.connections}`);
  // after the cut both actors are back and the next collect uses them
  await within(source.waitForActors(2), 20_000, 'two actors again');
  same(t, await within(source.collect(more), 30_000, 'a collect after the cut'), want.slice(reqs.length));
  await source.close();
  const results = await within(Promise.all(actors), 15_000, 'the actors');
  for (const r of results) {
    t.is(r.reason, 'training is over');
    t.true(r.connections >= 2, `connections: ${r.connections}`);
  }
});

test('a proxy goes silent mid-stream (bytes dropped, connections left open): the actors time out and reconnect, the learner\'s keepalive drops the dead streams and replays their work', async (t) => {
  t.timeout(80_000);
  const reqs = requests(48, 1500);
  const want = await reference(reqs);
  const lines: string[] = [];
  // keepalive lowered through the API (no CLI flag): a ping every 1 s, unanswered for 10 s → the stream is dropped
  const source = await learner(t, lines, { keepaliveMs: 1000 });
  const px = await proxy(source.port);
  t.teardown(() => px.close());
  const abort = new AbortController();
  t.teardown(() => abort.abort());
  const actorLogs: string[][] = [[], []];
  const actors = [0, 1].map((k) => runRemoteActor({
    connect: `127.0.0.1:${px.port}`, name: `a${k}`, signal: abort.signal, keepaliveMs: 1000, inferTimeoutMs: 3000, deadlineMs: 3000, seed: k + 1,
    retry: { initialMs: 50, maxMs: 400, giveUpMs: 40_000 }, log: (l) => actorLogs[k].push(l),
  }));
  await within(source.waitForActors(2), 20_000, 'two actors');
  const collect = source.collect(reqs);
  let finished = false;
  void collect.then(() => { finished = true; }, () => { finished = true; });
  await until(() => source.status().actors.filter((a) => a.workInFlight > 0).length === 2 || finished, 20_000, 'both actors holding work');
  t.false(finished, 'the freeze must land while the collect is in flight');
  const t0 = Date.now();
  px.freeze();
  const got = await within(collect, 60_000, 'the collect after the freeze');
  const waited = (Date.now() - t0) / 1000;
  t.log(`the collect finished ${waited.toFixed(1)} s after the freeze`);
  // the actors gave up on the dark connection after their 3 s inference timeout; the learner could only learn from its keepalive (1 s + 10 s)
  t.true(waited >= 8, `the learner let go of the dead streams after ${waited.toFixed(1)} s: keepalive, not a close that got through`);
  same(t, got, want);
  t.true(source.stats.reassigned >= 1, `reassigned work items: ${source.stats.reassigned}`);
  t.is(source.stats.episodes, reqs.length, 'admitted episodes = requests');
  t.true(lines.some((l) => /left with \d+ unfinished work item/.test(l)), lines.join('\n'));
  for (const log of actorLogs) t.true(log.some((l) => /retrying in \d/.test(l)), log.join('\n'));
  await source.close();
  const results = await within(Promise.all(actors), 20_000, 'the actors');
  for (const r of results) t.is(r.reason, 'training is over');
});
