/**
 * Mean agent turns to success (over the successful episodes, 95% CI) and success rate of policies
 * on the held-out seeds of `reverie eval --seed S` (episode i plays deriveSeed(S, i)): the
 * twenty-questions comparison of trained policies with the information-gain questioner.
 *
 *   node dist/bench/online-turns.js SCENARIO EPISODES SEED POLICY [POLICY ...]   (a name or a checkpoint dir)
 */
import { makeContext } from '../actors/context.js';
import { policyByName } from '../actors/policies/index.js';
import { runEpisodes } from '../actors/run.js';
import { RunningStats } from '../environments/stats.js';
import { isPolicyCheckpoint, loadPolicy } from '../learners/policies/checkpoint.js';
import { deriveSeed } from '../scenarios/random.js';
import { getScenario } from '../scenarios/registry.js';

const [id, n, seed, ...names] = process.argv.slice(2);
const ctx = makeContext(getScenario(id));
const specs = Array.from({ length: Number(n) }, (_, i) => ({ index: i, seed: deriveSeed(Number(seed), i), id: `t-${i}` }));
for (const name of names) {
  const policy = isPolicyCheckpoint(name) ? await loadPolicy(name, ctx) : policyByName(name, ctx);
  const eps = await runEpisodes(ctx, policy, specs, { concurrency: 64 });
  await policy.close?.();
  const turns = new RunningStats();
  const ret = new RunningStats();
  for (const e of eps) {
    ret.push(e.totals.return);
    if (e.outcome.success) turns.push(e.totals.agentTurns);
  }
  console.log(JSON.stringify({ scenario: id, policy: name, episodes: eps.length, success: turns.n / eps.length, turnsToSuccess: turns.mean, turnsCI95: turns.ci95(), meanReturn: ret.mean, returnCI95: ret.ci95() }));
}
