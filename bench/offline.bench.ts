// Offline RL training throughput: ILQL samples/s on the structured and the text encoder, for each
// built-in scenario, side by side in one run with
//   - BC on the same batches (the cheapest offline step: one forward, one loss),
//   - the limit: the same ILQL train-step graph fed one fixed, pre-built batch (no sampling, no
//     host-side batch assembly), so `loopOverStep` is what the training loop costs around the graph.
// Each line is one JSON object; `npm run bench -- offline`. REVERIE_BENCH_QUICK=1 for a smoke run.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeContext } from '../actors/context.js';
import { generateDataset } from '../environments/dataset/generate.js';
import { makeEncoder } from '../environments/encoding/index.js';
import { loadTransitions } from '../environments/offline/load.js';
import { batchFeeds, makeAlgorithm, sampleRows, type AlgorithmName } from '../learners/algorithms/index.js';
import { Trainer } from '../learners/runtime/index.js';
import { builtinIds, getScenario } from '../scenarios/registry.js';
import { timeSteps, timingOptions } from './peers/timing.js';

const THREADS = Number(process.env.REVERIE_BENCH_THREADS ?? 2);
const EPISODES = Number(process.env.REVERIE_BENCH_EPISODES ?? 1000);
const BEHAVIOUR = 'mix:random=1,epsilon-heuristic:0.5=1';
const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;
const log = (m: string) => process.stderr.write(m + '\n');

async function main(): Promise<void> {
  const scenarios = (process.env.REVERIE_BENCH_SCENARIOS ?? builtinIds().join(',')).split(',');
  const o = timingOptions();
  for (const id of scenarios) {
    const ctx = makeContext(getScenario(id));
    const dir = mkdtempSync(join(tmpdir(), 'reverie-offline-bench-'));
    try {
      log(`# ${id}: generating ${EPISODES} episodes of ${BEHAVIOUR}`);
      await generateDataset({ scenario: ctx.scenario, policy: BEHAVIOUR, episodes: EPISODES, seed: 1, out: dir, workers: 1 });
      for (const kind of ['structured', 'text'] as const) {
        const encoder = makeEncoder(kind, ctx);
        const t0 = performance.now();
        const t = await loadTransitions(dir, encoder, ctx);
        const loadSeconds = (performance.now() - t0) / 1000;
        const rates: Record<string, number> = {};
        for (const algo of ['ilql', 'bc'] as AlgorithmName[]) {
          const a = makeAlgorithm(algo, t, {}, 1);
          const trainer = await Trainer.create(a.train, { threads: THREADS, seed: 1, lr: a.config.lr });
          try {
            const loop = await timeSteps(async () => (await trainer.step(batchFeeds(t, sampleRows(trainer.rng, a.rows, a.config.batchSize), a.columns))).metrics.loss, o);
            rates[algo] = loop.stepsPerSec * a.config.batchSize;
            let stepOnly: number | undefined;
            if (algo === 'ilql') {
              const fixed = batchFeeds(t, sampleRows(trainer.rng, a.rows, a.config.batchSize), a.columns);
              stepOnly = (await timeSteps(async () => (await trainer.step(fixed)).metrics.loss, o)).stepsPerSec * a.config.batchSize;
            }
            console.log(JSON.stringify({
              bench: 'offline', algo, scenario: id, encoder: kind, obsSize: t.obsSize, actions: t.numActions, transitions: t.count,
              batch: a.config.batchSize, hidden: (a.config as { hidden?: number[] }).hidden, threads: THREADS, device: trainer.device,
              samplesPerSec: round(rates[algo]), stepsPerSec: round(loop.stepsPerSec, 2),
              ...(stepOnly ? { limitSamplesPerSec: round(stepOnly), loopOverStep: round(rates[algo] / stepOnly, 3) } : {}),
              ...(algo === 'bc' ? { ilqlOverBc: round(rates.ilql / rates.bc, 3) } : {}),
              loadSeconds: round(loadSeconds, 2), lossFirst: round(loop.lossFirst, 4), lossLast: round(loop.lossLast, 4),
            }));
          } finally {
            await trainer.dispose();
          }
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

await main();
