// `reverie learner` + `reverie actors` as separate processes on 127.0.0.1: the same online
// training as `train`, with the episodes played elsewhere. Each test bounds its time and kills
// what it started.
import test from 'ava';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { json, start, tmp, type CliResult } from '../e2e/helpers/cli.js';

const SMALL = '{"hidden": [16], "episodesPerIteration": 16}';

/** Kills every child still running when the test ends (passed or not). */
function reaper(t: { teardown: (fn: () => void) => void }): (c: ChildProcess) => ChildProcess {
  const children: ChildProcess[] = [];
  t.teardown(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });
  return (c) => {
    children.push(c);
    return c;
  };
}

/** The port a learner prints on stderr ("listening on 127.0.0.1:PORT"). */
export function learnerPort(child: ChildProcess, timeoutMs = 30_000): Promise<number> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error(`the learner did not say where it listens within ${timeoutMs} ms:\n${text}`)), timeoutMs);
    child.stderr?.on('data', (d: Buffer) => {
      text += d.toString();
      const m = /listening on 127\.0\.0\.1:(\d+)/.exec(text);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.on('close', () => reject(new Error(`the learner exited before listening:\n${text}`)));
  });
}

function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([p, new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms); })]).finally(() => clearTimeout(timer));
}

test('learner + 2 actors processes (token file) train PPO end to end on 127.0.0.1: a checkpoint, the same episodes as `train`; a wrong token exits 1; the actors exit 0 when told', async (t) => {
  t.timeout(120_000);
  const keep = reaper(t);
  const dir = await tmp('reverie-dist-');
  const out = join(dir, 'ppo');
  writeFileSync(join(dir, 'token'), 'sesame\n');
  writeFileSync(join(dir, 'wrong'), 'open sesame\n');
  const learner = start(['learner', '--algo', 'ppo', '--scenario', 'twenty-questions', '--listen', '127.0.0.1:0', '--episodes', '32', '--out', out, '--config', SMALL, '--eval-every', '0', '--token-file', join(dir, 'token'), '--json']);
  keep(learner.child);
  const port = await learnerPort(learner.child);
  const intruder = start(['actors', '--connect', `127.0.0.1:${port}`, '--token-file', join(dir, 'wrong'), '--json']);
  keep(intruder.child);
  const actors = [0, 1].map((k) => start(['actors', '--connect', `127.0.0.1:${port}`, '--workers', String(k), '--name', `actor-${k}`, '--give-up-after', '30', '--token-file', join(dir, 'token'), '--json']));
  for (const a of actors) keep(a.child);
  const bad = await within(intruder.done, 30_000, 'actor with a wrong token');
  t.is(bad.code, 1, bad.stderr);
  t.regex(bad.stderr, /UNAUTHENTICATED: wrong token/);
  const l: CliResult = await within(learner.done, 90_000, 'learner');
  t.is(l.code, 0, l.stderr);
  const r = json(l);
  t.is(r.command, 'learner');
  t.is(r.episodes, 32);
  t.is(r.iterations, 2);
  t.is(r.remote.episodes, 32);
  t.is(r.remote.malformed, 0);
  t.true(r.remote.unauthenticated >= 1);
  for (const f of ['policy.json', 'policy.onnx', 'trainer.ckpt', 'online.json', 'metrics.jsonl']) t.true(existsSync(join(out, f)), f);
  t.is(readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').length, 2);
  const done = await within(Promise.all(actors.map((a) => a.done)), 20_000, 'actors');
  let played = 0;
  for (const a of done) {
    t.is(a.code, 0, a.stderr);
    const j = json(a);
    t.is(j.reason, 'training is over');
    played += j.episodes as number;
  }
  t.is(played, 32, 'every admitted episode was played by one of the two actors');

  // the same command in one process plays the same episodes (same sampler, same action streams)
  const single = join(dir, 'single');
  const s = await within(start(['train', '--algo', 'ppo', '--scenario', 'twenty-questions', '--episodes', '32', '--out', single, '--config', SMALL, '--eval-every', '0', '--json']).done, 60_000, 'train');
  t.is(s.code, 0, s.stderr);
  const returns = (d: string) => readFileSync(join(d, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { return_mean: number }).return_mean);
  t.deepEqual(returns(out), returns(single));
});

test('learner: a non-loopback listen address without a token is refused at start; the token file and TLS options are checked', async (t) => {
  t.timeout(60_000);
  const keep = reaper(t);
  const reverie = (...args: string[]) => {
    const r = start(args);
    keep(r.child);
    return within(r.done, 30_000, args.slice(0, 2).join(' '));
  };
  const out = join(await tmp('reverie-dist-'), 'x');
  const open = await reverie('learner', '--algo', 'ppo', '--scenario', 'twenty-questions', '--listen', '0.0.0.0:0', '--episodes', '16', '--out', out);
  t.is(open.code, 1);
  t.regex(open.stderr, /loopback.*token/s);
  t.false(existsSync(join(out, 'policy.json')));
  const noFile = await reverie('learner', '--algo', 'ppo', '--scenario', 'twenty-questions', '--listen', '127.0.0.1:0', '--episodes', '16', '--out', out, '--token-file', join(out, 'missing'));
  t.is(noFile.code, 2);
  t.regex(noFile.stderr, /--token-file/);
  const halfTls = await reverie('learner', '--algo', 'ppo', '--scenario', 'twenty-questions', '--listen', '127.0.0.1:0', '--episodes', '16', '--out', out, '--tls-cert', 'x.pem');
  t.is(halfTls.code, 2);
  t.regex(halfTls.stderr, /--tls-cert and --tls-key/);
  const actor = await reverie('actors', '--connect', 'nowhere');
  t.is(actor.code, 2);
  t.regex(actor.stderr, /HOST:PORT/);
});
