/**
 * `reverie experiment rlsp`: RLSP's exploration reward (learners/methods/rlsp.ts) against the
 * verifier-only reward and the exploration-only reward, on digit sums (the paper demo's task: the
 * sum mod 10 of n digits, difficulty = n). Per seed: SFT on short demonstrations (the scripted
 * reasoner on the easy levels: 2–3 digits, and 4–5 at half the weight), then one GRPO run per arm from that
 * SFT checkpoint on all three levels (up to 7 digits), then greedy evaluation by level. Reported
 * over seeds with 95% t-intervals: accuracy, thought length, how often a thought checks a step
 * (`<check>`) or backtracks (`<back>`), how often no answer is given; and the paper's direction as
 * paired differences (RLSP − verifier at the hardest level, exploration-only − verifier).
 * Whatever the numbers say is reported; nothing is tuned to make an effect appear.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { RlspConfig, rlspShaper, thoughtStats, type RlspConfigInput } from '../../learners/methods/rlsp.js';
import { wilson } from '../../learners/reasoning/evaluate.js';
import { runGrpo, type ReasoningGrpoConfigInput } from '../../learners/reasoning/grpo.js';
import type { AdvantageMode } from '../../learners/reasoning/rollout.js';
import { SftConfig, openReasoner, runSft, type SftConfigInput } from '../../learners/reasoning/sft.js';
import { lineChart } from '../report/charts.js';
import type { Experiment, ExperimentOptions } from './index.js';
import { fmtInterval, greedyAttempts, markdownTable, meanCurve, seedInterval, writeChart, writeDigitSumScenario, type Attempt, type SeedInterval, pickScale, type GrpoScale, type ScaleName } from './reasoning-kit.js';

const LEVELS = [
  { min: 2, max: 3 },
  { min: 4, max: 5 },
  { min: 6, max: 7 },
];
/** The scripted reasoner of the demonstrations: some mistakes, always caught (half by backtracking), and some checks of right steps, so both markers are in the SFT data. */
const REASONER = { mistakeRate: 0.1, checkRate: 0.1, backtrackRate: 0.5 };
const ARMS: readonly { readonly name: string; readonly shaping: RlspConfigInput }[] = [
  { name: 'verifier', shaping: { mode: 'verifier' } },
  { name: 'rlsp', shaping: { mode: 'rlsp' } },
  { name: 'exploration', shaping: { mode: 'exploration' } },
];

type Scale = GrpoScale;

/**
 * The GRPO advantage of every arm, one per run (REVERIE_RLSP_ADVANTAGE): 'mean' (default) is
 * R − group mean, as Dr. GRPO and close to the paper's PPO, where −C/L stays a small addition to
 * the verifier's 0/1; 'std' divides by the group's std, which makes −C/L a full-size advantage in
 * groups whose samples are all right or all wrong (the previous runs').
 */
export function rlspAdvantage(env: NodeJS.ProcessEnv = process.env): AdvantageMode {
  const v = env.REVERIE_RLSP_ADVANTAGE ?? 'mean';
  if (v !== 'mean' && v !== 'std') throw new Error(`REVERIE_RLSP_ADVANTAGE: 'mean' or 'std', got '${v}'`);
  return v;
}

/**
 * Sizes (see `pickScale`). Full SFT: 3000 steps at a constant 1e-2 (ours). SFT loss plateaus near
 * 0.3 (token accuracy 0.89) until the model learns the digit step, at a seed-dependent step: ~950
 * for seed 1, ~1400 for seed 3; with 1000 steps seed 3 stayed on the plateau (greedy level-1
 * accuracy 0.19 vs 0.97 and 0.995 for seeds 1–2), with 3000 it reaches 1.00 (level 2: 0.98).
 * A cosine decay from 1e-2 over 2000 steps left seed 3 on the plateau (0.215).
 */
const SCALES: Record<ScaleName, Scale> = {
  full: { policy: { dModel: 32, heads: 4, layers: 2, seq: 80 }, sft: { steps: 3000, batchSize: 32, lr: 1e-2 }, grpo: { iterations: 40, prompts: 16, groupSize: 8, lr: 3e-3, klCoef: 0.01 }, evalProblems: 200 },
  quick: { policy: { dModel: 32, heads: 4, layers: 2, seq: 80 }, sft: { steps: 800, batchSize: 32, lr: 1e-2 }, grpo: { iterations: 10, prompts: 8, groupSize: 8, lr: 3e-3, klCoef: 0.01 }, evalProblems: 40 },
  tiny: { policy: { dModel: 16, heads: 2, layers: 1, seq: 80 }, sft: { steps: 20, batchSize: 8, lr: 1e-2 }, grpo: { iterations: 2, prompts: 4, groupSize: 4, lr: 3e-3, klCoef: 0.01 }, evalProblems: 4 },
};

type SftBase = Omit<SftConfigInput, 'out' | 'seed' | 'dataSeed'>;

/**
 * The SFT mixture: level 1, level 2 at half its weight, and the hardest level at
 * REVERIE_RLSP_SFT_LEVEL3 (default 0: absent, so the base never sees 6–7 digits and stops short
 * there; a small weight gives a base that solves the hardest level sometimes, leaving RL room).
 */
export function rlspSftLevels(env: NodeJS.ProcessEnv = process.env): { level: number; weight: number }[] {
  const raw = env.REVERIE_RLSP_SFT_LEVEL3 ?? '0';
  const w = Number(raw);
  if (raw.trim() === '' || !(w >= 0 && w <= 1)) throw new Error(`REVERIE_RLSP_SFT_LEVEL3: a weight in [0, 1], got '${raw}'`);
  return [{ level: 1, weight: 1 }, { level: 2, weight: 0.5 }, ...(w > 0 ? [{ level: 3, weight: w }] : [])];
}

/**
 * The SFT checkpoint of one seed: trained into `root/sft`, or, with `from` (REVERIE_RLSP_SFT_FROM =
 * an earlier rlsp report directory), that run's own when its SFT config is this one's. SFT is
 * deterministic given its config, so reuse only saves time (e.g. the other advantage setting on
 * the same bases); GRPO checks the scenario's content hash of the checkpoint.
 */
async function sftCheckpoint(base: SftBase, seed: number, root: string, from: string | undefined): Promise<string> {
  if (!from) return (await runSft({ ...base, out: join(root, 'sft'), seed, dataSeed: seed })).out;
  const dir = resolve(from, 'runs', `seed-${seed}`, 'sft');
  if (!existsSync(join(dir, 'policy.onnx'))) throw new Error(`REVERIE_RLSP_SFT_FROM: ${dir} has no trained SFT policy`);
  const saved = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as { scenario: string; out: string };
  const want = SftConfig.parse({ ...base, scenario: saved.scenario, out: saved.out, seed, dataSeed: seed });
  if (JSON.stringify(saved) !== JSON.stringify(want)) throw new Error(`REVERIE_RLSP_SFT_FROM: ${dir} was trained with another SFT config than this run's`);
  return dir;
}

/** What one policy does on one level. */
interface LevelStats {
  readonly accuracy: number;
  readonly length: number;
  readonly checkRate: number;
  readonly backRate: number;
  readonly noAnswer: number;
}

function levelStats(attempts: readonly Attempt[], level: number, tok: Parameters<typeof thoughtStats>[1]): LevelStats {
  const at = attempts.filter((a) => a.level === level);
  const st = at.map((a) => thoughtStats(a.completion, tok));
  const n = Math.max(1, at.length);
  return {
    accuracy: at.filter((a) => a.graded.correct).length / n,
    length: st.reduce((s, x) => s + x.length, 0) / n,
    checkRate: st.filter((x) => x.checks > 0).length / n,
    backRate: st.filter((x) => x.backs > 0).length / n,
    noAnswer: st.filter((x) => !x.answered).length / n,
  };
}

const METRICS = ['accuracy', 'length', 'checkRate', 'backRate', 'noAnswer'] as const;

async function run(o: ExperimentOptions): Promise<Record<string, unknown>> {
  const { name: scaleName, scale } = pickScale(SCALES, o.quick);
  const threads = o.threads ?? 1;
  mkdirSync(o.out, { recursive: true });
  const scenario = writeDigitSumScenario(o.out, 'digit-sum-rlsp', LEVELS, REASONER);
  const levels = LEVELS.map((_, i) => i + 1);
  const hardest = levels[levels.length - 1];
  const sftFrom = process.env.REVERIE_RLSP_SFT_FROM || undefined;
  const sftLevels = rlspSftLevels();
  const sftBase: SftBase = { scenario, levels: sftLevels, policy: scale.policy, ...scale.sft, schedule: 'constant', warmup: Math.min(20, Math.floor(scale.sft.steps / 10)), threads, logEvery: 50, resume: false };
  const grpoBase: Omit<ReasoningGrpoConfigInput, 'init' | 'out' | 'seed' | 'dataSeed'> = { scenario, levels: levels.map((level) => ({ level, weight: 1 })), ...scale.grpo, advantage: rlspAdvantage(), threads, checkpointEvery: 1000, resume: false };
  const arms = ARMS.map((a) => ({ name: a.name, shaping: RlspConfig.parse(a.shaping) }));
  writeFileSync(join(o.out, 'config.json'), JSON.stringify({ experiment: 'rlsp', scale: scaleName, seeds: o.seeds, scenario, levels: LEVELS, reasoner: REASONER, sft: sftBase, sftFrom: sftFrom ?? null, grpo: grpoBase, arms, evalProblems: scale.evalProblems, evaluation: 'greedy, eval: seed namespace, evalSeed 7' }, null, 2) + '\n');

  const policies = ['sft', ...arms.map((a) => a.name)];
  // stats[policy][seed][level-1]
  const stats: Record<string, LevelStats[][]> = Object.fromEntries(policies.map((p) => [p, []]));
  const curves: Record<string, Record<string, number>[][]> = Object.fromEntries(arms.map((a) => [a.name, []]));
  const evaluate = async (dir: string): Promise<LevelStats[]> => {
    const reasoner = await openReasoner(dir, { threads });
    try {
      const attempts = await greedyAttempts(reasoner, levels, scale.evalProblems);
      return levels.map((l) => levelStats(attempts, l, reasoner.task.tokenizer));
    } finally {
      await reasoner.dispose();
    }
  };
  for (let seed = 1; seed <= o.seeds; seed++) {
    const root = join(o.out, 'runs', `seed-${seed}`);
    o.log(`rlsp: seed ${seed}/${o.seeds}: SFT (${scale.sft.steps} steps${sftFrom ? `, from ${sftFrom}` : ''})`);
    const sft = { out: await sftCheckpoint(sftBase, seed, root, sftFrom) };
    stats.sft.push(await evaluate(sft.out));
    for (const arm of arms) {
      o.log(`rlsp: seed ${seed}/${o.seeds}: GRPO ${arm.name} (${scale.grpo.iterations} iterations)`);
      const rows: Record<string, number>[] = [];
      const out = join(root, arm.name);
      await runGrpo({ ...grpoBase, init: sft.out, out, seed, dataSeed: seed }, { shaper: rlspShaper(arm.shaping), log: (r) => rows.push(r) });
      curves[arm.name].push(rows);
      stats[arm.name].push(await evaluate(out));
    }
  }

  // per policy and level: intervals over seeds
  const table = Object.fromEntries(
    policies.map((p) => [p, levels.map((l) => Object.fromEntries(METRICS.map((m) => [m, seedInterval(stats[p].map((s) => s[l - 1][m]), m === 'length' ? [0, Infinity] : [0, 1])])) as Record<(typeof METRICS)[number], SeedInterval>)]),
  );
  // accuracy with every seed's problems pooled: a Wilson interval (sampling noise only, not seed-to-seed spread)
  const pooled = Object.fromEntries(policies.map((p) => [p, levels.map((l) => wilson(stats[p].reduce((c, s) => c + Math.round(s[l - 1].accuracy * scale.evalProblems), 0), stats[p].length * scale.evalProblems))]));
  const paired = (a: string, b: string, level: number, m: (typeof METRICS)[number]) => seedInterval(stats[a].map((s, i) => s[level - 1][m] - stats[b][i][level - 1][m]));
  const effects = {
    rlspMinusVerifierAccuracyHardest: paired('rlsp', 'verifier', hardest, 'accuracy'),
    explorationMinusVerifierAccuracy: seedInterval(stats.exploration.map((s, i) => levels.reduce((a, l) => a + s[l - 1].accuracy - stats.verifier[i][l - 1].accuracy, 0) / levels.length)),
    rlspLengthHardestMinusEasiest: seedInterval(stats.rlsp.map((s) => s[hardest - 1].length - s[0].length)),
    rlspMinusVerifierLengthHardest: paired('rlsp', 'verifier', hardest, 'length'),
  };
  const holds = {
    rlspBeatsVerifierAtHardest: effects.rlspMinusVerifierAccuracyHardest.mean > 0,
    rlspBeatsVerifierAtHardestCiAboveZero: o.seeds > 1 && effects.rlspMinusVerifierAccuracyHardest.lo > 0,
    longerThoughtsOnHarderProblems: effects.rlspLengthHardestMinusEasiest.mean > 0,
    explorationOnlyDegradesAccuracy: effects.explorationMinusVerifierAccuracy.mean < 0,
  };

  // report
  const pct = (x: number) => (100 * x).toFixed(1);
  const rows = policies.flatMap((p) =>
    levels.map((l) => [p, String(l), `${LEVELS[l - 1].min}–${LEVELS[l - 1].max}`, ...METRICS.map((m) => fmtInterval(table[p][l - 1][m], m === 'length' ? 1 : 3)), `${pct(pooled[p][l - 1].rate)}% [${pct(pooled[p][l - 1].lo)}, ${pct(pooled[p][l - 1].hi)}]`]),
  );
  const charts = [
    await writeChart(o.out, 'accuracy-by-level.svg', lineChart('greedy accuracy by level (mean over seeds)', policies.flatMap((p) => levels.map((l) => ({ x: l, y: table[p][l - 1].accuracy.mean, series: p }))), { x: 'level', y: 'accuracy' })),
    await writeChart(o.out, 'length-by-level.svg', lineChart('thought length by level (tokens, mean over seeds)', policies.flatMap((p) => levels.map((l) => ({ x: l, y: table[p][l - 1].length.mean, series: p }))), { x: 'level', y: 'thought tokens' })),
    await writeChart(o.out, 'training-accuracy.svg', lineChart('training accuracy per iteration (mean over seeds)', arms.flatMap((a) => meanCurve(curves[a.name], 'accuracy').map((pt) => ({ ...pt, series: a.name }))), { x: 'iteration', y: 'accuracy' })),
    await writeChart(o.out, 'training-length.svg', lineChart('training thought length per iteration (mean over seeds)', arms.flatMap((a) => meanCurve(curves[a.name], 'rlsp_length').map((pt) => ({ ...pt, series: a.name }))), { x: 'iteration', y: 'thought tokens' })),
  ];
  const line = (label: string, x: SeedInterval) => `- ${label}: ${fmtInterval(x)}`;
  const md = [
    '# RLSP experiment (digit sum mod 10)',
    '',
    `Scale **${scaleName}**, ${o.seeds} seed(s); ${scale.evalProblems} greedy evaluation problems per level and seed. Per seed: SFT on short demonstrations (level 1, and level 2 at half its weight${sftLevels[2] ? `, and level 3 at weight ${sftLevels[2].weight} (REVERIE_RLSP_SFT_LEVEL3)` : ''}), then GRPO per arm on levels 1–3 from that checkpoint. Intervals are 95% Student-t over seeds (none with one seed).`,
    '',
    'Arms: **verifier** (1 if correct, 0 if wrong, −0.5 without an answer), **rlsp** (verifier − C/L, C = 8 tokens: ours), **exploration** (−C/L and the no-answer penalty, no verifier: the reward-hacking arm). The −0.5 is the authors\' code; C is ours (see learners/methods/rlsp.ts).',
    '',
    `SFT: ${scale.sft.steps} steps of ${scale.sft.batchSize}, lr ${scale.sft.lr} (${sftBase.schedule}, ${String(sftBase.warmup)} warm-up steps). ${sftFrom ? `SFT checkpoints reused from ${sftFrom} (same SFT config). ` : ''}GRPO advantage (every arm, REVERIE_RLSP_ADVANTAGE): **${String(grpoBase.advantage)}**. ` +
      (grpoBase.advantage === 'std'
        ? 'With \'std\', GRPO divides each prompt\'s group by its std, so in a group whose samples are all right (or all wrong) the −C/L differences alone set the advantages, scaled to unit spread; the length term weighs much more than under the paper\'s PPO, where it stays a small addition to the verifier\'s 0/1.'
        : 'With \'mean\', the advantage is R − the group\'s mean (Dr. GRPO): no std division, so in a group whose samples are all right (or all wrong) the −C/L differences stay as small as they are (|C/L| ≤ 0.5), as under the paper\'s PPO.'),
    '',
    markdownTable(['policy', 'level', 'digits', 'accuracy (t over seeds)', 'thought tokens', 'checks (share)', 'backtracks (share)', 'no answer (share)', 'accuracy, seeds pooled (Wilson)'], rows),
    '',
    '## The paper\'s direction (paired over seeds)',
    '',
    line(`RLSP − verifier accuracy at level ${hardest}`, effects.rlspMinusVerifierAccuracyHardest),
    line('exploration-only − verifier accuracy (mean over levels)', effects.explorationMinusVerifierAccuracy),
    line(`RLSP thought length, level ${hardest} − level 1 (tokens)`, effects.rlspLengthHardestMinusEasiest),
    line(`RLSP − verifier thought length at level ${hardest} (tokens)`, effects.rlspMinusVerifierLengthHardest),
    '',
    `Holds (means): RLSP > verifier at the hardest level: **${holds.rlspBeatsVerifierAtHardest}** (interval above 0: ${holds.rlspBeatsVerifierAtHardestCiAboveZero}); longer thoughts on harder problems: **${holds.longerThoughtsOnHarderProblems}**; exploration-only degrades accuracy: **${holds.explorationOnlyDegradesAccuracy}**.`,
    '',
    ...charts.map((c) => `![${c}](${c})`),
    '',
  ].join('\n');
  writeFileSync(join(o.out, 'report.md'), md);
  const summary = { experiment: 'rlsp', scale: scaleName, seeds: o.seeds, levels: LEVELS, results: table, pooledAccuracy: pooled, perSeed: stats, effects, holds, charts, report: 'report.md' };
  writeFileSync(join(o.out, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
  return summary;
}

export const rlspExperiment: Experiment = {
  describe: 'RLSP: verifier vs verifier − C/length vs exploration-only reward on digit sums (accuracy and thought length by difficulty)',
  defaultSeeds: 3,
  run,
};
