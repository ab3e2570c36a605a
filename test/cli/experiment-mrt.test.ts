// `reverie experiment mrt --quick` end to end at the tiny scale (REVERIE_EXPERIMENT_SCALE=tiny:
// the same code path with a 20-step SFT and 2 GRPO iterations per arm): the report directory is
// complete. Whether MRT's effect shows is the full run's business (bench/RESULTS.md), not this test's.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { bin, root, tmp } from '../e2e/helpers/cli.js';

test('experiment mrt --quick writes summary.json, report.md with every arm and level, SVG charts and config.json', async (t) => {
  const dir = await tmp('reverie-exp-mrt-');
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const out = join(dir, 'report');
  const r = spawnSync(process.execPath, [bin, 'experiment', 'mrt', '--quick', '--seeds', '1', '--threads', '1', '--out', out, '--json'], { cwd: root, encoding: 'utf8', env: { ...process.env, REVERIE_EXPERIMENT_SCALE: 'tiny' } });
  t.is(r.status, 0, r.stderr);
  const s = JSON.parse(r.stdout.trim());
  t.is(s.experiment, 'mrt');
  t.is(s.scale, 'tiny');
  t.is(s.budget, 36);
  for (const p of ['sft', 'grpo', 'mrt', 'mrt-term']) {
    t.is(s.results[p].length, 4, `${p}: three levels and all`);
    for (const level of s.results[p]) {
      for (const m of ['accuracy', 'accuracy2x', 'regretHalf', 'regret', 'regret2x', 'solvedTokens', 'settled', 'tokens', 'segments', 'checks', 'idleBefore', 'idleAfter']) t.true(Number.isFinite(level[m].mean), `${p} ${m}`);
      for (const m of ['regretHalf', 'regret', 'regret2x']) t.true(level[m].mean >= 0 && level[m].mean <= 1, `${p} ${m} in [0, 1]`);
    }
  }
  for (const arm of ['mrt', 'mrt-term']) for (const m of ['regret', 'accuracy', 'accuracy2x', 'solvedTokens']) t.true(Number.isFinite(s.effects[arm][m].mean), `${arm} ${m}`);
  t.is(typeof s.holds.lowerRegretAtB, 'boolean');
  t.is(s.perSeed.sft.length, 1, 'per-seed figures for one seed');
  t.is(s.sftLoss.length, 1);
  t.true(Number.isFinite(s.sftLoss[0]), 'the SFT base loss of each seed');
  for (const level of s.perSeed.grpo[0]) t.true(level.checks <= level.segments && level.idleBefore + level.idleAfter <= level.segments, 'checks and idle episodes are among the segments');

  const md = readFileSync(join(out, 'report.md'), 'utf8');
  for (const p of ['sft', 'grpo', 'mrt', 'mrt-term']) for (const l of ['1', '2', '3', 'all']) t.regex(md, new RegExp(`\\| ${p} \\| ${l} \\|`), `${p} level ${l}`);
  t.regex(md, /mrt − grpo, regret:/);
  t.regex(md, /## Per seed/);
  for (const p of ['sft', 'grpo', 'mrt', 'mrt-term']) t.regex(md, new RegExp(`\\| ${p} \\| 1 \\| (\\d+\\.\\d{3})? \\| \\d\\.\\d{3} \\|`), `${p} seed 1`);
  t.is(s.charts.length, 4);
  for (const c of s.charts as string[]) t.true(readFileSync(join(out, c), 'utf8').startsWith('<svg'), c);
  t.deepEqual(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')).effects, s.effects);
  const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
  t.is(config.grpo.maxNewTokens, 36);
  t.is(config.sft.schedule, 'cosine', 'the same warm-up and cosine SFT for every seed and arm');
  t.true(config.sft.warmup > 0);
  t.is(config.metaProver.alpha, 1);
  t.deepEqual(config.arms.map((a: { name: string }) => a.name), ['grpo', 'mrt', 'mrt-term']);
  const rows = readFileSync(join(out, 'runs', 'seed-1', 'mrt', 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  t.is(rows.length, 2);
  t.true(rows.every((x: Record<string, number>) => Number.isFinite(x.mrt_j_final) && x.mean_length <= 36), 'the shaper ran under the budget');
});
