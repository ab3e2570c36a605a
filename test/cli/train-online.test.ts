// `reverie train --algo ppo|grpo|reinforce` end to end: a policy checkpoint that `reverie eval`
// plays, metrics.jsonl with held-out evaluations, --resume, the worker sources, usage errors.
import test from 'ava';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { json, reverie, tmp } from '../e2e/helpers/cli.js';

const SMALL = '{"hidden": [16], "episodesPerIteration": 16}';

function metrics(dir: string): Record<string, number>[] {
  return readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);
}

test('train --algo ppo writes a checkpoint eval plays, metrics with held-out evaluations, and resumes', async (t) => {
  const out = join(await tmp('reverie-online-'), 'ppo');
  const a = await reverie('train', '--algo', 'ppo', '--scenario', 'travel-agent', '--episodes', '32', '--out', out, '--config', SMALL, '--eval-every', '1', '--eval-episodes', '8', '--json');
  t.is(a.code, 0, a.stderr);
  const r = json(a);
  t.is(r.algo, 'ppo');
  t.is(r.episodes, 32);
  t.is(r.iterations, 2);
  for (const f of ['policy.json', 'policy.onnx', 'trainer.ckpt', 'online.json', 'metrics.jsonl']) t.true(existsSync(join(out, f)), f);
  const rows = metrics(out);
  t.deepEqual(rows.map((x) => x.iteration), [1, 2]);
  t.true(rows.every((x) => Number.isFinite(x.eval_return) && x.eval_ci_lo <= x.eval_return && x.eval_return <= x.eval_ci_hi));
  t.is(JSON.parse(readFileSync(join(out, 'policy.json'), 'utf8')).algo, 'ppo');

  const e = await reverie('eval', '--scenario', 'travel-agent', '--policy', out, '--episodes', '16', '--workers', '1', '--no-oracle', '--json');
  t.is(e.code, 0, e.stderr);
  t.is(json(e).summary.episodes, 16);

  const again = await reverie('train', '--algo', 'ppo', '--scenario', 'travel-agent', '--episodes', '32', '--out', out, '--config', SMALL);
  t.is(again.code, 2);
  t.regex(again.stderr, /--resume/);
  const b = await reverie('train', '--algo', 'ppo', '--scenario', 'travel-agent', '--episodes', '48', '--out', out, '--config', SMALL, '--eval-every', '1', '--eval-episodes', '8', '--resume', '--json');
  t.is(b.code, 0, b.stderr);
  t.is(json(b).resumedFrom, 2);
  t.deepEqual(metrics(out).map((x) => x.iteration), [1, 2, 3]);
});

test('train --algo grpo|reinforce: in-process, central inference and local copies play the same episodes', async (t) => {
  const dir = await tmp('reverie-online-');
  const returns: number[][] = [];
  for (const [algo, extra] of [['grpo', ['--workers', '0']], ['grpo', ['--workers', '1', '--source', 'central']], ['grpo', ['--workers', '1', '--source', 'local']], ['reinforce', []]] as const) {
    const out = join(dir, `${algo}-${extra.join('')}`);
    const cfg = algo === 'grpo' ? '{"hidden": [16], "episodesPerIteration": 16, "groupSize": 4}' : SMALL;
    const r = await reverie('train', '--algo', algo, '--scenario', 'travel-agent', '--episodes', '32', '--out', out, '--config', cfg, '--eval-every', '0', ...extra, '--json');
    t.is(r.code, 0, r.stderr);
    if (algo === 'grpo') returns.push(metrics(out).map((x) => x.return_mean));
  }
  t.deepEqual(returns[1], returns[0]);
  t.deepEqual(returns[2], returns[0]);
});

test('train: online usage errors name the option', async (t) => {
  const out = join(await tmp('reverie-online-'), 'x');
  const noEpisodes = await reverie('train', '--algo', 'ppo', '--scenario', 'travel-agent', '--out', out);
  t.is(noEpisodes.code, 2);
  t.regex(noEpisodes.stderr, /--episodes/);
  const withData = await reverie('train', '--algo', 'ppo', '--scenario', 'travel-agent', '--episodes', '16', '--data', out, '--out', out);
  t.is(withData.code, 2);
  t.regex(withData.stderr, /--data/);
  const badConfig = await reverie('train', '--algo', 'grpo', '--scenario', 'travel-agent', '--episodes', '16', '--out', out, '--config', '{"groupSize": 1}');
  t.is(badConfig.code, 2);
  t.regex(badConfig.stderr, /groupSize/);
  const offlineEpisodes = await reverie('train', '--algo', 'bc', '--data', out, '--episodes', '5', '--out', out);
  t.is(offlineEpisodes.code, 2);
  t.regex(offlineEpisodes.stderr, /--episodes/);
});
