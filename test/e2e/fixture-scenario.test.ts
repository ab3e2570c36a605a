import test from 'ava';
import { join } from 'node:path';
import { json, reverie, root, tmp } from './helpers/cli.js';

// A new domain of an existing family, written as data only by the preference-elicitation engineer.
const fixture = join(root, 'test', 'fixtures', 'scenarios', 'restaurant-recommender.yaml');

test('a scenario file written from scratch validates, generates, inspects and evaluates without code changes', async (t) => {
  const v = await reverie('scenarios', 'validate', fixture, '--json');
  t.is(v.code, 0, v.stderr);
  const dir = join(await tmp(), 'restaurants');
  const g = await reverie('generate', '--scenario', fixture, '--policy', 'heuristic', '--episodes', '300', '--seed', '4', '--workers', '2', '--out', dir, '--json');
  t.is(g.code, 0, g.stderr);
  const gj = json(g);
  t.is(gj.scenario.id, 'restaurant-recommender');
  t.is(gj.summary.episodes, 300);
  t.is(gj.summary.errored, 0);
  const i = json(await reverie('inspect', dir, '--json'));
  t.deepEqual(i.summary, gj.summary);
  const e = await reverie('eval', '--scenario', fixture, '--policy', 'random', '--episodes', '200', '--seed', '4', '--workers', '1', '--json');
  t.is(e.code, 0, e.stderr);
  t.is(json(e).summary.episodes, 200);
});
