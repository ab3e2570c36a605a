import test from 'ava';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileForward } from '../../../learners/graph/index.js';
import { DeviceSession, bakeParameters } from '../../../learners/runtime/index.js';
import { evaluateReasoner } from '../../../learners/reasoning/evaluate.js';
import { policyModel } from '../../../learners/reasoning/policy.js';
import { lrAt, openReasoner, runSft, type SftConfigInput } from '../../../learners/reasoning/sft.js';

const dir = mkdtempSync(join(tmpdir(), 'reverie-sft-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

class Interrupt extends Error {}

/** Runs until the log row of `stopAt`, then throws as if the process had died there. */
async function runUntil(config: SftConfigInput, stopAt: number): Promise<void> {
  await runSft(config, {
    log: (row) => {
      if (row.step === stopAt) throw new Interrupt(`stopped at ${stopAt}`);
    },
  });
}

const rows = (out: string) => readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);

test('lr schedule: linear warm-up, cosine to the floor, or constant', (t) => {
  const c = { lr: 1e-3, schedule: 'cosine' as const, warmup: 10, minLrRatio: 0.1, steps: 110 };
  t.is(lrAt(c, 5), 5e-4);
  t.is(lrAt(c, 10), 1e-3);
  t.true(Math.abs(lrAt(c, 60) - 5.5e-4) < 1e-12);
  t.true(Math.abs(lrAt(c, 110) - 1e-4) < 1e-12);
  t.is(lrAt({ ...c, schedule: 'constant' }, 90), 1e-3);
});

test('an interrupted run resumes from its checkpoint and continues bit for bit', async (t) => {
  const base: SftConfigInput = {
    scenario: 'addition',
    policy: { dModel: 16, heads: 2, layers: 1, seq: 64 },
    steps: 20,
    batchSize: 8,
    lr: 3e-3,
    warmup: 4,
    logEvery: 5,
    checkpointEvery: 10,
    threads: 1,
    out: join(dir, 'straight'),
  };
  await runSft(base);
  const resumed = { ...base, out: join(dir, 'resumed') };
  await t.throwsAsync(runUntil(resumed, 15), { instanceOf: Interrupt });
  const r = await runSft(resumed);
  t.is(r.ranSteps, 10, 'resumed at the step-10 checkpoint');
  t.deepEqual(rows(resumed.out).map((x) => x.step), [5, 10, 15, 20]);
  const strip = (xs: Record<string, number>[]) => xs.map(({ seconds: _s, ...x }) => x);
  t.deepEqual(strip(rows(resumed.out)), strip(rows(base.out)));
  await t.throwsAsync(runSft({ ...resumed, batchSize: 4, steps: 30 }), { message: /different 'batchSize'/ });
});

test('SFT from scratch on addition level 1: greedy pass@1 far above the untrained model (fixed seeds)', async (t) => {
  const config: SftConfigInput = {
    scenario: 'addition',
    levels: [{ level: 1, weight: 1 }],
    policy: { dModel: 32, heads: 2, layers: 2, seq: 64 },
    steps: 500,
    batchSize: 16,
    lr: 5e-3,
    warmup: 20,
    seed: 1,
    dataSeed: 1,
    threads: 1,
    logEvery: 50,
    checkpointEvery: 250,
    out: join(dir, 'addition'),
  };
  await t.throwsAsync(runUntil(config, 300), { instanceOf: Interrupt });
  const result = await runSft(config);
  t.is(result.ranSteps, 250);
  const metrics = rows(config.out);
  t.is(metrics.length, 10);
  t.true(metrics[9].loss < metrics[0].loss / 3, `loss ${metrics[0].loss} -> ${metrics[9].loss}`);
  t.true(metrics[9].token_acc > 0.85, `token accuracy ${metrics[9].token_acc}`);
  const spec = JSON.parse(readFileSync(join(config.out, 'reasoner.json'), 'utf8'));
  t.like(spec, { format: 'reverie-reasoner', contextLength: 64, pad: 0, scenario: { id: 'addition', version: '1.0.0', task: 'addition' } });
  t.is(spec.vocab.length, 30);
  t.regex(spec.scenario.hash, /^[0-9a-f]{16}$/);

  const reasoner = await openReasoner(config.out, { threads: 1 });
  const trained = await evaluateReasoner(reasoner, { levels: [1], problems: 100, evalSeed: 7 });
  const sampled = await evaluateReasoner(reasoner, { levels: [1], problems: 50, evalSeed: 7, samples: 4, ks: [1, 2, 4], sampling: { temperature: 1 } });
  const passK = sampled.levels[0].passK ?? {};
  t.log(`sampled pass@1 ${passK['1'].rate}, pass@2 ${passK['2'].rate}, pass@4 ${passK['4'].rate}`);
  t.true(passK['1'].rate > 0 && passK['1'].rate <= passK['2'].rate && passK['2'].rate <= passK['4'].rate);
  t.true(passK['4'].rate > passK['1'].rate, 'more samples find more answers');
  await reasoner.dispose();
  const f = compileForward(policyModel({ ...spec.policy, vocab: 30 }), { seed: 1 });
  const fresh = await DeviceSession.open(bakeParameters(f.bytes, f.params, new Map(f.params.map((p) => [p.name, p.init]))), { threads: 1 });
  const untrained = await evaluateReasoner({ session: fresh, task: reasoner.task, spec }, { levels: [1], problems: 100, evalSeed: 7 });
  await fresh.dispose();
  const [a, b] = [trained.levels[0], untrained.levels[0]];
  t.log(`pass@1 trained ${a.pass1.rate} [${a.pass1.lo.toFixed(3)}, ${a.pass1.hi.toFixed(3)}], untrained ${b.pass1.rate}; format errors ${a.formatErrorRate} vs ${b.formatErrorRate}`);
  t.true(a.pass1.rate >= 0.15, `trained pass@1 ${a.pass1.rate}`);
  t.true(a.pass1.lo > b.pass1.hi, 'the intervals do not overlap');
  t.is(b.pass1.rate, 0);
  t.true(a.formatErrorRate < 0.1 && b.formatErrorRate > 0.9);
});
