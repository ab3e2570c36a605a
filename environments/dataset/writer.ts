import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, truncate, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { EpisodeStats, type EpisodeSummary } from '../stats.js';
import { DatasetError, readLines, syncDir, writeAll, writeFileAtomic } from './files.js';
import {
  Manifest, MANIFEST_FILE, PARTIAL_SUFFIX, SCENARIO_FILE, SHARD_RE, TMP_SUFFIX,
  manifestOf, planDifferences, planRange, shardParts,
  type DatasetPlan, type ShardEntry, type ShardPart,
} from './manifest.js';

/** A run of consecutive episodes as JSON lines, with the numbers the statistics need. */
export interface EpisodeChunk {
  /** Index of the first episode. */
  readonly start: number;
  /** UTF-8 JSON lines, one per episode, each ending in a newline. */
  readonly bytes: Uint8Array;
  readonly summaries: readonly EpisodeSummary[];
}

/** What to do with an output directory that already holds something. */
export type WriteMode = 'fresh' | 'resume' | 'force';

export function isDatasetFile(name: string): boolean {
  return name === MANIFEST_FILE || name === SCENARIO_FILE || name.startsWith('episodes-') || name.endsWith(TMP_SUFFIX);
}

/** Reads a manifest; null when the file does not exist. */
export async function readManifest(dir: string): Promise<Manifest | null> {
  let text: string;
  try {
    text = await readFile(join(dir, MANIFEST_FILE), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new DatasetError(`${join(dir, MANIFEST_FILE)}: not valid JSON (${(err as Error).message})`, join(dir, MANIFEST_FILE));
  }
  const r = Manifest.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new DatasetError(`${join(dir, MANIFEST_FILE)}: not a Reverie dataset manifest (${i.path.join('.') || '(root)'}: ${i.message})`, join(dir, MANIFEST_FILE));
  }
  return r.data;
}

/** The summary of one stored episode line, checking that it is the episode expected at `index`. */
export function summaryOfLine(text: string, index: number, where: string): EpisodeSummary {
  let ep: { index?: unknown; totals?: { return?: unknown; agentTurns?: unknown }; outcome?: { success?: unknown; reason?: unknown } };
  try {
    ep = JSON.parse(text);
  } catch (err) {
    throw new DatasetError(`${where}: not valid JSON (${(err as Error).message}); the dataset is damaged: regenerate it with --force`);
  }
  if (ep.index !== index || typeof ep.totals?.return !== 'number' || typeof ep.totals.agentTurns !== 'number') {
    throw new DatasetError(`${where}: expected episode ${index}, found ${JSON.stringify(ep.index)}; the dataset is damaged: regenerate it with --force`);
  }
  return { return: ep.totals.return, agentTurns: ep.totals.agentTurns, success: ep.outcome?.success === true, errored: ep.outcome?.reason === 'error' };
}

/**
 * Writes a dataset shard by shard, in episode-index order. The shard being filled lives in
 * `episodes-NNNNN.jsonl.partial`; when full it is fsynced and renamed to its final name, so a
 * final-named shard is always whole. After `kill -9` at any moment, {@link DatasetWriter.open}
 * with mode 'resume' keeps the whole shards, keeps the complete lines of the partial one (a torn
 * last line is cut off) and continues from the first missing episode: the result is
 * byte-identical to an uninterrupted run.
 *
 * @example
 * const w = await DatasetWriter.open(dir, plan, scenario, 'fresh');
 * for await (const chunk of chunks(w.next)) await w.write(chunk);
 * const manifest = await w.finish();
 */
export class DatasetWriter {
  /** Index of the next episode to write. */
  next: number;
  readonly stats = new EpisodeStats();
  /** Episodes found on disk when opened (resume). */
  resumedFrom = 0;
  /** The range of episodes this plan writes: the whole run, or its slice. */
  readonly first: number;
  readonly end: number;
  private readonly parts: ShardPart[];
  private readonly shards: ShardEntry[] = [];
  private fh: FileHandle | null = null;
  private hash: Hash = createHash('sha256');

  private constructor(readonly dir: string, readonly plan: DatasetPlan) {
    ({ first: this.first, end: this.end } = planRange(plan));
    this.next = this.first;
    this.parts = shardParts(plan);
  }

  static async open(dir: string, plan: DatasetPlan, scenario: unknown, mode: WriteMode): Promise<DatasetWriter> {
    await mkdir(dir, { recursive: true });
    const w = new DatasetWriter(dir, plan);
    const names = await readdir(dir);
    if (mode === 'resume') {
      const manifest = await readManifest(dir);
      if (manifest) {
        const diff = planDifferences(plan, manifest);
        if (diff.length) {
          throw new DatasetError(`cannot resume ${dir}: it was generated with a different plan (${diff.map((d) => d.replace(' vs ', ' now, ')).join('; ')} in the dataset); use the same options, or --force to start over`);
        }
        await w.scan(names);
        return w;
      }
      if (names.some((n) => SHARD_RE.test(n))) {
        throw new DatasetError(`cannot resume ${dir}: it has episode shards but no ${MANIFEST_FILE}; use --force to start over`);
      }
      // Nothing was written yet (a crash before the manifest): start afresh.
    } else if (mode === 'fresh' && names.length > 0) {
      const shown = names.slice(0, 3).join(', ') + (names.length > 3 ? ', ...' : '');
      throw new DatasetError(`output directory ${dir} is not empty (${shown}); use --resume to continue the dataset in it, --force to overwrite it, or another --out`);
    }
    for (const n of names) if (isDatasetFile(n)) await rm(join(dir, n), { force: true });
    await writeFileAtomic(join(dir, SCENARIO_FILE), JSON.stringify(scenario, null, 2) + '\n');
    await writeFileAtomic(join(dir, MANIFEST_FILE), JSON.stringify(manifestOf(plan, false, []), null, 2) + '\n');
    return w;
  }

  /** Resume: verify the whole shards, keep the complete lines of the partial one. */
  private async scan(names: string[]): Promise<void> {
    const { dir, parts } = this;
    let i = 0;
    for (; i < parts.length; i++) {
      const { file, first, episodes } = parts[i];
      if (!names.includes(file)) break;
      const hash = createHash('sha256');
      let count = 0;
      const it = readLines(join(dir, file), (b) => hash.update(b));
      let r = await it.next();
      for (; !r.done; r = await it.next()) {
        if (count >= episodes) throw new DatasetError(`${join(dir, file)}: more than the ${episodes} episodes the plan puts in it; regenerate with --force`, file);
        this.stats.add(summaryOfLine(r.value.text, first + count, `${join(dir, file)}:${r.value.lineNo}`));
        count++;
      }
      if (r.value.tail > 0 || count !== episodes) {
        throw new DatasetError(`${join(dir, file)}: ${count} whole episodes where the plan puts ${episodes}; regenerate with --force`, file);
      }
      this.shards.push({ file, first, episodes: count, sha256: hash.digest('hex') });
      this.next = first + count;
    }
    const expected = parts[i]?.file;
    for (const name of names) {
      const m = SHARD_RE.exec(name);
      if (m && !parts.slice(0, i).some((p) => p.file === name)) {
        const why = expected ? `exists but ${expected} does not` : 'is not a shard of this plan';
        throw new DatasetError(`${join(dir, name)} ${why}; the dataset is damaged: regenerate with --force`, name);
      }
      const isOtherPartial = name.endsWith(PARTIAL_SUFFIX) && name !== expected + PARTIAL_SUFFIX;
      if (isOtherPartial || name.endsWith(TMP_SUFFIX)) await rm(join(dir, name), { force: true });
    }
    if (i < parts.length && names.includes(parts[i].file + PARTIAL_SUFFIX)) await this.adoptPartial(parts[i]);
    this.resumedFrom = this.next - this.first;
  }

  /** Keep the complete lines of a partial shard, cut a torn last line, reopen it for appending. */
  private async adoptPartial(part: ShardPart): Promise<void> {
    const path = join(this.dir, part.file + PARTIAL_SUFFIX);
    let count = 0;
    let end = 0;
    for await (const line of readLines(path)) {
      if (count === part.episodes) break;
      this.stats.add(summaryOfLine(line.text, part.first + count, `${path}:${line.lineNo}`));
      count++;
      end = line.end;
    }
    await truncate(path, end);
    this.hash = createHash('sha256');
    for await (const b of createReadStream(path) as AsyncIterable<Buffer>) this.hash.update(b);
    this.next = part.first + count;
    this.fh = await open(path, 'a');
    if (count === part.episodes) await this.closeShard(part);
  }

  /** The shard part that holds episode `index`. */
  private partOf(index: number): ShardPart {
    const k = Math.floor(index / this.plan.shardSize);
    const part = this.parts.find((p) => p.k === k);
    if (!part) throw new Error(`internal: episode ${index} is outside [${this.first}, ${this.end})`);
    return part;
  }

  /** Append a chunk; it must start at {@link DatasetWriter.next} and stay within one shard. */
  async write(chunk: EpisodeChunk): Promise<void> {
    if (chunk.start !== this.next) throw new Error(`internal: chunk starts at episode ${chunk.start}, expected ${this.next}`);
    const part = this.partOf(chunk.start);
    const end = chunk.start + chunk.summaries.length;
    if (end > part.first + part.episodes) throw new Error(`internal: chunk [${chunk.start}, ${end}) crosses the end of shard ${part.k}`);
    if (!this.fh) {
      this.fh = await open(join(this.dir, part.file + PARTIAL_SUFFIX), 'w');
      this.hash = createHash('sha256');
    }
    const bytes = Buffer.from(chunk.bytes.buffer, chunk.bytes.byteOffset, chunk.bytes.byteLength);
    await writeAll(this.fh, bytes);
    this.hash.update(bytes);
    for (const s of chunk.summaries) this.stats.add(s);
    this.next = end;
    if (end === part.first + part.episodes) await this.closeShard(part);
  }

  private async closeShard(part: ShardPart): Promise<void> {
    const fh = this.fh;
    if (!fh) return;
    this.fh = null;
    await fh.sync();
    await fh.close();
    await rename(join(this.dir, part.file + PARTIAL_SUFFIX), join(this.dir, part.file));
    await syncDir(this.dir);
    this.shards.push({ file: part.file, first: part.first, episodes: part.episodes, sha256: this.hash.digest('hex') });
  }

  /** Write the final manifest (after the last episode). */
  async finish(): Promise<Manifest> {
    if (this.next !== this.end) throw new Error(`internal: finish() after episode ${this.next} of [${this.first}, ${this.end})`);
    const manifest = manifestOf(this.plan, true, [...this.shards], this.stats.summary());
    await writeFileAtomic(join(this.dir, MANIFEST_FILE), JSON.stringify(manifest, null, 2) + '\n');
    return manifest;
  }

  /** Close the open shard without finishing (what was written stays resumable). */
  async close(): Promise<void> {
    const fh = this.fh;
    this.fh = null;
    await fh?.close();
  }
}
