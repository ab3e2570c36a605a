import type { Command } from 'commander';
import { z } from 'zod';
import { CliError, EXIT_USAGE, Output, fmt, intOption, parseOptions } from './common.js';
import { EXPERIMENTS } from './experiments/index.js';

const Options = z.object({
  out: z.string({ error: 'expected the report directory, e.g. --out reports/mrt' }).min(1, 'expected the report directory, e.g. --out reports/mrt'),
  quick: z.boolean().default(false),
  seeds: intOption('--seeds', 1).optional(),
  threads: intOption('--threads', 1).optional(),
  json: z.boolean().default(false),
});

export function registerExperiment(program: Command): void {
  const names = Object.keys(EXPERIMENTS);
  program
    .command('experiment')
    .description('reproduce one reasoning-RL paper\'s effect at small scale and write a report directory')
    .argument('<name>', `the experiment: ${names.length ? names.join(', ') : '(none registered)'}`)
    .option('-o, --out <dir>', 'report directory (summary.json, report.md, SVG charts, config.json)')
    .option('--quick', 'the minutes-on-2-cores version (fewer seeds, steps and problems)')
    .option('--seeds <n>', 'training seeds per arm (default: the experiment\'s, at least 3)')
    .option('--threads <n>', 'onnxruntime intra-op threads')
    .option('--json', 'print one JSON object on stdout (human text goes to stderr)')
    .addHelpText('after', `\nExperiments:\n${Object.entries(EXPERIMENTS).map(([n, e]) => `  ${n.padEnd(10)} ${e.describe}`).join('\n')}\n\nExample:\n  $ reverie experiment ${names[0] ?? 'NAME'} --quick --out reports/${names[0] ?? 'NAME'}`)
    .action(async (name: string, raw: Record<string, unknown>) => {
      const o = parseOptions(Options, raw);
      const e = EXPERIMENTS[name];
      if (!e) throw new CliError(`unknown experiment '${name}'; available: ${names.join(', ') || 'none'}`, EXIT_USAGE);
      const started = Date.now();
      const summary = await e.run({ quick: o.quick, seeds: o.seeds ?? (o.quick ? Math.min(e.defaultSeeds, 3) : e.defaultSeeds), out: o.out, threads: o.threads, log: (line) => process.stderr.write(line + '\n') });
      const seconds = (Date.now() - started) / 1000;
      new Output(o.json).result({ command: 'experiment', experiment: name, out: o.out, quick: o.quick, seconds, ...summary }, `wrote ${o.out} (experiment ${name}${o.quick ? ', quick' : ''}) in ${fmt(seconds, 1)} s`);
    });
}
