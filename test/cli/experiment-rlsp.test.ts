// `reverie experiment rlsp --quick` end to end at the tiny scale (REVERIE_EXPERIMENT_SCALE=tiny:
// the same code path with a 20-step SFT and 2 GRPO iterations per arm): the report directory is
// complete. Whether RLSP's effect shows is the full run's business (bench/RESULTS.md), not this test's.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { rlspAdvantage, rlspSftLevels } from '../../cli/experiments/rlsp.js';
import { bin, root, tmp } from '../e2e/helpers/cli.js';

test('experiment rlsp --quick writes summary.json, report.md with every arm and level, SVG charts and config.json', async (t) => {
  const dir = await tmp('reverie-exp-rlsp-');
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const out = join(dir, 'report');
  const r = spawnSync(process.execPath, [bin, 'experiment', 'rlsp', '--quick', '--seeds', '1', '--threads', '1', '--out', out, '--json'], { cwd: root, encoding: 'utf8', env: { ...process.env, REVERIE_EXPERIMENT_SCALE: 'tiny' } });
  t.is(r.status, 0, r.stderr);
  const s = JSON.parse(r.stdout.trim());
  t.is(s.experiment, 'rlsp');
  t.is(s.scale, 'tiny');
  t.is(s.seeds, 1);
  for (const p of ['sft', 'verifier', 'rlsp', 'exploration']) {
    t.is(s.results[p].length, 3, p);
    for (const level of s.results[p]) {
      for (const m of ['accuracy', 'length', 'checkRate', 'backRate', 'noAnswer']) t.true(Number.isFinite(level[m].mean), `${p} ${m}`);
      t.true(level.accuracy.mean >= 0 && level.accuracy.mean <= 1);
    }
  }
  for (const k of ['rlspMinusVerifierAccuracyHardest', 'explorationMinusVerifierAccuracy', 'rlspLengthHardestMinusEasiest']) t.true(Number.isFinite(s.effects[k].mean), k);
  t.is(typeof s.holds.rlspBeatsVerifierAtHardest, 'boolean');
  t.is(s.perSeed.sft.length, 1, 'per-seed figures for one seed');

  const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
  t.deepEqual(summary.results, s.results);
  const md = readFileSync(join(out, 'report.md'), 'utf8');
  for (const p of ['sft', 'verifier', 'rlsp', 'exploration']) for (const l of [1, 2, 3]) t.regex(md, new RegExp(`\\| ${p} \\| ${l} \\|`), `${p} level ${l}`);
  t.regex(md, /RLSP − verifier accuracy at level 3/);
  for (const c of s.charts as string[]) {
    t.true(readFileSync(join(out, c), 'utf8').startsWith('<svg'), c);
    t.regex(md, new RegExp(`\\]\\(${c}\\)`));
  }
  t.is(s.charts.length, 4);
  const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
  t.is(config.experiment, 'rlsp');
  t.deepEqual(config.arms.map((a: { name: string }) => a.name), ['verifier', 'rlsp', 'exploration']);
  t.is(config.arms[1].shaping.C, 8);
  t.true(existsSync(config.scenario), 'the scenario file the runs were trained on');
  const grpoConfig = JSON.parse(readFileSync(join(out, 'runs', 'seed-1', 'rlsp', 'config.json'), 'utf8'));
  t.is(grpoConfig.shaping.method, 'rlsp', 'the GRPO run recorded its shaping');
  t.is(config.grpo.advantage, 'mean', 'the default advantage of the experiment');
  t.is(config.sftFrom, null);
  for (const arm of ['verifier', 'rlsp', 'exploration']) t.is(JSON.parse(readFileSync(join(out, 'runs', 'seed-1', arm, 'config.json'), 'utf8')).advantage, 'mean', arm);
  t.regex(md, /GRPO advantage \(every arm, REVERIE_RLSP_ADVANTAGE\): \*\*mean\*\*/);

  // the other advantage setting on the same SFT checkpoints
  const out2 = join(dir, 'report-std');
  const r2 = spawnSync(process.execPath, [bin, 'experiment', 'rlsp', '--quick', '--seeds', '1', '--threads', '1', '--out', out2, '--json'], { cwd: root, encoding: 'utf8', env: { ...process.env, REVERIE_EXPERIMENT_SCALE: 'tiny', REVERIE_RLSP_ADVANTAGE: 'std', REVERIE_RLSP_SFT_FROM: out } });
  t.is(r2.status, 0, r2.stderr);
  const config2 = JSON.parse(readFileSync(join(out2, 'config.json'), 'utf8'));
  t.is(config2.grpo.advantage, 'std');
  t.is(config2.sftFrom, out);
  t.false(existsSync(join(out2, 'runs', 'seed-1', 'sft')), 'no SFT trained');
  t.is(JSON.parse(readFileSync(join(out2, 'runs', 'seed-1', 'rlsp', 'config.json'), 'utf8')).init, join(out, 'runs', 'seed-1', 'sft'));
  t.deepEqual(JSON.parse(r2.stdout.trim()).perSeed.sft, s.perSeed.sft, 'the same SFT policy evaluates the same');
  t.regex(readFileSync(join(out2, 'report.md'), 'utf8'), /\*\*std\*\*/);
});

test('REVERIE_RLSP_SFT_LEVEL3: levels 1 and 2 by default, level 3 at the given weight, anything else refused', (t) => {
  t.deepEqual(rlspSftLevels({}), [{ level: 1, weight: 1 }, { level: 2, weight: 0.5 }]);
  t.deepEqual(rlspSftLevels({ REVERIE_RLSP_SFT_LEVEL3: '0' }), [{ level: 1, weight: 1 }, { level: 2, weight: 0.5 }]);
  t.deepEqual(rlspSftLevels({ REVERIE_RLSP_SFT_LEVEL3: '0.05' }), [{ level: 1, weight: 1 }, { level: 2, weight: 0.5 }, { level: 3, weight: 0.05 }]);
  for (const bad of ['', 'x', '-0.1', '2']) t.throws(() => rlspSftLevels({ REVERIE_RLSP_SFT_LEVEL3: bad }), { message: /weight in \[0, 1\]/ }, bad);
});

test('REVERIE_RLSP_ADVANTAGE: mean by default, std on request, anything else refused', (t) => {
  t.is(rlspAdvantage({}), 'mean');
  t.is(rlspAdvantage({ REVERIE_RLSP_ADVANTAGE: 'std' }), 'std');
  t.throws(() => rlspAdvantage({ REVERIE_RLSP_ADVANTAGE: 'none' }), { message: /'mean' or 'std'/ });
});
