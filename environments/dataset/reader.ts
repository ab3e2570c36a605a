import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { EpisodeSchema, type Episode } from '../../actors/episode.js';
import { DatasetError, listedLines, type Line } from './files.js';
import { MANIFEST_FILE, type Manifest } from './manifest.js';
import { readManifest } from './writer.js';

export interface ReadOptions {
  /** Check every line against the Episode schema (default true). */
  readonly validate?: boolean;
  /** Check each shard's sha256 against the manifest (default true). */
  readonly verify?: boolean;
}

/** Opens a finished dataset: its manifest, or a DatasetError saying why it is not one. */
export async function openDataset(dir: string): Promise<Manifest> {
  const manifest = await readManifest(dir);
  if (!manifest) throw new DatasetError(`${dir} is not a dataset: no ${MANIFEST_FILE} in it (write one with \`reverie generate --out ${dir}\`)`);
  if (!manifest.complete) {
    throw new DatasetError(`${dir} is not finished: its generation stopped early; complete it with \`reverie generate --out ${dir} --resume\``);
  }
  return manifest;
}

/**
 * Streams the episodes of a dataset in index order, one shard and one line at a time (memory
 * does not grow with the dataset). Errors name the shard and line: a line that is not JSON,
 * an episode that does not match the schema (with the field path), a shard whose bytes do not
 * match the manifest's sha256.
 *
 * @example
 * for await (const ep of readEpisodes('data/travel')) console.log(ep.id, ep.totals.return);
 */
export async function* readEpisodes(dir: string, opts: ReadOptions = {}): AsyncGenerator<Episode> {
  const manifest = await openDataset(dir);
  const validate = opts.validate ?? true;
  const verify = opts.verify ?? true;
  for (const shard of manifest.shards) {
    const path = join(dir, shard.file);
    const hash = createHash('sha256');
    let count = 0;
    const it = listedLines(path, verify ? (b) => hash.update(b) : undefined, 'the dataset');
    let r: IteratorResult<Line, { tail: number }>;
    for (;;) {
      r = await it.next();
      if (r.done) break;
      const { text, lineNo } = r.value;
      const where = `${path}:${lineNo}`;
      let raw: unknown;
      try {
        raw = JSON.parse(text);
      } catch (err) {
        throw new DatasetError(`${where}: not valid JSON (${(err as Error).message})`, path, lineNo);
      }
      let ep: Episode;
      if (validate) {
        const parsed = EpisodeSchema.safeParse(raw);
        if (!parsed.success) {
          const i = parsed.error.issues[0];
          throw new DatasetError(`${where}: not a valid episode: ${i.path.length ? i.path.join('.') + ': ' : ''}${i.message}`, path, lineNo);
        }
        ep = parsed.data;
      } else {
        ep = raw as Episode;
      }
      count++;
      yield ep;
    }
    if (r.value.tail > 0) throw new DatasetError(`${path}: the last line is cut off (${r.value.tail} bytes without a newline)`, path);
    if (count !== shard.episodes) throw new DatasetError(`${path}: ${count} episodes, the manifest says ${shard.episodes}`, path);
    if (verify) {
      const sum = hash.digest('hex');
      if (sum !== shard.sha256) throw new DatasetError(`${path}: sha256 ${sum.slice(0, 12)}… does not match the manifest's ${shard.sha256.slice(0, 12)}…; the shard was changed or damaged`, path);
    }
  }
}
