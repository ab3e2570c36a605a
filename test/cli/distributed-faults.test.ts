// Faults in a distributed run through the CLI (`reverie learner` + `reverie actors` processes on
// 127.0.0.1): an actor killed with SIGKILL while it holds work, and the learner killed with SIGKILL
// and restarted with --resume on the same port. A distributed run plays the same episodes as a
// single-process `train` with the same seed (test/cli/distributed-parity.test.ts), so after either
// fault the policy must still be the single-process run's, byte for byte: nothing lost was counted,
// nothing half-played was trained on, no episode was trained on twice. Each test bounds its time
// and kills the process groups it started, even when it fails.
import test from 'ava';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { clientConstructors, type StatusReply } from '../../environments/remote/proto.js';
import { freePort, kill9, portOf, proc, retries, reverie, tmp, until, waitingActors, within } from '../e2e/helpers/cli.js';

// 4 iterations of 32 episodes: a collect is 4 work items of 8, two per actor
const CONFIG = '{"hidden": [16], "episodesPerIteration": 32}';
const TRAIN = ['--algo', 'ppo', '--scenario', 'twenty-questions', '--episodes', '128', '--config', CONFIG, '--eval-every', '0', '--seed', '3', '--json'];
// fields of a metrics row that depend on timing, not on the training
const TIMING = new Set(['seconds', 'episodes_per_s', 'iteration_s']);





/** Status.Get on a learner (undefined while it cannot be reached). */
function status(client: grpc.Client): Promise<StatusReply | undefined> {
  return new Promise((resolve) => {
    (client as unknown as { Get(r: object, o: grpc.CallOptions, cb: (e: grpc.ServiceError | null, r?: StatusReply) => void): void })
      .Get({}, { deadline: Date.now() + 2000 }, (err, r) => resolve(err ? undefined : r));
  });
}

function statusClient(t: { teardown: (fn: () => void) => void }, port: number): grpc.Client {
  const c = new (clientConstructors().Status)(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  t.teardown(() => c.close());
  return c;
}

function metricsRows(dir: string): Record<string, unknown>[] {
  return readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => {
    const row = JSON.parse(l) as Record<string, unknown>;
    for (const k of TIMING) delete row[k];
    return row;
  });
}

/** Temporary directories, removed when the file's tests are done (passed or not). */
const dirs: string[] = [];
test.after.always(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
async function scratch(): Promise<string> {
  const d = await tmp('reverie-faults-');
  dirs.push(d);
  return d;
}

/** The single-process run of the same command (once per file). */
let single: Promise<{ dir: string; onnx: Buffer }> | undefined;
function singleRun(): Promise<{ dir: string; onnx: Buffer }> {
  single ??= (async () => {
    const dir = join(await scratch(), 'single');
    const r = await reverie('train', ...TRAIN, '--out', dir);
    if (r.code !== 0) throw new Error(`train: ${r.stderr}`);
    return { dir, onnx: readFileSync(join(dir, 'policy.onnx')) };
  })();
  return single;
}


const actorArgs = (port: number, name: string, workers: number, ...more: string[]) =>
  ['actors', '--connect', `127.0.0.1:${port}`, '--workers', String(workers), '--name', name, '--retry-max-ms', '400', '--give-up-after', '60', '--json', ...more];

test.serial('kill -9 of an actor holding work: the learner hands it to the other actor and trains exactly what a single process trains', async (t) => {
  t.timeout(85_000);
  const ref = await singleRun();
  const out = join(await scratch(), 'dist');
  const port = await freePort();
  // the actors start first and wait for the learner: on a loaded machine an actor started after
  // it could attach after the survivor had played everything
  // (one episode at a time: the victim's work items take long enough to be cut in the middle)
  const [survivor, victim] = await waitingActors(t, [actorArgs(port, 'survivor', 1), actorArgs(port, 'victim', 0, '--concurrency', '1')]);
  const learner = proc(t, ['learner', ...TRAIN, '--listen', `127.0.0.1:${port}`, '--out', out]);
  await portOf(learner);
  const client = statusClient(t, port);
  let before: StatusReply | undefined;
  await until(async () => {
    before = (await status(client)) ?? before;
    return before?.actors.some((a) => a.name === 'victim' && a.workInFlight > 0) === true || learner.child.exitCode !== null;
  }, 40_000, 'the victim holding work');
  kill9(victim.child);
  t.true(before !== undefined && before.actors.some((a) => a.name === 'victim' && a.workInFlight > 0), `the victim was seen holding work; learner:\n${learner.stderr()}`);
  t.true(before!.episodes < 128, `killed at ${before!.episodes} admitted episodes of 128`);
  const l = await within(learner.done, 60_000, 'the learner');
  t.is(l.code, 0, l.stderr);
  const r = JSON.parse(l.stdout) as { episodes: number; iterations: number; remote: { episodes: number; reassigned: number; malformed: number } };
  t.is(r.episodes, 128);
  t.is(r.iterations, 4);
  t.true(r.remote.reassigned >= 1, `reassigned work items: ${r.remote.reassigned}`);
  t.is(r.remote.episodes, 128, 'admitted episodes = the budget: the lost ones are not counted');
  t.is(r.remote.malformed, 0);
  t.regex(l.stderr, /\(victim\) left with \d+ unfinished work item/);
  t.deepEqual(metricsRows(out), metricsRows(ref.dir), 'the same iterations as the single-process run');
  t.true(readFileSync(join(out, 'policy.onnx')).equals(ref.onnx), 'the same policy bytes as the single-process run');
  const v = await within(victim.done, 10_000, 'the victim');
  t.is(v.signal, 'SIGKILL');
  const s = await within(survivor.done, 20_000, 'the survivor');
  t.is(s.code, 0, s.stderr);
  t.is(JSON.parse(s.stdout).reason, 'training is over');
});

test.serial('kill -9 of the learner: the actors retry with backoff and resume with a learner restarted on the same port with --resume; the policy is the uninterrupted run\'s', async (t) => {
  t.timeout(120_000);
  const ref = await singleRun();
  const out = join(await scratch(), 'dist');
  const port = await freePort();
  const args = ['learner', ...TRAIN, '--listen', `127.0.0.1:${port}`, '--out', out, '--checkpoint-every', '1'];
  // the actors start first and wait for the learner (so both are attached to the first one however slowly a loaded machine starts processes)
  const actors = await waitingActors(t, [actorArgs(port, 'a0', 0), actorArgs(port, 'a1', 1)]);
  const first = proc(t, args);
  await portOf(first);
  const client = statusClient(t, port);
  // killed in the middle of a later collect (iteration 2 and its checkpoint are done)
  let at: StatusReply | undefined;
  await until(async () => {
    at = await status(client);
    return (at !== undefined && at.policyVersion >= 2 && at.actors.some((a) => a.workInFlight > 0)) || first.child.exitCode !== null;
  }, 40_000, 'the learner at iteration 2 with work out');
  kill9(first.child);
  t.true(at!.policyVersion < 4, `killed at policy version ${at!.policyVersion}`);
  t.is(at!.actors.length, 2, 'both actors attached to the first learner');
  t.is((await within(first.done, 10_000, 'the first learner')).signal, 'SIGKILL');
  t.true(existsSync(join(out, 'trainer.ckpt')) && existsSync(join(out, 'online.json')), 'a checkpoint to resume from');
  // the actors back off while nobody listens
  const before = actors.map((a) => retries(a).length);
  await until(() => actors.every((a, i) => retries(a).length >= before[i] + 3), 20_000, 'three retries per actor', 50);
  for (const a of actors) t.true(retries(a).every((s) => s <= 0.4), `waits within --retry-max-ms: ${retries(a).join(', ')}`);
  const second = proc(t, [...args, '--resume']);
  const l = await within(second.done, 60_000, 'the restarted learner');
  t.is(l.code, 0, l.stderr);
  const r = JSON.parse(l.stdout) as { episodes: number; iterations: number; resumedFrom: number; remote: { episodes: number; malformed: number } };
  t.is(r.episodes, 128, 'the full episode count');
  t.is(r.iterations, 4);
  t.true(r.resumedFrom >= 2 && r.resumedFrom < 4, `resumed from iteration ${r.resumedFrom}`);
  t.is(r.remote.episodes, 128 - 32 * r.resumedFrom, 'the restarted learner admitted the episodes of the iterations it ran');
  t.is(r.remote.malformed, 0);
  t.deepEqual(metricsRows(out), metricsRows(ref.dir), 'the same iterations as the single-process run');
  t.true(readFileSync(join(out, 'policy.onnx')).equals(ref.onnx), 'the same policy bytes as the single-process run');
  for (const a of actors) {
    const d = await within(a.done, 20_000, 'an actor');
    t.is(d.code, 0, d.stderr);
    const j = JSON.parse(d.stdout) as { reason: string; connections: number };
    t.is(j.reason, 'training is over');
    t.true(j.connections >= 2, `connections: ${j.connections}`);
  }
});
