/**
 * `reverie experiment mrt`: outcome-reward GRPO against MRT's progress bonus and its
 * termination-baseline variant (learners/methods/mrt.ts), on digit sums whose demonstrations check
 * steps often (so a thought can keep writing after its answer is settled). Per seed: SFT on levels
 * 1–2, then one GRPO run per arm under a token budget B (`maxNewTokens`), then, on fixed
 * evaluation problems of levels 1–3: greedy accuracy at budget B and at 2B (extrapolation: more
 * tokens than trained), and the meta-prover's J after every episode of the 2B completions, giving
 * the anytime curve J(t) (piecewise linear in tokens), the normalised regret
 * 1 − (1/C0)∫_0^{C0} J(t)dt at C0 = B/2, B, 2B, and the tokens written after the first prefix with
 * J = 1 ("tokens spent on a problem already solved"). Reported over seeds with 95% t-intervals and
 * as paired differences against GRPO. Whatever the numbers say is reported.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { episodes, estimateJ, prefixThrough, querySeed, type PrefixQuery } from '../../learners/methods/meta-prover.js';
import { parseCompletion } from '../../scenarios/reasoning/index.js';
import { MrtConfig, anytimeCurve, mrtShaper, normalisedRegret, tokensAfterSolved, type MrtConfigInput } from '../../learners/methods/mrt.js';
import { runGrpo, type ReasoningGrpoConfigInput } from '../../learners/reasoning/grpo.js';
import { openReasoner, runSft, type Reasoner, type SftConfigInput } from '../../learners/reasoning/sft.js';
import { lineChart } from '../report/charts.js';
import type { Experiment, ExperimentOptions } from './index.js';
import { fmtInterval, greedyAttempts, markdownTable, meanCurve, seedInterval, writeChart, writeDigitSumScenario, type Attempt, type SeedInterval, pickScale, type GrpoScale, type ScaleName } from './reasoning-kit.js';

const LEVELS = [
  { min: 2, max: 3 },
  { min: 4, max: 5 },
  { min: 6, max: 7 },
];
/** Demonstrations that check right steps often: tokens a thought may spend after its answer is settled. */
const REASONER = { mistakeRate: 0.1, checkRate: 0.3, backtrackRate: 0.5 };
const ARMS: readonly { readonly name: string; readonly shaping?: MrtConfigInput }[] = [
  { name: 'grpo' },
  { name: 'mrt', shaping: { variant: 'progress' } },
  { name: 'mrt-term', shaping: { variant: 'termination' } },
];

interface Scale extends GrpoScale {
  /** The training token budget B. */
  readonly budget: number;
}

/**
 * Sizes (see `pickScale`). SFT (ours): cosine from lr with a linear warm-up of a tenth of the
 * steps (at most 100). Why: with lr 1e-2 held constant for 1000 steps, the loss of every seed
 * sits on a plateau (≈ 0.35) until the model learns the addition table, and one seed of three
 * left it too late (loss 0.32 at the end, GRPO training accuracy 0.14 against 0.94 for the other
 * two): the spread over seeds was the base's, not the arms'. 2000 steps give every seed time.
 */
const SCALES: Record<ScaleName, Scale> = {
  full: { policy: { dModel: 32, heads: 4, layers: 2, seq: 80 }, sft: { steps: 2000, batchSize: 32, lr: 1e-2 }, grpo: { iterations: 30, prompts: 16, groupSize: 8, lr: 3e-3, klCoef: 0.01 }, budget: 36, evalProblems: 150 },
  quick: { policy: { dModel: 32, heads: 4, layers: 2, seq: 80 }, sft: { steps: 1000, batchSize: 32, lr: 1e-2 }, grpo: { iterations: 6, prompts: 8, groupSize: 8, lr: 3e-3, klCoef: 0.01 }, budget: 36, evalProblems: 30 },
  tiny: { policy: { dModel: 16, heads: 2, layers: 1, seq: 80 }, sft: { steps: 20, batchSize: 8, lr: 1e-2 }, grpo: { iterations: 2, prompts: 4, groupSize: 4, lr: 3e-3, klCoef: 0.01 }, budget: 36, evalProblems: 4 },
};

/** What one policy does on one level. */
interface LevelStats {
  /** Greedy accuracy at the training budget B and at 2B. */
  readonly accuracy: number;
  readonly accuracy2x: number;
  /** Mean normalised regret at C0 = B/2, B, 2B. */
  readonly regretHalf: number;
  readonly regret: number;
  readonly regret2x: number;
  /** Mean tokens written after the first prefix with J = 1 (0 for a problem never settled), and the share of problems settled. */
  readonly solvedTokens: number;
  readonly settled: number;
  /** Mean completion tokens at 2B. */
  readonly tokens: number;
  /** What MRT has to work with, per 2B completion: thought segments, `<check>` segments, and episodes (as the meta-prover splits them) whose J did not rise, before the first J = 1 and after it. */
  readonly segments: number;
  readonly checks: number;
  readonly idleBefore: number;
  readonly idleAfter: number;
}
const METRICS = ['accuracy', 'accuracy2x', 'regretHalf', 'regret', 'regret2x', 'solvedTokens', 'settled', 'tokens', 'segments', 'checks', 'idleBefore', 'idleAfter'] as const;
type Metric = (typeof METRICS)[number];
/** Metrics counted in tokens or episodes (not rates in [0, 1]). */
const COUNTS: readonly Metric[] = ['solvedTokens', 'tokens', 'segments', 'checks', 'idleBefore', 'idleAfter'];

/** Evaluates one policy: greedy at B and 2B, the meta-prover on every prefix of the 2B completions. */
async function evaluate(reasoner: Reasoner, levels: readonly number[], problems: number, budget: number, meta: MrtConfig): Promise<LevelStats[]> {
  const task = reasoner.task;
  const seq = reasoner.spec.contextLength;
  const check = task.tokenizer.tokens.indexOf('<check>');
  const atB = await greedyAttempts(reasoner, levels, problems, { maxNewTokens: budget });
  const at2B = await greedyAttempts(reasoner, levels, problems, { maxNewTokens: 2 * budget });
  const plans = at2B.map((a) => {
    const eps = episodes(a.completion, task, meta.maxEpisodes);
    const queries: PrefixQuery[] = Array.from({ length: eps.length + 1 }, (_, i) => {
      const prefix = prefixThrough(a.completion, eps, i - 1, task);
      return { problem: a.problem, prefix, seed: querySeed(a.seed, 'mrt-eval', prefix) };
    });
    return { a, eps, queries };
  });
  if (!reasoner.kv) throw new Error('evaluate: the reasoner has no KV-cache model');
  const js = await estimateJ(task, reasoner.kv, plans.flatMap((p) => p.queries), { samples: meta.samples, sampling: { temperature: meta.temperature, topP: meta.topP }, answerTokens: meta.answerTokens, seq, batchSize: 512 });
  let cursor = 0;
  const per = plans.map((p) => {
    const j = js.slice(cursor, cursor + p.queries.length);
    cursor += p.queries.length;
    const curve = anytimeCurve(j, p.eps);
    const solved = tokensAfterSolved(curve, p.a.completion.length);
    const first = j.findIndex((x) => x >= 1);
    let idleBefore = 0;
    let idleAfter = 0;
    for (let e = 1; e < j.length; e++) {
      if (j[e] > j[e - 1]) continue;
      if (first >= 0 && e > first) idleAfter++;
      else idleBefore++;
    }
    const segs = parseCompletion(p.a.completion, task.tokenizer).segments;
    const checks = segs.filter((sg) => p.a.completion[sg.start] === check).length;
    return { level: p.a.level, half: normalisedRegret(curve, budget / 2), one: normalisedRegret(curve, budget), two: normalisedRegret(curve, 2 * budget), solved, tokens: p.a.completion.length, segments: segs.length, checks, idleBefore, idleAfter };
  });
  const mean = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0) / Math.max(1, xs.length);
  const acc = (list: readonly Attempt[], l: number) => mean(list.filter((a) => a.level === l).map((a) => (a.graded.correct ? 1 : 0)));
  return levels.map((l) => {
    const at = per.filter((p) => p.level === l);
    return {
      accuracy: acc(atB, l),
      accuracy2x: acc(at2B, l),
      regretHalf: mean(at.map((p) => p.half)),
      regret: mean(at.map((p) => p.one)),
      regret2x: mean(at.map((p) => p.two)),
      solvedTokens: mean(at.map((p) => p.solved ?? 0)),
      settled: mean(at.map((p) => (p.solved === null ? 0 : 1))),
      tokens: mean(at.map((p) => p.tokens)),
      segments: mean(at.map((p) => p.segments)),
      checks: mean(at.map((p) => p.checks)),
      idleBefore: mean(at.map((p) => p.idleBefore)),
      idleAfter: mean(at.map((p) => p.idleAfter)),
    };
  });
}

async function run(o: ExperimentOptions): Promise<Record<string, unknown>> {
  const { name: scaleName, scale } = pickScale(SCALES, o.quick);
  const threads = o.threads ?? 1;
  mkdirSync(o.out, { recursive: true });
  const scenario = writeDigitSumScenario(o.out, 'digit-sum-mrt', LEVELS, REASONER);
  const levels = LEVELS.map((_, i) => i + 1);
  const meta = MrtConfig.parse({});
  const sftBase: Omit<SftConfigInput, 'out' | 'seed' | 'dataSeed'> = { scenario, levels: [{ level: 1, weight: 1 }, { level: 2, weight: 1 }], policy: scale.policy, ...scale.sft, schedule: 'cosine', warmup: Math.min(100, Math.floor(scale.sft.steps / 10)), threads, logEvery: 50, resume: false };
  const grpoBase: Omit<ReasoningGrpoConfigInput, 'init' | 'out' | 'seed' | 'dataSeed'> = { scenario, levels: [{ level: 1, weight: 1 }, { level: 2, weight: 1 }], ...scale.grpo, maxNewTokens: scale.budget, threads, checkpointEvery: 1000, resume: false };
  const arms = ARMS.map((a) => ({ name: a.name, shaping: a.shaping ? MrtConfig.parse(a.shaping) : null }));
  writeFileSync(join(o.out, 'config.json'), JSON.stringify({ experiment: 'mrt', scale: scaleName, seeds: o.seeds, scenario, levels: LEVELS, reasoner: REASONER, sft: sftBase, grpo: grpoBase, arms, budget: scale.budget, metaProver: meta, evalProblems: scale.evalProblems, evaluation: 'greedy at B and 2B; J by the meta-prover on the 2B completions; eval: seed namespace, evalSeed 7' }, null, 2) + '\n');

  const policies = ['sft', ...arms.map((a) => a.name)];
  const stats: Record<string, LevelStats[][]> = Object.fromEntries(policies.map((p) => [p, []]));
  const curves: Record<string, Record<string, number>[][]> = Object.fromEntries(arms.map((a) => [a.name, []]));
  const sftLoss: number[] = [];
  const evalDir = async (dir: string) => {
    const reasoner = await openReasoner(dir, { threads });
    try {
      return await evaluate(reasoner, levels, scale.evalProblems, scale.budget, meta);
    } finally {
      await reasoner.dispose();
    }
  };
  for (let seed = 1; seed <= o.seeds; seed++) {
    const root = join(o.out, 'runs', `seed-${seed}`);
    o.log(`mrt: seed ${seed}/${o.seeds}: SFT (${scale.sft.steps} steps)`);
    const sft = await runSft({ ...sftBase, out: join(root, 'sft'), seed, dataSeed: seed });
    sftLoss.push(sft.final.loss);
    stats.sft.push(await evalDir(sft.out));
    for (const arm of arms) {
      o.log(`mrt: seed ${seed}/${o.seeds}: GRPO ${arm.name} (${scale.grpo.iterations} iterations, budget ${scale.budget} tokens)`);
      const rows: Record<string, number>[] = [];
      const out = join(root, arm.name);
      await runGrpo({ ...grpoBase, init: sft.out, out, seed, dataSeed: seed }, { ...(arm.shaping ? { shaper: mrtShaper(arm.shaping) } : {}), log: (r) => rows.push(r) });
      curves[arm.name].push(rows);
      stats[arm.name].push(await evalDir(out));
    }
  }

  // means over levels per seed, then intervals over seeds (rates and regrets clipped to [0, 1])
  const bounds = (m: Metric): [number, number] => (COUNTS.includes(m) ? [0, Infinity] : [0, 1]);
  const overLevels = (p: string, m: Metric) => stats[p].map((s) => s.reduce((a, x) => a + x[m], 0) / s.length);
  const table = Object.fromEntries(
    policies.map((p) => [p, [...levels.map((l) => Object.fromEntries(METRICS.map((m) => [m, seedInterval(stats[p].map((s) => s[l - 1][m]), bounds(m))]))), Object.fromEntries(METRICS.map((m) => [m, seedInterval(overLevels(p, m), bounds(m))]))] as Record<Metric, SeedInterval>[]]),
  );
  const vsGrpo = (arm: string, m: Metric) => {
    const a = overLevels(arm, m);
    const b = overLevels('grpo', m);
    return seedInterval(a.map((x, i) => x - b[i]));
  };
  const effects = Object.fromEntries(arms.filter((a) => a.name !== 'grpo').map((a) => [a.name, Object.fromEntries(['regretHalf', 'regret', 'regret2x', 'accuracy', 'accuracy2x', 'solvedTokens'].map((m) => [m, vsGrpo(a.name, m as Metric)]))]));
  const mrtEffects = effects.mrt as Record<string, SeedInterval> | undefined;
  // the direction of the means, and whether the paired interval over seeds shows it (excludes 0)
  const shown = (x: SeedInterval, sign: 1 | -1) => o.seeds > 1 && (sign > 0 ? x.lo > 0 : x.hi < 0);
  const holds = mrtEffects
    ? {
        lowerRegretAtB: mrtEffects.regret.mean < 0,
        lowerRegretAtBCiBelowZero: shown(mrtEffects.regret, -1),
        equalOrBetterAccuracyAtB: mrtEffects.accuracy.mean >= 0,
        fewerTokensAfterSolved: mrtEffects.solvedTokens.mean < 0,
        fewerTokensAfterSolvedCiBelowZero: shown(mrtEffects.solvedTokens, -1),
        betterExtrapolation: mrtEffects.accuracy2x.mean - mrtEffects.accuracy.mean > 0,
      }
    : {};

  const labels = [...levels.map(String), 'all'];
  const digits = [...LEVELS.map((l) => `${l.min}–${l.max}`), '—'];
  const rows = policies.flatMap((p) => labels.map((l, i) => [p, l, digits[i], ...METRICS.map((m) => fmtInterval(table[p][i][m], COUNTS.includes(m) ? 1 : 3))]));
  // per seed, so a seed whose base is off shows (mean over levels; SFT's final training loss)
  const PER_SEED: readonly Metric[] = ['accuracy', 'accuracy2x', 'regret', 'solvedTokens', 'checks', 'tokens'];
  const seedRows = policies.flatMap((p) => stats[p].map((s, k) => [p, String(k + 1), ...(p === 'sft' ? [sftLoss[k].toFixed(3)] : ['']), ...s.map((x) => x.accuracy.toFixed(3)), ...PER_SEED.map((m) => (s.reduce((a, x) => a + x[m], 0) / s.length).toFixed(COUNTS.includes(m) ? 1 : 3))]));
  const budgets = [scale.budget / 2, scale.budget, 2 * scale.budget];
  const charts = [
    await writeChart(o.out, 'regret-by-budget.svg', lineChart('normalised regret by token budget C0 (mean over levels and seeds)', policies.flatMap((p) => (['regretHalf', 'regret', 'regret2x'] as const).map((m, i) => ({ x: budgets[i], y: table[p][levels.length][m].mean, series: p }))), { x: 'budget C0 (tokens)', y: 'regret' })),
    await writeChart(o.out, 'accuracy-by-level.svg', lineChart(`greedy accuracy by level at budget B = ${scale.budget} (mean over seeds)`, policies.flatMap((p) => levels.map((l) => ({ x: l, y: table[p][l - 1].accuracy.mean, series: p }))), { x: 'level', y: 'accuracy' })),
    await writeChart(o.out, 'training-accuracy.svg', lineChart('training accuracy per iteration (mean over seeds)', arms.flatMap((a) => meanCurve(curves[a.name], 'accuracy').map((pt) => ({ ...pt, series: a.name }))), { x: 'iteration', y: 'accuracy' })),
    await writeChart(o.out, 'training-length.svg', lineChart('training completion tokens per iteration (mean over seeds)', arms.flatMap((a) => meanCurve(curves[a.name], 'mean_length').map((pt) => ({ ...pt, series: a.name }))), { x: 'iteration', y: 'tokens' })),
  ];
  const effectLines = Object.entries(effects).flatMap(([arm, e]) => Object.entries(e).map(([m, x]) => `- ${arm} − grpo, ${m}: ${fmtInterval(x)}`));
  const md = [
    '# MRT experiment (digit sum mod 10)',
    '',
    `Scale **${scaleName}**, ${o.seeds} seed(s); ${scale.evalProblems} evaluation problems per level and seed. Per seed: SFT on levels 1–2, then GRPO per arm on levels 1–2 with a token budget B = ${scale.budget}; evaluation on levels 1–3. Intervals are 95% Student-t over seeds (none with one seed).`,
    '',
    `Arms: **grpo** (outcome reward 0/1), **mrt** (+ α·progress on each episode's tokens, α = 1 as in the authors' code), **mrt-term** (+ α·(R − J at a random prefix) on the tokens after it: the termination baseline). Meta-prover: ${meta.samples} forced answers per prefix at temperature ${meta.temperature}, top-p ${meta.topP} (authors' code: 8 at 0.7/0.95; 4 is ours), at most ${meta.maxEpisodes} episodes per thought.`,
    '',
    'Columns: accuracy (greedy, budget B), accuracy2x (budget 2B: extrapolation), regret at C0 = B/2, B, 2B (1 − mean J over the budget, J piecewise linear in tokens), solvedTokens (tokens written after the first prefix whose J = 1, the closing `</think> <answer> d </answer> <eos>` included, so 5 at least; 0 when never settled), settled (share of problems with such a prefix), tokens (completion length at 2B).',
    '',
    markdownTable(['policy', 'level', 'digits', ...METRICS], rows),
    '',
    `segments: thought segments per completion; checks: \`<check>\` segments; idleBefore / idleAfter: episodes (split as the meta-prover does, at most ${meta.maxEpisodes}) whose J did not rise, before the first J = 1 and after it.`,
    '',
    '## Per seed (mean over levels unless a level is named)',
    '',
    markdownTable(['policy', 'seed', 'SFT loss', ...levels.map((l) => `accuracy L${l}`), ...PER_SEED], seedRows),
    '',
    '## Against outcome-reward GRPO (paired over seeds, mean over levels)',
    '',
    ...effectLines,
    '',
    `Holds (mrt vs grpo; plain keys: the direction of the means; \`CiBelowZero\`: the paired interval over seeds shows it; betterExtrapolation: MRT gains more accuracy from B to 2B than GRPO): ${Object.entries(holds).map(([k, v]) => `${k}: **${v}**`).join('; ')}.`,
    '',
    ...charts.map((c) => `![${c}](${c})`),
    '',
  ].join('\n');
  writeFileSync(join(o.out, 'report.md'), md);
  const summary = { experiment: 'mrt', scale: scaleName, seeds: o.seeds, budget: scale.budget, levels: LEVELS, results: table, perSeed: stats, sftLoss, effects, holds, charts, report: 'report.md' };
  writeFileSync(join(o.out, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
  return summary;
}

export const mrtExperiment: Experiment = {
  describe: 'MRT: outcome GRPO vs progress bonus vs termination baseline on digit sums (cumulative regret, tokens after solved, extrapolation)',
  defaultSeeds: 3,
  run,
};
