/**
 * `reverie experiment amft`: AMFT's meta-learned SFT/RL balance (learners/methods/amft.ts) against
 * SFT→RL and fixed μ on addition. The AMFT paper was withdrawn from arXiv and its released code
 * trained on placeholder rollouts, so the directions checked here are the paper's claims, unverified.
 *
 * Setting (our choice; the paper's tasks are 7B-scale): demonstrations of the scripted reasoner
 * from 50% level 1 (1–2 digit operands) and 50% level 2 (3–4 digits), RL prompts at level 2 (the
 * harder level, where the warmed-up policy is weakest), reward = the verifier's partial credit, L_val =
 * cross-entropy on held-out level-2 demonstrations (own seed stream, used only by the controller).
 * Arms, same seeds and the same warm-up in each: SFT→RL (μ = 1 then 0 at the middle of the
 * post-warm-up steps), fixed μ ∈ {0.2, 0.5, 0.8}, AMFT (μ0 0.8, the authors' config). Evaluation:
 * greedy pass@1 on the same held-out problems (`eval:` seeds) at level 1 (in distribution) and
 * level 2 (the harder level), mean over seeds with a t interval, and paired differences by seed.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AmftConfig, runAmft, type AmftConfigInput, type MuSchedule } from '../../learners/methods/amft.js';
import { evaluateReasoner } from '../../learners/reasoning/evaluate.js';
import { openReasoner } from '../../learners/reasoning/sft.js';
import { lineChart, renderSvg, returnsChart, type CurvePoint, type ReturnBar } from '../report/charts.js';
import type { Experiment, ExperimentOptions } from './index.js';

/** Sizes of the two versions (ours; chosen for 2 shared cores). */
interface Scale {
  readonly policy: { readonly dModel: number; readonly heads: number; readonly layers: number; readonly seq: number };
  readonly steps: number;
  readonly warmup: number;
  readonly every: number;
  readonly batchSize: number;
  readonly prompts: number;
  readonly groupSize: number;
  readonly valBatch: number;
  readonly lr: number;
  /** lr after the warm-up (the GRPO bench's 3e-4 in the full run). */
  readonly mixedLr: number;
  readonly metaLr: number;
  readonly entropyLr: number;
  /** Evaluation problems per level. */
  readonly problems: number;
}

const QUICK: Scale = { policy: { dModel: 16, heads: 2, layers: 1, seq: 64 }, steps: 16, warmup: 6, every: 3, batchSize: 8, prompts: 3, groupSize: 4, valBatch: 8, lr: 3e-3, mixedLr: 1e-3, metaLr: 300, entropyLr: 5e-4, problems: 16 };
const FULL: Scale = { policy: { dModel: 64, heads: 4, layers: 2, seq: 64 }, steps: 1300, warmup: 1000, every: 10, batchSize: 16, prompts: 4, groupSize: 4, valBatch: 32, lr: 1e-3, mixedLr: 3e-4, metaLr: 300, entropyLr: 5e-4, problems: 200 };

const ID_LEVEL = 1;
const HARD_LEVEL = 2;

interface Arm {
  readonly name: string;
  readonly mu: MuSchedule | ((s: Scale) => MuSchedule);
}

const ARMS: readonly Arm[] = [
  { name: 'sft-then-rl', mu: (s) => ({ kind: 'two-stage', switchAt: s.warmup + Math.floor((s.steps - s.warmup) / 2) }) },
  { name: 'fixed-0.2', mu: { kind: 'fixed', value: 0.2 } },
  { name: 'fixed-0.5', mu: { kind: 'fixed', value: 0.5 } },
  { name: 'fixed-0.8', mu: { kind: 'fixed', value: 0.8 } },
  { name: 'amft', mu: (s) => amftSchedule(s) },
];

function amftSchedule(s: Scale): MuSchedule {
  return { kind: 'amft', init: 0.8, metaLr: s.metaLr, entropyLr: s.entropyLr, min: 0.05, max: 0.95, every: s.every };
}

function armConfig(arm: Arm, s: Scale, seed: number, out: string, threads: number | undefined): AmftConfigInput {
  return {
    scenario: 'addition',
    out,
    sftLevels: [{ level: ID_LEVEL, weight: 0.5 }, { level: HARD_LEVEL, weight: 0.5 }],
    rlLevels: [{ level: HARD_LEVEL, weight: 1 }],
    valLevels: [{ level: HARD_LEVEL, weight: 1 }],
    policy: s.policy,
    steps: s.steps,
    warmup: s.warmup,
    mu: typeof arm.mu === 'function' ? arm.mu(s) : arm.mu,
    batchSize: s.batchSize,
    prompts: s.prompts,
    groupSize: s.groupSize,
    valBatch: s.valBatch,
    lr: s.lr,
    mixedLr: s.mixedLr,
    reward: 'score',
    seed,
    dataSeed: seed,
    checkpointEvery: Math.max(1, Math.floor(s.steps / 4)),
    resume: false,
    threads: threads ?? 1,
  };
}

/** Two-sided 95% t quantiles for 1…30 degrees of freedom (then the normal's). */
const T95 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042];

export interface MeanCi {
  readonly mean: number;
  readonly lo: number;
  readonly hi: number;
  readonly n: number;
}

/** Mean with a 95% t interval over independent values (a single value: the interval is the value). */
export function meanCi(xs: readonly number[]): MeanCi {
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { mean, lo: mean, hi: mean, n };
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
  const half = (T95[n - 2] ?? 1.96) * (sd / Math.sqrt(n));
  return { mean, lo: mean - half, hi: mean + half, n };
}

type Row = Record<string, number>;

interface RunResult {
  readonly arm: string;
  readonly seed: number;
  readonly acc: Record<number, number>;
  readonly rows: readonly Row[];
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
/** An accuracy with its interval clipped to [0, 1] (the t interval itself is not). */
const ci = (c: MeanCi) => `${pct(c.mean)} [${pct(Math.max(0, c.lo))}, ${pct(Math.min(1, c.hi))}]`;
const signed = (c: MeanCi) => `${c.mean >= 0 ? '+' : ''}${(100 * c.mean).toFixed(1)} pts [${(100 * c.lo).toFixed(1)}, ${(100 * c.hi).toFixed(1)}]`;

/** Per-step means over seeds of one metric, for one arm. */
function curve(results: readonly RunResult[], arm: string, key: string, label = arm): CurvePoint[] {
  const by = new Map<number, number[]>();
  for (const r of results.filter((x) => x.arm === arm)) for (const row of r.rows) if (typeof row[key] === 'number') by.set(row.step, [...(by.get(row.step) ?? []), row[key]]);
  return [...by].sort((a, b) => a[0] - b[0]).map(([x, ys]) => ({ x, y: ys.reduce((a, b) => a + b, 0) / ys.length, series: label }));
}

/** Means over a window of steps, to smooth the per-step training accuracy. */
function smooth(points: readonly CurvePoint[], window: number): CurvePoint[] {
  return points.map((p, i) => {
    const w = points.slice(Math.max(0, i - window + 1), i + 1);
    return { ...p, y: w.reduce((a, q) => a + q.y, 0) / w.length };
  });
}

export async function runAmftExperiment(o: ExperimentOptions): Promise<Record<string, unknown>> {
  const s = o.quick ? QUICK : FULL;
  if (o.seeds < 1) throw new RangeError('--seeds: at least 1');
  mkdirSync(o.out, { recursive: true });
  const seeds = Array.from({ length: o.seeds }, (_, i) => i + 1);
  const configs = Object.fromEntries(ARMS.map((a) => [a.name, AmftConfig.parse(armConfig(a, s, 1, join(o.out, 'runs', a.name, 'seed1'), o.threads))]));
  writeFileSync(join(o.out, 'config.json'), JSON.stringify({ experiment: 'amft', quick: o.quick, seeds, scale: s, evaluation: { levels: [ID_LEVEL, HARD_LEVEL], problems: s.problems, evalSeed: 7, decoding: 'greedy' }, arms: configs, note: 'seed k of an arm uses seed = dataSeed = k; out is runs/<arm>/seed<k>' }, null, 2) + '\n');

  const results: RunResult[] = [];
  for (const seed of seeds) {
    for (const arm of ARMS) {
      const out = join(o.out, 'runs', arm.name, `seed${seed}`);
      const started = Date.now();
      await runAmft(armConfig(arm, s, seed, out, o.threads));
      const reasoner = await openReasoner(out, { threads: o.threads ?? 1 });
      let acc: Record<number, number>;
      try {
        const report = await evaluateReasoner(reasoner, { levels: [ID_LEVEL, HARD_LEVEL], problems: s.problems, evalSeed: 7 });
        acc = Object.fromEntries(report.levels.map((l) => [l.level, l.pass1.rate]));
      } finally {
        await reasoner.dispose();
      }
      const rows = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Row);
      results.push({ arm: arm.name, seed, acc, rows });
      o.log(`amft experiment: ${arm.name} seed ${seed}: level ${ID_LEVEL} ${pct(acc[ID_LEVEL])}, level ${HARD_LEVEL} ${pct(acc[HARD_LEVEL])}, final μ ${rows[rows.length - 1].mu.toFixed(3)} (${((Date.now() - started) / 1000).toFixed(0)} s)`);
    }
  }

  const arms = ARMS.map((a) => {
    const rs = results.filter((r) => r.arm === a.name);
    const last = (r: RunResult) => r.rows[r.rows.length - 1];
    return {
      arm: a.name,
      id: meanCi(rs.map((r) => r.acc[ID_LEVEL])),
      hard: meanCi(rs.map((r) => r.acc[HARD_LEVEL])),
      perSeed: rs.map((r) => ({ seed: r.seed, id: r.acc[ID_LEVEL], hard: r.acc[HARD_LEVEL], finalMu: last(r).mu, finalEntropy: last(r).entropy })),
      finalMu: meanCi(rs.map((r) => last(r).mu)),
      finalEntropy: meanCi(rs.map((r) => last(r).entropy)),
    };
  });
  const paired = (x: string, y: string, level: number) => meanCi(seeds.map((sd) => (results.find((r) => r.arm === x && r.seed === sd) as RunResult).acc[level] - (results.find((r) => r.arm === y && r.seed === sd) as RunResult).acc[level]));
  const fixed = arms.filter((a) => a.arm.startsWith('fixed-'));
  const bestFixed = fixed.reduce((b, a) => (a.hard.mean > b.hard.mean ? a : b));
  const amftRuns = results.filter((r) => r.arm === 'amft');
  const mu0 = 0.8;
  const muDrop = meanCi(amftRuns.map((r) => r.rows[r.rows.length - 1].mu - mu0));
  // does μ fall while competence grows: correlation of μ with the training accuracy over the post-warm-up steps, per seed
  const corr = meanCi(amftRuns.map((r) => pearson(r.rows.filter((x) => x.step > s.warmup && typeof x.accuracy === 'number').map((x) => [x.mu, x.accuracy] as const))).filter(Number.isFinite));
  const vsBest = paired('amft', bestFixed.arm, HARD_LEVEL);
  const vsTwoStage = paired('amft', 'sft-then-rl', HARD_LEVEL);
  const claims = {
    muFalls: { claim: 'μ falls as competence grows', muFinalMinusInit: muDrop, muAccuracyCorrelation: corr, holds: muDrop.hi < 0 },
    matchesBestFixed: { claim: `AMFT matches the best fixed μ (here ${bestFixed.arm}, by level-${HARD_LEVEL} accuracy) without tuning`, amftMinusBest: vsBest, holds: vsBest.hi >= 0 && (seeds.length > 1 ? vsBest.lo > -0.05 : true) },
    beatsTwoStage: { claim: `AMFT beats SFT→RL at level ${HARD_LEVEL}`, amftMinusTwoStage: vsTwoStage, holds: vsTwoStage.lo > 0 },
  };

  // charts
  const muPoints = ARMS.flatMap((a) => curve(results, a.name, 'mu'));
  const hPoints = ARMS.flatMap((a) => curve(results, a.name, 'entropy'));
  const accPoints = ARMS.flatMap((a) => smooth(curve(results, a.name, 'accuracy'), Math.max(1, Math.round(s.steps / 20))));
  const bars: ReturnBar[] = arms.flatMap((a) => [
    { policy: `${a.arm} · level ${HARD_LEVEL}`, mean: a.hard.mean, lo: Math.max(0, a.hard.lo), hi: Math.min(1, a.hard.hi), group: `level ${HARD_LEVEL} (harder)` },
    { policy: `${a.arm} · level ${ID_LEVEL}`, mean: a.id.mean, lo: Math.max(0, a.id.lo), hi: Math.min(1, a.id.hi), group: `level ${ID_LEVEL} (in distribution)` },
  ]);
  const charts = {
    mu: 'mu.svg',
    entropy: 'entropy.svg',
    trainAccuracy: 'train-accuracy.svg',
    accuracy: 'accuracy.svg',
  };
  writeFileSync(join(o.out, charts.mu), await renderSvg(lineChart(`μ(t), mean over ${seeds.length} seeds`, muPoints, { x: 'step', y: 'μ (weight of L_SFT)' })));
  writeFileSync(join(o.out, charts.entropy), await renderSvg(lineChart('mean token entropy on the demonstrations (nats)', hPoints, { x: 'step', y: 'entropy' })));
  writeFileSync(join(o.out, charts.trainAccuracy), await renderSvg(lineChart(`training accuracy on level-${HARD_LEVEL} rollouts (moving mean)`, accPoints, { x: 'step', y: 'accuracy' })));
  const accSpec = returnsChart(`greedy pass@1, mean over seeds (95% t interval), ${s.problems} problems per level`, bars);
  writeFileSync(join(o.out, charts.accuracy), await renderSvg(accSpec));

  const summary = {
    experiment: 'amft',
    quick: o.quick,
    seeds: seeds.length,
    caveat: 'The AMFT paper was withdrawn from arXiv (possible academic misconduct under investigation) and its released code trains on placeholder rollouts: the directions checked here are unverified claims. The released controller ascends L_val; this one descends.',
    setting: { scenario: 'addition', sftLevels: '50% level 1, 50% level 2', rlLevels: 'level 2', validation: 'cross-entropy on held-out level-2 demonstrations', reward: 'partial credit', evalProblems: s.problems },
    arms,
    claims,
    charts,
  };
  writeFileSync(join(o.out, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
  writeFileSync(join(o.out, 'report.md'), report(summary, s, bestFixed.arm));
  return summary;
}

function pearson(pairs: readonly (readonly [number, number])[]): number {
  const n = pairs.length;
  if (n < 3) return NaN;
  const mx = pairs.reduce((a, p) => a + p[0], 0) / n;
  const my = pairs.reduce((a, p) => a + p[1], 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (const [x, y] of pairs) {
    sxy += (x - mx) * (y - my);
    sxx += (x - mx) ** 2;
    syy += (y - my) ** 2;
  }
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : NaN;
}

type Summary = {
  readonly quick: boolean;
  readonly seeds: number;
  readonly caveat: string;
  readonly arms: readonly { arm: string; id: MeanCi; hard: MeanCi; finalMu: MeanCi; finalEntropy: MeanCi }[];
  readonly claims: {
    readonly muFalls: { muFinalMinusInit: MeanCi; muAccuracyCorrelation: MeanCi; holds: boolean };
    readonly matchesBestFixed: { amftMinusBest: MeanCi; holds: boolean };
    readonly beatsTwoStage: { amftMinusTwoStage: MeanCi; holds: boolean };
  };
};

function report(sum: Summary, s: Scale, best: string): string {
  const c = sum.claims;
  const verdict = (h: boolean) => (h ? '**holds**' : '**not shown**');
  const lines = [
    `# AMFT: meta-learned SFT/RL balance on addition${sum.quick ? ' (quick run: too small to show any effect)' : ''}`,
    '',
    `> ${sum.caveat}`,
    '',
    `Setting: the token transformer (d_model ${s.policy.dModel}, ${s.policy.heads} heads, ${s.policy.layers} layers, context ${s.policy.seq}); ${s.steps} steps, the first ${s.warmup} SFT only (every arm);`,
    `demonstrations 50% level 1 / 50% level 2 (${s.batchSize} a step), RL on level 2 (${s.prompts} prompts × ${s.groupSize} samples, partial-credit reward, GRPO clipped surrogate, entropy bonus 0.01);`,
    `AdamW lr ${s.lr} in the warm-up, ${s.mixedLr} after, clip-norm 1. AMFT: μ0 0.8, meta step every ${s.every} steps with L_val = CE on held-out level-2 demonstrations (${s.valBatch} a meta step), η_meta·η = ${s.metaLr}·${s.mixedLr} (ours), η_H ${s.entropyLr}, μ ∈ [0.05, 0.95].`,
    `Evaluation: greedy pass@1 on the same ${s.problems} held-out problems per level for every run; mean over ${sum.seeds} seeds with a 95% t interval.`,
    '',
    `| arm | level 1 (in distribution) | level 2 (harder) | final μ | final entropy (nats) |`,
    '| --- | --- | --- | --- | --- |',
    ...sum.arms.map((a) => `| ${a.arm} | ${ci(a.id)} | ${ci(a.hard)} | ${a.finalMu.mean.toFixed(3)} | ${a.finalEntropy.mean.toFixed(3)} |`),
    '',
    '## The paper\'s directions (unverified paper)',
    '',
    `- μ falls as competence grows: ${verdict(c.muFalls.holds)}. Final μ − μ0 = ${c.muFalls.muFinalMinusInit.mean.toFixed(3)} [${c.muFalls.muFinalMinusInit.lo.toFixed(3)}, ${c.muFalls.muFinalMinusInit.hi.toFixed(3)}]; correlation of μ with the training accuracy after the warm-up ${Number.isFinite(c.muFalls.muAccuracyCorrelation.mean) ? c.muFalls.muAccuracyCorrelation.mean.toFixed(2) : 'n/a'} (mean over seeds).`,
    `- AMFT matches the best fixed μ (${best}) at level 2: ${verdict(c.matchesBestFixed.holds)}. Paired difference AMFT − ${best}: ${signed(c.matchesBestFixed.amftMinusBest)} (holds when the interval reaches 0 and its lower end is above −5 pts).`,
    `- AMFT beats SFT→RL at level 2: ${verdict(c.beatsTwoStage.holds)}. Paired difference: ${signed(c.beatsTwoStage.amftMinusTwoStage)} (holds when the interval is above 0).`,
    '',
    'Charts: `mu.svg` (μ(t)), `entropy.svg`, `train-accuracy.svg`, `accuracy.svg`. Runs: `runs/<arm>/seed<k>/` (each a reasoner run directory: `reverie eval` reads it). Exact configs: `config.json`.',
    '',
  ];
  return lines.join('\n');
}

export const amftExperiment: Experiment = {
  describe: 'AMFT (withdrawn paper): meta-learned SFT/RL weight μ vs SFT→RL and fixed μ on addition',
  defaultSeeds: 3,
  run: runAmftExperiment,
};
