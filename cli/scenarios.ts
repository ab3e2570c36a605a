import type { Command } from 'commander';
import { stringify } from 'yaml';
import { z } from 'zod';
import { makeContext } from '../actors/context.js';
import { ScenarioError } from '../scenarios/errors.js';
import { scenarioJsonSchema } from '../scenarios/json-schema.js';
import { loadScenarioFile } from '../scenarios/load.js';
import { builtinFiles } from '../scenarios/registry.js';
import { CliError, EXIT_FAILURE, Output, parseOptions } from './common.js';
import { loadScenario } from './shared.js';

const JsonOnly = z.object({ json: z.boolean().default(false) });

export function registerScenarios(program: Command): void {
  const scenarios = program
    .command('scenarios')
    .description('list, show, validate scenarios; print the scenario JSON Schema');

  scenarios
    .command('list')
    .description('the built-in scenarios')
    .option('--json', 'print one JSON object on stdout')
    .action((raw: Record<string, unknown>) => {
      const o = parseOptions(JsonOnly, raw);
      // One broken built-in file is reported, not allowed to hide the others.
      const list: { id: string; family: string; version: string; title: string; file: string }[] = [];
      const broken: { file: string; error: string }[] = [];
      for (const file of builtinFiles()) {
        try {
          const s = loadScenarioFile(file);
          list.push({ id: s.id, family: s.family, version: s.version, title: s.title, file });
        } catch (err) {
          broken.push({ file, error: (err as Error).message });
        }
      }
      const w = Math.max(2, ...list.map((s) => s.id.length));
      const f = Math.max(6, ...list.map((s) => s.family.length));
      const human = [`${'id'.padEnd(w)}  ${'family'.padEnd(f)}  version  title`, ...list.map((s) => `${s.id.padEnd(w)}  ${s.family.padEnd(f)}  ${s.version.padEnd(7)}  ${s.title}`)].join('\n');
      const out = new Output(o.json);
      for (const b of broken) out.note(`reverie: broken built-in scenario: ${b.error}`);
      out.result({ command: 'scenarios list', scenarios: list, ...(broken.length ? { broken } : {}) }, human);
      if (broken.length) process.exitCode = EXIT_FAILURE;
    });

  scenarios
    .command('show')
    .description('print a scenario (built-in id or file) with defaults filled in, as YAML')
    .argument('<id|file>', 'built-in scenario id or a .yaml/.json file')
    .option('--json', 'print one JSON object on stdout')
    .action((idOrPath: string, raw: Record<string, unknown>) => {
      const o = parseOptions(JsonOnly, raw);
      const { scenario, ctx } = loadScenario(idOrPath);
      const header = `# ${scenario.title} — family ${scenario.family}, content hash ${ctx.hash}, ${ctx.actions.length} agent actions\n`;
      new Output(o.json).result({ command: 'scenarios show', hash: ctx.hash, actions: ctx.actions.length, scenario }, header + stringify(scenario, { lineWidth: 120 }));
    });

  scenarios
    .command('validate')
    .description('check a scenario file: schema, references, and that its family accepts it')
    .argument('<file>', 'a .yaml, .yml or .json scenario file')
    .option('--json', 'print one JSON object on stdout')
    .action((file: string, raw: Record<string, unknown>) => {
      const o = parseOptions(JsonOnly, raw);
      const out = new Output(o.json);
      try {
        const scenario = loadScenarioFile(file);
        let actions: number;
        try {
          actions = makeContext(scenario).actions.length;
        } catch (err) {
          throw new CliError(`${file}: the ${scenario.family} family cannot use this scenario: ${(err as Error).message}`, EXIT_FAILURE);
        }
        out.result({ command: 'scenarios validate', valid: true, file, id: scenario.id, family: scenario.family, version: scenario.version, actions }, `${file}: valid ${scenario.family} scenario '${scenario.id}' ${scenario.version} (${actions} agent actions)`);
      } catch (err) {
        if (!(err instanceof ScenarioError)) throw err;
        // One JSON object either way: the issues as data.
        process.stderr.write(`reverie: ${err.message.replace(/\n/g, '\n  ')}\n`);
        if (o.json) process.stdout.write(JSON.stringify({ ok: false, command: 'scenarios validate', valid: false, file: err.file, code: err.code, issues: err.issues }) + '\n');
        process.exitCode = EXIT_FAILURE;
      }
    });

  scenarios
    .command('schema')
    .description('print the JSON Schema of scenario files (for editors)')
    .option('--json', 'print {"ok":true,"schema":...} on one line (without it: the schema itself, indented)')
    .addHelpText('after', '\nExample:\n  $ reverie scenarios schema > scenario.schema.json')
    .action((raw: Record<string, unknown>) => {
      const o = parseOptions(JsonOnly, raw);
      const schema = scenarioJsonSchema();
      if (o.json) new Output(true).result({ command: 'scenarios schema', schema }, '');
      else process.stdout.write(JSON.stringify(schema, null, 2) + '\n');
    });

}
