import test from 'ava';
import { cp, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateDataset, type GenerateOptions } from '../../../environments/dataset/generate.js';
import { mergeDatasets } from '../../../environments/dataset/merge.js';
import { manifestOf, shardFile, sliceOf } from '../../../environments/dataset/manifest.js';
import { readEpisodes } from '../../../environments/dataset/reader.js';
import { readManifest } from '../../../environments/dataset/writer.js';
import { toyScenario } from '../helpers/toy.js';

const workerFile = new URL('../helpers/toy-worker.js', import.meta.url);
const base = { scenario: toyScenario, policy: 'random', episodes: 230, seed: 3, shardSize: 50, workers: 1, taskSize: 16, workerFile } satisfies Partial<GenerateOptions>;

const dirs: string[] = [];
async function tmp(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'reverie-merge-'));
  dirs.push(dir);
  return dir;
}
test.after.always(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function files(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const n of (await readdir(dir)).sort()) out[n] = await readFile(join(dir, n), 'utf8');
  return out;
}

// The single-process run, and its three slices, each generated once.
const once = <T>(f: () => Promise<T>) => {
  let p: Promise<T> | null = null;
  return () => (p ??= f());
};
const whole = once(async () => {
  const dir = await tmp();
  await generateDataset({ ...base, out: dir });
  return { dir, files: await files(dir) };
});
async function slices(count: number, over: Partial<GenerateOptions> = {}): Promise<string[]> {
  const root = await tmp();
  const out: string[] = [];
  for (let index = 0; index < count; index++) {
    const dir = join(root, `part-${index}`);
    await generateDataset({ ...base, ...over, slice: { index, count }, out: dir });
    out.push(dir);
  }
  return out;
}
const three = once(() => slices(3));

test('slices are balanced contiguous ranges that cover the run once', (t) => {
  t.deepEqual([0, 1, 2].map((i) => sliceOf(230, i, 3)), [
    { index: 0, count: 3, first: 0, episodes: 77 },
    { index: 1, count: 3, first: 77, episodes: 77 },
    { index: 2, count: 3, first: 154, episodes: 76 },
  ]);
  t.deepEqual(sliceOf(5, 0, 1), { index: 0, count: 1, first: 0, episodes: 5 });
  t.throws(() => sliceOf(5, 3, 3), { message: /expected 0 ≤ index < count/ });
  t.throws(() => sliceOf(2, 0, 3), { message: /3 slices of 2 episodes would leave some empty/ });
});

test('a slice keeps the run\'s shard names and boundaries and records which slice of which command it is', async (t) => {
  const [, middle] = await three();
  const m = await readManifest(middle);
  if (!m) return t.fail('no manifest');
  t.like(m, { complete: true, policy: 'random', seed: 3, episodes: 230, shardSize: 50, slice: { index: 1, count: 3, first: 77, episodes: 77 } });
  t.is((await readManifest((await whole()).dir))?.scenario.hash, m.scenario.hash);
  t.deepEqual(m.shards.map((s) => [s.file, s.first, s.episodes]), [[shardFile(1), 77, 23], [shardFile(2), 100, 50], [shardFile(3), 150, 4]]);
  const indices: number[] = [];
  for await (const ep of readEpisodes(middle)) indices.push(ep.index);
  t.deepEqual(indices, Array.from({ length: 77 }, (_, i) => 77 + i));
});

const identical = test.macro(async (t, count: number, shardSize: number) => {
  const ref = shardSize === base.shardSize ? await whole() : await (async () => {
    const dir = await tmp();
    await generateDataset({ ...base, shardSize, out: dir });
    return { dir, files: await files(dir) };
  })();
  const parts = count === 3 && shardSize === base.shardSize ? await three() : await slices(count, { shardSize });
  const out = join(await tmp(), 'merged');
  // Any order on the command line.
  const r = await mergeDatasets({ inputs: [...parts].reverse(), out });
  t.is(r.manifest.episodes, 230);
  t.deepEqual(await files(out), ref.files);
});
test('3 slices merged are the single-process bytes (every file)', identical, 3, 50);
test('1 slice merged is the single-process bytes', identical, 1, 50);
test('7 slices, some inside one shard file, merged are the single-process bytes', identical, 7, 100);

test('a slice resumes after a crash like a whole run', async (t) => {
  const [, middle] = await three();
  const dir = join(await tmp(), 'resumed');
  await cp(middle, dir, { recursive: true });
  const m = await readManifest(middle);
  if (!m) return t.fail('no manifest');
  // As kill -9 leaves it: the first part whole, 20 lines and a torn one of the next, no final manifest.
  await writeFile(join(dir, 'manifest.json'), JSON.stringify(manifestOf(m, false, []), null, 2) + '\n');
  const lines = (await readFile(join(middle, shardFile(2)), 'utf8')).split('\n');
  await writeFile(join(dir, shardFile(2) + '.partial'), lines.slice(0, 20).map((l) => l + '\n').join('') + lines[20].slice(0, 30));
  await rm(join(dir, shardFile(2)));
  await rm(join(dir, shardFile(3)));
  const r = await generateDataset({ ...base, slice: { index: 1, count: 3 }, out: dir, mode: 'resume' });
  t.is(r.resumedFrom, 23 + 20);
  t.is(r.generated, 77 - 43);
  t.deepEqual(await files(dir), await files(middle));
  await t.throwsAsync(generateDataset({ ...base, slice: { index: 2, count: 3 }, out: dir, mode: 'resume' }), { message: /different plan \(slice \(--shard\): 2\/3 now, 1\/3 in the dataset\)/ });
});

const refused = test.macro(async (t, make: (parts: string[]) => Promise<string[]>, message: RegExp) => {
  const parts = await three();
  const out = join(await tmp(), 'merged');
  await t.throwsAsync(mergeDatasets({ inputs: await make(parts), out }), { message });
  t.deepEqual(await readdir(out).catch(() => []), [], 'nothing is left in --out');
});

async function copyOf(dir: string): Promise<string> {
  const copy = join(await tmp(), 'copy');
  await cp(dir, copy, { recursive: true });
  return copy;
}

test('merge refuses a missing shard and names it', refused, async ([a, , c]) => [a, c], /missing shard 1\/3 \(episodes 77–153\): give the directories of all 3 shards/);
test('merge refuses a shard given twice', refused, async ([a, b, c]) => [a, b, await copyOf(b), c], /shard 1\/3 is given twice: .*part-1 and .*copy/);
test('merge refuses shards of different commands and names the difference', refused, async ([a, b]) => {
  const [, , other] = await slices(3, { seed: 4 });
  return [a, b, other];
}, /come from different generate commands \(seed: 4 vs 3\)/);
test('merge refuses shards of different splits', refused, async ([a, b]) => {
  const [, , last] = await slices(4, { taskSize: 64 });
  return [a, b, last];
}, /different generate commands \(number of shards: 4 vs 3\)/);
test('merge refuses an unfinished shard', refused, async ([a, b, c]) => {
  const copy = await copyOf(b);
  const m = await readManifest(b);
  if (!m) throw new Error('no manifest');
  await writeFile(join(copy, 'manifest.json'), JSON.stringify(manifestOf(m, false, []), null, 2) + '\n');
  return [a, copy, c];
}, /slice 1\/3 is not finished: .* --resume/);
test('merge refuses a manifest whose slice range was edited (overlap)', refused, async ([a, b, c]) => {
  const copy = await copyOf(b);
  const m = JSON.parse(await readFile(join(b, 'manifest.json'), 'utf8'));
  m.slice.first = 70;
  await writeFile(join(copy, 'manifest.json'), JSON.stringify(m, null, 2) + '\n');
  return [a, copy, c];
}, /slice 1\/3 holds episodes \[70, 147\) but that slice is \[77, 154\); the manifest is damaged/);
test('merge refuses a changed scenario.json', refused, async ([a, b, c]) => {
  const copy = await copyOf(c);
  const s = JSON.parse(await readFile(join(c, 'scenario.json'), 'utf8'));
  s.title = 'changed';
  await writeFile(join(copy, 'scenario.json'), JSON.stringify(s, null, 2) + '\n');
  return [a, b, copy];
}, /scenario.json differs from .*part-0.scenario.json; the slice is damaged/);

// Damage found while copying: the part written so far is removed again.
async function damaged(edit: (lines: string[]) => void): Promise<string> {
  const [, b] = await three();
  const copy = await copyOf(b);
  const lines = (await readFile(join(b, shardFile(2)), 'utf8')).split('\n');
  edit(lines);
  await writeFile(join(copy, shardFile(2)), lines.join('\n'));
  return copy;
}
test('merge refuses a slice whose listed shard is gone and names it', refused, async ([a, , c]) => {
  const b = await damaged(() => {});
  await rm(join(b, shardFile(2)));
  return [a, b, c];
}, /copy.episodes-00002.jsonl: missing \(listed in manifest.json\); the slice is incomplete: regenerate it/);
test('merge refuses a corrupted line (sha256, as inspect checks)', refused, async ([a, , c]) => {
  const b = await damaged((l) => { l[7] = l[7].replace('"policy":"random"', '"policy":"randon"'); });
  return [a, b, c];
}, /copy.episodes-00002.jsonl: sha256 .* does not match the manifest/);
test('merge refuses a line that is not JSON and names shard and line', refused, async ([a, , c]) => [a, await damaged((l) => { l[4] = '{"index": oops'; }), c], /copy.episodes-00002.jsonl:5: not valid JSON/);
test('merge refuses a torn last line', refused, async ([a, , c]) => [a, await damaged((l) => { l.length = 50; l[49] = l[49].slice(0, 10); }), c], /episodes-00002.jsonl: the last line is cut off/);
test('merge refuses a shard with episodes missing', refused, async ([a, , c]) => [a, await damaged((l) => { l.splice(10, 1); }), c], /episodes-00002.jsonl:11: expected episode 110, found 111/);

test('merge refuses a non-empty --out unless --force, and an input as --out', async (t) => {
  const parts = await three();
  const out = await tmp();
  await writeFile(join(out, 'notes.txt'), 'mine');
  await t.throwsAsync(mergeDatasets({ inputs: parts, out }), { message: /output directory .* is not empty \(notes.txt\); use --force/ });
  await mergeDatasets({ inputs: parts, out, mode: 'force' });
  const f = await files(out);
  t.is(f['notes.txt'], 'mine', 'force removes only dataset files');
  delete f['notes.txt'];
  t.deepEqual(f, (await whole()).files);
  await t.throwsAsync(mergeDatasets({ inputs: parts, out: parts[0], mode: 'force' }), { message: /is one of the slices being merged/ });
  await t.throwsAsync(mergeDatasets({ inputs: [], out }), { message: /nothing to merge/ });
});
