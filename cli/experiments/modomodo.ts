/**
 * `reverie experiment modomodo`: MoDoMoDo's mixture search (learners/methods/modomodo.ts) on the
 * reasoning task families. Five training domains — addition (1–2 digits), digit sums (2–4 digits),
 * digit sums (5–7 digits), sorting (2–3 numbers), countdown (3 numbers) — where the third is a
 * second difficulty band of digit sums: there are four families, so the fifth domain is a band.
 * Held-out tasks (the paper's Out-Score): harder bands that no RL mixture trains on — addition
 * with 3 digits, digit sums of 8–9 digits, sorting 4 numbers; Out-Score = their mean greedy
 * accuracy. As the paper's base model had met its Out benchmarks' kind of data in pre-training
 * but not in RL, the SFT stage here sees demonstrations of every set (the five domains and the
 * three held-out bands, equal shares); RL never does. (A tiny model that never saw a 3-digit sum
 * scores 0 on it whatever the mixture, which would leave nothing to fit.)
 *
 * Per seed: SFT as above (one init shared by every mixture of that seed), then GRPO on each of the
 * 11 pilot mixtures for the same budget. Every
 * (pilot, seed) gives one point (w, Out-Score on the *fit* problems); the linear and quadratic
 * surrogates are compared by 5 random 80/20 splits (held-out R²); the quadratic one's best split
 * proposes a mixture (Algorithm 4: Gaussian candidates), which is trained with every seed and
 * compared with uniform on fresh *test* problems (another evaluation seed), so the comparison is
 * not scored on the problems the mixture was chosen on. Whatever the numbers say is reported.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type * as vl from 'vega-lite';
import { ModomodoConfig, crossValidate, pilotMixtures, predict, proposeMixture, type CrossValidation, type Mixture } from '../../learners/methods/modomodo.js';
import { evaluateRun, grpoOnMixture, mixedSftSource, type Domain, type SetScore } from '../../learners/methods/modomodo/train.js';
import { runSft } from '../../learners/reasoning/sft.js';
import { loadReasoningScenario } from '../../scenarios/reasoning/index.js';
import type { Experiment, ExperimentOptions } from './index.js';
import { fmtInterval, markdownTable, seedInterval, writeChart, type SeedInterval, pickScale, type GrpoScale, type ScaleName } from './reasoning-kit.js';

/** Demonstrations without slips, checks or backtracks: short sequences, so a small context holds every band. */
const CLEAN = { mistakeRate: 0, checkRate: 0, backtrackRate: 0, slipRate: 0 };

/** Each family's levels in the experiment's scenario files (training bands first, then the held-out band). */
const FAMILIES = {
  addition: [{ digits: { min: 1, max: 2 } }, { digits: { min: 3, max: 3 } }],
  'digit-sum': [{ digits: { min: 2, max: 4 } }, { digits: { min: 5, max: 7 } }, { digits: { min: 8, max: 9 } }],
  sort: [{ length: { min: 2, max: 3 }, values: { min: 0, max: 99 } }, { length: { min: 4, max: 4 }, values: { min: 0, max: 99 } }],
  // the built-in level 1 with a search budget of 4 segments (the built-in 12 makes a few traces 120 tokens long)
  countdown: [{ numbers: 3, values: { min: 1, max: 10 }, target: { min: 10, max: 60 }, minSteps: 1, searchBudget: 4 }],
} as const;
type Family = keyof typeof FAMILIES;

const DOMAINS: readonly { name: string; family: Family; level: number }[] = [
  { name: 'addition', family: 'addition', level: 1 },
  { name: 'digit-sum', family: 'digit-sum', level: 1 },
  { name: 'digit-sum-long', family: 'digit-sum', level: 2 },
  { name: 'sort', family: 'sort', level: 1 },
  { name: 'countdown', family: 'countdown', level: 1 },
];
const HELD_OUT: readonly { name: string; family: Family; level: number }[] = [
  { name: 'addition-3digit', family: 'addition', level: 2 },
  { name: 'digit-sum-8to9', family: 'digit-sum', level: 3 },
  { name: 'sort-4', family: 'sort', level: 2 },
];
/** Evaluation seeds: the surrogate is fitted on the first problems, the final comparison uses the second. */
const FIT_EVAL_SEED = 101;
const TEST_EVAL_SEED = 202;

interface Scale extends GrpoScale {
  readonly candidates: number;
}

/**
 * Sizes (see `pickScale`). GRPO (ours, not the paper's): 64 prompts × 6 samples per AdamW step at
 * lr 1e-4. With 16 prompts per step at lr 1e-3 (the first full run) every mixture fell below its
 * SFT init: a step carried ~6 informative groups, Adam moved each weight by ~lr whatever the
 * signal, and the greedy answers drifted (seed 1, uniform: In 0.415 → 0.266, Out 0.263 → 0.105)
 * while the sampled accuracy did not move; at 64 prompts and 1e-4 the same seed holds (0.411, 0.272).
 */
const SCALES: Record<ScaleName, Scale> = {
  full: { policy: { dModel: 64, heads: 4, layers: 2, seq: 72 }, sft: { steps: 1500, batchSize: 32, lr: 3e-3 }, grpo: { iterations: 30, prompts: 64, groupSize: 6, lr: 1e-4, klCoef: 0.04 }, evalProblems: 200, candidates: 20_000 },
  quick: { policy: { dModel: 32, heads: 2, layers: 2, seq: 72 }, sft: { steps: 300, batchSize: 16, lr: 3e-3 }, grpo: { iterations: 8, prompts: 32, groupSize: 4, lr: 1e-4, klCoef: 0.04 }, evalProblems: 30, candidates: 5000 },
  tiny: { policy: { dModel: 16, heads: 2, layers: 1, seq: 72 }, sft: { steps: 10, batchSize: 8, lr: 3e-3 }, grpo: { iterations: 1, prompts: 4, groupSize: 2, lr: 1e-4, klCoef: 0.04 }, evalProblems: 3, candidates: 500 },
};

/** Writes one scenario file per family (the experiment's bands, clean demonstrations); returns family → absolute path. */
function writeScenarios(dir: string): Record<Family, string> {
  mkdirSync(dir, { recursive: true });
  const out = {} as Record<Family, string>;
  for (const [family, difficulty] of Object.entries(FAMILIES) as [Family, (typeof FAMILIES)[Family]][]) {
    const base = loadReasoningScenario(family);
    const id = `${family}-modomodo`;
    const path = resolve(join(dir, `${id}.json`));
    writeFileSync(path, JSON.stringify({ ...base, id, version: '1.0.0', title: `${base.title} (modomodo bands)`, description: `${base.description} Bands for reverie experiment modomodo.`, difficulty, reasoner: { ...base.reasoner, ...CLEAN } }, null, 2) + '\n');
    out[family] = path;
  }
  return out;
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** In-Score (mean accuracy over the training domains) and Out-Score (mean over the held-out sets) of one evaluation. */
function scoresOf(s: readonly SetScore[]): { in: number; out: number; sets: Record<string, number> } {
  const by = Object.fromEntries(s.map((x) => [x.name, x.accuracy]));
  return { in: mean(DOMAINS.map((d) => by[d.name])), out: mean(HELD_OUT.map((d) => by[d.name])), sets: by };
}

interface Evaluated {
  readonly fit: ReturnType<typeof scoresOf>;
  readonly test: ReturnType<typeof scoresOf>;
}

function surrogateSummary(cv: CrossValidation) {
  return { meanR2: cv.meanR2, splitR2: cv.splits.map((s) => s.r2), bestCoef: cv.best.coef, allCoef: cv.all.coef };
}

async function run(o: ExperimentOptions): Promise<Record<string, unknown>> {
  const { name: scaleName, scale } = pickScale(SCALES, o.quick);
  const threads = o.threads ?? 1;
  mkdirSync(o.out, { recursive: true });
  const paths = writeScenarios(join(o.out, 'scenarios'));
  const domains: Domain[] = DOMAINS.map((d) => ({ name: d.name, scenario: paths[d.family], level: d.level }));
  const heldOut: Domain[] = HELD_OUT.map((d) => ({ name: d.name, scenario: paths[d.family], level: d.level }));
  const sets = [...domains, ...heldOut];
  const names = domains.map((d) => d.name);
  const pilots = pilotMixtures(names);
  const uniform = pilots[pilots.length - 1].weights;
  const search = ModomodoConfig.parse({ candidates: scale.candidates, seed: 1 });
  const sftBase = { scenario: domains[0].scenario, policy: scale.policy, ...scale.sft, schedule: 'cosine' as const, warmup: Math.min(50, Math.floor(scale.sft.steps / 10)), threads, logEvery: 50, resume: false };
  const grpoBase = { domains, ...scale.grpo, threads };
  const evals = { sets, problems: scale.evalProblems, seeds: [FIT_EVAL_SEED, TEST_EVAL_SEED] };
  writeFileSync(join(o.out, 'config.json'), JSON.stringify({
    experiment: 'modomodo', scale: scaleName, seeds: o.seeds, scenarios: paths, domains, heldOut, pilots, sft: { ...sftBase, data: 'uniform over the domains and the held-out sets (mixedSftSource)' }, grpo: grpoBase, search,
    evaluation: { problems: scale.evalProblems, decoding: 'greedy', fitEvalSeed: FIT_EVAL_SEED, testEvalSeed: TEST_EVAL_SEED, outScore: 'mean accuracy over heldOut', inScore: 'mean accuracy over domains' },
  }, null, 2) + '\n');

  const sftDirs: string[] = [];
  const base: Evaluated[] = [];
  // pilotRuns[pilot][seed]
  const pilotRuns: Evaluated[][] = pilots.map(() => []);
  for (let seed = 1; seed <= o.seeds; seed++) {
    const root = join(o.out, 'runs', `seed-${seed}`);
    o.log(`modomodo: seed ${seed}/${o.seeds}: SFT on every set's demonstrations (${scale.sft.steps} steps)`);
    const sft = await runSft({ ...sftBase, out: join(root, 'sft'), seed, dataSeed: seed }, { source: mixedSftSource(sets, sets.map(() => 1 / sets.length), scale.policy.seq, seed) });
    sftDirs.push(sft.out);
    base.push({ fit: scoresOf(await evaluateRun(sft.out, sets, scale.evalProblems, FIT_EVAL_SEED, threads)), test: scoresOf(await evaluateRun(sft.out, sets, scale.evalProblems, TEST_EVAL_SEED, threads)) });
    for (const [i, p] of pilots.entries()) {
      const r = await grpoOnMixture({ ...grpoBase, init: sft.out, weights: [...p.weights], seed, dataSeed: seed }, evals);
      const e = { fit: scoresOf(r.scores[0]), test: scoresOf(r.scores[1]) };
      pilotRuns[i].push(e);
      o.log(`modomodo: seed ${seed}: pilot ${i + 1}/${pilots.length} '${p.name}': Out ${e.fit.out.toFixed(3)} In ${e.fit.in.toFixed(3)} (${r.seconds.toFixed(0)} s)`);
    }
  }

  // the surrogates, on every (pilot, seed) point's fit Out-Score
  const ws: Mixture[] = pilots.flatMap((p) => pilotRuns[0].map(() => p.weights));
  const ys = pilots.flatMap((_, i) => pilotRuns[i].map((e) => e.fit.out));
  const linear = crossValidate(ws, ys, 'linear', search);
  const quadratic = crossValidate(ws, ys, 'quadratic', search);
  const proposal = proposeMixture(quadratic.best, pilots.map((p) => p.weights), search);
  o.log(`modomodo: CV R² linear ${linear.meanR2.toFixed(3)}, quadratic ${quadratic.meanR2.toFixed(3)}; proposed [${proposal.weights.map((x) => x.toFixed(2)).join(', ')}]`);

  const proposed: Evaluated[] = [];
  for (let seed = 1; seed <= o.seeds; seed++) {
    const r = await grpoOnMixture({ ...grpoBase, init: sftDirs[seed - 1], weights: [...proposal.weights], seed, dataSeed: seed }, evals);
    proposed.push({ fit: scoresOf(r.scores[0]), test: scoresOf(r.scores[1]) });
    o.log(`modomodo: seed ${seed}: proposed mixture: test Out ${proposed[seed - 1].test.out.toFixed(3)}`);
  }
  const uniformRuns = pilotRuns[pilots.length - 1];
  const iv = (xs: readonly Evaluated[], f: (e: Evaluated) => number) => seedInterval(xs.map(f));
  const comparison = {
    uniform: { outTest: iv(uniformRuns, (e) => e.test.out), inTest: iv(uniformRuns, (e) => e.test.in) },
    proposed: { outTest: iv(proposed, (e) => e.test.out), inTest: iv(proposed, (e) => e.test.in) },
    base: { outTest: iv(base, (e) => e.test.out), inTest: iv(base, (e) => e.test.in) },
    proposedMinusUniformOut: seedInterval(proposed.map((e, s) => e.test.out - uniformRuns[s].test.out)),
    proposedMinusUniformIn: seedInterval(proposed.map((e, s) => e.test.in - uniformRuns[s].test.in)),
    uniformMinusBaseOut: seedInterval(uniformRuns.map((e, s) => e.test.out - base[s].test.out)),
  };
  const holds = {
    quadraticR2BeatsLinear: quadratic.meanR2 > linear.meanR2,
    proposedBeatsUniformOnHeldOut: comparison.proposedMinusUniformOut.mean > 0,
    proposedBeatsUniformCiAboveZero: o.seeds > 1 && comparison.proposedMinusUniformOut.lo > 0,
    uniformBeatsBase: comparison.uniformMinusBaseOut.mean > 0,
  };
  const pilotTable = pilots.map((p, i) => ({ name: p.name, kind: p.kind, weights: p.weights, outFit: iv(pilotRuns[i], (e) => e.fit.out), inFit: iv(pilotRuns[i], (e) => e.fit.in), outTest: iv(pilotRuns[i], (e) => e.test.out), predictedLinear: predict(linear.all, p.weights), predictedQuadratic: predict(quadratic.all, p.weights) }));
  const perSet = (xs: readonly Evaluated[]) => Object.fromEntries(sets.map((s) => [s.name, seedInterval(xs.map((e) => e.test.sets[s.name]))]));
  const setScores = { base: perSet(base), uniform: perSet(uniformRuns), proposed: perSet(proposed) };

  const charts = [
    await writeChart(o.out, 'pilots.svg', barChart('Out-Score (held-out accuracy, fit problems) per pilot mixture, mean and 95% CI over seeds', pilotTable.map((p) => ({ label: p.name, group: p.kind, ...p.outFit })))),
    await writeChart(o.out, 'surrogate-fit.svg', fitChart(pilots.flatMap((p, i) => pilotRuns[i].map((e) => ({ observed: e.fit.out, linear: predict(linear.all, p.weights), quadratic: predict(quadratic.all, p.weights) }))))),
    await writeChart(o.out, 'proposed-vs-uniform.svg', barChart('held-out (Out) and training-domain (In) accuracy on test problems', [
      { label: 'base (SFT) Out', group: 'base', ...comparison.base.outTest }, { label: 'uniform Out', group: 'uniform', ...comparison.uniform.outTest }, { label: 'proposed Out', group: 'proposed', ...comparison.proposed.outTest },
      { label: 'base (SFT) In', group: 'base', ...comparison.base.inTest }, { label: 'uniform In', group: 'uniform', ...comparison.uniform.inTest }, { label: 'proposed In', group: 'proposed', ...comparison.proposed.inTest },
    ])),
    await writeChart(o.out, 'proposed-weights.svg', barChart('the proposed mixture', names.map((n, i) => ({ label: n, group: 'weight', mean: proposal.weights[i], lo: proposal.weights[i], hi: proposal.weights[i], n: 1 })))),
  ];

  const w = (m: Mixture) => `[${m.map((x) => x.toFixed(2)).join(', ')}]`;
  const line = (label: string, x: SeedInterval) => `- ${label}: ${fmtInterval(x)}`;
  const md = [
    '# MoDoMoDo experiment (mixtures of reasoning task families)',
    '',
    `Scale **${scaleName}**, ${o.seeds} seed(s); ${scale.evalProblems} greedy evaluation problems per set and seed. Domains (w order): ${names.join(', ')} — the fifth, digit-sum-long, is a second band (5–7 digits) of digit sums, as there are four families. Held-out tasks (Out-Score = mean accuracy): ${heldOut.map((h) => h.name).join(', ')}. Per seed: SFT on demonstrations of every set, domains and held-out bands in equal shares (${scale.sft.steps} steps; RL never sees the held-out bands), then GRPO on each mixture (${scale.grpo.iterations} iterations × ${scale.grpo.prompts} prompts × ${scale.grpo.groupSize} samples, β = ${scale.grpo.klCoef}). Intervals are 95% Student-t over seeds (none with one seed). The surrogates are fitted on the fit problems (eval seed ${FIT_EVAL_SEED}); the final comparison uses other problems (eval seed ${TEST_EVAL_SEED}).`,
    '',
    '## Pilot mixtures',
    '',
    markdownTable(['mixture', 'kind', 'w', 'Out (fit)', 'In (fit)', 'Out (test)', 'linear fit', 'quadratic fit'], pilotTable.map((p) => [p.name, p.kind, w(p.weights), fmtInterval(p.outFit), fmtInterval(p.inFit), fmtInterval(p.outTest), p.predictedLinear.toFixed(3), p.predictedQuadratic.toFixed(3)])),
    '',
    '## Surrogates (held-out R² over 5 random 80/20 splits of the (pilot, seed) points)',
    '',
    markdownTable(['surrogate', 'parameters', 'mean held-out R²', 'R² per split'], [linear, quadratic].map((cv) => [cv.kind, String(cv.all.coef.length), Number.isFinite(cv.meanR2) ? cv.meanR2.toFixed(3) : 'n/a', cv.splits.map((s) => (Number.isFinite(s.r2) ? s.r2.toFixed(2) : 'n/a')).join(', ')])),
    '',
    `Proposed mixture (quadratic surrogate of the best split, ${proposal.candidates} Gaussian candidates as Algorithm 4): **${w(proposal.weights)}**, predicted Out ${proposal.predicted.toFixed(3)} (the uniform mixture's prediction: ${predict(quadratic.best, uniform).toFixed(3)}).`,
    '',
    '## Proposed vs uniform (test problems)',
    '',
    markdownTable(['policy', 'Out (held-out)', 'In (training domains)', ...sets.map((s) => s.name)], (['base', 'uniform', 'proposed'] as const).map((k) => [k === 'base' ? 'base (SFT)' : k, fmtInterval(comparison[k].outTest), fmtInterval(comparison[k].inTest), ...sets.map((s) => fmtInterval(setScores[k][s.name], 2))])),
    '',
    line('proposed − uniform, Out (paired over seeds)', comparison.proposedMinusUniformOut),
    line('proposed − uniform, In', comparison.proposedMinusUniformIn),
    line('uniform − base, Out', comparison.uniformMinusBaseOut),
    '',
    `Holds (means): quadratic R² > linear R²: **${holds.quadraticR2BeatsLinear}**; proposed > uniform on held-out tasks: **${holds.proposedBeatsUniformOnHeldOut}** (interval above 0: ${holds.proposedBeatsUniformCiAboveZero}); uniform > base: **${holds.uniformBeatsBase}**.`,
    ...(holds.uniformBeatsBase ? [] : ['', 'Note: the GRPO stage left the uniform mixture below its SFT init on the held-out tasks, so the mixtures are compared among policies that RL made worse there.']),
    ...(quadratic.meanR2 < 0 || linear.meanR2 < 0 ? ['', 'Note: a negative held-out R² means the surrogate predicts held-out points worse than their mean does.'] : []),
    '',
    ...charts.map((c) => `![${c}](${c})`),
    '',
  ].join('\n');
  writeFileSync(join(o.out, 'report.md'), md);
  const summary = {
    experiment: 'modomodo', scale: scaleName, seeds: o.seeds, domains: names, heldOut: heldOut.map((h) => h.name), pilots: pilotTable,
    surrogates: { linear: surrogateSummary(linear), quadratic: surrogateSummary(quadratic), points: ys.length },
    proposal, comparison, setScores, holds, charts, report: 'report.md',
  };
  writeFileSync(join(o.out, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
  return summary;
}

/** Horizontal bars with 95% CI whiskers, in the given order. */
function barChart(title: string, bars: readonly { label: string; group: string; mean: number; lo: number; hi: number }[]): vl.TopLevelSpec {
  const y = { field: 'label', type: 'nominal' as const, sort: bars.map((b) => b.label), title: null };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title,
    width: 420,
    background: 'white',
    data: { values: bars.map((b) => ({ ...b })) },
    layer: [
      { mark: 'bar', encoding: { y, x: { field: 'mean', type: 'quantitative', title: 'mean' }, color: { field: 'group', type: 'nominal', title: null } } },
      { mark: { type: 'rule', color: 'black' }, encoding: { y, x: { field: 'lo', type: 'quantitative' }, x2: { field: 'hi' } } },
    ],
  };
}

/** Observed Out-Score against each surrogate's in-sample prediction, with the diagonal. */
function fitChart(points: readonly { observed: number; linear: number; quadratic: number }[]): vl.TopLevelSpec {
  const values = points.flatMap((p) => [{ observed: p.observed, predicted: p.linear, surrogate: 'linear' }, { observed: p.observed, predicted: p.quadratic, surrogate: 'quadratic' }]);
  const lo = Math.min(...values.flatMap((v) => [v.observed, v.predicted]));
  const hi = Math.max(...values.flatMap((v) => [v.observed, v.predicted]));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: 'surrogate fits (all points) vs observed Out-Score',
    width: 320,
    height: 320,
    background: 'white',
    layer: [
      { data: { values: [{ x: lo, y: lo }, { x: hi, y: hi }] }, mark: { type: 'line', color: 'gray', strokeDash: [4, 4] }, encoding: { x: { field: 'x', type: 'quantitative', title: 'observed' }, y: { field: 'y', type: 'quantitative', title: 'predicted' } } },
      { data: { values }, mark: { type: 'point', filled: true }, encoding: { x: { field: 'observed', type: 'quantitative' }, y: { field: 'predicted', type: 'quantitative' }, color: { field: 'surrogate', type: 'nominal', title: null } } },
    ],
  };
}

export const modomodoExperiment: Experiment = {
  describe: 'MoDoMoDo: 11 pilot mixtures of task families, linear vs quadratic surrogate (CV R²), the proposed mixture vs uniform on held-out tasks',
  defaultSeeds: 3,
  run,
};
