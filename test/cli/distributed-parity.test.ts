// Distributed PPO = single-process PPO. A distributed run hands every episode request to some actor,
// the actor plays it with the request's own action stream and the learner's logits, and the
// learner trains on the trajectories in request order: so `reverie learner` + 2 `reverie actors`
// processes must train exactly what `reverie train` trains with the same seed and budget, whatever
// actor played what. Tested byte for byte (the policy, every iteration's metrics), and through the
// issue's own yardstick: the held-out greedy evaluation of both checkpoints is the same.
// The full-budget run (20k episodes, 2000 held-out episodes) is in bench/RESULTS.md.
import test from 'ava';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, json, proc, reverie, tmp, waitingActors, within } from '../e2e/helpers/cli.js';

// the default PPO network (128-128 tanh) and iteration size (64), 8 iterations
const TRAIN = ['--algo', 'ppo', '--scenario', 'twenty-questions', '--episodes', '512', '--eval-every', '0', '--seed', '11', '--json'];
const TIMING = new Set(['seconds', 'episodes_per_s', 'iteration_s']);




function metricsRows(dir: string): Record<string, unknown>[] {
  return readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => {
    const row = JSON.parse(l) as Record<string, unknown>;
    for (const k of TIMING) delete row[k];
    return row;
  });
}

test('learner + 2 actor processes train the same PPO policy as single-process train (same seed and budget): same bytes, same held-out return', async (t) => {
  t.timeout(85_000);
  const dir = await tmp('reverie-parity-');
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const single = join(dir, 'single');
  const dist = join(dir, 'dist');
  const port = await freePort();
  // one actor plays in its own thread, the other in a worker whose ticks it merges: different batches
  const actors = await waitingActors(t, [0, 1].map((w) => ['actors', '--connect', `127.0.0.1:${port}`, '--workers', String(w), '--name', `a${w}`, '--retry-max-ms', '400', '--give-up-after', '60', '--json']));
  const learner = proc(t, ['learner', ...TRAIN, '--listen', `127.0.0.1:${port}`, '--out', dist]);
  const s = await within(reverie('train', ...TRAIN, '--out', single), 60_000, 'train');
  t.is(s.code, 0, s.stderr);
  const l = await within(learner.done, 60_000, 'the learner');
  t.is(l.code, 0, l.stderr);
  const r = json(l);
  t.is(r.episodes, 512);
  t.is(r.remote.episodes, 512);
  t.true(r.remote.mergedForwards > 0, 'some forwards carried both actors\' observations');
  let played = 0;
  for (const a of await within(Promise.all(actors.map((x) => x.done)), 20_000, 'the actors')) {
    t.is(a.code, 0, a.stderr);
    const n = json(a).episodes as number;
    t.true(n > 0, 'both actors played');
    played += n;
  }
  t.is(played, 512);
  t.deepEqual(metricsRows(dist), metricsRows(single), 'every iteration the same (returns, losses, KL, updates)');
  t.true(readFileSync(join(dist, 'policy.onnx')).equals(readFileSync(join(single, 'policy.onnx'))), 'the same policy bytes');
  // the yardstick of the issue: held-out greedy return of both checkpoints
  const evals = await Promise.all([single, dist].map((p) => within(reverie('eval', '--scenario', 'twenty-questions', '--policy', p, '--episodes', '200', '--seed', '1000', '--no-oracle', '--json'), 60_000, 'eval')));
  for (const e of evals) t.is(e.code, 0, e.stderr);
  const [a, b] = evals.map((e) => json(e).summary as { meanReturn: number; returnCI95: number[]; successes: number });
  t.is(b.meanReturn, a.meanReturn);
  t.deepEqual(b.returnCI95, a.returnCI95);
  t.is(b.successes, a.successes);
});
