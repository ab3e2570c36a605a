// Quick measure of the actor run's speed relative to runEpisodePlain, on the toy family or a built-in:
//   node dist/test/helpers/speed.js [toy|SCENARIO] [episodes] [K] [policy]
// Alternates the two runs and keeps each one's best CPU time (the machines are shared and noisy).
import { toyContext } from './toy-family.js';
import { getScenario } from '../../scenarios/registry.js';
import { makeContext } from '../../actors/context.js';
import { runEpisodes } from '../../actors/run.js';
import { runEpisodePlain } from '../../actors/plain.js';
import { policyByName } from '../../actors/policies/index.js';
import { deriveSeed } from '../../scenarios/random.js';

const which = process.argv[2] ?? 'toy';
const n = Number(process.argv[3] ?? 2000);
const k = Number(process.argv[4] ?? 32);
const ctx = which === 'toy' ? toyContext({ maxTurns: 30 }) : makeContext(getScenario(which));
const p = policyByName(process.argv[5] ?? 'heuristic', ctx);
const specs = Array.from({ length: n }, (_, i) => ({ index: i, seed: deriveSeed(1, i), id: `e${i}` }));
/** CPU milliseconds of this process (less disturbed by other processes than wall time). */
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
let bestPlain = Infinity;
let bestActors = Infinity;
let turns = 0;
let same = true;
for (let r = 0; r < 7; r++) {
  let t0 = cpu();
  const b = specs.map((s) => runEpisodePlain(ctx, p, s));
  bestPlain = Math.min(bestPlain, cpu() - t0);
  turns = b.reduce((a, e) => a + e.totals.agentTurns, 0);
  t0 = cpu();
  const a = await runEpisodes(ctx, p, specs, { concurrency: k });
  bestActors = Math.min(bestActors, cpu() - t0);
  if (r === 0) same = JSON.stringify(a) === JSON.stringify(b);
}
console.log(JSON.stringify({
  scenario: ctx.scenario.id, policy: p.name, episodes: n, k, turns, same,
  plainUsPerTurn: +(bestPlain * 1000 / turns).toFixed(2), actorUsPerTurn: +(bestActors * 1000 / turns).toFixed(2),
  overheadUsPerTurn: +((bestActors - bestPlain) * 1000 / turns).toFixed(2), ratio: +(bestPlain / bestActors).toFixed(3),
}));
