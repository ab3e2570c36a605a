import test from 'ava';
import { readFile, rename, rm, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Observation } from '../../actors/acts.js';
import { makeContext } from '../../actors/context.js';
import { erroredEpisode } from '../../actors/episode-core.js';
import { policyByName } from '../../actors/policies/index.js';
import type { Policy } from '../../actors/policy.js';
import { DatasetError } from '../../environments/dataset/files.js';
import { MANIFEST_FILE, shardFile } from '../../environments/dataset/manifest.js';
import { makeEncoder } from '../../environments/encoding/index.js';
import { loadTransitions, replayDecisions } from '../../environments/offline/index.js';
import { contextOf, makeDataset, play, tmpDir, writeDataset } from './helpers/offline-data.js';

const ctx = contextOf('travel-agent');

test('transitions match the episodes: observations as the agent saw them, actions, rewards, returns, done, masks', async (t) => {
  // Record what the agent saw live, then compare with what loadTransitions rebuilds from the files.
  const inner = policyByName('epsilon-heuristic', ctx);
  const seen: Observation[] = [];
  const rec: Policy = { ...inner, act: (obs, rngs) => { seen.push(...obs); return inner.act(obs, rngs); } };
  const episodes = play(ctx, rec, 40, 9);
  const dir = await tmpDir();
  await writeDataset(dir, ctx, 'epsilon-heuristic', 9, episodes, 15); // 3 shards
  for (const kind of ['structured', 'text'] as const) {
    const enc = makeEncoder(kind, ctx);
    const tr = await loadTransitions(dir, enc, ctx);
    const D = enc.size;
    const A = ctx.actions.length;
    t.is(tr.obsSize, D);
    t.is(tr.numActions, A);
    t.deepEqual(tr.report, { episodes: 40, used: 40, errored: 0, empty: 0, warnings: [] });
    t.is(tr.count, episodes.reduce((s, e) => s + e.totals.agentTurns, 0));
    t.is(tr.count, seen.length);
    t.is(tr.obs.length, tr.count * D);
    t.is(tr.mask.length, tr.count * A);
    const x = new Float32Array(D);
    let row = 0;
    for (const ep of episodes) {
      const first = row;
      let sum = 0;
      for (const turn of ep.turns) {
        if (turn.speaker !== 'agent') continue;
        enc.encode(seen[row], x);
        t.deepEqual(Array.from(tr.obs.subarray(row * D, (row + 1) * D)), Array.from(x), `row ${row}: the observation the agent saw`);
        t.deepEqual(Array.from(tr.mask.subarray(row * A, (row + 1) * A)), seen[row].mask.map((m) => (m ? 1 : 0)));
        t.is(tr.actions[row], turn.action!);
        t.is(tr.mask[row * A + tr.actions[row]], 1, 'the action taken was valid');
        t.is(tr.rewards[row], Math.fround(turn.reward));
        t.is(tr.episode[row], ep.index);
        t.is(tr.episodeReturn[row], Math.fround(ep.totals.return));
        sum += tr.rewards[row];
        row++;
      }
      const last = row - 1;
      t.true(Math.abs(sum - ep.totals.return) < 1e-4, 'rewards sum to the return');
      t.true(Math.abs(tr.returnToGo[first] - ep.totals.return) < 1e-4, 'return-to-go of the first turn is the return');
      for (let r = first; r <= last; r++) {
        t.is(tr.done[r], r === last ? 1 : 0);
        const next = r === last ? new Float32Array(D) : tr.obs.subarray((r + 1) * D, (r + 2) * D);
        const nextMask = r === last ? new Uint8Array(A) : tr.mask.subarray((r + 1) * A, (r + 2) * A);
        t.deepEqual(Array.from(tr.nextObs.subarray(r * D, (r + 1) * D)), Array.from(next));
        t.deepEqual(Array.from(tr.nextMask.subarray(r * A, (r + 1) * A)), Array.from(nextMask));
        if (r < last) t.true(Math.abs(tr.returnToGo[r] - tr.rewards[r] - tr.returnToGo[r + 1]) < 1e-4);
      }
    }
    t.is(row, tr.count);
  }
});

test('every built-in replays: decisions equal the agent turns', (t) => {
  for (const id of ['travel-agent', 'teacher', 'twenty-questions']) {
    const c = contextOf(id);
    for (const ep of play(c, policyByName('random', c), 10, 3)) t.is(replayDecisions(c, ep).length, ep.totals.agentTurns);
  }
});

test('errored episodes are skipped and counted', async (t) => {
  const episodes = play(ctx, policyByName('heuristic', ctx), 12, 4);
  const bad = erroredEpisode(ctx, { index: 5, seed: episodes[5].seed, id: episodes[5].id }, 'heuristic', null, episodes[5].turns.slice(0, 2), new Error('boom'));
  episodes[5] = bad;
  const dir = await tmpDir();
  await writeDataset(dir, ctx, 'heuristic', 4, episodes, 100);
  const tr = await loadTransitions(dir, makeEncoder('structured', ctx), ctx);
  t.is(tr.report.errored, 1);
  t.is(tr.report.used, 11);
  t.is(tr.count, episodes.filter((e) => e !== bad).reduce((s, e) => s + e.totals.agentTurns, 0));
  t.false(Array.from(tr.episode).includes(5));
});

test('a dataset of another scenario, version or content is refused, naming both', async (t) => {
  const { dir } = await makeDataset(ctx, 'random', 5);
  const teacher = contextOf('teacher');
  const e1 = await t.throwsAsync(loadTransitions(dir, makeEncoder('text', teacher), teacher), { instanceOf: DatasetError });
  t.regex(e1.message, /generated from scenario 'travel-agent' 1\.0\.0 \(hash [0-9a-f]+\), not from 'teacher' 1\.0\.0/);
  t.regex(e1.message, /manifest\.json/);
  const v2 = makeContext({ ...ctx.scenario, version: '1.1.0' });
  const e2 = await t.throwsAsync(loadTransitions(dir, makeEncoder('structured', v2), v2), { instanceOf: DatasetError });
  t.regex(e2.message, /version 1\.0\.0 vs 1\.1\.0/);
  t.regex(e2.message, /content hash [0-9a-f]+ vs [0-9a-f]+/);
  const edited = makeContext({ ...ctx.scenario, maxTurns: ctx.scenario.maxTurns + 1 });
  const e3 = await t.throwsAsync(loadTransitions(dir, makeEncoder('structured', edited), edited), { instanceOf: DatasetError });
  t.regex(e3.message, /content hash/);
  t.notRegex(e3.message, /version 1/);
});

test('a corrupt line is an error naming the file and line', async (t) => {
  const { dir } = await makeDataset(ctx, 'random', 6);
  const shard = join(dir, shardFile(0));
  const lines = (await readFile(shard, 'utf8')).split('\n');
  lines[3] = lines[3].slice(0, -1); // the closing brace lost
  await writeFile(shard, lines.join('\n'));
  for (const allowPartial of [false, true]) {
    const err = await t.throwsAsync(loadTransitions(dir, makeEncoder('structured', ctx), ctx, { allowPartial }), { instanceOf: DatasetError });
    t.is(err.message.split(': ')[0], `${shard}:4`);
    t.regex(err.message, /not valid JSON/);
    t.is((err as DatasetError).line, 4);
  }
  // A valid JSON line that is not an episode: the field path is named.
  lines[3] = JSON.stringify({ ...JSON.parse(lines[2]), turns: 'none' });
  await writeFile(shard, lines.join('\n'));
  await t.throwsAsync(loadTransitions(dir, makeEncoder('structured', ctx), ctx), { message: new RegExp(`^${shard}:4: not a valid episode: turns`) });
});

test('a shard the manifest lists that is gone is an error naming it', async (t) => {
  const { dir } = await makeDataset(ctx, 'random', 6, { shardSize: 3 });
  await rm(join(dir, shardFile(1)));
  const err = await t.throwsAsync(loadTransitions(dir, makeEncoder('structured', ctx), ctx), { instanceOf: DatasetError });
  t.is(err.message, `${join(dir, shardFile(1))}: missing (listed in ${MANIFEST_FILE}); the dataset is incomplete: regenerate it`);
});

test('a cut-off last line is an error naming file and line; with allowPartial it is reported and skipped', async (t) => {
  const { dir, episodes } = await makeDataset(ctx, 'random', 8, { shardSize: 5 });
  const shard = join(dir, shardFile(1));
  const text = await readFile(shard, 'utf8');
  await truncate(shard, Buffer.byteLength(text) - 30);
  const enc = makeEncoder('structured', ctx);
  const err = await t.throwsAsync(loadTransitions(dir, enc, ctx), { instanceOf: DatasetError });
  t.regex(err.message, new RegExp(`^${shard}:3: the last line is cut off .*--allow-partial`));
  const warnings: string[] = [];
  const tr = await loadTransitions(dir, enc, ctx, { allowPartial: true, onWarning: (m) => warnings.push(m) });
  t.is(tr.report.episodes, 7);
  t.is(tr.count, episodes.slice(0, 7).reduce((s, e) => s + e.totals.agentTurns, 0));
  t.deepEqual(tr.report.warnings, warnings);
  t.is(warnings.length, 1);
  t.regex(warnings[0], new RegExp(`^${shard}:3: the last line is cut off .*skipped`));
});

test('an unfinished dataset (killed run) needs allowPartial, which reads its whole shards and the partial one', async (t) => {
  const { dir, episodes } = await makeDataset(ctx, 'random', 12, { shardSize: 5 });
  // What a killed `generate` leaves: manifest not complete, whole shards, a partial shard with a torn line.
  const manifest = JSON.parse(await readFile(join(dir, MANIFEST_FILE), 'utf8'));
  await writeFile(join(dir, MANIFEST_FILE), JSON.stringify({ ...manifest, complete: false, shards: [], summary: undefined }));
  const partial = join(dir, shardFile(2) + '.partial');
  await rename(join(dir, shardFile(2)), partial);
  const text = await readFile(partial, 'utf8');
  await truncate(partial, Buffer.byteLength(text) - 10);
  const enc = makeEncoder('text', ctx);
  await t.throwsAsync(loadTransitions(dir, enc, ctx), { message: /is not finished: .*2 whole shards and a partial one.*--resume.*--allow-partial/ });
  const tr = await loadTransitions(dir, enc, ctx, { allowPartial: true });
  t.is(tr.report.episodes, 11);
  t.is(tr.count, episodes.slice(0, 11).reduce((s, e) => s + e.totals.agentTurns, 0));
  t.is(tr.report.warnings.length, 2);
});

test('not a dataset', async (t) => {
  const dir = await tmpDir();
  await t.throwsAsync(loadTransitions(dir, makeEncoder('text', ctx), ctx), { message: /is not a dataset: no manifest\.json/ });
});
