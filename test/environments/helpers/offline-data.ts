// Small datasets for the encoder / offline / policy tests: played in-process (no worker pool) and
// written with the real DatasetWriter, so they are byte-for-byte what `reverie generate` writes.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Observation } from '../../../actors/acts.js';
import { makeContext } from '../../../actors/context.js';
import type { Episode } from '../../../actors/episode.js';
import type { ScenarioContext } from '../../../actors/episode-core.js';
import { runEpisodePlain } from '../../../actors/plain.js';
import { policyByName } from '../../../actors/policies/index.js';
import type { Policy } from '../../../actors/policy.js';
import { DatasetWriter } from '../../../environments/dataset/writer.js';
import { episodeId } from '../../../environments/rollout/protocol.js';
import { summarizeEpisode } from '../../../environments/stats.js';
import { contentHash } from '../../../scenarios/hash.js';
import { deriveSeed } from '../../../scenarios/random.js';
import { builtinIds, getScenario } from '../../../scenarios/registry.js';

const ROOT = new URL('../../../../', import.meta.url);

/** Every built-in scenario id and every fixture scenario file. */
export const ALL_SCENARIOS: readonly string[] = [
  ...builtinIds(),
  ...['guess-the-country', 'restaurant-recommender', 'spanish-tutor'].map((f) => fileURLToPath(new URL(`test/fixtures/scenarios/${f}.yaml`, ROOT))),
];

export function contextOf(idOrPath: string): ScenarioContext {
  return makeContext(getScenario(idOrPath));
}

export async function tmpDir(prefix = 'reverie-offline-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/** Plays episodes [0, n) of run `seed` with the plain loop (same bytes as the actors). */
export function play(ctx: ScenarioContext, policy: Policy, n: number, seed: number): Episode[] {
  const out: Episode[] = [];
  for (let i = 0; i < n; i++) out.push(runEpisodePlain(ctx, policy, { index: i, seed: deriveSeed(seed, i), id: episodeId(ctx.scenario.id, seed, i) }));
  return out;
}

/** Observations the agent saw in `n` episodes of `policy` (recorded as they were asked). */
export function observations(ctx: ScenarioContext, policyName: string, n: number, seed = 1): Observation[] {
  const inner = policyByName(policyName, ctx);
  const seen: Observation[] = [];
  const rec: Policy = { ...inner, act: (obs, rngs) => { seen.push(...obs); return inner.act(obs, rngs); } };
  play(ctx, rec, n, seed);
  return seen;
}

/** Writes a finished dataset of `episodes` (already played, index order) to `dir`. */
export async function writeDataset(dir: string, ctx: ScenarioContext, policy: string, seed: number, episodes: readonly Episode[], shardSize: number): Promise<void> {
  const s = ctx.scenario;
  const plan = { scenario: { id: s.id, version: s.version, hash: contentHash(s), family: s.family }, policy, seed, episodes: episodes.length, shardSize };
  const w = await DatasetWriter.open(dir, plan, s, 'fresh');
  try {
    for (let start = 0; start < episodes.length; start += shardSize) {
      const part = episodes.slice(start, start + shardSize);
      await w.write({ start, bytes: Buffer.from(part.map((e) => JSON.stringify(e) + '\n').join('')), summaries: part.map(summarizeEpisode) });
    }
    await w.finish();
  } finally {
    await w.close();
  }
}

/** A fresh dataset directory of `n` episodes of `policy`. */
export async function makeDataset(ctx: ScenarioContext, policy: string, n: number, opts: { seed?: number; shardSize?: number } = {}): Promise<{ dir: string; episodes: Episode[] }> {
  const seed = opts.seed ?? 5;
  const episodes = play(ctx, policyByName(policy, ctx), n, seed);
  const dir = await tmpDir();
  await writeDataset(dir, ctx, policy, seed, episodes, opts.shardSize ?? 1000);
  return { dir, episodes };
}
