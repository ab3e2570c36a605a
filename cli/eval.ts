import type { Command } from 'commander';
import { z } from 'zod';
import { evaluatePolicy } from '../environments/evaluate.js';
import { CliError, EXIT_USAGE, Output, fmt, intOption, parseOptions, progress } from './common.js';
import { DEFAULT_WORKERS, POLICY_HELP, checkPolicy, loadScenario, summaryText } from './shared.js';

const Options = z.object({
  scenario: z.string().min(1).optional(),
  policy: z.string().min(1, 'expected a policy name'),
  episodes: intOption('the number of episodes', 1, 1_000_000_000),
  seed: intOption('the run seed', 0, 0xffffffff),
  workers: intOption('the number of worker threads', 1, 1024),
  concurrency: intOption('episodes played at once per worker', 1, 100_000),
  json: z.boolean().default(false),
});

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
    .option('--json', 'print one JSON object on stdout (human text goes to stderr)')
    .addHelpText('after', '\nExample:\n  $ reverie eval --scenario teacher --policy oracle --episodes 2000 --seed 1')
    .action(async (raw: Record<string, unknown>) => {
      const o = parseOptions(Options, raw);
      if (!o.scenario) throw new CliError('--scenario: required: a built-in scenario id (see `reverie scenarios list`) or a .yaml/.json scenario file', EXIT_USAGE);
      const { scenario, ctx } = loadScenario(o.scenario);
      checkPolicy(o.policy, ctx);
      const out = new Output(o.json);
      out.note(`eval: ${scenario.id} ${scenario.version} (${ctx.hash}) × ${o.policy}, seed ${o.seed}, ${o.episodes} episodes`);
      const bar = progress('eval');
      let r;
      try {
        r = await evaluatePolicy({ scenario, policy: o.policy, episodes: o.episodes, seed: o.seed, workers: o.workers, concurrency: o.concurrency, onProgress: (d, t) => bar.update(d, t) });
      } finally {
        bar.stop();
      }
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
      }, `${summaryText(r.summary)}\n  (${fmt(r.seconds, 2)} s, ${Math.round(eps)} episodes/s)`);
    });
}
