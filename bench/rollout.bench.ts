// Rollout benchmarks (issue 3), one JSON object per line on stdout, progress on stderr:
//   rollout          episodes/s and agent decisions/s, heuristic policy, 1 and 2 Piscina workers, each built-in scenario
//   rollout-scaling  the 2-worker / 1-worker ratio (target ≥ 1.8)
//   actor-overhead   XState episodes (runEpisodes, one thread) against the plain loop of the same family logic
//                    (runEpisodePlain): µs per agent turn and the speed ratio (target: actors ≥ 50% of plain)
//   generate-rss     peak RSS of `reverie generate` (spawned, --json) for a small and a large run (target ≤ 1.2×)
// Environment: REVERIE_BENCH_QUICK=1 for a short smoke run; REVERIE_BENCH_ROUNDS (default 4) interleaved rounds per
// pool; REVERIE_BENCH_RSS="10000,200000" episode counts
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

/** One timed pass through the pool (JSON lines included, as `generate` does). */
async function timedPass(pool: RolloutPool, runSeed: number, episodes: number): Promise<{ seconds: number; decisions: number }> {
  let decisions = 0;
  const t0 = performance.now();
  for await (const c of pool.run({ runSeed, end: episodes, taskSize: 256, recycle: true })) for (const s of c.summaries) decisions += s.agentTurns;
  return { seconds: (performance.now() - t0) / 1000, decisions };
}

/**
 * 1 and 2 workers side by side: both pools warmed up, then interleaved rounds (1, 2, 1, 2, ...), the
 * best round of each kept, so that a burst of load from elsewhere does not decide the ratio.
 */
async function rollouts(list: Scenario[]): Promise<void> {
  const rounds = quick ? 2 : Number(process.env.REVERIE_BENCH_ROUNDS ?? 4);
  // Rounds of a few seconds (5000 episodes took about 1 s on 2 workers): a scheduling hiccup or a
  // major GC in one round moves its rate by less.
  const perRound = quick ? 1000 : 10000;
  for (const scenario of list) {
    const pools = { 1: new RolloutPool({ scenario, policy: 'heuristic', workers: 1, concurrency: 32 }), 2: new RolloutPool({ scenario, policy: 'heuristic', workers: 2, concurrency: 32 }) };
    const best: Record<number, { eps: number; dps: number }> = { 1: { eps: 0, dps: 0 }, 2: { eps: 0, dps: 0 } };
    try {
      for (const w of [1, 2] as const) await timedPass(pools[w], 99, 512 * w); // warm-up: threads started, code compiled
      for (let r = 0; r < rounds; r++) {
        for (const w of [1, 2] as const) {
          const { seconds, decisions } = await timedPass(pools[w], r + 1, perRound);
          if (perRound / seconds > best[w].eps) best[w] = { eps: perRound / seconds, dps: decisions / seconds };
        }
      }
    } finally {
      await Promise.all([pools[1].close(), pools[2].close()]);
    }
    for (const w of [1, 2]) {
      emit({ bench: 'rollout', scenario: scenario.id, policy: 'heuristic', workers: w, episodes: perRound, rounds, episodesPerSec: Math.round(best[w].eps), decisionsPerSec: Math.round(best[w].dps) });
    }
    emit({ bench: 'rollout-scaling', scenario: scenario.id, policy: 'heuristic', ratio2v1: round(best[2].eps / best[1].eps, 2), target: 1.8 });
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
