import type { Command } from 'commander';
import { z } from 'zod';
import { evaluatePolicy } from '../environments/evaluate.js';
import type { Summary } from '../environments/stats.js';
import { CliError, EXIT_USAGE, Output, fmt, intOption, parseOptions, progress } from './common.js';
import { isReasoningScenario, runEvalReasoning } from './reasoning.js';
import { DEFAULT_WORKERS, POLICY_HELP, checkPolicyArg, loadScenario, summaryText } from './shared.js';

const Options = z.object({
  scenario: z.string().min(1).optional(),
  policy: z.string().min(1, 'expected a policy name'),
  episodes: intOption('the number of episodes', 1, 1_000_000_000),
  seed: intOption('the run seed', 0, 0xffffffff),
  workers: intOption('the number of worker threads', 1, 1024),
  concurrency: intOption('episodes played at once per worker', 1, 100_000),
  oracle: z.boolean().default(true),
  levels: z.string().min(1).optional(),
  samples: intOption('samples per problem for pass@k', 0, 10_000),
  threads: intOption('onnxruntime threads', 1, 1024).optional(),
  json: z.boolean().default(false),
});

/** The policy's mean return as a percent of the oracle's (null when the oracle's is not positive). */
export function percentOfOracle(policy: Summary, oracle: Summary): number | null {
  return oracle.meanReturn > 0 ? (100 * policy.meanReturn) / oracle.meanReturn : null;
}

export function registerEval(program: Command): void {
  program
    .command('eval')
    .description('play episodes without writing a dataset; print success rate, mean return (95% CI), mean turns')
    .option('-s, --scenario <id|file>', 'built-in scenario id or a .yaml/.json scenario file')
    .option('-p, --policy <name>', POLICY_HELP, 'heuristic')
    .option('-n, --episodes <n>', 'number of episodes', '1000')
    .option('--seed <s>', 'run seed', '0')
    .option('-w, --workers <w>', 'worker threads', String(DEFAULT_WORKERS))
    .option('-k, --concurrency <k>', 'episodes played at once per worker', '32')
    .option('--levels <list>', 'reasoning scenarios: difficulty levels to evaluate, e.g. 1,2 (default: those the checkpoint trained on)')
    .option('--samples <n>', 'reasoning scenarios: samples per problem for pass@k (0: greedy pass@1 only)', '0')
    .option('--threads <n>', 'reasoning scenarios: onnxruntime threads')
    .option('--no-oracle', 'do not also play the oracle on the same seeds (for the percent of its mean return)')
    .option('--json', 'print one JSON object on stdout (human text goes to stderr)')
    .addHelpText('after', '\nExamples:\n  $ reverie eval --scenario teacher --policy oracle --episodes 2000 --seed 1\n  $ reverie eval --scenario travel-agent --policy runs/ilql --episodes 2000 --seed 1   # a trained checkpoint\n  $ reverie eval --scenario addition --policy runs/sft --episodes 1000 --samples 8     # a reasoning checkpoint: pass@1, pass@8')
    .action(async (raw: Record<string, unknown>) => {
      const o = parseOptions(Options, raw);
      if (!o.scenario) throw new CliError('--scenario: required: a built-in scenario id (see `reverie scenarios list`) or a .yaml/.json scenario file', EXIT_USAGE);
      if (isReasoningScenario(o.scenario)) {
        // episodes = problems per level; pass@1 (greedy) and pass@k by level
        await runEvalReasoning({ scenario: o.scenario, policy: o.policy, problems: o.episodes, seed: o.seed, levels: o.levels, samples: o.samples, threads: o.threads }, new Output(o.json));
        return;
      }
      const { scenario, ctx } = loadScenario(o.scenario);
      const { policyModule } = await checkPolicyArg(o.policy, ctx);
      const out = new Output(o.json);
      out.note(`eval: ${scenario.id} ${scenario.version} (${ctx.hash}) × ${o.policy}, seed ${o.seed}, ${o.episodes} episodes`);
      const bar = progress('eval');
      let r;
      try {
        r = await evaluatePolicy({ scenario, policy: o.policy, policyModule, episodes: o.episodes, seed: o.seed, workers: o.workers, concurrency: o.concurrency, onProgress: (d, t) => bar.update(d, t) });
      } finally {
        bar.stop();
      }
      // The oracle on the same seeds: the upper bound the policy's return is a percent of.
      let oracle: Summary | null = null;
      if (o.policy.trim() === 'oracle') oracle = r.summary;
      else if (o.oracle) {
        const ob = progress('oracle');
        try {
          oracle = (await evaluatePolicy({ scenario, policy: 'oracle', episodes: o.episodes, seed: o.seed, workers: o.workers, concurrency: o.concurrency, onProgress: (d, t) => ob.update(d, t) })).summary;
        } finally {
          ob.stop();
        }
      }
      const ofOracle = oracle ? percentOfOracle(r.summary, oracle) : null;
      const eps = r.seconds > 0 ? o.episodes / r.seconds : 0;
      out.result({
        command: 'eval',
        scenario: { id: scenario.id, version: scenario.version, hash: ctx.hash, family: scenario.family },
        policy: o.policy,
        seed: o.seed,
        episodes: o.episodes,
        summary: r.summary,
        turnLengths: r.turnLengths,
        seconds: r.seconds,
        episodesPerSecond: eps,
        failedTasks: r.failedTasks,
        ...(oracle ? { oracle: { meanReturn: oracle.meanReturn, returnCI95: oracle.returnCI95, successRate: oracle.successRate }, percentOfOracle: ofOracle } : {}),
      }, `${summaryText(r.summary)}\n` +
        (oracle ? `  % of oracle   ${ofOracle === null ? 'n/a (the oracle\'s mean return is not positive)' : fmt(ofOracle, 1) + '%'}  (oracle mean return ${fmt(oracle.meanReturn)} on the same seeds)\n` : '') +
        `  (${fmt(r.seconds, 2)} s, ${Math.round(eps)} episodes/s)`);
    });
}
