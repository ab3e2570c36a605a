import test from 'ava';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { files, json, reverie, start, tmp } from './helpers/cli.js';

// Small shards and tasks so that a kill lands mid-shard; enough episodes that the run takes a few seconds.
const plan = ['--scenario', 'teacher', '--policy', 'epsilon-heuristic', '--episodes', '1600', '--seed', '11', '--shard-size', '200', '--task-size', '25'];

let reference: Promise<{ dir: string; files: Record<string, string> }> | null = null;
function getReference() {
  reference ??= (async () => {
    const dir = await tmp();
    const r = await reverie('generate', ...plan, '--workers', '1', '--out', dir, '--json');
    if (r.code !== 0) throw new Error(`reference run failed: ${r.stderr}`);
    return { dir, files: await files(dir) };
  })();
  return reference;
}

async function waitFor(cond: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > timeoutMs) throw new Error('timed out waiting for the run to get there');
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function names(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch {
    return [];
  }
}

async function partialBytes(dir: string): Promise<number> {
  const p = (await names(dir)).find((n) => n.endsWith('.partial'));
  if (!p) return 0;
  try {
    return (await stat(join(dir, p))).size;
  } catch {
    return 0;
  }
}

/** Start a run, SIGKILL it when `when` holds, return what it left. */
async function killWhen(args: string[], when: () => Promise<boolean>): Promise<boolean> {
  const run = start(args);
  let finished = false;
  void run.done.then(() => { finished = true; });
  await waitFor(async () => finished || (await when()));
  run.child.kill('SIGKILL');
  return (await run.done).signal === 'SIGKILL';
}

test('two workers write the same bytes as one', async (t) => {
  const ref = await getReference();
  const dir = await tmp();
  const r = await reverie('generate', ...plan, '--workers', '2', '--concurrency', '7', '--out', dir, '--json');
  t.is(r.code, 0, r.stderr);
  t.deepEqual(await files(dir), ref.files);
  const out = json(r);
  t.like(out, { ok: true, command: 'generate', episodes: 1600, shards: 8, generated: 1600, resumedFrom: 0 });
  t.true(out.peakRssMiB > 0);
});

test('killed with SIGKILL three times, --resume completes the same bytes as an uninterrupted run', async (t) => {
  const ref = await getReference();
  const dir = await tmp();
  const full = ['generate', ...plan, '--workers', '2', '--out', dir];
  // 1. Killed as soon as anything exists (maybe before the first episode).
  await killWhen(full, async () => (await names(dir)).length > 0);
  // 2. Killed mid-shard: the first shard is partly written.
  t.true(await killWhen([...full, '--resume'], async () => (await partialBytes(dir)) > 50_000), 'killed mid-shard');
  // 3. Killed later, with whole shards on disk and another one partly written.
  t.true(await killWhen([...full, '--resume'], async () => (await names(dir)).filter((n) => n.endsWith('.jsonl')).length >= 3 && (await partialBytes(dir)) > 0), 'killed later');
  const before = await names(dir);
  t.true(before.some((n) => n.endsWith('.partial')) || before.filter((n) => n.endsWith('.jsonl')).length === 8, `left: ${before.join(' ')}`);
  // --resume alone: scenario, policy, seed, episodes and shard size come from the dataset.
  const r = await reverie('generate', '--out', dir, '--resume', '--workers', '1', '--json');
  t.is(r.code, 0, r.stderr);
  const out = json(r);
  t.true(out.resumedFrom > 0, `resumed from ${out.resumedFrom}`);
  t.deepEqual(await files(dir), ref.files);
});

test('a non-empty output directory is refused with a message saying what to do', async (t) => {
  const ref = await getReference();
  const r = await reverie('generate', ...plan, '--out', ref.dir, '--json');
  t.is(r.code, 1);
  t.regex(r.stderr, /is not empty .* use --resume to continue the dataset in it, --force to overwrite it/);
  t.is(json(r).ok, false);
  t.notRegex(r.stderr, /\n\s+at /, 'no stack trace');
});

test('--resume with a different seed is refused and names the difference', async (t) => {
  const ref = await getReference();
  const r = await reverie('generate', ...plan, '--seed', '12', '--out', ref.dir, '--resume');
  t.is(r.code, 1);
  t.regex(r.stderr, /seed: 12 now, 11 in the dataset/);
});
