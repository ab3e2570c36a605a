import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import { runEpisodes } from '../actors/run.js';
import { generateDataset } from '../environments/dataset/generate.js';
import { makeEncoder } from '../environments/encoding/index.js';
import { evaluatePolicy } from '../environments/evaluate.js';
import { loadTransitions } from '../environments/offline/load.js';
import type { Summary } from '../environments/stats.js';
import { METRICS_FILE, type MetricsRow } from '../learners/algorithms/index.js';
import { POLICY_MODULE_URL, loadPolicy } from '../learners/policies/index.js';
import { deriveSeed } from '../scenarios/random.js';
import { CliError, EXIT_USAGE, Output, fmt, intOption, parseOptions, progress } from './common.js';
import { lineChart, renderSvg, returnsChart, type CurvePoint } from './report/charts.js';
import { dialogueMarkdown, resultsTable, type ResultRow } from './report/markdown.js';
import { DEFAULT_WORKERS, checkPolicyArg, loadScenario } from './shared.js';
import { runTrain, type TrainCommandResult } from './train.js';

/**
 * The imagined conversations the demo learns from: half random agents, half a heuristic agent
 * that acts at random half the time. Diverse (every act gets tried in many states) and
 * suboptimal (neither behaviour is good); the heuristic itself is not in the data.
 */
export const DEMO_BEHAVIOUR = 'mix:random=1,epsilon-heuristic:0.5=1';

const Options = z.object({
  scenario: z.string().min(1),
  out: z.string().min(1).optional(),
  behaviour: z.string().min(1),
  episodes: intOption('the number of imagined conversations to train on', 10, 10_000_000),
  steps: intOption('the number of gradient steps per algorithm', 1, 100_000_000),
  evalEpisodes: intOption('the number of evaluation episodes per policy', 10, 100_000_000),
  seed: intOption('the data seed', 0, 0xffffffff),
  evalSeed: intOption('the evaluation seed', 0, 0xffffffff),
  encoder: z.enum(['structured', 'text']),
  workers: intOption('the number of worker threads', 1, 1024),
  bcConfig: z.string().optional(),
  ilqlConfig: z.string().optional(),
  json: z.boolean().default(false),
});

function jsonObject(flag: string, text: string | undefined): Record<string, unknown> {
  if (!text) return {};
  try {
    const v = JSON.parse(text) as unknown;
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new CliError(`${flag}: expected a JSON object of config fields, e.g. '{"beta": 8}'`, EXIT_USAGE);
}

/** The behaviour policies a `mix:` policy draws from (or the policy itself). */
export function behaviourComponents(policy: string): string[] {
  if (!policy.startsWith('mix:')) return [policy];
  return policy.slice(4).split(',').map((p) => p.trim()).filter(Boolean).map((p) => (p.lastIndexOf('=') > 0 ? p.slice(0, p.lastIndexOf('=')) : p));
}

/** Whether a's 95% interval lies wholly above b's. */
export function clearlyAbove(a: Summary, b: Summary): boolean {
  return a.returnCI95[0] > b.returnCI95[1];
}

function readMetrics(dir: string): MetricsRow[] {
  return readFileSync(join(dir, METRICS_FILE), 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as MetricsRow);
}

function curves(runs: Readonly<Record<string, MetricsRow[]>>, keys: readonly string[], label: (run: string, key: string) => string): CurvePoint[] {
  const out: CurvePoint[] = [];
  for (const [run, rows] of Object.entries(runs)) {
    for (const k of keys) for (const r of rows) if (typeof r[k] === 'number') out.push({ x: r.step, y: r[k], series: label(run, k) });
  }
  return out;
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('the main job in one command: imagine conversations, train BC and ILQL on them, evaluate against the behaviours and the oracle, write a report')
    .option('-s, --scenario <id|file>', 'built-in scenario id or a .yaml/.json scenario file', 'travel-agent')
    .option('-o, --out <dir>', 'report directory (default reports/demo-<scenario id>; overwritten)')
    .option('-b, --behaviour <policy>', 'behaviour policy that imagines the training conversations', DEMO_BEHAVIOUR)
    .option('-n, --episodes <n>', 'imagined conversations to train on', '4000')
    .option('--steps <n>', 'gradient steps per algorithm', '3000')
    .option('-e, --eval-episodes <n>', 'evaluation episodes per policy (same seeds for all)', '2000')
    .option('--seed <s>', 'seed of the imagined conversations', '1')
    .option('--eval-seed <s>', 'seed of the evaluation episodes (held out: different from --seed)', '1000')
    .option('--encoder <kind>', 'observation encoder: structured or text', 'structured')
    .option('-w, --workers <w>', 'worker threads', String(DEFAULT_WORKERS))
    .option('--bc-config <json>', 'BC config fields as JSON (learners/algorithms/bc.config.ts)')
    .option('--ilql-config <json>', 'ILQL config fields as JSON (learners/algorithms/ilql.config.ts)')
    .option('--json', 'print one JSON object on stdout (human text goes to stderr)')
    .addHelpText('after', '\nExamples:\n  $ reverie demo                                   # travel-agent, a few minutes on 2 cores\n  $ reverie demo --scenario teacher --json\n  $ reverie demo --scenario my-scenario.yaml --episodes 2000 --steps 1500')
    .action(async (raw: Record<string, unknown>) => {
      const o = parseOptions(Options, raw);
      const out = new Output(o.json);
      const { result, human } = await runDemo({ ...o, bcConfig: jsonObject('--bc-config', o.bcConfig), ilqlConfig: jsonObject('--ilql-config', o.ilqlConfig) }, out);
      out.result(result, human);
    });
}

export interface DemoOptions {
  readonly scenario: string;
  readonly out?: string;
  readonly behaviour: string;
  readonly episodes: number;
  readonly steps: number;
  readonly evalEpisodes: number;
  readonly seed: number;
  readonly evalSeed: number;
  readonly encoder: 'structured' | 'text';
  readonly workers: number;
  readonly bcConfig: Record<string, unknown>;
  readonly ilqlConfig: Record<string, unknown>;
}

/** The demo's work; returns what summary.json holds and the text summary. */
export async function runDemo(o: DemoOptions, out: Output): Promise<{ result: Record<string, unknown>; human: string }> {
  if (o.seed === o.evalSeed) throw new CliError('--eval-seed must differ from --seed: the evaluation episodes are held out from the training conversations', EXIT_USAGE);
  const t0 = performance.now();
  const { scenario, ctx } = loadScenario(o.scenario);
  const dir = o.out ?? join('reports', `demo-${scenario.id}`);
  const dataDir = join(dir, 'data');
  const runsDir = join(dir, 'runs');
  mkdirSync(join(dir, 'charts'), { recursive: true });
  await checkPolicyArg(o.behaviour, ctx);
  const seconds: Record<string, number> = {};
  const lap = (k: string, since: number) => (seconds[k] = (performance.now() - since) / 1000);

  // 1. Imagine conversations with suboptimal behaviours.
  out.note(`demo: ${scenario.id} ${scenario.version}: imagining ${o.episodes} conversations with ${o.behaviour} → ${dataDir}`);
  let t = performance.now();
  const gbar = progress('imagine');
  let gen;
  try {
    gen = await generateDataset({ scenario, policy: o.behaviour, episodes: o.episodes, seed: o.seed, out: dataDir, mode: 'force', workers: o.workers, onProgress: (d, n) => gbar.update(d, n) });
  } finally {
    gbar.stop();
  }
  lap('generate', t);

  // 2. Train BC and ILQL on the same transitions.
  t = performance.now();
  const encoder = makeEncoder(o.encoder, ctx);
  const transitions = await loadTransitions(dataDir, encoder, ctx);
  lap('load', t);
  const trained: Record<string, TrainCommandResult> = {};
  for (const [algo, config] of [['bc', o.bcConfig], ['ilql', o.ilqlConfig]] as const) {
    t = performance.now();
    out.note(`demo: training ${algo} (${o.steps} steps on ${transitions.count} transitions)`);
    trained[algo] = await runTrain({
      algo, data: dataDir, out: join(runsDir, algo), scenario: o.scenario, steps: o.steps, config, encoder: o.encoder, device: 'cpu', seed: o.seed,
      logEvery: Math.max(1, Math.round(o.steps / 60)), checkpointEvery: o.steps, resume: false, force: true, allowPartial: false, transitions,
    }, out);
    lap(`train_${algo}`, t);
  }

  // 3. Evaluate everything on the same held-out seeds.
  const bcDir = join(runsDir, 'bc');
  const ilqlDir = join(runsDir, 'ilql');
  const components = behaviourComponents(o.behaviour);
  const plan: { label: string; policy: string; role: ResultRow['role'] }[] = [
    { label: 'ILQL', policy: ilqlDir, role: 'trained' },
    { label: 'BC (greedy)', policy: bcDir, role: 'trained' },
    { label: 'BC (sampled)', policy: `${bcDir}#sample`, role: 'trained' },
    ...(components.length > 1 ? [{ label: `data mixture (${o.behaviour})`, policy: o.behaviour, role: 'behaviour' as const }] : []),
    ...components.map((c) => ({ label: c, policy: c, role: 'behaviour' as const })),
    ...(components.includes('heuristic') ? [] : [{ label: 'heuristic (not in the data)', policy: 'heuristic', role: 'reference' as const }]),
    { label: 'oracle (sees the hidden persona)', policy: 'oracle', role: 'reference' },
  ];
  t = performance.now();
  const summaries = new Map<string, Summary>();
  for (const p of plan) {
    const bar = progress(`eval ${p.label}`);
    try {
      const r = await evaluatePolicy({
        scenario, policy: p.policy, episodes: o.evalEpisodes, seed: o.evalSeed, workers: o.workers,
        ...(p.role === 'trained' ? { policyModule: POLICY_MODULE_URL } : {}),
        onProgress: (d, n) => bar.update(d, n),
      });
      summaries.set(p.label, r.summary);
    } finally {
      bar.stop();
    }
  }
  lap('evaluate', t);
  const oracle = summaries.get(plan[plan.length - 1].label) as Summary;
  const ofOracle = (s: Summary) => (oracle.meanReturn > 0 ? (100 * s.meanReturn) / oracle.meanReturn : null);
  const rows: ResultRow[] = plan.map((p) => ({ ...p, summary: summaries.get(p.label) as Summary, percentOfOracle: ofOracle(summaries.get(p.label) as Summary) }));

  // 4. What must hold: ILQL above BC and above the best behaviour of the data, 95% CIs apart.
  const ilql = summaries.get('ILQL') as Summary;
  const behaviours = rows.filter((r) => r.role === 'behaviour');
  const best = behaviours.reduce((a, b) => (b.summary.meanReturn > a.summary.meanReturn ? b : a));
  const check = (other: string, s: Summary) => ({ against: other, pass: clearlyAbove(ilql, s), ilql: ilql.returnCI95, other: s.returnCI95 });
  const checks = {
    ilqlAboveBcSampled: check('BC (sampled)', summaries.get('BC (sampled)') as Summary),
    ilqlAboveBcGreedy: check('BC (greedy)', summaries.get('BC (greedy)') as Summary),
    ilqlAboveBestBehaviour: check(best.label, best.summary),
  };

  // 5. The report: charts, sample dialogues, README.md, summary.json.
  const metrics = { bc: readMetrics(bcDir), ilql: readMetrics(ilqlDir) };
  const charts: Record<string, string> = {
    'returns.svg': await renderSvg(returnsChart(`${scenario.id}: mean return on ${o.evalEpisodes} held-out episodes`, rows.map((r) => ({ policy: r.label, mean: r.summary.meanReturn, lo: r.summary.returnCI95[0], hi: r.summary.returnCI95[1], group: r.role })))),
    'policy-loss.svg': await renderSvg(lineChart('behaviour-cloning loss (−log π(a|s) on the data)', curves(metrics, ['loss_pi'], (run) => (run === 'bc' ? 'BC' : 'ILQL π_BC head')), { x: 'step', y: 'cross-entropy' })),
    'ilql-losses.svg': await renderSvg(lineChart('ILQL losses', curves({ ilql: metrics.ilql }, ['loss_q', 'loss_v', 'loss_cql'], (_, k) => k), { x: 'step', y: 'loss' })),
    'ilql-values.svg': await renderSvg(lineChart('ILQL values on the data (mean over the batch)', curves({ ilql: metrics.ilql }, ['q_mean', 'q_target_mean', 'v_mean', 'td_target_mean'], (_, k) => k), { x: 'step', y: 'value' })),
  };
  for (const [name, svg] of Object.entries(charts)) writeFileSync(join(dir, 'charts', name), svg);

  const policy = await loadPolicy(ilqlDir, ctx);
  let dialogues: string;
  try {
    const specs = [0, 1, 2].map((i) => ({ index: i, seed: deriveSeed(o.evalSeed, i), id: `demo-${i}` }));
    const eps = await runEpisodes(ctx, policy, specs, { concurrency: 3 });
    dialogues = [`# Sample dialogues of the ILQL agent on ${scenario.id}`, '', 'The first three held-out evaluation episodes, played greedily by the trained agent.', '', ...eps.map((e, i) => dialogueMarkdown(e, `Dialogue ${i + 1}`))].join('\n');
  } finally {
    await policy.close();
  }
  writeFileSync(join(dir, 'dialogues.md'), dialogues);
  seconds.total = (performance.now() - t0) / 1000;

  const verdict = (c: { pass: boolean; against: string }) => `${c.pass ? '✔' : '✘'} ILQL above ${c.against} (95% CIs ${c.pass ? 'do not overlap' : 'overlap or are reversed'})`;
  const readme = [
    `# Reverie demo: ${scenario.title ?? scenario.id}`,
    '',
    `Scenario **${scenario.id}** ${scenario.version} (hash ${ctx.hash}). ${o.episodes} imagined conversations played by \`${o.behaviour}\` (seed ${o.seed}), ` +
      `${transitions.count} agent decisions; BC and ILQL trained ${o.steps} steps each on them (${o.encoder} encoder); every policy evaluated on the same ${o.evalEpisodes} held-out episodes (seed ${o.evalSeed}).`,
    '',
    resultsTable(rows),
    '',
    verdict(checks.ilqlAboveBcSampled),
    verdict(checks.ilqlAboveBcGreedy),
    verdict(checks.ilqlAboveBestBehaviour),
    '',
    'BC (sampled) imitates the data: it draws from π_BC. BC (greedy) takes π_BC\'s most likely act, which on noise-injected data recovers the behaviour under the noise. ILQL decodes π_BC(a|s)·exp(β(Q(s,a) − V(s))) greedily.',
    '',
    '![returns](charts/returns.svg)',
    '',
    '## Learning curves',
    '',
    '![policy loss](charts/policy-loss.svg) ![ILQL losses](charts/ilql-losses.svg) ![ILQL values](charts/ilql-values.svg)',
    '',
    '## Files',
    '',
    `- \`summary.json\`: everything above as data · \`dialogues.md\`: sample dialogues of the ILQL agent`,
    `- \`runs/bc\`, \`runs/ilql\`: policy checkpoints (\`reverie eval --scenario ${o.scenario} --policy ${ilqlDir}\`), metrics.jsonl, trainer checkpoints`,
    `- \`data/\`: the imagined conversations (\`reverie inspect ${dataDir}\`)`,
    '',
    `Took ${fmt(seconds.total, 1)} s: generate ${fmt(seconds.generate, 1)} s, train BC ${fmt(seconds.train_bc, 1)} s, train ILQL ${fmt(seconds.train_ilql, 1)} s, evaluate ${fmt(seconds.evaluate, 1)} s.`,
    '',
  ].join('\n');
  writeFileSync(join(dir, 'README.md'), readme);

  const result = {
    command: 'demo',
    out: dir,
    scenario: { id: scenario.id, version: scenario.version, hash: ctx.hash, family: scenario.family },
    behaviour: o.behaviour,
    data: { dir: dataDir, episodes: gen.manifest.episodes, seed: o.seed, transitions: transitions.count, summary: gen.manifest.summary },
    training: Object.fromEntries(Object.entries(trained).map(([k, r]) => [k, { steps: r.steps, seconds: r.seconds, samplesPerSecond: r.samplesPerSecond, final: r.final, dir: r.out }])),
    evaluation: { episodes: o.evalEpisodes, seed: o.evalSeed, encoder: o.encoder },
    results: rows.map((r) => ({ label: r.label, role: r.role, policy: r.policy, percentOfOracle: r.percentOfOracle, summary: r.summary })),
    checks,
    seconds,
  };
  writeFileSync(join(dir, 'summary.json'), JSON.stringify(result, null, 2) + '\n');
  const human = [
    `wrote ${dir}/README.md (table, charts/, dialogues.md, summary.json) in ${fmt(seconds.total, 1)} s`,
    '',
    resultsTable(rows),
    '',
    verdict(checks.ilqlAboveBcSampled),
    verdict(checks.ilqlAboveBcGreedy),
    verdict(checks.ilqlAboveBestBehaviour),
  ].join('\n');
  return { result, human };
}
