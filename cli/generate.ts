import { join } from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import { generateDataset } from '../environments/dataset/generate.js';
import { SCENARIO_FILE, sliceName } from '../environments/dataset/manifest.js';
import { readManifest } from '../environments/dataset/writer.js';
import { isReasoningGenerate, runGenerateReasoning } from './reasoning-data.js';
import { CliError, EXIT_USAGE, Output, fmt, intOption, parseOptions, peakRssMiB, progress } from './common.js';
import { DEFAULT_WORKERS, POLICY_HELP, checkPolicyArg, loadScenario, summaryText } from './shared.js';

const Options = z.object({
  scenario: z.string().min(1).optional(),
  policy: z.string().min(1, 'expected a policy name'),
  episodes: intOption('the number of episodes', 1, 1_000_000_000),
  seed: intOption('the run seed', 0, 0xffffffff),
  workers: intOption('the number of worker threads', 1, 1024),
  concurrency: intOption('episodes played at once per worker', 1, 100_000),
  shardSize: intOption('episodes per shard file', 1, 100_000_000),
  taskSize: intOption('episodes per worker task', 1, 10_000_000),
  shard: shardOption().optional(),
  out: z.string({ error: 'expected the output directory, e.g. --out data/travel' }).min(1, 'expected the output directory, e.g. --out data/travel'),
  resume: z.boolean().default(false),
  force: z.boolean().default(false),
  json: z.boolean().default(false),
});

const SHARD_HELP = 'I/N: this process\'s shard, I counted from 0 to N-1, of N shards (e.g. 0/4)';

/** `--shard I/N`: 0-based I below N. */
function shardOption() {
  return z.string().transform((v, ctx) => {
    const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(v);
    const index = m ? Number(m[1]) : NaN;
    const count = m ? Number(m[2]) : NaN;
    if (!m || !Number.isSafeInteger(count) || count < 1 || count > 1_000_000) {
      ctx.addIssue({ code: 'custom', message: `expected ${SHARD_HELP}` });
      return z.NEVER;
    }
    if (index >= count) {
      ctx.addIssue({ code: 'custom', message: `shard ${index} of ${count} does not exist: I counts from 0, so the last of ${count} shards is ${count - 1}/${count}` });
      return z.NEVER;
    }
    return { index, count };
  });
}

export function registerGenerate(program: Command): void {
  program
    .command('generate')
    .description('play episodes on a worker pool and write a dataset: JSONL shards plus manifest.json')
    .option('-s, --scenario <id|file>', 'built-in scenario id or a .yaml/.json scenario file (with --resume: defaults to the dataset\'s own)')
    .option('-p, --policy <name>', POLICY_HELP, 'heuristic')
    .option('-n, --episodes <n>', 'number of episodes', '1000')
    .option('--seed <s>', 'run seed (episode i plays with deriveSeed(seed, i))', '0')
    .option('-w, --workers <w>', 'worker threads (the files are the same whatever this is)', String(DEFAULT_WORKERS))
    .option('-k, --concurrency <k>', 'episodes played at once per worker (agent decisions batched per tick)', '32')
    .option('--shard-size <m>', 'episodes per shard file', '10000')
    .option('--task-size <t>', 'episodes per worker task', '256')
    .option('--shard <I/N>', `write only a slice of the run: ${SHARD_HELP}; \`reverie merge\` joins the N outputs into the whole run's bytes`)
    .option('-o, --out <dir>', 'output directory (must be empty unless --resume or --force)')
    .option('--resume', 'continue an interrupted dataset in --out (same bytes as an uninterrupted run)')
    .option('--force', 'overwrite the dataset in --out')
    .option('--json', 'print one JSON object on stdout (human text goes to stderr)')
    .addHelpText('after', '\nExample:\n  $ reverie generate --scenario travel-agent --policy heuristic --episodes 1000 --seed 0 --out data/travel\n  $ reverie generate --out data/travel --resume     # after an interruption\n  $ reverie generate --scenario travel-agent --episodes 1000 --shard 0/4 --out parts/0   # then 1/4, 2/4, 3/4; reverie merge parts/* --out data/travel')
    .option('--levels <spec>', 'reasoning scenarios: difficulty levels and weights, e.g. 1:0.5,2:0.5 (default: every level equally)')
    .action(async (raw: Record<string, unknown>, cmd: Command) => {
      // The reasoning path does not write slices yet: refuse rather than write the whole run.
      if (raw.shard !== undefined && (await isReasoningGenerate(raw))) throw new CliError('--shard: reasoning scenarios cannot be generated in shards yet; generate the dataset in one process', EXIT_USAGE);
      if (await isReasoningGenerate(raw)) return runGenerateReasoning(raw, cmd); // cli/reasoning-data.ts
      const o = parseOptions(Options, raw);
      const out = new Output(o.json);
      if (o.resume && o.force) throw new CliError('--resume and --force cannot be used together: --resume continues the dataset in --out, --force overwrites it', EXIT_USAGE);
      const explicit = (name: string) => cmd.getOptionValueSource(name) === 'cli';

      // With --resume, what the command line does not say comes from the dataset being resumed.
      let { policy, seed, episodes, shardSize, shard } = o;
      let scenarioArg = o.scenario;
      if (o.resume) {
        const m = await readManifest(o.out);
        if (m) {
          if (!explicit('policy')) policy = m.policy;
          if (!explicit('seed')) seed = m.seed;
          if (!explicit('episodes')) episodes = m.episodes;
          if (!explicit('shardSize')) shardSize = m.shardSize;
          if (!explicit('shard') && m.slice) shard = { index: m.slice.index, count: m.slice.count };
          if (!scenarioArg) scenarioArg = join(o.out, SCENARIO_FILE);
        }
      }
      if (shard && shard.count > episodes) {
        throw new CliError(`--shard: ${shard.count} shards of ${episodes} episodes would leave some empty; use at most ${episodes} shards`, EXIT_USAGE);
      }
      if (!scenarioArg) throw new CliError('--scenario: required: a built-in scenario id (see `reverie scenarios list`) or a .yaml/.json scenario file', EXIT_USAGE);
      const { scenario, ctx } = loadScenario(scenarioArg);
      const { policyModule } = await checkPolicyArg(policy, ctx);

      const part = shard ? `, shard ${shard.index}/${shard.count}` : '';
      out.note(`generate: ${scenario.id} ${scenario.version} (${ctx.hash}) × ${policy}, seed ${seed}, ${episodes} episodes${part} → ${o.out}${o.resume ? ' (resume)' : ''}`);
      const bar = progress('generate');
      // Ctrl-C: what is written stays resumable; say how to continue (the shard in progress is kept).
      const onSigint = () => {
        bar.stop();
        process.stderr.write(`\nreverie: interrupted; continue with: reverie generate --out ${o.out} --resume\n`);
        process.exit(130);
      };
      process.once('SIGINT', onSigint);
      let report;
      try {
        report = await generateDataset({
          scenario, policy, policyModule, episodes, seed, shardSize, slice: shard, out: o.out,
          mode: o.resume ? 'resume' : o.force ? 'force' : 'fresh',
          workers: o.workers, concurrency: o.concurrency, taskSize: o.taskSize,
          onProgress: (d, t) => bar.update(d, t),
        });
      } finally {
        bar.stop();
        process.off('SIGINT', onSigint);
      }
      const { manifest, seconds, generated, resumedFrom, failedTasks } = report;
      const s = manifest.summary;
      const eps = seconds > 0 ? generated / seconds : 0;
      const sl = manifest.slice;
      const what = sl ? `shard ${sliceName(sl)}: episodes ${sl.first}–${sl.first + sl.episodes - 1} of ${manifest.episodes}` : `${manifest.episodes} episodes`;
      const human = [
        `wrote ${o.out}: ${what} in ${manifest.shards.length} shard${sl ? ' file' : ''}${manifest.shards.length === 1 ? '' : 's'}` +
          (resumedFrom ? ` (${resumedFrom} kept from before, ${generated} new)` : '') +
          ` in ${fmt(seconds, 2)} s (${Math.round(eps)} episodes/s)`,
        ...(s ? [summaryText(s)] : []),
        ...(failedTasks ? [`  warning: ${failedTasks} worker task(s) failed on every attempt; their episodes are recorded as errored`] : []),
      ].join('\n');
      out.result({
        command: 'generate',
        out: o.out,
        scenario: manifest.scenario,
        policy: manifest.policy,
        seed: manifest.seed,
        episodes: manifest.episodes,
        shardSize: manifest.shardSize,
        ...(sl ? { slice: sl } : {}),
        shards: manifest.shards.length,
        resumedFrom,
        generated,
        seconds,
        episodesPerSecond: eps,
        decisionsPerSecond: s && seconds > 0 ? (s.decisions * generated) / s.episodes / seconds : 0,
        workers: o.workers,
        concurrency: o.concurrency,
        failedTasks,
        summary: s,
        peakRssMiB: peakRssMiB(),
      }, human);
    });
}
