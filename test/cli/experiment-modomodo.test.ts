// `reverie experiment modomodo --quick` end to end at the tiny scale (REVERIE_EXPERIMENT_SCALE=tiny:
// the same code path with a 10-step SFT and 1 GRPO iteration per mixture): the report directory is
// complete. Whether MoDoMoDo's effect shows is the full run's business (bench/RESULTS.md), not this test's.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { bin, root, tmp } from '../e2e/helpers/cli.js';

test('experiment modomodo --quick writes summary.json, report.md with the 11 pilots, both surrogates and the comparison, SVG charts and config.json', async (t) => {
  const dir = await tmp('reverie-exp-modomodo-');
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const out = join(dir, 'report');
  const r = spawnSync(process.execPath, [bin, 'experiment', 'modomodo', '--quick', '--seeds', '2', '--threads', '1', '--out', out, '--json'], { cwd: root, encoding: 'utf8', env: { ...process.env, REVERIE_EXPERIMENT_SCALE: 'tiny' } });
  t.is(r.status, 0, r.stderr);
  const s = JSON.parse(r.stdout.trim());
  t.is(s.experiment, 'modomodo');
  t.is(s.scale, 'tiny');
  t.is(s.seeds, 2);
  t.is(s.domains.length, 5);
  t.is(s.pilots.length, 11);
  for (const p of s.pilots) {
    t.is(p.outFit.n, 2, p.name);
    for (const k of ['outFit', 'inFit', 'outTest']) t.true(p[k].mean >= 0 && p[k].mean <= 1, `${p.name} ${k}`);
    t.true(Number.isFinite(p.predictedLinear) && Number.isFinite(p.predictedQuadratic), p.name);
  }
  t.is(s.surrogates.points, 22, '11 pilots × 2 seeds');
  t.is(s.surrogates.linear.splitR2.length, 5);
  t.is(s.surrogates.quadratic.splitR2.length, 5);
  t.is(s.surrogates.linear.allCoef.length, 6);
  t.is(s.surrogates.quadratic.allCoef.length, 21);
  t.is(s.proposal.weights.length, 5);
  t.true(Math.abs(s.proposal.weights.reduce((a: number, b: number) => a + b, 0) - 1) < 1e-9);
  for (const k of ['uniform', 'proposed', 'base']) {
    t.is(s.comparison[k].outTest.n, 2, k);
    t.true(Number.isFinite(s.comparison[k].outTest.mean), k);
  }
  t.true(Number.isFinite(s.comparison.proposedMinusUniformOut.mean));
  for (const k of ['quadraticR2BeatsLinear', 'proposedBeatsUniformOnHeldOut', 'proposedBeatsUniformCiAboveZero', 'uniformBeatsBase']) t.is(typeof s.holds[k], 'boolean', k);

  const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
  t.deepEqual(summary.pilots, s.pilots);
  const md = readFileSync(join(out, 'report.md'), 'utf8');
  for (const p of s.pilots) t.true(md.includes(`| ${p.name} | ${p.kind} |`), p.name);
  t.regex(md, /\| linear \| 6 \|/);
  t.regex(md, /\| quadratic \| 21 \|/);
  t.regex(md, /\| proposed \|/);
  t.regex(md, /proposed − uniform, Out/);
  t.is(s.charts.length, 4);
  for (const c of s.charts as string[]) {
    t.true(readFileSync(join(out, c), 'utf8').startsWith('<svg'), c);
    t.regex(md, new RegExp(`\\]\\(${c}\\)`));
  }
  const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
  t.is(config.experiment, 'modomodo');
  t.is(config.pilots.length, 11);
  t.is(config.search.splits, 5);
  for (const p of Object.values(config.scenarios) as string[]) t.true(existsSync(p), p);
  t.true(existsSync(join(out, 'runs', 'seed-2', 'sft', 'reasoner.json')), 'one SFT init per seed');
});
