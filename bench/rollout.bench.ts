// Rollout benchmarks (issue 3), one JSON object per line on stdout, progress on stderr:
//   rollout          episodes/s and agent decisions/s, heuristic policy, 1 and 2 Piscina workers, each built-in scenario
//   rollout-scaling  the 2-worker / 1-worker ratio (target ≥ 1.8)
//   actor-overhead   XState episodes (runEpisodes, one thread) against the plain loop of the same family logic
//                    (runEpisodePlain): µs per agent turn and the speed ratio (target: actors ≥ 50% of plain)
//   generate-rss     peak RSS of `reverie generate` (spawned, --json) for a small and a large run (target ≤ 1.2×)
// Environment: REVERIE_BENCH_QUICK=1 for a short smoke run; REVERIE_BENCH_RSS="10000,200000" episode counts
// (empty to skip); REVERIE_BENCH_RSS_SCENARIO=twenty-questions.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeContext } from '../actors/context.js';
import { runEpisodePlain } from '../actors/plain.js';
import { policyByName } from '../actors/policies/index.js';
import { runEpisodes } from '../actors/run.js';
import type { EpisodeSpec } from '../actors/episode-core.js';
import { deriveSeed } from '../scenarios/random.js';
import { builtinFiles } from '../scenarios/registry.js';
import { loadScenarioFile } from '../scenarios/load.js';
import type { Scenario } from '../scenarios/schema.js';
import { RolloutPool } from '../environments/rollout/pool.js';

const quick = process.env.REVERIE_BENCH_QUICK === '1';
const root = fileURLToPath(new URL('../../', import.meta.url));
const emit = (o: Record<string, unknown>) => process.stdout.write(JSON.stringify(o) + '\n');
const note = (s: string) => process.stderr.write(s + '\n');
const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

function scenarios(): Scenario[] {
  const out: Scenario[] = [];
  for (const f of builtinFiles()) {
    try {
      out.push(loadScenarioFile(f));
    } catch (err) {
      note(`skip ${f}: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  return out;
}

/** Episodes/s through the pool (JSON lines included, as `generate` does), after a warm-up. */
async function poolRate(scenario: Scenario, workers: number, episodes: number): Promise<{ seconds: number; decisions: number }> {
  const pool = new RolloutPool({ scenario, policy: 'heuristic', workers, concurrency: 32 });
  try {
    for await (const _ of pool.run({ runSeed: 99, end: 256 * workers * 2, taskSize: 128 })) { /* warm-up: threads started, code compiled */ }
    let decisions = 0;
    const t0 = performance.now();
    for await (const c of pool.run({ runSeed: 1, end: episodes, taskSize: 256 })) for (const s of c.summaries) decisions += s.agentTurns;
    return { seconds: (performance.now() - t0) / 1000, decisions };
  } finally {
    await pool.close();
  }
}

async function rollouts(list: Scenario[]): Promise<void> {
  for (const scenario of list) {
    const episodes = quick ? 2000 : 20_000;
    const rates: Record<number, number> = {};
    for (const workers of [1, 2]) {
      const { seconds, decisions } = await poolRate(scenario, workers, episodes);
      rates[workers] = episodes / seconds;
      emit({ bench: 'rollout', scenario: scenario.id, policy: 'heuristic', workers, episodes, seconds: round(seconds, 2), episodesPerSec: Math.round(episodes / seconds), decisionsPerSec: Math.round(decisions / seconds) });
    }
    emit({ bench: 'rollout-scaling', scenario: scenario.id, policy: 'heuristic', ratio2v1: round(rates[2] / rates[1], 2), target: 1.8 });
  }
}

/** The same episodes through XState actors and through the plain loop, interleaved, best of several rounds. */
async function actorOverhead(list: Scenario[]): Promise<void> {
  for (const scenario of list) {
    const ctx = makeContext(scenario);
    const policy = policyByName('heuristic', ctx);
    const n = quick ? 300 : 2000;
    const specs: EpisodeSpec[] = Array.from({ length: n }, (_, i) => ({ index: i, seed: deriveSeed(5, i), id: `b-${i}` }));
    let turns = 0;
    for (const s of specs.slice(0, 50)) runEpisodePlain(ctx, policy, s);
    await runEpisodes(ctx, policy, specs.slice(0, 50), { concurrency: 32 });
    let bestPlain = Infinity;
    let bestActor = Infinity;
    for (let round = 0; round < (quick ? 2 : 5); round++) {
      let t0 = performance.now();
      turns = 0;
      for (const s of specs) turns += runEpisodePlain(ctx, policy, s).totals.agentTurns;
      bestPlain = Math.min(bestPlain, performance.now() - t0);
      t0 = performance.now();
      await runEpisodes(ctx, policy, specs, { concurrency: 32 });
      bestActor = Math.min(bestActor, performance.now() - t0);
    }
    const plainUs = (bestPlain * 1000) / turns;
    const actorUs = (bestActor * 1000) / turns;
    emit({
      bench: 'actor-overhead', scenario: scenario.id, policy: 'heuristic', episodes: n, agentTurns: turns,
      plainUsPerTurn: round(plainUs, 2), actorUsPerTurn: round(actorUs, 2), overheadUsPerTurn: round(actorUs - plainUs, 2),
      actorVsPlain: round(bestPlain / bestActor, 3), target: 0.5,
    });
  }
}

/** Spawns `reverie generate --json` and returns its reported peak RSS and rate. */
function generate(args: string[]): Promise<Record<string, number>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, 'bin', 'reverie.js'), 'generate', ...args, '--json'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`generate exited ${code}: ${out}`));
      resolve(JSON.parse(out) as Record<string, number>);
    });
  });
}

async function rss(list: Scenario[]): Promise<void> {
  const counts = (process.env.REVERIE_BENCH_RSS ?? (quick ? '2000,20000' : '10000,200000')).split(',').filter(Boolean).map(Number);
  if (counts.length === 0) return;
  const want = process.env.REVERIE_BENCH_RSS_SCENARIO ?? 'twenty-questions';
  const scenario = list.find((s) => s.id === want) ?? list[0];
  const results: number[] = [];
  for (const episodes of counts) {
    const dir = await mkdtemp(join(tmpdir(), 'reverie-rss-'));
    try {
      note(`generate-rss: ${scenario.id}, ${episodes} episodes, 2 workers ...`);
      const r = await generate(['--scenario', scenario.id, '--policy', 'heuristic', '--episodes', String(episodes), '--seed', '0', '--workers', '2', '--out', dir]);
      results.push(r.peakRssMiB);
      emit({ bench: 'generate-rss', scenario: scenario.id, episodes, workers: 2, peakRssMiB: r.peakRssMiB, seconds: round(r.seconds, 1), episodesPerSec: Math.round(r.episodesPerSecond) });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  if (results.length >= 2) emit({ bench: 'generate-rss-ratio', scenario: scenario.id, episodes: counts, ratio: round(results[results.length - 1] / results[0], 3), target: 1.2 });
}

const list = scenarios();
await actorOverhead(list);
await rollouts(list);
await rss(list);
