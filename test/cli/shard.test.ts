import test from 'ava';
import { cp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { files, json, reverie, tmp } from '../e2e/helpers/cli.js';

// One command, run whole and as 3 shards: 300 teacher episodes, shard files of 70 (slice ends fall inside files).
const command = ['generate', '--scenario', 'teacher', '--policy', 'random', '--episodes', '300', '--seed', '2', '--shard-size', '70', '--workers', '1'];

let root: Promise<string> | null = null;
const getRoot = () => (root ??= tmp('reverie-shard-'));
test.after.always(async () => {
  if (root) await rm(await root, { recursive: true, force: true });
});

let runs: Promise<{ whole: string; parts: string[] }> | null = null;
function getRuns() {
  runs ??= (async () => {
    const dir = await getRoot();
    const whole = join(dir, 'whole');
    const parts = [0, 1, 2].map((i) => join(dir, `part-${i}`));
    const results = await Promise.all([
      reverie(...command, '--out', whole),
      // Worker counts do not change a byte: shard 1 plays on 2 threads (the last --workers wins).
      ...parts.map((out, i) => reverie(...command, '--shard', `${i}/3`, '--out', out, '--json', ...(i === 1 ? ['--workers', '2'] : []))),
    ]);
    for (const r of results) if (r.code !== 0) throw new Error(r.stderr);
    return { whole, parts };
  })();
  return runs;
}

test('generate --shard I/N writes slice I and says which episodes', async (t) => {
  const { parts } = await getRuns();
  const m = JSON.parse(await readFile(join(parts[1], 'manifest.json'), 'utf8'));
  t.like(m, { episodes: 300, shardSize: 70, seed: 2, policy: 'random', slice: { index: 1, count: 3, first: 100, episodes: 100 } });
  t.deepEqual(m.shards.map((s: { file: string; first: number; episodes: number }) => [s.file, s.first, s.episodes]), [['episodes-00001.jsonl', 100, 40], ['episodes-00002.jsonl', 140, 60]]);
});

test('1 process and 3 shards + merge give the same bytes in every file', async (t) => {
  const { whole, parts } = await getRuns();
  const out = join(await getRoot(), 'merged');
  const r = await reverie('merge', parts[2], parts[0], parts[1], '--out', out, '--json');
  t.is(r.code, 0, r.stderr);
  t.like(json(r), { ok: true, command: 'merge', episodes: 300, shards: 5, slices: 3 });
  const want = await files(whole);
  t.deepEqual(Object.keys(want), ['episodes-00000.jsonl', 'episodes-00001.jsonl', 'episodes-00002.jsonl', 'episodes-00003.jsonl', 'episodes-00004.jsonl', 'manifest.json', 'scenario.json']);
  t.deepEqual(await files(out), want);
});

const failure = test.macro(async (t, make: (parts: string[]) => Promise<string[]>, message: RegExp) => {
  const { parts } = await getRuns();
  const out = join(await tmp('reverie-shard-out-'), 'merged');
  const r = await reverie('merge', ...(await make(parts)), '--out', out);
  await rm(join(out, '..'), { recursive: true, force: true });
  t.is(r.code, 1, r.stderr);
  t.regex(r.stderr, message);
  t.notRegex(r.stderr, /\n\s+at .*:\d+:\d+/, 'no stack trace');
});
test('merge refuses a missing shard', failure, async ([a, b]) => [a, b], /missing shard 2\/3 \(episodes 200–299\)/);
// Shards of different commands, duplicated or overlapping: test/environments/dataset/merge.test.ts.
test('merge refuses a corrupted line', failure, async ([a, b, c]) => {
  const copy = join(await getRoot(), 'corrupted');
  await cp(b, copy, { recursive: true });
  const file = join(copy, 'episodes-00002.jsonl');
  const lines = (await readFile(file, 'utf8')).split('\n');
  lines[3] = lines[3].replace('"policy":"random"', '"policy":"randon"');
  await writeFile(file, lines.join('\n'));
  return [a, copy, c];
}, /corrupted.episodes-00002.jsonl: sha256 .* does not match the manifest/);

const usage = test.macro(async (t, shard: string, message: RegExp) => {
  const r = await reverie(...command, '--shard', shard, '--out', join(await getRoot(), 'never'));
  t.is(r.code, 2, r.stderr);
  t.regex(r.stderr, message);
});
test('--shard 3/3 is a usage error (I counts from 0)', usage, '3/3', /--shard: shard 3 of 3 does not exist: I counts from 0, so the last of 3 shards is 2\/3/);
test('--shard x is a usage error', usage, 'x', /--shard: expected I\/N: .*\(got 'x'\)/);
test('--shard with more shards than episodes is a usage error', usage, '0/301', /--shard: 301 shards of 300 episodes would leave some empty/);
test('--shard on a reasoning scenario is refused (not sliced yet), not ignored', async (t) => {
  const r = await reverie('generate', '--scenario', 'addition', '--policy', 'reasoner', '--episodes', '10', '--shard', '0/2', '--out', join(await getRoot(), 'never'));
  t.is(r.code, 2, r.stderr);
  t.regex(r.stderr, /--shard: reasoning scenarios cannot be generated in shards yet/);
});

test('--resume on a shard continues it from its own manifest', async (t) => {
  const { parts } = await getRuns();
  const dir = join(await getRoot(), 'resumed');
  await cp(parts[1], dir, { recursive: true });
  // Lose the last shard file and the final manifest, as a crash would.
  const m = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
  await writeFile(join(dir, 'manifest.json'), JSON.stringify({ ...m, complete: false, shards: [], summary: undefined }, null, 2) + '\n');
  await rm(join(dir, 'episodes-00002.jsonl'));
  const r = await reverie('generate', '--out', dir, '--resume', '--workers', '1', '--json');
  t.is(r.code, 0, r.stderr);
  t.like(json(r), { slice: { index: 1, count: 3 }, resumedFrom: 40, generated: 60 });
  t.deepEqual(await files(dir), await files(parts[1]));
});
