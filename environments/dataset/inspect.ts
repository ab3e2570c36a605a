import type { Manifest } from './manifest.js';
import { openDataset, readEpisodes } from './reader.js';
import { DistinctCounter, EpisodeStats, Histogram, summarizeEpisode, type Summary } from '../stats.js';

export interface InspectReport {
  readonly dir: string;
  readonly manifest: Manifest;
  /** Recomputed from the episodes (not copied from the manifest). */
  readonly summary: Summary;
  readonly turnLengths: { readonly min: number; readonly p50: number; readonly p90: number; readonly max: number; readonly mean: number; readonly histogram: [number, number][] };
  readonly endReasons: Record<string, number>;
  readonly userUtterances: number;
  readonly distinctUserUtterances: { readonly count: number; readonly approximate: boolean };
  readonly distinctAgentUtterances: { readonly count: number; readonly approximate: boolean };
}

/**
 * Streams a dataset once (validating every episode and each shard's sha256) and reports success
 * rate, mean return with 95% CI, the turn-length distribution, end reasons and distinct
 * utterances (counted by hashing: bounded memory).
 */
export async function inspectDataset(dir: string, onProgress?: (done: number, total: number) => void): Promise<InspectReport> {
  const manifest = await openDataset(dir);
  const stats = new EpisodeStats();
  const turns = new Histogram();
  const user = new DistinctCounter();
  const agent = new DistinctCounter();
  const endReasons: Record<string, number> = {};
  let userUtterances = 0;
  for await (const ep of readEpisodes(dir)) {
    stats.add(summarizeEpisode(ep));
    turns.add(ep.totals.agentTurns);
    endReasons[ep.outcome.reason] = (endReasons[ep.outcome.reason] ?? 0) + 1;
    for (const t of ep.turns) {
      if (t.speaker === 'user') {
        user.add(t.text);
        userUtterances++;
      } else {
        agent.add(t.text);
      }
    }
    if (stats.episodes % 1000 === 0) onProgress?.(stats.episodes, manifest.episodes);
  }
  onProgress?.(stats.episodes, manifest.episodes);
  const hist = turns.entries();
  return {
    dir,
    manifest,
    summary: stats.summary(),
    turnLengths: {
      min: hist.length ? hist[0][0] : 0,
      p50: turns.quantile(0.5),
      p90: turns.quantile(0.9),
      max: hist.length ? hist[hist.length - 1][0] : 0,
      mean: stats.turns.mean,
      histogram: hist,
    },
    endReasons,
    userUtterances,
    distinctUserUtterances: user.count(),
    distinctAgentUtterances: agent.count(),
  };
}
