import { Command, CommanderError } from 'commander';
import { EXIT_USAGE, packageVersion, reportError } from './common.js';
import { registerScenarios } from './scenarios.js';
import { registerGenerate } from './generate.js';
import { registerInspect } from './inspect.js';
import { registerMerge } from './merge.js';
import { registerExport } from './export.js';
import { registerEval } from './eval.js';
import { registerTrain } from './train.js';
import { registerDemo } from './demo.js';
import { registerLearner } from './learner.js';
import { registerActors } from './actors.js';
import { registerExperiment } from './experiment.js';

/**
 * The `reverie` command. Every subcommand has --help and --json; errors are one message on
 * stderr (and `{"ok":false,"error":...}` on stdout with --json), exit code 1 when the work
 * failed and 2 when the command line was wrong.
 */
export function buildProgram(): Command {
  const program = new Command('reverie')
    .description('Imagined-user dialogue scenarios → reproducible conversation datasets → RL-trained agents')
    .version(packageVersion())
    .showHelpAfterError('(add --help for usage)')
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(`reverie: ${str.replace(/^error: /, '')}`) });
  registerScenarios(program);
  registerGenerate(program);
  registerInspect(program);
  registerMerge(program);
  registerExport(program);
  registerEval(program);
  registerTrain(program);
  registerDemo(program);
  registerLearner(program);
  registerActors(program);
  registerExperiment(program);
  return program;
}

/** Runs the CLI on `argv` (process.argv form) and sets process.exitCode. */
export async function main(argv: string[]): Promise<void> {
  const json = argv.includes('--json');
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version end with exit code 0; commander already printed its own message otherwise.
      if (err.exitCode === 0 || err.code === 'commander.helpDisplayed' || err.code === 'commander.help' || err.code === 'commander.version') {
        process.exitCode = 0;
        return;
      }
      if (json) process.stdout.write(JSON.stringify({ ok: false, error: { message: err.message.replace(/^error: /, ''), exitCode: EXIT_USAGE, code: err.code } }) + '\n');
      process.exitCode = EXIT_USAGE;
      return;
    }
    reportError(err, json);
  }
}

await main(process.argv);
