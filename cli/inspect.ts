import type { Command } from 'commander';
import { z } from 'zod';
import { inspectDataset } from '../environments/dataset/inspect.js';
import { Output, fmt, parseOptions, progress } from './common.js';
import { summaryText } from './shared.js';

const Options = z.object({ json: z.boolean().default(false) });

export function registerInspect(program: Command): void {
  program
    .command('inspect')
    .description('stream a dataset once and report success rate, mean return (95% CI), turn lengths, distinct utterances')
    .argument('<dir>', 'a dataset directory written by `reverie generate`')
    .option('--json', 'print one JSON object on stdout (human text goes to stderr)')
    .action(async (dir: string, raw: Record<string, unknown>) => {
      const o = parseOptions(Options, raw);
      const bar = progress('inspect');
      let r;
      try {
        r = await inspectDataset(dir, (d, t) => bar.update(d, t));
      } finally {
        bar.stop();
      }
      const m = r.manifest;
      const tl = r.turnLengths;
      const maxCount = Math.max(1, ...tl.histogram.map(([, c]) => c));
      const du = r.distinctUserUtterances;
      const da = r.distinctAgentUtterances;
      const human = [
        `${dir}: ${m.scenario.id} ${m.scenario.version} (${m.scenario.hash}) × ${m.policy}, seed ${m.seed}, ${m.shards.length} shards (sha256 verified)`,
        summaryText(r.summary),
        `  agent turns   min ${tl.min}, median ${tl.p50}, p90 ${tl.p90}, max ${tl.max}, mean ${fmt(tl.mean, 2)}`,
        ...tl.histogram.map(([v, c]) => `    ${String(v).padStart(3)} ${'#'.repeat(Math.max(1, Math.round((40 * c) / maxCount)))} ${c}`),
        `  end reasons   ${Object.entries(r.endReasons).map(([k, v]) => `${k} ${v}`).join(', ')}`,
        `  utterances    ${r.userUtterances} by users, ${du.approximate ? '≈' : ''}${du.count} distinct; ${da.approximate ? '≈' : ''}${da.count} distinct agent utterances`,
      ].join('\n');
      new Output(o.json).result({
        command: 'inspect',
        dir,
        scenario: m.scenario,
        policy: m.policy,
        seed: m.seed,
        shards: m.shards.length,
        summary: r.summary,
        turnLengths: tl,
        endReasons: r.endReasons,
        userUtterances: r.userUtterances,
        distinctUserUtterances: du,
        distinctAgentUtterances: da,
      }, human);
    });
}
