import test from 'ava';
import { getScenario } from '../../scenarios/registry.js';
import { deriveSeed } from '../../scenarios/random.js';
import { makeContext, policyByName, runEpisodes } from '../../actors/index.js';

test('the README example runs', async (t) => {
  const ctx = makeContext(getScenario('teacher'));
  const policy = policyByName('epsilon-heuristic:0.1', ctx);
  const specs = Array.from({ length: 100 }, (_, i) => ({ index: i, seed: deriveSeed(42, i), id: `teacher-${i}` }));
  const episodes = await runEpisodes(ctx, policy, specs, { concurrency: 16 });
  t.is(episodes.length, 100);
  t.true(episodes.every((e) => !e.outcome.error));
  t.true(episodes.filter((e) => e.outcome.success).length > 0);
});
