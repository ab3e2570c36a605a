// `reverie experiment amft --quick`: the report directory is complete (not the paper's effect).
import test from 'ava';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { meanCi } from '../../cli/experiments/amft.js';
import { json, reverie, tmp } from '../e2e/helpers/cli.js';

const ARMS = ['sft-then-rl', 'fixed-0.2', 'fixed-0.5', 'fixed-0.8', 'amft'];

test('experiment amft --quick writes summary.json, report.md, the charts, config.json and one reasoner run per arm and seed', async (t) => {
  const out = join(await tmp('reverie-amft-exp-'), 'report');
  const r = await reverie('experiment', 'amft', '--quick', '--seeds', '2', '--threads', '1', '--out', out, '--json');
  t.is(r.code, 0, r.stderr);
  const res = json(r);
  t.is(res.experiment, 'amft');
  t.is(res.seeds, 2);
  for (const f of ['summary.json', 'report.md', 'config.json', 'mu.svg', 'entropy.svg', 'train-accuracy.svg', 'accuracy.svg']) t.true(existsSync(join(out, f)), f);
  for (const f of ['mu.svg', 'entropy.svg', 'accuracy.svg']) t.regex(readFileSync(join(out, f), 'utf8'), /^<svg/);
  const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
  t.deepEqual(summary.arms.map((a: { arm: string }) => a.arm), ARMS);
  for (const a of summary.arms) {
    t.is(a.perSeed.length, 2);
    for (const k of ['id', 'hard']) t.true(a[k].lo <= a[k].mean && a[k].mean <= a[k].hi && a[k].mean >= 0 && a[k].mean <= 1, `${a.arm} ${k}`);
  }
  t.deepEqual(Object.keys(summary.claims).sort(), ['beatsTwoStage', 'matchesBestFixed', 'muFalls']);
  for (const c of Object.values(summary.claims) as { holds: unknown }[]) t.is(typeof c.holds, 'boolean');
  t.regex(summary.caveat, /withdrawn/);
  const md = readFileSync(join(out, 'report.md'), 'utf8');
  for (const a of ARMS) t.true(md.includes(`| ${a} |`), a);
  t.regex(md, /withdrawn/);
  t.regex(md, /μ falls as competence grows: \*\*(holds|not shown)\*\*/);
  const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
  t.deepEqual(Object.keys(config.arms), ARMS);
  t.is(config.arms.amft.mu.kind, 'amft');
  for (const a of ARMS) for (const s of [1, 2]) t.true(existsSync(join(out, 'runs', a, `seed${s}`, 'reasoner.json')), `${a} seed ${s}`);
  // AMFT's μ is logged every step and stays in its range
  const rows = readFileSync(join(out, 'runs', 'amft', 'seed1', 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  t.true(rows.every((x: { mu: number }) => x.mu >= 0.05 && x.mu <= 1));
  t.true(rows.some((x: { meta_grad?: number }) => typeof x.meta_grad === 'number'));
});

test('experiment amft: the t interval over seeds', (t) => {
  const c = meanCi([0.2, 0.4, 0.6]);
  t.true(Math.abs(c.mean - 0.4) < 1e-12);
  // sd 0.2, n 3, t(2) = 4.303
  t.true(Math.abs(c.hi - c.mean - (4.303 * 0.2) / Math.sqrt(3)) < 1e-12);
  t.deepEqual(meanCi([0.5]), { mean: 0.5, lo: 0.5, hi: 0.5, n: 1 });
});
