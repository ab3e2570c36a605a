import type { Command } from 'commander';
import { z } from 'zod';
import { mergeDatasets } from '../environments/dataset/merge.js';
import { sliceName } from '../environments/dataset/manifest.js';
import { Output, fmt, parseOptions, progress } from './common.js';
import { summaryText } from './shared.js';

const Options = z.object({
  out: z.string({ error: 'expected the output directory, e.g. --out data/travel' }).min(1, 'expected the output directory, e.g. --out data/travel'),
  force: z.boolean().default(false),
  json: z.boolean().default(false),
});

export function registerMerge(program: Command): void {
  program
    .command('merge')
    .description('join the outputs of `generate --shard I/N` into the dataset one process writes for the same command (same bytes)')
    .argument('<dirs...>', 'the directories of all N shards of one generate command, in any order')
    .option('-o, --out <dir>', 'output directory (must be empty unless --force)')
    .option('--force', 'overwrite the dataset in --out')
    .option('--json', 'print one JSON object on stdout (human text goes to stderr)')
    .addHelpText('after', '\nExample:\n  $ reverie generate --scenario teacher --episodes 900 --shard 0/3 --out parts/0   # likewise 1/3, 2/3, anywhere\n  $ reverie merge parts/0 parts/1 parts/2 --out data/teacher')
    .action(async (dirs: string[], raw: Record<string, unknown>) => {
      const o = parseOptions(Options, raw);
      const bar = progress('merge');
      let r;
      try {
        r = await mergeDatasets({ inputs: dirs, out: o.out, mode: o.force ? 'force' : 'fresh', onProgress: (d, t) => bar.update(d, t) });
      } finally {
        bar.stop();
      }
      const m = r.manifest;
      const human = [
        `wrote ${o.out}: ${m.episodes} episodes in ${m.shards.length} shard${m.shards.length === 1 ? '' : 's'} from ${r.slices.length} slice${r.slices.length === 1 ? '' : 's'} (${r.slices.map(sliceName).join(', ')}; sha256 verified) in ${fmt(r.seconds, 2)} s`,
        ...(m.summary ? [summaryText(m.summary)] : []),
      ].join('\n');
      new Output(o.json).result({
        command: 'merge',
        out: o.out,
        inputs: dirs,
        scenario: m.scenario,
        policy: m.policy,
        seed: m.seed,
        episodes: m.episodes,
        shardSize: m.shardSize,
        shards: m.shards.length,
        slices: r.slices.length,
        seconds: r.seconds,
        summary: m.summary,
      }, human);
    });
}
