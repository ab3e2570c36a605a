import test from 'ava';
import { createHash } from 'node:crypto';
import { cp, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateDataset, type GenerateOptions } from '../../environments/dataset/generate.js';
import { readEpisodes } from '../../environments/dataset/reader.js';
import { inspectDataset } from '../../environments/dataset/inspect.js';
import { exportDataset } from '../../environments/dataset/export.js';
import { manifestOf, shardFile } from '../../environments/dataset/manifest.js';
import { readManifest } from '../../environments/dataset/writer.js';
import { toyScenario } from './helpers/toy.js';

const workerFile = new URL('./helpers/toy-worker.js', import.meta.url);
const base = { scenario: toyScenario, policy: 'random', episodes: 230, seed: 3, shardSize: 50, workers: 1, taskSize: 16, workerFile } satisfies Partial<GenerateOptions>;

async function tmp(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'reverie-ds-'));
}

async function files(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const n of (await readdir(dir)).sort()) out[n] = await readFile(join(dir, n), 'utf8');
  return out;
}

// One reference dataset, generated once.
let reference: Promise<{ dir: string; files: Record<string, string> }> | null = null;
function getReference() {
  reference ??= (async () => {
    const dir = await tmp();
    await generateDataset({ ...base, out: dir });
    return { dir, files: await files(dir) };
  })();
  return reference;
}

test('a dataset is shards of fixed size plus a manifest with sha256 and statistics', async (t) => {
  const ref = await getReference();
  t.deepEqual(Object.keys(ref.files), ['episodes-00000.jsonl', 'episodes-00001.jsonl', 'episodes-00002.jsonl', 'episodes-00003.jsonl', 'episodes-00004.jsonl', 'manifest.json', 'scenario.json']);
  const m = await readManifest(ref.dir);
  if (!m) return t.fail('no manifest');
  t.true(m.complete);
  t.deepEqual(m.shards.map((s) => [s.file, s.first, s.episodes]), [[shardFile(0), 0, 50], [shardFile(1), 50, 50], [shardFile(2), 100, 50], [shardFile(3), 150, 50], [shardFile(4), 200, 30]]);
  for (const s of m.shards) t.is(s.sha256, createHash('sha256').update(ref.files[s.file]).digest('hex'));
  t.like(m, { policy: 'random', seed: 3, episodes: 230, shardSize: 50, scenario: { id: 'toy-numbers', version: '1.0.0', family: 'guessing' } });
  t.is(m.summary?.episodes, 230);
  const [lo, hi] = m.summary?.returnCI95 ?? [0, 0];
  t.true(lo <= (m.summary?.meanReturn ?? NaN) && (m.summary?.meanReturn ?? NaN) <= hi);
  t.deepEqual(JSON.parse(ref.files['scenario.json']), toyScenario);
});

test('the reader streams every episode in order, validated', async (t) => {
  const ref = await getReference();
  let i = 0;
  for await (const ep of readEpisodes(ref.dir)) {
    if (ep.index !== i) t.fail(`episode ${ep.index} at position ${i}`);
    i++;
  }
  t.is(i, 230);
});

test('workers 1 and 2, different task sizes and concurrency give byte-identical files', async (t) => {
  const ref = await getReference();
  const dir = await tmp();
  await generateDataset({ ...base, out: dir, workers: 2, taskSize: 7, concurrency: 5 });
  t.deepEqual(await files(dir), ref.files);
});

test('a non-empty directory is refused unless resume or force', async (t) => {
  const dir = await tmp();
  await writeFile(join(dir, 'notes.txt'), 'mine');
  await t.throwsAsync(generateDataset({ ...base, out: dir }), { message: /is not empty \(notes.txt\); use --resume .* --force/ });
  await generateDataset({ ...base, out: dir, mode: 'force' });
  const f = await files(dir);
  t.is(f['notes.txt'], 'mine', 'force removes only dataset files');
  const ref = await getReference();
  delete f['notes.txt'];
  t.deepEqual(f, ref.files);
});

// Crash states as kill -9 leaves them: k whole shards, m whole lines of the next one, maybe a torn line.
const crash = test.macro(async (t, wholeShards: number, lines: number, torn: boolean) => {
  const ref = await getReference();
  const dir = await tmp();
  for (let k = 0; k < wholeShards; k++) await cp(join(ref.dir, shardFile(k)), join(dir, shardFile(k)));
  await writeFile(join(dir, 'scenario.json'), ref.files['scenario.json']);
  const m = await readManifest(ref.dir);
  if (!m) return t.fail('no manifest');
  await writeFile(join(dir, 'manifest.json'), JSON.stringify(manifestOf(m, false, []), null, 2) + '\n');
  if (lines > 0 || torn) {
    const next = ref.files[shardFile(wholeShards)].split('\n');
    const partial = next.slice(0, lines).map((l) => l + '\n').join('') + (torn ? next[lines].slice(0, 40) : '');
    await writeFile(join(dir, shardFile(wholeShards) + '.partial'), partial);
  }
  await writeFile(join(dir, 'manifest.json.tmp'), '{"half": ');
  const r = await generateDataset({ ...base, out: dir, mode: 'resume', workers: 2 });
  t.is(r.resumedFrom, Math.min(wholeShards * 50 + lines, 230));
  t.deepEqual(await files(dir), ref.files);
});
test('resume after a crash before the first shard', crash, 0, 0, false);
test('resume with a torn line in the first shard', crash, 0, 13, true);
test('resume mid-shard on a line boundary', crash, 2, 20, false);
test('resume with a torn first line', crash, 3, 0, true);
test('resume when the partial shard is whole but not renamed', crash, 1, 50, false);
test('resume when every shard is written but the manifest is not final', crash, 5, 0, false);

test('resume of a finished dataset changes nothing', async (t) => {
  const ref = await getReference();
  const dir = await tmp();
  await cp(ref.dir, dir, { recursive: true });
  const r = await generateDataset({ ...base, out: dir, mode: 'resume' });
  t.is(r.generated, 0);
  t.deepEqual(await files(dir), ref.files);
});

test('resume refuses a different plan and names the difference', async (t) => {
  const ref = await getReference();
  const dir = await tmp();
  await cp(ref.dir, dir, { recursive: true });
  await t.throwsAsync(generateDataset({ ...base, out: dir, mode: 'resume', seed: 4 }), { message: /different plan \(seed: 4 now, 3 in the dataset\)/ });
});

test('resume refuses shards without a manifest', async (t) => {
  const ref = await getReference();
  const dir = await tmp();
  await cp(join(ref.dir, shardFile(0)), join(dir, shardFile(0)));
  await t.throwsAsync(generateDataset({ ...base, out: dir, mode: 'resume' }), { message: /has episode shards but no manifest.json; use --force/ });
});

test('resume refuses a damaged whole shard', async (t) => {
  const ref = await getReference();
  const dir = await tmp();
  await cp(ref.dir, dir, { recursive: true });
  const text = ref.files[shardFile(1)].split('\n');
  await writeFile(join(dir, shardFile(1)), text.slice(0, 10).join('\n') + '\n');
  await t.throwsAsync(generateDataset({ ...base, out: dir, mode: 'resume' }), { message: /episodes-00001.jsonl: 10 whole episodes where the plan puts 50/ });
});

async function damaged(edit: (lines: string[]) => void): Promise<string> {
  const ref = await getReference();
  const dir = await tmp();
  await cp(ref.dir, dir, { recursive: true });
  const lines = ref.files[shardFile(2)].split('\n');
  edit(lines);
  await writeFile(join(dir, shardFile(2)), lines.join('\n'));
  return dir;
}

async function drain(dir: string, opts = {}): Promise<number> {
  let n = 0;
  for await (const _ of readEpisodes(dir, opts)) n++;
  return n;
}

test('the reader names shard and line of a line that is not JSON', async (t) => {
  const dir = await damaged((l) => { l[6] = '{"id": oops'; });
  await t.throwsAsync(drain(dir), { message: new RegExp(`episodes-00002.jsonl:7: not valid JSON`) });
});

test('the reader names the field of an invalid episode', async (t) => {
  const dir = await damaged((l) => { const e = JSON.parse(l[3]); e.turns[0].speaker = 'narrator'; l[3] = JSON.stringify(e); });
  await t.throwsAsync(drain(dir, { verify: false }), { message: /episodes-00002.jsonl:4: not a valid episode: turns.0.speaker: / });
});

test('the reader catches a shard changed after writing', async (t) => {
  const dir = await damaged((l) => { const e = JSON.parse(l[0]); e.policy = 'other'; l[0] = JSON.stringify(e); });
  await t.throwsAsync(drain(dir), { message: /episodes-00002.jsonl: sha256 .* does not match the manifest/ });
  t.is(await drain(dir, { verify: false }), 230);
});

test('the reader names a shard the manifest lists that is gone', async (t) => {
  const dir = await damaged(() => {});
  await rm(join(dir, shardFile(2)));
  await t.throwsAsync(drain(dir), { message: new RegExp(`episodes-00002.jsonl: missing \\(listed in manifest.json\\); the dataset is incomplete: regenerate it`) });
});

test('the reader refuses an unfinished dataset and says how to finish it', async (t) => {
  const dir = await tmp();
  await mkdir(dir, { recursive: true });
  await t.throwsAsync(drain(dir), { message: /no manifest.json in it/ });
  const m = await readManifest((await getReference()).dir);
  if (!m) return t.fail('no manifest');
  await writeFile(join(dir, 'manifest.json'), JSON.stringify(manifestOf(m, false, [])));
  await t.throwsAsync(drain(dir), { message: /is not finished: .* --resume/ });
});

test('inspect recomputes the statistics and counts distinct utterances', async (t) => {
  const ref = await getReference();
  const r = await inspectDataset(ref.dir);
  const m = await readManifest(ref.dir);
  t.deepEqual(r.summary, m?.summary);
  t.is(r.turnLengths.histogram.reduce((n, [, c]) => n + c, 0), 230);
  t.true(r.turnLengths.min <= r.turnLengths.p50 && r.turnLengths.p50 <= r.turnLengths.max);
  t.false(r.distinctUserUtterances.approximate);
  t.true(r.distinctUserUtterances.count >= 3 && r.distinctUserUtterances.count < 20, `${r.distinctUserUtterances.count}`);
  t.is(Object.values(r.endReasons).reduce((a, b) => a + b, 0), 230);
});

test('export writes one chat record per episode, agent as assistant, persona beside the messages', async (t) => {
  const ref = await getReference();
  const out = join(await tmp(), 'chat.jsonl');
  const r = await exportDataset(ref.dir, out);
  t.is(r.episodes, 230);
  const recs = (await readFile(out, 'utf8')).trimEnd().split('\n').map((l) => JSON.parse(l));
  t.is(recs.length, 230);
  const first = JSON.parse(ref.files[shardFile(0)].split('\n')[0]);
  t.deepEqual(recs[0].persona, first.persona);
  t.is(recs[0].messages[0].role, 'user');
  t.is(recs[0].messages[1].role, 'assistant');
  t.is(recs[0].messages[1].content, first.turns[1].text);
  t.is(recs[0].messages.length, first.turns.length);
  t.false(JSON.stringify(recs[0].messages).includes('"n":'), 'the hidden persona is not in the messages');
  await rm(out);
});
