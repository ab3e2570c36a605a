/**
 * The reasoning-scenario paths of `train` (`--algo sft`) and `eval`: token-level policies on the
 * tasks of scenarios/reasoning, trained by learners/reasoning.
 */
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseLevels } from '../learners/reasoning/data.js';
import { evaluateReasoner } from '../learners/reasoning/evaluate.js';
import { ReasoningGrpoConfig, runGrpo, type Curriculum } from '../learners/reasoning/grpo.js';
import { SftConfig, openReasoner, runSft } from '../learners/reasoning/sft.js';
import { AmftConfig, runAmft } from '../learners/methods/amft.js';
import { SHAPING_METHODS, shaperFor, type ShapingMethod } from '../learners/methods/index.js';
import { z } from 'zod';
import { isReasoningFile } from '../scenarios/reasoning/load.js';
import { loadReasoningScenario, looksLikePath, reasoningBuiltinIds } from '../scenarios/reasoning/registry.js';
import { CliError, EXIT_USAGE, fmt, progress, type Output } from './common.js';
import { runSftOnDataset } from './reasoning-data.js';

/** Whether `--scenario` names a reasoning scenario (a built-in reasoning id or a file with `kind: reasoning`). */
export function isReasoningScenario(arg: string | undefined): arg is string {
  if (!arg) return false;
  if (!looksLikePath(arg)) return reasoningBuiltinIds().includes(arg);
  return existsSync(arg) && isReasoningFile(arg);
}

function levelsOption(text: string | undefined): { level: number; weight: number }[] | undefined {
  if (text === undefined) return undefined;
  try {
    return parseLevels(text);
  } catch (err) {
    throw new CliError(`--levels: ${(err as Error).message}; e.g. --levels 1:0.3,2:0.7`, EXIT_USAGE);
  }
}

export interface SftOptions {
  readonly scenario: string;
  readonly out: string;
  readonly steps?: number;
  readonly levels?: string;
  readonly seed: number;
  readonly threads?: number;
  readonly device: string;
  readonly logEvery: number;
  readonly checkpointEvery?: number;
  readonly resume: boolean;
  readonly force: boolean;
  /** Fields of SftConfig (learners/reasoning/sft.ts) from --config. */
  readonly config: Record<string, unknown>;
  /** A reasoning dataset to train on instead of the on-the-fly reasoner (cli/reasoning-data.ts). */
  readonly data?: string;
}

/** `train --algo sft`: supervised fine-tuning on the scripted reasoner's solutions, written to `out`. */
export async function runTrainSft(o: SftOptions, out: Output): Promise<Record<string, unknown>> {
  if (!isReasoningScenario(o.scenario)) throw new CliError(`--scenario: --algo sft trains on a reasoning scenario (${reasoningBuiltinIds().join(', ')} or a file with kind: reasoning), got '${o.scenario}'`, EXIT_USAGE);
  const hasRun = existsSync(join(o.out, 'trainer.ckpt'));
  if (hasRun && !o.resume && !o.force) throw new CliError(`--out: ${o.out} already holds a run; pass --resume to continue it or --force to start over`, EXIT_USAGE);
  if (o.force && !o.resume) rmSync(o.out, { recursive: true, force: true });
  const input = {
    ...o.config,
    scenario: o.scenario,
    out: o.out,
    seed: o.seed,
    logEvery: o.logEvery,
    resume: o.resume,
    device: o.device,
    ...(o.steps !== undefined ? { steps: o.steps } : {}),
    ...(o.checkpointEvery !== undefined ? { checkpointEvery: o.checkpointEvery } : {}),
    ...(o.threads !== undefined ? { threads: o.threads } : {}),
    ...(o.levels !== undefined ? { levels: levelsOption(o.levels) } : {}),
  };
  const parsed = SftConfig.safeParse(input);
  if (!parsed.success) throw new CliError(`--config: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(config)'}: ${i.message}`).join('; ')}`, EXIT_USAGE);
  if (o.data && o.levels !== undefined) throw new CliError('--levels: not with --data (the dataset\'s episodes decide the levels)', EXIT_USAGE);
  const steps = parsed.data.steps;
  const source = o.data ? `the dataset ${o.data}` : `levels ${parsed.data.levels.map((l) => `${l.level}:${l.weight}`).join(',')}`;
  out.note(`train: sft on ${o.scenario}, ${source}, ${steps} steps of ${parsed.data.batchSize} → ${o.out}`);
  const bar = progress('train sft', 'steps');
  let r;
  try {
    const log = (row: Record<string, number>) => bar.update(row.step, steps);
    r = o.data ? await runSftOnDataset(input, o.data, { log }) : await runSft(input, { log });
  } finally {
    bar.stop();
  }
  return { algo: 'sft', ...(o.data ? { data: o.data } : {}), out: r.out, steps: r.steps, ranSteps: r.ranSteps, seconds: r.seconds, final: r.final, scenario: r.spec.scenario };
}

export interface ReasoningGrpoOptions {
  readonly scenario: string;
  readonly out: string;
  /** The SFT run directory to start from. */
  readonly init?: string;
  /** Iterations. */
  readonly steps?: number;
  readonly levels?: string;
  readonly curriculum?: string;
  readonly seed: number;
  readonly threads?: number;
  readonly device: string;
  readonly checkpointEvery?: number;
  readonly resume: boolean;
  readonly force: boolean;
  /** Fields of ReasoningGrpoConfig (learners/reasoning/grpo.ts) from --config. */
  readonly config: Record<string, unknown>;
  /** A reward method of learners/methods (`--method`), with its config fields (`--method-config`). */
  readonly method?: string;
  readonly methodConfig?: Record<string, unknown>;
}

/** `--method NAME` and `--method-config JSON` as a GRPO shaper, with usage errors that name the bad field. */
function shaperOption(method: string | undefined, config: Record<string, unknown> | undefined) {
  if (method === undefined) {
    if (config !== undefined) throw new CliError('--method-config: give --method too (rlsp or mrt)', EXIT_USAGE);
    return undefined;
  }
  if (!(SHAPING_METHODS as readonly string[]).includes(method)) throw new CliError(`--method: expected one of: ${SHAPING_METHODS.join(', ')}, got '${method}'`, EXIT_USAGE);
  try {
    return shaperFor(method as ShapingMethod, config);
  } catch (err) {
    if (err instanceof z.ZodError) throw new CliError(`--method-config: ${err.issues.map((i) => `${i.path.join('.') || '(config)'}: ${i.message}`).join('; ')}`, EXIT_USAGE);
    throw err;
  }
}

/**
 * `--curriculum`: `adaptive:1,2,3` (open the next level when the running training accuracy of
 * the current one passes the threshold, `adaptive:1,2,3@0.8` to set it) or a schedule
 * `0=1;20=1:0.5,2:0.5;40=2` (from iteration i, the mixture after '=').
 */
export function parseCurriculum(text: string): Curriculum {
  const bad = (why: string) => new CliError(`--curriculum: ${why}; e.g. --curriculum adaptive:1,2,3@0.7 or --curriculum '0=1;20=1:0.5,2:0.5;40=2'`, EXIT_USAGE);
  const adaptive = /^adaptive:([\d,\s]+)(?:@([\d.]+))?$/.exec(text.trim());
  if (adaptive) {
    const levels = adaptive[1].split(',').map((x) => Number(x.trim()));
    if (levels.some((l) => !Number.isInteger(l) || l < 1)) throw bad(`'${adaptive[1]}' is not a list of levels`);
    const threshold = adaptive[2] === undefined ? undefined : Number(adaptive[2]);
    if (threshold !== undefined && !(threshold > 0 && threshold <= 1)) throw bad(`threshold ${adaptive[2]} is not in (0, 1]`);
    return { kind: 'adaptive', levels, threshold: threshold ?? 0.7, smoothing: 0.2, review: 0.25 };
  }
  const stages = text.split(';').map((part) => {
    const [from, mix] = part.split('=');
    const it = Number(from);
    if (mix === undefined || !Number.isInteger(it) || it < 0) throw bad(`'${part}' is not iteration=levels`);
    return { from: it, levels: levelsOption(mix.trim()) ?? [] };
  });
  if (stages[0].from !== 0) throw bad('the first stage must start at iteration 0');
  return { kind: 'schedule', stages };
}

/** `train --algo grpo` on a reasoning scenario: GRPO on the token policy from an SFT run (`--init`), written to `out`. */
export async function runTrainReasoningGrpo(o: ReasoningGrpoOptions, out: Output): Promise<Record<string, unknown>> {
  if (!o.init) throw new CliError(`--init: required for --algo grpo on a reasoning scenario: the SFT run to start from, e.g. --init runs/sft (from \`reverie train --algo sft --scenario ${o.scenario}\`)`, EXIT_USAGE);
  if (!existsSync(join(o.init, 'reasoner.json'))) throw new CliError(`--init: ${o.init} is not a reasoning run directory (no reasoner.json); train one with \`reverie train --algo sft --scenario ${o.scenario}\``, EXIT_USAGE);
  if (o.levels !== undefined && o.curriculum !== undefined) throw new CliError('--levels and --curriculum: give one (a fixed mixture or a curriculum over levels)', EXIT_USAGE);
  if (o.resume && o.force) throw new CliError('--resume and --force cannot be used together: --resume continues the run in --out, --force starts it over', EXIT_USAGE);
  const hasRun = existsSync(join(o.out, 'trainer.ckpt'));
  if (hasRun && !o.resume && !o.force) throw new CliError(`--out: ${o.out} already holds a run; pass --resume to continue it or --force to start over`, EXIT_USAGE);
  if (o.force) rmSync(o.out, { recursive: true, force: true });
  const input = {
    ...o.config,
    scenario: o.scenario,
    init: o.init,
    out: o.out,
    seed: o.seed,
    resume: o.resume,
    device: o.device,
    ...(o.steps !== undefined ? { iterations: o.steps } : {}),
    ...(o.checkpointEvery !== undefined ? { checkpointEvery: o.checkpointEvery } : {}),
    ...(o.threads !== undefined ? { threads: o.threads } : {}),
    ...(o.levels !== undefined ? { levels: levelsOption(o.levels) } : {}),
    ...(o.curriculum !== undefined ? { curriculum: parseCurriculum(o.curriculum) } : {}),
  };
  const parsed = ReasoningGrpoConfig.safeParse(input);
  if (!parsed.success) throw new CliError(`--config: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(config)'}: ${i.message}`).join('; ')}`, EXIT_USAGE);
  const c = parsed.data;
  const shaper = shaperOption(o.method, o.methodConfig);
  const levels = c.curriculum ? `curriculum ${c.curriculum.kind}` : `levels ${c.levels.map((l) => `${l.level}:${l.weight}`).join(',')}`;
  out.note(`train: grpo${o.method ? ` with ${o.method}` : ''} on ${o.scenario} from ${o.init}, ${levels}, ${c.iterations} iterations of ${c.prompts} prompts × ${c.groupSize} samples → ${o.out}`);
  const bar = progress('train grpo', 'iterations');
  let r;
  try {
    r = await runGrpo(input, { log: (row) => bar.update(row.iteration, c.iterations), ...(shaper ? { shaper } : {}) });
  } catch (err) {
    if (err instanceof Error && /^init: |resuming with a different/.test(err.message)) throw new CliError(err.message.replace(/^init: /, '--init: '), EXIT_USAGE);
    throw err;
  } finally {
    bar.stop();
  }
  return {
    algo: 'grpo', ...(o.method ? { method: o.method } : {}), out: r.out, init: o.init, iterations: r.iterations, ranIterations: r.ranIterations, updates: r.updates, seconds: r.seconds,
    updatesPerSecond: r.updatesPerSecond, tokensPerSecond: r.tokensPerSecond, final: r.final ?? null, scenario: r.spec.scenario,
  };
}

/**
 * `train --algo amft`: AMFT (learners/methods/amft.ts) from scratch on a reasoning scenario: SFT
 * warm-up, then one loop on (1 − μ)·L_RL + μ·L_SFT with μ learned by its meta-gradient. `--steps`
 * counts all steps (warm-up included); `--levels` sets both the demonstrations' and the RL prompts'
 * levels (`--config` takes `sftLevels`, `rlLevels`, `valLevels` apart, and every other field).
 */
export async function runTrainReasoningAmft(o: Omit<SftOptions, 'data' | 'logEvery'>, out: Output): Promise<Record<string, unknown>> {
  if (!isReasoningScenario(o.scenario)) throw new CliError(`--scenario: --algo amft trains on a reasoning scenario (${reasoningBuiltinIds().join(', ')} or a file with kind: reasoning), got '${o.scenario}'`, EXIT_USAGE);
  if (o.resume && o.force) throw new CliError('--resume and --force cannot be used together: --resume continues the run in --out, --force starts it over', EXIT_USAGE);
  if (existsSync(join(o.out, 'trainer.ckpt')) && !o.resume && !o.force) throw new CliError(`--out: ${o.out} already holds a run; pass --resume to continue it or --force to start over`, EXIT_USAGE);
  if (o.force) rmSync(o.out, { recursive: true, force: true });
  const levels = levelsOption(o.levels);
  const input = {
    ...(levels ? { sftLevels: levels, rlLevels: levels } : {}),
    ...o.config,
    scenario: o.scenario,
    out: o.out,
    seed: o.seed,
    resume: o.resume,
    device: o.device,
    ...(o.steps !== undefined ? { steps: o.steps } : {}),
    ...(o.checkpointEvery !== undefined ? { checkpointEvery: o.checkpointEvery } : {}),
    ...(o.threads !== undefined ? { threads: o.threads } : {}),
  };
  const parsed = AmftConfig.safeParse(input);
  if (!parsed.success) throw new CliError(`--config: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(config)'}: ${i.message}`).join('; ')}`, EXIT_USAGE);
  const c = parsed.data;
  out.note(`train: amft on ${o.scenario}, μ ${c.mu.kind}, ${c.steps} steps (${c.warmup} SFT warm-up) → ${o.out}`);
  const bar = progress('train amft', 'steps');
  let r;
  try {
    r = await runAmft(input, { log: (row) => bar.update(row.step, c.steps) });
  } catch (err) {
    if (err instanceof RangeError || (err instanceof Error && /resuming with a different/.test(err.message))) throw new CliError(err.message, EXIT_USAGE);
    throw err;
  } finally {
    bar.stop();
  }
  return { algo: 'amft', out: r.out, steps: r.steps, ranSteps: r.ranSteps, seconds: r.seconds, final: r.final ?? null, scenario: r.spec.scenario };
}

export interface ReasoningEvalOptions {
  readonly scenario: string;
  readonly policy: string;
  /** Problems per level. */
  readonly problems: number;
  readonly seed: number;
  readonly levels?: string;
  readonly samples: number;
  readonly threads?: number;
}

/** `eval` on a reasoning scenario: greedy pass@1 (and pass@k from samples) by level, with 95% CIs. */
export async function runEvalReasoning(o: ReasoningEvalOptions, out: Output): Promise<void> {
  if (!existsSync(join(o.policy, 'reasoner.json'))) throw new CliError(`--policy: on a reasoning scenario the policy is a run directory of \`reverie train --algo sft\` (with reasoner.json), got '${o.policy}'`, EXIT_USAGE);
  const reasoner = await openReasoner(o.policy, { threads: o.threads });
  try {
    const named = loadReasoningScenario(o.scenario).id;
    if (reasoner.task.scenario.id !== named) {
      throw new CliError(`--policy ${o.policy} was trained on '${reasoner.task.scenario.id}', not '${named}'`, EXIT_USAGE);
    }
    const levels = levelsOption(o.levels)?.map((l) => l.level) ?? reasoner.spec.levels.map((l) => l.level);
    for (const l of levels) if (l > reasoner.task.levels) throw new CliError(`--levels: '${reasoner.task.scenario.id}' has ${reasoner.task.levels} levels, got ${l}`, EXIT_USAGE);
    out.note(`eval: ${reasoner.task.scenario.id} × ${o.policy}, levels ${levels.join(',')}, ${o.problems} problems per level, seed ${o.seed}`);
    const report = await evaluateReasoner(reasoner, { levels, problems: o.problems, evalSeed: o.seed, samples: o.samples });
    const pct = (x: number) => `${fmt(100 * x, 1)}%`;
    const lines = report.levels.map((l) => {
      const k = l.passK ? Object.entries(l.passK).map(([key, v]) => `  pass@${key} ${pct(v.rate)}`).join('') : '';
      return `  level ${l.level}: pass@1 ${pct(l.pass1.rate)} [${pct(l.pass1.lo)}, ${pct(l.pass1.hi)}]${k}  format errors ${pct(l.formatErrorRate)}  mean tokens ${fmt(l.meanTokens, 1)}`;
    });
    out.result({ command: 'eval', scenario: reasoner.spec.scenario, policy: o.policy, seed: o.seed, problems: o.problems, levels: report.levels, decode: report.decode }, lines.join('\n'));
  } finally {
    await reasoner.dispose();
  }
}
