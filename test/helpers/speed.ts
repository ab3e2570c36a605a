// Quick measure: the actor run's speed relative to runEpisodePlain (node dist/test/helpers/speed.js).
import { toyContext } from './toy-family.js';
import { runEpisodes } from '../../actors/run.js';
import { runEpisodePlain } from '../../actors/plain.js';
import { policyByName } from '../../actors/policies/index.js';
import { deriveSeed } from '../../scenarios/random.js';

const n = Number(process.argv[2] ?? 3000);
const k = Number(process.argv[3] ?? 32);
const ctx = toyContext({ maxTurns: 30 });
const p = policyByName(process.argv[4] ?? 'heuristic', ctx);
const specs = Array.from({ length: n }, (_, i) => ({ index: i, seed: deriveSeed(1, i), id: `e${i}` }));
let turns = 0;
for (let r = 0; r < 3; r++) {
  let t0 = performance.now();
  const b = specs.map((s) => runEpisodePlain(ctx, p, s));
  const plain = performance.now() - t0;
  turns = b.reduce((a, e) => a + e.totals.agentTurns, 0);
  t0 = performance.now();
  await runEpisodes(ctx, p, specs, { concurrency: k });
  const actors = performance.now() - t0;
  console.log(JSON.stringify({ episodes: n, k, turns, plainUsPerTurn: (plain * 1000 / turns).toFixed(2), actorUsPerTurn: (actors * 1000 / turns).toFixed(2), ratio: (plain / actors).toFixed(3) }));
}
