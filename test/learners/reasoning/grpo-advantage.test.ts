// GRPO's `advantage` option: 'std' (the default, GRPO's (R − mean)/(std + eps), unchanged) and
// 'mean' (R − mean, Dr. GRPO), on hand-computed groups; the run records it and refuses a resume
// with the other one (a run directory from before the option resumes as 'std').
import test from 'ava';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReasoningGrpoConfig, runGrpo } from '../../../learners/reasoning/grpo.js';
import { groupAdvantages } from '../../../learners/reasoning/rollout.js';
import { runSft } from '../../../learners/reasoning/sft.js';

const dir = mkdtempSync(join(tmpdir(), 'reverie-grpo-adv-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

const close = (t: { true: (v: boolean, m?: string) => void }, got: readonly number[], want: readonly number[], what: string) => {
  t.true(got.length === want.length && got.every((x, i) => Math.abs(x - want[i]) < 1e-6), `${what}: ${JSON.stringify(got)} vs ${JSON.stringify(want)}`);
};

test("'mean': R − mean of the group, no std division (hand-computed)", (t) => {
  // one right answer among wrong ones: mean 0.1, deviations 0.8, −0.2, −0.3, −0.3
  const a = groupAdvantages([0.9, -0.1, -0.2, -0.2], 1e-6, 'mean');
  t.false(a.zeroStd);
  close(t, a.adv, [0.8, -0.2, -0.3, -0.3], 'mixed group');
  // every sample wrong, rewards −C/L with C = 8 and L = 32, 16, 64, 64: mean −0.25
  const b = groupAdvantages([-0.25, -0.5, -0.125, -0.125], 1e-6, 'mean');
  close(t, b.adv, [0, -0.25, 0.125, 0.125], 'length-only group keeps its small scale');
  t.deepEqual(groupAdvantages([0.5, 0.5, 0.5], 1e-6, 'mean'), { adv: [0, 0, 0], zeroStd: true });
});

test("'std' is the default and unchanged: the length-only group is blown up to unit spread", (t) => {
  const r = [-0.25, -0.5, -0.125, -0.125];
  // population std of the deviations 0, −0.25, 0.125, 0.125: sqrt(0.09375 / 4) = 0.1530931
  const std = Math.sqrt(0.09375 / 4);
  const want = [0, -0.25, 0.125, 0.125].map((d) => d / (std + 1e-6));
  const a = groupAdvantages(r);
  close(t, a.adv, want, 'std');
  t.true(Math.abs(a.adv[1] + 1.633) < 1e-3, 'about −1.63: a full-size advantage from the length term alone');
  t.deepEqual(groupAdvantages(r, 1e-6, 'std'), a, "explicit 'std' = the default");
  // bit-identical to the formula as written before the option existed
  const mean = r.reduce((x, y) => x + y, 0) / r.length;
  const sd = Math.sqrt(r.reduce((x, y) => x + (y - mean) ** 2, 0) / r.length);
  t.deepEqual(a.adv, r.map((x) => (x - mean) / (sd + 1e-6)));
  t.is(ReasoningGrpoConfig.parse({ scenario: 'addition', init: 'a', out: 'b' }).advantage, 'std');
  t.throws(() => ReasoningGrpoConfig.parse({ scenario: 'addition', init: 'a', out: 'b', advantage: 'max' }));
});

test("a run records 'advantage' in config.json; a resume with another one is refused; an older run directory resumes as 'std'", async (t) => {
  const sft = await runSft({ scenario: 'addition', out: join(dir, 'sft'), policy: { dModel: 16, heads: 2, layers: 1, seq: 48 }, steps: 20, batchSize: 8, lr: 3e-3, warmup: 5, threads: 1, logEvery: 10 });
  const base = { scenario: 'addition', init: sft.out, levels: [{ level: 1, weight: 1 }], iterations: 1, prompts: 2, groupSize: 4, lr: 1e-3, threads: 1, checkpointEvery: 1 };
  const mean = { ...base, out: join(dir, 'mean'), advantage: 'mean' as const };
  await runGrpo(mean);
  t.is(JSON.parse(readFileSync(join(mean.out, 'config.json'), 'utf8')).advantage, 'mean');
  await t.throwsAsync(runGrpo({ ...mean, advantage: 'std', iterations: 2 }), { message: /different 'advantage'/ });
  const r = await runGrpo({ ...mean, iterations: 2 });
  t.is(r.ranIterations, 1, "the same 'advantage' resumes");

  const old = { ...base, out: join(dir, 'old') };
  await runGrpo(old);
  const path = join(old.out, 'config.json');
  const saved = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  t.is(saved.advantage, 'std');
  delete saved.advantage;
  writeFileSync(path, JSON.stringify(saved));
  await t.throwsAsync(runGrpo({ ...old, advantage: 'mean', iterations: 2 }), { message: /different 'advantage'/ });
  t.is((await runGrpo({ ...old, iterations: 2 })).ranIterations, 1, "a config.json without 'advantage' resumes as 'std'");
});
