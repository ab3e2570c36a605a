import { open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Episode } from '../../actors/episode.js';
import { syncDir, writeAll } from './files.js';
import { openDataset, readEpisodes } from './reader.js';

/** One conversation in the OpenAI chat format that SFT trainers read; the hidden persona sits beside it. */
export interface ChatRecord {
  readonly messages: { readonly role: 'user' | 'assistant'; readonly content: string }[];
  readonly persona: unknown;
  readonly id: string;
  readonly scenario: string;
  readonly policy: string;
  readonly seed: number;
  readonly outcome: { readonly reason: string; readonly success: boolean };
  readonly return: number;
}

export const EXPORT_FORMATS = ['chat'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** An episode as chat messages: the imagined user is `user`, the agent is `assistant`. */
export function toChatRecord(ep: Episode): ChatRecord {
  return {
    messages: ep.turns.map((t) => ({ role: t.speaker === 'agent' ? 'assistant' : 'user', content: t.text })),
    persona: ep.persona,
    id: ep.id,
    scenario: ep.scenario.id,
    policy: ep.policy,
    seed: ep.seed,
    outcome: { reason: ep.outcome.reason, success: ep.outcome.success },
    return: ep.totals.return,
  };
}

/**
 * Streams a dataset into a JSONL file of chat records (written to a temp file, then renamed:
 * a crash never leaves half a file under the final name).
 */
export async function exportDataset(dir: string, out: string, format: ExportFormat = 'chat', onProgress?: (done: number, total: number) => void): Promise<{ episodes: number; file: string }> {
  if (format !== 'chat') throw new TypeError(`unknown export format '${String(format)}'; expected one of ${EXPORT_FORMATS.join(', ')}`);
  return await exportRecords(dir, out, readEpisodes(dir), toChatRecord, onProgress);
}

/**
 * Writes `record(episode)` of each episode of the dataset in `dir` as one JSON line of `out`: to a
 * temp file first, then renamed (a crash never leaves half a file under the final name).
 */
export async function exportRecords<E>(dir: string, out: string, episodes: AsyncIterable<E>, record: (episode: E) => unknown, onProgress?: (done: number, total: number) => void): Promise<{ episodes: number; file: string }> {
  const manifest = await openDataset(dir);
  const tmp = `${out}.tmp`;
  const fh = await open(tmp, 'w');
  let n = 0;
  try {
    let buf = '';
    for await (const ep of episodes) {
      buf += JSON.stringify(record(ep)) + '\n';
      n++;
      if (buf.length > 1 << 20) {
        await writeAll(fh, Buffer.from(buf));
        buf = '';
        onProgress?.(n, manifest.episodes);
      }
    }
    await writeAll(fh, Buffer.from(buf));
    await fh.sync();
  } catch (err) {
    await fh.close();
    await rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  await rename(tmp, out);
  await syncDir(dirname(out));
  onProgress?.(n, manifest.episodes);
  return { episodes: n, file: out };
}
