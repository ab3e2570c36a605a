/**
 * What the RLSP and MRT experiments share: the experiment's own digit-sum scenario file, greedy
 * evaluation that keeps the completions, intervals over seeds, Markdown tables and SVG charts.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type * as vl from 'vega-lite';
import { loadReasoningScenario, type Graded, type ReasoningProblem } from '../../scenarios/reasoning/index.js';
import { decodeCached, type DecodeStats } from '../../learners/reasoning/decode.js';
import { evalProblems } from '../../learners/reasoning/evaluate.js';
import type { Reasoner } from '../../learners/reasoning/sft.js';
import { renderSvg } from '../report/charts.js';

/** A digit-sum scenario with the experiment's levels and reasoner habits, written as JSON into `dir`; returns its absolute path. */
export function writeDigitSumScenario(dir: string, id: string, levels: readonly { readonly min: number; readonly max: number }[], reasoner: { mistakeRate: number; checkRate: number; backtrackRate: number }): string {
  const base = loadReasoningScenario('digit-sum');
  const scenario = {
    ...base,
    id,
    version: '1.0.0',
    title: `digit sum mod 10 (${id})`,
    description: `Sum n digits mod 10; levels ${levels.map((l) => `${l.min}-${l.max}`).join(', ')} digits (written by reverie experiment).`,
    difficulty: levels.map((l) => ({ digits: { min: l.min, max: l.max } })),
    reasoner: { ...base.reasoner, ...reasoner, slipRate: 0 },
  };
  mkdirSync(dir, { recursive: true });
  const path = resolve(join(dir, `${id}.json`));
  writeFileSync(path, JSON.stringify(scenario, null, 2) + '\n');
  return path;
}

/** A greedy completion of an evaluation problem, graded. */
export interface Attempt {
  readonly level: number;
  readonly problem: ReasoningProblem;
  /** The problem's seed (`eval:` namespace). */
  readonly seed: number;
  readonly completion: readonly number[];
  readonly graded: Graded;
}

/** Greedy completions of `problems` fixed evaluation problems per level (the `eval:` seed namespace), at most `maxNewTokens` tokens each. */
export async function greedyAttempts(reasoner: Reasoner, levels: readonly number[], problems: number, o: { readonly maxNewTokens?: number; readonly evalSeed?: number } = {}, stats?: DecodeStats): Promise<Attempt[]> {
  const { task, kv } = reasoner;
  if (!kv) throw new Error('greedyAttempts: the reasoner was opened without its KV-cache model');
  const all = levels.flatMap((level) => evalProblems(task, level, problems, o.evalSeed).map((p) => ({ level, problem: p.problem, seed: p.seed })));
  const decoded = await decodeCached(kv.session, kv.cache, all.map((a) => a.problem.prompt), { seq: reasoner.spec.contextLength, eos: task.tokenizer.eos, pad: task.tokenizer.pad, temperature: 0, maxNewTokens: o.maxNewTokens, batchSize: 256 }, stats);
  return all.map((a, i) => ({ ...a, completion: decoded[i].completion, graded: task.grade(a.problem, decoded[i].completion) }));
}

/** Two-sided 97.5% Student-t quantiles for 1..30 degrees of freedom (normal beyond). */
const T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042];

/** A mean over seeds with its 95% Student-t interval (lo = hi = mean for one seed). */
export interface SeedInterval {
  readonly mean: number;
  readonly lo: number;
  readonly hi: number;
  readonly n: number;
}

/** `bounds`: clip the interval to what the quantity can be (e.g. [0, 1] for a rate). */
export function seedInterval(values: readonly number[], bounds: readonly [number, number] = [-Infinity, Infinity]): SeedInterval {
  const n = values.length;
  if (n === 0) return { mean: NaN, lo: NaN, hi: NaN, n: 0 };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  if (n === 1) return { mean, lo: mean, hi: mean, n };
  const sd = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
  const half = (T975[n - 2] ?? 1.96) * (sd / Math.sqrt(n));
  return { mean, lo: Math.max(bounds[0], mean - half), hi: Math.min(bounds[1], mean + half), n };
}

/** "0.42 [0.30, 0.55]" (or "0.42" for one seed). */
export function fmtInterval(x: SeedInterval, digits = 3): string {
  if (!Number.isFinite(x.mean)) return 'n/a';
  return x.n > 1 ? `${x.mean.toFixed(digits)} [${x.lo.toFixed(digits)}, ${x.hi.toFixed(digits)}]` : x.mean.toFixed(digits);
}

/** A Markdown table. */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

/** Renders a vega-lite spec into `dir/name` (SVG) and returns the file name. */
export async function writeChart(dir: string, name: string, spec: vl.TopLevelSpec): Promise<string> {
  writeFileSync(join(dir, name), await renderSvg(spec));
  return name;
}

/** Per-iteration means over seeds of a metric of the GRPO rows (rows[seed][iteration]). */
export function meanCurve(rows: readonly (readonly Record<string, number>[])[], key: string): { x: number; y: number }[] {
  const n = Math.min(...rows.map((r) => r.length));
  return Array.from({ length: Number.isFinite(n) ? n : 0 }, (_, i) => ({ x: i + 1, y: rows.reduce((a, r) => a + (r[i][key] ?? 0), 0) / rows.length }));
}

/** The sizes an experiment defines: full; --quick (minutes on 2 cores); tiny (the CLI tests: the same code path in seconds). */
export type ScaleName = 'full' | 'quick' | 'tiny';

/** Which of an experiment's `scales` applies: tiny when REVERIE_EXPERIMENT_SCALE=tiny, else quick or full by --quick. */
export function pickScale<S>(scales: Readonly<Record<ScaleName, S>>, quick: boolean): { name: ScaleName; scale: S } {
  const name: ScaleName = process.env.REVERIE_EXPERIMENT_SCALE === 'tiny' ? 'tiny' : quick ? 'quick' : 'full';
  return { name, scale: scales[name] };
}

/** The sizes shared by the experiments that run SFT then GRPO on the token policy. */
export interface GrpoScale {
  readonly policy: { dModel: number; heads: number; layers: number; seq: number };
  readonly sft: { steps: number; batchSize: number; lr: number };
  readonly grpo: { iterations: number; prompts: number; groupSize: number; lr: number; klCoef: number };
  readonly evalProblems: number;
}
