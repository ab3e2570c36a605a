// GRPO learns: a tiny policy SFT'd briefly on addition level 1 (about half its greedy answers
// right) gets better at level 1 from its own verified samples. Fixed seeds; ~30 s.
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { evaluateReasoner } from '../../../learners/reasoning/evaluate.js';
import { runGrpo } from '../../../learners/reasoning/grpo.js';
import { openReasoner, runSft } from '../../../learners/reasoning/sft.js';

const dir = mkdtempSync(join(tmpdir(), 'reverie-grpo-learn-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

async function pass1(run: string): Promise<number> {
  const reasoner = await openReasoner(run, { threads: 1 });
  try {
    return (await evaluateReasoner(reasoner, { levels: [1], problems: 300 })).levels[0].pass1.rate;
  } finally {
    await reasoner.dispose();
  }
}

test('a few GRPO iterations raise greedy pass@1 and training accuracy of a half-trained policy (addition level 1)', async (t) => {
  const sft = await runSft({ scenario: 'addition', out: join(dir, 'sft'), policy: { dModel: 32, heads: 2, layers: 1, seq: 48 }, steps: 600, batchSize: 16, lr: 1e-2, schedule: 'constant', warmup: 20, threads: 1, logEvery: 100 });
  const before = await pass1(sft.out);
  t.true(before > 0.3 && before < 0.75, `the SFT policy is half-trained: pass@1 ${before}`);
  const rows: Record<string, number>[] = [];
  const out = join(dir, 'grpo');
  await runGrpo({ scenario: 'addition', init: sft.out, out, iterations: 16, prompts: 16, groupSize: 8, lr: 3e-3, klCoef: 0, threads: 1 }, { log: (r) => rows.push(r) });
  const after = await pass1(out);
  // measured: 0.56 → 0.70 on these 300 problems; the margin asked for is under half of that
  t.true(after >= before + 0.06, `greedy pass@1 ${before} → ${after}`);
  const mean = (xs: Record<string, number>[]) => xs.reduce((a, r) => a + r.accuracy, 0) / xs.length;
  t.true(mean(rows.slice(-4)) > mean(rows.slice(0, 4)) + 0.05, `training accuracy ${mean(rows.slice(0, 4))} (first 4 iterations) → ${mean(rows.slice(-4))} (last 4)`);
});
