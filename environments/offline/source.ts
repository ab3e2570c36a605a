import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ScenarioContext } from '../../actors/episode-core.js';
import { EpisodeSchema, type Episode } from '../../actors/episode.js';
import { DatasetError, listedLines, type Line } from '../dataset/files.js';
import { MANIFEST_FILE, PARTIAL_SUFFIX, shardFile, type Manifest } from '../dataset/manifest.js';
import { readManifest } from '../dataset/writer.js';

export interface SourceOptions {
  /**
   * Accept what a killed generation left: an unfinished dataset (its whole shards and the complete
   * lines of its partial shard) and a shard whose last line is cut off (reported, then skipped).
   * Anything else that is damaged is still an error.
   */
  readonly allowPartial?: boolean;
  /** Called with each warning (a skipped torn line, an unfinished dataset). */
  readonly onWarning?: (message: string) => void;
}

/** A stored episode with where it came from. */
export interface SourcedEpisode {
  readonly episode: Episode;
  readonly file: string;
  readonly line: number;
}

/** The differences between a dataset's scenario and a context's, as `field: dataset vs ours`. */
function scenarioDifferences(ref: { id: string; version: string; hash: string }, ctx: ScenarioContext): string[] {
  const out: string[] = [];
  if (ref.id !== ctx.scenario.id) out.push(`id '${ref.id}' vs '${ctx.scenario.id}'`);
  if (ref.version !== ctx.scenario.version) out.push(`version ${ref.version} vs ${ctx.scenario.version}`);
  if (ref.hash !== ctx.hash) out.push(`content hash ${ref.hash} vs ${ctx.hash}`);
  return out;
}

/** Refuses a dataset made from another scenario, or another version or content of it; names both. */
export function checkDatasetScenario(dir: string, manifest: Manifest, ctx: ScenarioContext): void {
  const diff = scenarioDifferences(manifest.scenario, ctx);
  if (diff.length === 0) return;
  const m = manifest.scenario;
  throw new DatasetError(
    `${join(dir, MANIFEST_FILE)}: the dataset was generated from scenario '${m.id}' ${m.version} (hash ${m.hash}), ` +
      `not from '${ctx.scenario.id}' ${ctx.scenario.version} (hash ${ctx.hash}) that is used here (${diff.join('; ')}); ` +
      `use the dataset's scenario (its scenario.json) or regenerate the data with this one`,
    join(dir, MANIFEST_FILE),
  );
}

interface ShardPlan {
  readonly path: string;
  /** From the manifest: expected episodes and sha256; absent for the shards of an unfinished run. */
  readonly expect?: { readonly episodes: number; readonly sha256: string };
}

/** The shards to read: the manifest's, or (unfinished, with allowPartial) the whole ones on disk and the partial one. */
function shardPlan(dir: string, manifest: Manifest, opts: SourceOptions): ShardPlan[] {
  if (manifest.complete) return manifest.shards.map((s) => ({ path: join(dir, s.file), expect: { episodes: s.episodes, sha256: s.sha256 } }));
  const shards: ShardPlan[] = [];
  let k = 0;
  while (existsSync(join(dir, shardFile(k)))) shards.push({ path: join(dir, shardFile(k++)) });
  const partial = join(dir, shardFile(k) + PARTIAL_SUFFIX);
  const hasPartial = existsSync(partial);
  if (hasPartial) shards.push({ path: partial });
  if (!opts.allowPartial) {
    throw new DatasetError(
      `${dir} is not finished: its generation stopped early (${k} whole shard${k === 1 ? '' : 's'}${hasPartial ? ' and a partial one' : ''} on disk); ` +
        `complete it with \`reverie generate --out ${dir} --resume\`, or pass --allow-partial (allowPartial) to use the complete episodes in it`,
      join(dir, MANIFEST_FILE),
    );
  }
  opts.onWarning?.(`${dir} is not finished (generation stopped early): using the complete episodes of ${k} whole shard${k === 1 ? '' : 's'}${hasPartial ? ' and of the partial one' : ''}`);
  return shards;
}

/**
 * Streams the episodes of a dataset directory with the file and line of each, after checking that
 * the dataset's scenario is `ctx`'s (id, version and content hash). Errors name the file and line:
 * a line that is not JSON or not an Episode, an episode of another scenario, a last line cut off
 * (a killed run; skipped with a warning under `allowPartial`), a shard that does not match the
 * manifest's sha256 or episode count.
 */
export async function* readDatasetEpisodes(dir: string, ctx: ScenarioContext, opts: SourceOptions = {}): AsyncGenerator<SourcedEpisode> {
  const manifest = await readManifest(dir);
  if (!manifest) throw new DatasetError(`${dir} is not a dataset: no ${MANIFEST_FILE} in it (write one with \`reverie generate --out ${dir}\`)`, join(dir, MANIFEST_FILE));
  checkDatasetScenario(dir, manifest, ctx);
  for (const shard of shardPlan(dir, manifest, opts)) {
    const path = shard.path;
    const hash = shard.expect ? createHash('sha256') : null;
    const it = listedLines(path, hash ? (b) => hash.update(b) : undefined, 'the dataset');
    let count = 0;
    let lastLine = 0;
    let r: IteratorResult<Line, { tail: number }>;
    for (;;) {
      r = await it.next();
      if (r.done) break;
      const { text, lineNo } = r.value;
      lastLine = lineNo;
      const where = `${path}:${lineNo}`;
      let raw: unknown;
      try {
        raw = JSON.parse(text);
      } catch (err) {
        throw new DatasetError(`${where}: not valid JSON (${(err as Error).message}); the shard is damaged: regenerate the dataset`, path, lineNo);
      }
      const parsed = EpisodeSchema.safeParse(raw);
      if (!parsed.success) {
        const i = parsed.error.issues[0];
        throw new DatasetError(`${where}: not a valid episode: ${i.path.length ? i.path.join('.') + ': ' : ''}${i.message}`, path, lineNo);
      }
      const ep = parsed.data;
      const diff = scenarioDifferences(ep.scenario, ctx);
      if (diff.length) throw new DatasetError(`${where}: episode ${ep.id} is from scenario '${ep.scenario.id}' ${ep.scenario.version} (hash ${ep.scenario.hash}), not '${ctx.scenario.id}' ${ctx.scenario.version} (hash ${ctx.hash}): ${diff.join('; ')}`, path, lineNo);
      count++;
      yield { episode: ep, file: path, line: lineNo };
    }
    const tail = r.value.tail;
    if (tail > 0) {
      const line = lastLine + 1;
      if (!opts.allowPartial) {
        throw new DatasetError(`${path}:${line}: the last line is cut off (${tail} bytes without a newline; a killed run?); regenerate or resume the dataset, or pass --allow-partial (allowPartial) to skip it`, path, line);
      }
      opts.onWarning?.(`${path}:${line}: the last line is cut off (${tail} bytes without a newline); skipped`);
      continue; // a torn shard cannot match the manifest's count and sha256
    }
    if (shard.expect) {
      if (count !== shard.expect.episodes) throw new DatasetError(`${path}: ${count} episodes, the manifest says ${shard.expect.episodes}; the shard is damaged: regenerate the dataset`, path);
      const sum = hash!.digest('hex');
      if (sum !== shard.expect.sha256) throw new DatasetError(`${path}: sha256 ${sum.slice(0, 12)}… does not match the manifest's ${shard.expect.sha256.slice(0, 12)}…; the shard was changed or damaged: regenerate the dataset`, path);
    }
  }
}
