// Each offline algorithm's train step on a small synthetic dataset: the loss goes down, the
// graph is one ONNX train step with resident target parameters where the algorithm has them,
// and the inference graph gives one logit per action.
import test from 'ava';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { ALGORITHMS, makeAlgorithm, trainOffline, topEpisodeRows, type MetricsRow } from '../../../learners/algorithms/index.js';
import { TOY_ACTIONS, TOY_OBS, toyTransitions } from './helpers/toy.js';

const data = toyTransitions(200, 1);
const small = { steps: 300, batchSize: 64, hidden: [32], lr: 3e-3 };

for (const name of ALGORITHMS) {
  test(`${name}: the loss decreases on a small synthetic set`, async (t) => {
    const algo = makeAlgorithm(name, data, small, 1);
    const dir = mkdtempSync(join(tmpdir(), `reverie-${name}-`));
    const rows: MetricsRow[] = [];
    const { trainer } = await trainOffline({ algorithm: algo, transitions: data, dir, seed: 1, logEvery: 25, onMetrics: (r) => rows.push(r) });
    try {
      t.is(rows.length, 12);
      // AWR's total mixes in a policy term whose weights grow as Q learns: its regressions, and its
      // policy term per unit of weight (self-normalised cross-entropy), must each go down
      const value = (r: MetricsRow, k: string) => (k === 'loss_pi' ? r.loss_pi / r.weight_mean : r[k]);
      for (const k of name === 'awr' ? ['loss_q', 'loss_v', 'loss_pi'] : ['loss']) {
        const first = value(rows[0], k);
        const last = value(rows[rows.length - 1], k);
        t.true(last < first * 0.8, `${name}: ${k} ${first} → ${last}`);
      }
      const bytes = await trainer.exportInference(algo.forward);
      const session = await ort.InferenceSession.create(bytes);
      const x = new ort.Tensor('float32', Float32Array.from([1, 0, 0, 1, 0, 0, 1, 1]), [2, TOY_OBS]);
      const out = await session.run({ x });
      for (const term of algo.scores) t.deepEqual(out[term.output].dims, term.output === 'v' ? [2] : [2, TOY_ACTIONS]);
    } finally {
      await trainer.dispose();
    }
  });
}

test('filtered-bc keeps the top fraction of episodes by return', (t) => {
  const rows = topEpisodeRows(data, 0.1);
  const episodes = new Set(Array.from(rows, (r) => data.episode[r]));
  t.is(episodes.size, 20);
  const kept = Math.min(...Array.from(rows, (r) => data.episodeReturn[r]));
  let better = 0;
  for (let i = 0; i < data.count; i += 3) if (data.episodeReturn[i] > kept) better++;
  t.true(better <= 20);
});

test('a bad config field is one message naming the field', (t) => {
  const err = t.throws(() => makeAlgorithm('ilql', data, { tau: 1.5 }, 1));
  t.regex(err.message, /^ilql config\.tau: /);
  t.throws(() => makeAlgorithm('bc', data, { nope: 1 }, 1), { message: /bc config: .*nope/ });
});

test('a resumed ILQL run ends with the same parameters and targets as one that never stopped', async (t) => {
  const cfg = { batchSize: 32, hidden: [16], lr: 3e-3 };
  const whole = join(mkdtempSync(join(tmpdir(), 'reverie-resume-')), 'whole');
  const split = join(mkdtempSync(join(tmpdir(), 'reverie-resume-')), 'split');
  const a = await trainOffline({ algorithm: makeAlgorithm('ilql', data, { ...cfg, steps: 30 }, 3), transitions: data, dir: whole, seed: 3, logEvery: 10 });
  const b1 = await trainOffline({ algorithm: makeAlgorithm('ilql', data, { ...cfg, steps: 20 }, 3), transitions: data, dir: split, seed: 3, logEvery: 10 });
  await b1.trainer.dispose();
  const b = await trainOffline({ algorithm: makeAlgorithm('ilql', data, { ...cfg, steps: 30 }, 3), transitions: data, dir: split, seed: 3, logEvery: 10, resume: true });
  try {
    t.is(b.resumedFrom, 20);
    const pa = await a.trainer.read('all');
    const pb = await b.trainer.read('all');
    t.true([...pa.keys()].some((k) => k.endsWith('.target')));
    for (const [k, v] of pa) t.deepEqual(Array.from(pb.get(k) as Float32Array), Array.from(v as Float32Array), k);
    const losses = (dir: string) => readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => { const r = JSON.parse(l); return [r.step, r.loss, r.loss_q]; });
    t.deepEqual(losses(split), losses(whole));
  } finally {
    await a.trainer.dispose();
    await b.trainer.dispose();
  }
});
