// node dist/test/helpers/speed-builtin.js teacher 2000 32 heuristic
import { getScenario } from '../../scenarios/registry.js';
import { makeContext } from '../../actors/context.js';
import { runEpisodes } from '../../actors/run.js';
import { runEpisodePlain } from '../../actors/plain.js';
import { policyByName } from '../../actors/policies/index.js';
import { deriveSeed } from '../../scenarios/random.js';

const ctx = makeContext(getScenario(process.argv[2] ?? 'teacher'));
const n = Number(process.argv[3] ?? 2000);
const k = Number(process.argv[4] ?? 32);
const p = policyByName(process.argv[5] ?? 'heuristic', ctx);
const specs = Array.from({ length: n }, (_, i) => ({ index: i, seed: deriveSeed(1, i), id: `e${i}` }));
for (let r = 0; r < 3; r++) {
  let t0 = performance.now();
  const b = specs.map((s) => runEpisodePlain(ctx, p, s));
  const plain = performance.now() - t0;
  const turns = b.reduce((a, e) => a + e.totals.agentTurns, 0);
  t0 = performance.now();
  const a = await runEpisodes(ctx, p, specs, { concurrency: k });
  const actors = performance.now() - t0;
  console.log(JSON.stringify({ scenario: ctx.scenario.id, episodes: n, k, turns, errored: b.filter((e) => e.outcome.error).length, same: JSON.stringify(a) === JSON.stringify(b), plainUsPerTurn: (plain * 1000 / turns).toFixed(2), actorUsPerTurn: (actors * 1000 / turns).toFixed(2), ratio: (plain / actors).toFixed(3) }));
}
