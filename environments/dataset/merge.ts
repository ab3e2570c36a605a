import { createHash } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, type FileHandle } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { contentHash } from '../../scenarios/hash.js';
import { EpisodeStats } from '../stats.js';
import { DatasetError, listedLines, syncDir, writeAll, writeFileAtomic } from './files.js';
import {
  MANIFEST_FILE, PARTIAL_SUFFIX, SCENARIO_FILE,
  manifestOf, planDifferences, shardParts, sliceName, sliceOf,
  type DatasetPlan, type Manifest, type ShardEntry, type Slice,
} from './manifest.js';
import { isDatasetFile, readManifest, summaryOfLine } from './writer.js';

export interface MergeOptions {
  /** The slice directories (`reverie generate --shard I/N --out DIR`), in any order. */
  readonly inputs: readonly string[];
  readonly out: string;
  /** 'fresh' refuses a non-empty output directory; 'force' replaces the dataset files in it. */
  readonly mode?: 'fresh' | 'force';
  /** Called after each shard file: episodes merged and the total. */
  readonly onProgress?: (done: number, total: number) => void;
}

export interface MergeReport {
  readonly manifest: Manifest;
  /** The slices, in episode order. */
  readonly slices: readonly Slice[];
  readonly seconds: number;
}

interface Input {
  readonly dir: string;
  readonly manifest: Manifest;
  readonly slice: Slice;
}

// Output is written in blocks of about this size (lines are copied, not parsed into objects and back).
const FLUSH_BYTES = 1 << 20;

/**
 * Joins the slices of one run (`generate --shard I/N`) into the dataset a single process writes
 * for the same command, byte for byte: the shard files are the slices' parts concatenated in
 * episode order, the statistics are recomputed in index order (the same arithmetic as the
 * writer's), and scenario.json is the slices' own. Refuses, before writing anything, slices that
 * are unfinished, from different commands, duplicated, missing or overlapping; while copying it
 * checks every line's episode index and each part's sha256 against its slice's manifest, and a
 * failure removes what was written. Streams: memory does not grow with the dataset.
 *
 * @example
 * await mergeDatasets({ inputs: ['out/part-0', 'out/part-1', 'out/part-2'], out: 'data/travel' });
 */
export async function mergeDatasets(o: MergeOptions): Promise<MergeReport> {
  const t0 = performance.now();
  if (o.inputs.length === 0) throw new DatasetError('nothing to merge: give the directories of every slice (`reverie generate --shard I/N --out DIR`)');
  const inputs = await checkInputs(o.inputs);
  const scenarioText = await checkScenarios(inputs);
  const first = inputs[0].manifest;
  const plan: DatasetPlan = { scenario: first.scenario, policy: first.policy, seed: first.seed, episodes: first.episodes, shardSize: first.shardSize };
  for (const input of inputs) {
    if (resolve(input.dir) === resolve(o.out)) throw new DatasetError(`--out ${o.out} is one of the slices being merged; write the merged dataset to another directory`);
  }

  await prepareOut(o.out, o.mode ?? 'fresh');
  const written: string[] = [];
  try {
    await writeFileAtomic(join(o.out, SCENARIO_FILE), scenarioText);
    await writeFileAtomic(join(o.out, MANIFEST_FILE), JSON.stringify(manifestOf(plan, false, []), null, 2) + '\n');
    const stats = new EpisodeStats();
    const shards: ShardEntry[] = [];
    // Which slice holds each part of each shard file of the whole run.
    const parts = inputs.flatMap((input) => shardParts(input.manifest).map((part) => ({ input, part })));
    for (const whole of shardParts(plan)) {
      const path = join(o.out, whole.file + PARTIAL_SUFFIX);
      written.push(path);
      const fh = await open(path, 'w');
      const hash = createHash('sha256');
      try {
        const out = new BlockWriter(fh, hash);
        for (const { input, part } of parts.filter((p) => p.part.k === whole.k)) await copyPart(input, part.file, out, stats);
        await out.flush();
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(path, join(o.out, whole.file));
      written.push(join(o.out, whole.file));
      shards.push({ file: whole.file, first: whole.first, episodes: whole.episodes, sha256: hash.digest('hex') });
      o.onProgress?.(whole.first + whole.episodes, plan.episodes);
    }
    await syncDir(o.out);
    const manifest = manifestOf(plan, true, shards, stats.summary());
    await writeFileAtomic(join(o.out, MANIFEST_FILE), JSON.stringify(manifest, null, 2) + '\n');
    return { manifest, slices: inputs.map((i) => i.slice), seconds: (performance.now() - t0) / 1000 };
  } catch (err) {
    // A half-merged directory must not look like a dataset: remove what this merge wrote.
    for (const f of [...written, join(o.out, MANIFEST_FILE), join(o.out, SCENARIO_FILE)]) await rm(f, { force: true });
    throw err;
  }
}

/** Reads every manifest and checks that the slices are one whole run, once each; sorted by episode. */
async function checkInputs(dirs: readonly string[]): Promise<Input[]> {
  const inputs: Input[] = [];
  for (const dir of dirs) {
    const manifest = await readManifest(dir);
    if (!manifest) throw new DatasetError(`${dir} is not a dataset slice: no ${MANIFEST_FILE} in it (write one with \`reverie generate ... --shard I/N --out ${dir}\`)`, dir);
    const name = manifest.slice ? `slice ${sliceName(manifest.slice)}` : 'dataset';
    if (!manifest.complete) throw new DatasetError(`${dir}: ${name} is not finished: its generation stopped early; complete it with \`reverie generate --out ${dir} --resume\``, dir);
    // A whole dataset is the one slice of a split into one.
    const slice = manifest.slice ?? { index: 0, count: 1, first: 0, episodes: manifest.episodes };
    const expected = sliceOf(manifest.episodes, slice.index, slice.count);
    if (slice.first !== expected.first || slice.episodes !== expected.episodes) {
      throw new DatasetError(`${dir}: ${MANIFEST_FILE} says slice ${sliceName(slice)} holds episodes [${slice.first}, ${slice.first + slice.episodes}) but that slice is [${expected.first}, ${expected.first + expected.episodes}); the manifest is damaged: regenerate the slice`, dir);
    }
    const listed = manifest.shards.map((s) => `${s.file}:${s.first}+${s.episodes}`).join(' ');
    const planned = shardParts(manifest).map((p) => `${p.file}:${p.first}+${p.episodes}`).join(' ');
    if (listed !== planned) throw new DatasetError(`${dir}: the shards listed in ${MANIFEST_FILE} are not the ones its plan writes (${listed || 'none'} vs ${planned}); the manifest is damaged: regenerate the slice`, dir);
    inputs.push({ dir, manifest, slice });
  }

  const ref = inputs[0];
  for (const input of inputs.slice(1)) {
    const diff = planDifferences({ ...input.manifest, slice: undefined }, { ...ref.manifest, slice: undefined });
    if (input.slice.count !== ref.slice.count) diff.push(`number of shards: ${input.slice.count} vs ${ref.slice.count}`);
    if (diff.length) {
      throw new DatasetError(`cannot merge ${input.dir} with ${ref.dir}: they come from different generate commands (${diff.join('; ')}); merge only the shards of one command`, input.dir);
    }
  }

  const byIndex = new Map<number, Input>();
  for (const input of inputs) {
    const other = byIndex.get(input.slice.index);
    if (other) throw new DatasetError(`shard ${sliceName(input.slice)} is given twice: ${other.dir} and ${input.dir}; give each shard's directory once`, input.dir);
    byIndex.set(input.slice.index, input);
  }
  const { count } = ref.slice;
  const missing: string[] = [];
  for (let i = 0; i < count; i++) {
    if (!byIndex.has(i)) {
      const s = sliceOf(ref.manifest.episodes, i, count);
      missing.push(`${i}/${count} (episodes ${s.first}–${s.first + s.episodes - 1})`);
    }
  }
  if (missing.length) throw new DatasetError(`missing shard${missing.length > 1 ? 's' : ''} ${missing.join(', ')}: give the directories of all ${count} shards of the command`);

  inputs.sort((a, b) => a.slice.first - b.slice.first);
  // With one split and every slice where sliceOf puts it this cannot fail; it guards the promise merge makes.
  let next = 0;
  for (const input of inputs) {
    const { first, episodes } = input.slice;
    if (first !== next) throw new DatasetError(`${input.dir}: slice ${sliceName(input.slice)} starts at episode ${first} but the slices before it end at ${next} (${first < next ? 'overlap' : 'gap'}); merge only the shards of one command`, input.dir);
    next = first + episodes;
  }
  if (next !== ref.manifest.episodes) throw new DatasetError(`the slices end at episode ${next}, the run has ${ref.manifest.episodes}`);
  return inputs;
}

/** The slices' scenario.json: byte-identical in all of them, and the scenario their plan names. */
async function checkScenarios(inputs: readonly Input[]): Promise<string> {
  let text: string | null = null;
  for (const { dir, manifest } of inputs) {
    const path = join(dir, SCENARIO_FILE);
    let mine: string;
    try {
      mine = await readFile(path, 'utf8');
    } catch {
      throw new DatasetError(`${path}: missing; the slice is incomplete: regenerate it`, path);
    }
    if (text === null) {
      let hash: string;
      try {
        hash = contentHash(JSON.parse(mine));
      } catch (err) {
        throw new DatasetError(`${path}: not valid JSON (${(err as Error).message}); regenerate the slice`, path);
      }
      if (hash !== manifest.scenario.hash) throw new DatasetError(`${path}: content hash ${hash} is not the ${manifest.scenario.hash} of ${MANIFEST_FILE}; the slice is damaged: regenerate it`, path);
      text = mine;
    } else if (mine !== text) {
      throw new DatasetError(`${path} differs from ${join(inputs[0].dir, SCENARIO_FILE)}; the slice is damaged: regenerate it`, path);
    }
  }
  return text ?? '';
}

async function prepareOut(out: string, mode: 'fresh' | 'force'): Promise<void> {
  await mkdir(out, { recursive: true });
  const names = await readdir(out);
  if (mode === 'fresh' && names.length > 0) {
    const shown = names.slice(0, 3).join(', ') + (names.length > 3 ? ', ...' : '');
    throw new DatasetError(`output directory ${out} is not empty (${shown}); use --force to overwrite it, or another --out`);
  }
  for (const n of names) if (isDatasetFile(n)) await rm(join(out, n), { force: true });
}

/** Buffers whole lines and writes them in blocks, hashing what it writes. */
class BlockWriter {
  private pending: Buffer[] = [];
  private bytes = 0;

  constructor(private readonly fh: FileHandle, private readonly hash: ReturnType<typeof createHash>) {}

  async add(line: Buffer): Promise<void> {
    this.pending.push(line);
    this.bytes += line.length;
    if (this.bytes >= FLUSH_BYTES) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.bytes === 0) return;
    const block = Buffer.concat(this.pending, this.bytes);
    this.pending = [];
    this.bytes = 0;
    this.hash.update(block);
    await writeAll(this.fh, block);
  }
}

/** Copies one slice's part of a shard file line by line, checking indices, count and sha256. */
async function copyPart(input: Input, file: string, out: BlockWriter, stats: EpisodeStats): Promise<void> {
  const entry = input.manifest.shards.find((s) => s.file === file);
  if (!entry) throw new Error(`internal: ${input.dir} has no ${file} in its manifest`);
  const path = join(input.dir, file);
  const hash = createHash('sha256');
  let raw: Buffer = Buffer.alloc(0);
  let count = 0;
  const it = listedLines(path, (b) => {
    hash.update(b);
    raw = b;
  }, 'the slice');
  let r: Awaited<ReturnType<typeof it.next>>;
  for (;;) {
    r = await it.next();
    if (r.done) break;
    if (count >= entry.episodes) throw new DatasetError(`${path}: more than the ${entry.episodes} episodes ${MANIFEST_FILE} lists; the slice is damaged: regenerate it`, path);
    stats.add(summaryOfLine(r.value.text, entry.first + count, `${path}:${r.value.lineNo}`));
    // A view into the read stream's chunk (never reused by the stream); copied once, at flush.
    await out.add(raw);
    count++;
  }
  if (r.value.tail > 0) throw new DatasetError(`${path}: the last line is cut off (${r.value.tail} bytes without a newline); the slice is damaged: regenerate it`, path);
  if (count !== entry.episodes) throw new DatasetError(`${path}: ${count} episodes, ${MANIFEST_FILE} says ${entry.episodes}; the slice is damaged: regenerate it`, path);
  const sum = hash.digest('hex');
  if (sum !== entry.sha256) throw new DatasetError(`${path}: sha256 ${sum.slice(0, 12)}… does not match the manifest's ${entry.sha256.slice(0, 12)}…; the shard was changed or damaged: regenerate the slice`, path);
}
