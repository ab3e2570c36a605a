import type { Command } from 'commander';
import { stringify } from 'yaml';
import { z } from 'zod';
import { makeContext } from '../actors/context.js';
import { ScenarioError, didYouMean } from '../scenarios/errors.js';
import { scenarioJsonSchema } from '../scenarios/json-schema.js';
import { loadScenarioFile } from '../scenarios/load.js';
import { builtinFiles } from '../scenarios/registry.js';
import { isReasoningFile, loadReasoningFile } from '../scenarios/reasoning/load.js';
import { loadReasoningScenario, looksLikePath, reasoningBuiltinFiles, reasoningBuiltinIds } from '../scenarios/reasoning/registry.js';
import { reasoningJsonSchema } from '../scenarios/reasoning/schema.js';
import type { ReasoningScenario } from '../scenarios/reasoning/schema.js';
import { ReasoningTask } from '../scenarios/reasoning/task.js';
import { Rng } from '../scenarios/random.js';
import { CliError, EXIT_FAILURE, Output, parseOptions } from './common.js';
import { loadScenario } from './shared.js';

const JsonOnly = z.object({ json: z.boolean().default(false) });
const SchemaOptions = z.object({ json: z.boolean().default(false), kind: z.enum(['dialogue', 'reasoning']).default('dialogue') });

/** Reasoning scenarios are a separate kind (`kind: reasoning` at the top of the file, or a built-in reasoning id). */
function isReasoning(idOrPath: string): boolean {
  return looksLikePath(idOrPath) ? isReasoningFile(idOrPath) : reasoningBuiltinIds().includes(idOrPath);
}

/**
 * What `validate` checks beyond the schema: every level draws problems and the scripted
 * reasoner's answers to them verify. Returns the number of levels; throws a CliError otherwise.
 */
function checkReasoning(file: string, s: ReasoningScenario): number {
  const task = new ReasoningTask(s);
  for (let level = 1; level <= task.levels; level++) {
    for (let k = 0; k < 5; k++) {
      try {
        const p = task.generate(Rng.from(k).fork(level), level);
        const g = task.grade(p, task.solve(p, Rng.from(k), { ...s.reasoner, slipRate: 0 }).completion);
        if (!g.correct) throw new Error(`the scripted reasoner's answer does not verify (${g.reason ?? 'unknown reason'})`);
      } catch (err) {
        if (err instanceof CliError) throw err;
        throw new CliError(`${file}: difficulty[${level - 1}] (level ${level}) cannot be used: ${(err as Error).message}`, EXIT_FAILURE);
      }
    }
  }
  return task.levels;
}

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
      const reasoning: { id: string; kind: 'reasoning'; task: string; version: string; levels: number; title: string; file: string }[] = [];
      for (const file of reasoningBuiltinFiles()) {
        try {
          const s = loadReasoningFile(file);
          reasoning.push({ id: s.id, kind: 'reasoning', task: s.task, version: s.version, levels: s.difficulty.length, title: s.title, file });
        } catch (err) {
          broken.push({ file, error: (err as Error).message });
        }
      }
      const rw = Math.max(2, ...reasoning.map((s) => s.id.length));
      const rhuman = reasoning.length
        ? '\n\nreasoning scenarios\n' + [`${'id'.padEnd(rw)}  ${'task'.padEnd(9)}  version  levels  title`, ...reasoning.map((s) => `${s.id.padEnd(rw)}  ${s.task.padEnd(9)}  ${s.version.padEnd(7)}  ${String(s.levels).padEnd(6)}  ${s.title}`)].join('\n')
        : '';
      const out = new Output(o.json);
      for (const b of broken) out.note(`reverie: broken built-in scenario: ${b.error}`);
      out.result({ command: 'scenarios list', scenarios: list, reasoning, ...(broken.length ? { broken } : {}) }, human + rhuman);
      if (broken.length) process.exitCode = EXIT_FAILURE;
    });

  scenarios
    .command('show')
    .description('print a scenario (built-in id or file) with defaults filled in, as YAML')
    .argument('<id|file>', 'built-in scenario id or a .yaml/.json file')
    .option('--json', 'print one JSON object on stdout')
    .action((idOrPath: string, raw: Record<string, unknown>) => {
      const o = parseOptions(JsonOnly, raw);
      if (isReasoning(idOrPath)) {
        const scenario = loadReasoningScenario(idOrPath);
        const header = `# ${scenario.title} — reasoning task ${scenario.task}, ${scenario.difficulty.length} levels, ${scenario.vocabulary.tokens.length} tokens\n`;
        new Output(o.json).result({ command: 'scenarios show', kind: 'reasoning', scenario }, header + stringify(scenario, { lineWidth: 120 }));
        return;
      }
      let loaded: ReturnType<typeof loadScenario>;
      try {
        loaded = loadScenario(idOrPath);
      } catch (err) {
        // An unknown id may be a mistyped reasoning id: name those too.
        if (!(err instanceof ScenarioError) || err.code !== 'not-found' || looksLikePath(idOrPath)) throw err;
        const ids = reasoningBuiltinIds();
        const guess = didYouMean(idOrPath, ids);
        throw new ScenarioError('not-found', idOrPath, [{ path: '', message: `${err.issues[0]?.message ?? 'not found'}; reasoning scenarios: ${ids.join(', ')}${guess ? ` (did you mean '${guess}'?)` : ''}` }]);
      }
      const { scenario, ctx } = loaded;
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
        if (isReasoningFile(file)) {
          const scenario = loadReasoningFile(file);
          const levels = checkReasoning(file, scenario);
          out.result({ command: 'scenarios validate', valid: true, file, kind: 'reasoning', id: scenario.id, task: scenario.task, version: scenario.version, levels }, `${file}: valid reasoning scenario '${scenario.id}' ${scenario.version} (task ${scenario.task}, ${levels} level${levels === 1 ? '' : 's'})`);
          return;
        }
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
    .option('--kind <kind>', 'dialogue (the default) or reasoning')
    .addHelpText('after', '\nExample:\n  $ reverie scenarios schema > scenario.schema.json\n  $ reverie scenarios schema --kind reasoning > reasoning.schema.json')
    .action((raw: Record<string, unknown>) => {
      const o = parseOptions(SchemaOptions, raw);
      const schema = o.kind === 'reasoning' ? reasoningJsonSchema() : scenarioJsonSchema();
      if (o.json) new Output(true).result({ command: 'scenarios schema', schema }, '');
      else process.stdout.write(JSON.stringify(schema, null, 2) + '\n');
    });

}
