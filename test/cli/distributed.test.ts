// `reverie learner` + `reverie actors` as separate processes on 127.0.0.1: the same online
// training as `train`, with the episodes played elsewhere. Each test bounds its time and kills
// what it started.
import test from 'ava';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, json, proc, start, tmp, waitingActors, within, type CliResult } from '../e2e/helpers/cli.js';

const SMALL = '{"hidden": [16], "episodesPerIteration": 16}';




test('learner + 2 actors processes (token file) train PPO end to end on 127.0.0.1: a checkpoint, the same episodes as `train`; a wrong token exits 1; the actors exit 0 when told', async (t) => {
  t.timeout(120_000);
  const dir = await tmp('reverie-dist-');
  const out = join(dir, 'ppo');
  writeFileSync(join(dir, 'token'), 'sesame\n');
  writeFileSync(join(dir, 'wrong'), 'open sesame\n');
  const port = await freePort();
  const actor = (name: string, token: string, workers: number) => ['actors', '--connect', `127.0.0.1:${port}`, '--workers', String(workers), '--name', name, '--retry-max-ms', '250', '--give-up-after', '60', '--token-file', join(dir, token), '--json'];
  const [intruder, ...actors] = await waitingActors(t, [actor('intruder', 'wrong', 0), actor('actor-0', 'token', 0), actor('actor-1', 'token', 1)]);
  const learner = proc(t, ['learner', '--algo', 'ppo', '--scenario', 'twenty-questions', '--listen', `127.0.0.1:${port}`, '--episodes', '32', '--out', out, '--config', SMALL, '--eval-every', '0', '--token-file', join(dir, 'token'), '--json']);
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
  const reverie = (...args: string[]) => within(proc(t, args).done, 30_000, args.slice(0, 2).join(' '));
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
