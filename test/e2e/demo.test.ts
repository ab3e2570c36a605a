// `reverie demo`, small: imagined conversations from suboptimal behaviours, BC and ILQL trained on
// them, everything evaluated on the same held-out seeds. What must hold, at this size too: ILQL's
// mean return is above BC's (the imitation: sampled from π_BC) and above the best behaviour policy
// of the data, with 95% confidence intervals that do not overlap; and the report is all there.
import test from 'ava';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { json, reverie, tmp } from './helpers/cli.js';

test('demo: ILQL beats BC and every behaviour of the data on travel-agent, and writes the report', async (t) => {
  const out = join(await tmp('reverie-demo-'), 'report');
  const r = await reverie('demo', '--scenario', 'travel-agent', '--out', out, '--episodes', '1500', '--steps', '600', '--eval-episodes', '500', '--workers', '2', '--json');
  t.is(r.code, 0, r.stderr);
  const s = json(r);
  const row = (label: string) => s.results.find((x: { label: string }) => x.label === label);
  const ilql = row('ILQL').summary;
  t.log(s.results.map((x: any) => `${x.label}: ${x.summary.meanReturn.toFixed(2)} [${x.summary.returnCI95.map((v: number) => v.toFixed(2)).join(', ')}]`).join('\n'));
  t.true(s.checks.ilqlAboveBcSampled.pass, 'ILQL above BC (sampled)');
  t.true(s.checks.ilqlAboveBestBehaviour.pass, `ILQL above the best behaviour (${s.checks.ilqlAboveBestBehaviour.against})`);
  for (const b of s.results.filter((x: any) => x.role === 'behaviour')) t.true(ilql.returnCI95[0] > b.summary.returnCI95[1], b.label);
  t.is(row('oracle (sees the hidden persona)').percentOfOracle, 100);
  t.is(s.evaluation.episodes, 500);
  for (const x of s.results) t.is(x.summary.episodes, 500);

  for (const f of ['README.md', 'summary.json', 'dialogues.md', 'charts/returns.svg', 'charts/policy-loss.svg', 'charts/ilql-losses.svg', 'charts/ilql-values.svg']) t.true(existsSync(join(out, f)), f);
  t.regex(readFileSync(join(out, 'charts', 'ilql-losses.svg'), 'utf8'), /^<svg/);
  const readme = readFileSync(join(out, 'README.md'), 'utf8');
  t.regex(readme, /\| ILQL \| trained \| -?\d+\.\d+ ± \d+\.\d+ \| \d+\.\d% \|/);
  t.regex(readme, /% of oracle/);
  t.regex(readFileSync(join(out, 'dialogues.md'), 'utf8'), /\*\*Agent\*\*/);
  t.deepEqual(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')).checks, s.checks);
});
