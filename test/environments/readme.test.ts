// The example at the top of environments/README.md, run as written (fewer episodes).
import test from 'ava';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getScenario } from '../../scenarios/registry.js';
import { generateDataset, readEpisodes, inspectDataset } from '../../environments/index.js';

test('the README example generates, reads and inspects a dataset', async (t) => {
  const out = join(await mkdtemp(join(tmpdir(), 'reverie-readme-')), 'travel');
  const scenario = getScenario('travel-agent');
  await generateDataset({ scenario, policy: 'heuristic', episodes: 60, seed: 0, out, workers: 2 });
  let n = 0;
  for await (const ep of readEpisodes(out)) {
    t.is(ep.index, n++);
  }
  t.is(n, 60);
  const report = await inspectDataset(out);
  t.is(report.summary.episodes, 60);
  t.is(report.summary.errored, 0);
});
