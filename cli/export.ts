import type { Command } from 'commander';
import { z } from 'zod';
import { EXPORT_FORMATS, exportDataset } from '../environments/dataset/export.js';
import { Output, parseOptions, progress } from './common.js';
import { exportReasoningDataset, isReasoningDataset } from './reasoning-data.js';

const Options = z.object({
  format: z.enum(EXPORT_FORMATS, { error: `expected one of: ${EXPORT_FORMATS.join(', ')}` }),
  out: z.string({ error: 'expected the output file, e.g. --out chat.jsonl' }).min(1, 'expected the output file, e.g. --out chat.jsonl'),
  json: z.boolean().default(false),
});

export function registerExport(program: Command): void {
  program
    .command('export')
    .description('write a dataset as OpenAI-style chat JSONL for SFT: {"messages":[...],"persona":...} per episode (reasoning datasets: prompt/completion pairs)')
    .argument('<dir>', 'a dataset directory written by `reverie generate`')
    .option('-f, --format <format>', `output format: ${EXPORT_FORMATS.join(', ')}`, 'chat')
    .option('-o, --out <file>', 'output JSONL file (written to a temp file, then renamed)')
    .option('--json', 'print one JSON object on stdout (human text goes to stderr)')
    .addHelpText('after', '\nThe imagined user is "user", the agent "assistant"; the hidden persona is a separate field.\nA reasoning dataset gives {"prompt","completion","messages":[user, assistant],"id","scenario","level","correct","score"} per episode.\n\nExample:\n  $ reverie export data/travel --format chat --out travel-chat.jsonl\n  $ reverie export data/addition --format chat --out addition-pairs.jsonl')
    .action(async (dir: string, raw: Record<string, unknown>) => {
      const o = parseOptions(Options, raw);
      const bar = progress('export');
      let r;
      try {
        const onProgress = (d: number, t: number) => bar.update(d, t);
        r = (await isReasoningDataset(dir)) ? await exportReasoningDataset(dir, o.out, onProgress) : await exportDataset(dir, o.out, o.format, onProgress);
      } finally {
        bar.stop();
      }
      new Output(o.json).result({ command: 'export', dir, format: o.format, out: r.file, episodes: r.episodes }, `wrote ${r.episodes} ${o.format} records to ${r.file}`);
    });
}
