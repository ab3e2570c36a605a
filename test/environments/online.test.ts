// Online experience sources: masked sampling, and trajectories played with the current policy
// (in-process; Piscina workers with central inference or local copies give the same ones).
import test from 'ava';
import { getScenario } from '../../scenarios/registry.js';
import { Rng } from '../../scenarios/random.js';
import { makeContext } from '../../actors/context.js';
import { makeEncoder } from '../../environments/encoding/index.js';
import { actionStream, maskedLogSoftmax, sampleMasked } from '../../environments/online/sampling.js';
import { rmSync } from 'node:fs';
import { createInProcessSource } from '../../environments/online/in-process.js';
import { playRequests } from '../../environments/online/player.js';
import { createCentralSource, createLocalCopiesSource } from '../../environments/online/workers.js';
import type { EpisodeRequest, ExperienceSource, InferFn, Trajectory } from '../../environments/online/types.js';
import { crashMarker } from './helpers/online-crash-worker.js';
import { mlpModel, sessionInfer } from './helpers/online-model.js';

const CRASH_WORKER = new URL('./helpers/online-crash-worker.js', import.meta.url);

const BUILTINS = ['twenty-questions', 'travel-agent', 'teacher'] as const;

function dims(id: string) {
  const ctx = makeContext(getScenario(id));
  return { obsSize: makeEncoder('structured', ctx).size, numActions: ctx.actions.length };
}

function requests(n: number, base = 100): EpisodeRequest[] {
  return Array.from({ length: n }, (_, i) => ({ seed: base + (i >> 1), actionSeed: 7000 + i, group: i >> 1 }));
}

/** Trajectories equal: integers and flags exactly, floats to `tol` (logits may differ in the last bits across batch sizes). */
function sameTrajectories(t: { is: (a: unknown, b: unknown, m?: string) => void; true: (a: boolean, m?: string) => void }, a: readonly Trajectory[], b: readonly Trajectory[], tol = 1e-5): void {
  t.is(a.length, b.length);
  a.forEach((x, i) => {
    const y = b[i];
    const m = `trajectory ${i} (seed ${x.seed}, actionSeed ${x.actionSeed})`;
    t.is(x.seed, y.seed, m);
    t.is(x.actionSeed, y.actionSeed, m);
    t.is(x.group, y.group, m);
    t.is(x.length, y.length, m);
    t.is(Array.from(x.actions).join(), Array.from(y.actions).join(), m);
    t.is(Array.from(x.mask).join(), Array.from(y.mask).join(), m);
    t.is(Array.from(x.obs).join(), Array.from(y.obs).join(), m);
    t.is(Array.from(x.rewards).join(), Array.from(y.rewards).join(), m);
    t.is(Array.from(x.finalObs).join(), Array.from(y.finalObs).join(), m);
    t.is(x.terminated, y.terminated, m);
    t.is(x.truncated, y.truncated, m);
    t.is(x.return, y.return, m);
    t.is(x.success, y.success, m);
    t.is(x.error, y.error, m);
    for (let k = 0; k < x.length; k++) t.true(Math.abs(x.logProbs[k] - y.logProbs[k]) <= tol, `${m} turn ${k}: logProb ${x.logProbs[k]} vs ${y.logProbs[k]}`);
  });
}

// ---------------------------------------------------------------- sampling

test('sampling follows the softmax over valid actions (chi-square, fixed seed); masked actions never chosen', (t) => {
  const logits = Float32Array.from([1, 0, 3, -1, 2, 0.5]);
  const mask = [1, 1, 0, 1, 1, 1];
  const valid = [0, 1, 3, 4, 5];
  const z = valid.reduce((s, a) => s + Math.exp(logits[a]), 0);
  const rng = Rng.from(11);
  const counts = new Array<number>(6).fill(0);
  const N = 20000;
  for (let i = 0; i < N; i++) {
    const { action, logProb } = sampleMasked(logits, 0, 6, mask, rng, 'test');
    counts[action]++;
    t.true(Math.abs(logProb - (logits[action] - Math.log(z))) < 1e-12);
  }
  t.is(counts[2], 0, 'the masked action (the largest logit) is never drawn');
  let chi2 = 0;
  for (const a of valid) {
    const e = (N * Math.exp(logits[a])) / z;
    chi2 += (counts[a] - e) ** 2 / e;
  }
  t.true(chi2 < 18.47, `chi-square ${chi2.toFixed(2)} with 4 degrees of freedom (p = 0.001 critical value 18.47)`);
});

test('maskedLogSoftmax: float64, -Infinity on masked actions, normalised over the valid ones', (t) => {
  const logits = Float32Array.from([0, 0, 100, 0, 0, 1000]);
  const lp = maskedLogSoftmax(logits, 2, 3, [true, false, true], 'x');
  t.is(lp[1], -Infinity);
  t.true(Math.abs(Math.exp(lp[0]) + Math.exp(lp[2]) - 1) < 1e-12);
  // row at offset 2: logits 100, 0, 0 with the middle one masked
  t.true(Math.abs(lp[2] + 100) < 1e-12 && Math.abs(lp[0]) < 1e-12, `${lp[0]}, ${lp[2]}`);
});

test('sampling errors: no valid action, non-finite logits (naming the episode)', (t) => {
  t.throws(() => sampleMasked(Float32Array.from([1, 2]), 0, 2, [false, false], Rng.from(1), 'episode seed 42'), { message: /episode seed 42: no action is valid/ });
  t.throws(() => sampleMasked(Float32Array.from([1, NaN]), 0, 2, [true, true], Rng.from(1), 'episode seed 43'), { message: /episode seed 43: .*logit for valid action 1 is NaN/ });
  // a non-finite logit on a masked action is ignored (models may mask by -Infinity themselves)
  t.is(sampleMasked(Float32Array.from([1, -Infinity]), 0, 2, [true, false], Rng.from(1), 'x').action, 0);
});

test('action streams: one per actionSeed, the same draws for the same seed', (t) => {
  t.is(actionStream(5).float(), actionStream(5).float());
  t.not(actionStream(5).float(), actionStream(6).float());
  t.not(actionStream(5).float(), Rng.from(5).float(), 'not the root stream of an episode seeded with the same number');
});

// ---------------------------------------------------------------- in-process

for (const id of BUILTINS) {
  test(`in-process ${id}: trajectories line up with the policy, the record and the outcome`, async (t) => {
    const { obsSize, numActions } = dims(id);
    const model = mlpModel(obsSize, numActions, { hidden: [16], seed: 3, scale: 2 });
    const learner = await sessionInfer(model, 4);
    const source = createInProcessSource({ scenario: getScenario(id), encoder: 'structured', concurrency: 8 }, learner.infer);
    t.is(source.obsSize, obsSize);
    const reqs = requests(24);
    const trajs = await source.collect(reqs);
    t.is(trajs.length, reqs.length);
    let truncated = 0;
    for (const [i, tr] of trajs.entries()) {
      t.is(tr.seed, reqs[i].seed);
      t.is(tr.actionSeed, reqs[i].actionSeed);
      t.is(tr.group, reqs[i].group);
      t.is(tr.error, undefined);
      t.is(tr.policyVersion, 4);
      t.true(tr.length > 0);
      t.is(tr.obs.length, tr.length * obsSize);
      t.is(tr.mask.length, tr.length * numActions);
      t.is(tr.actions.length, tr.length);
      t.is(tr.terminated, !tr.truncated);
      const sum = tr.rewards.reduce((s, r) => s + r, 0);
      t.true(Math.abs(sum - tr.return) < 1e-4, `rewards sum ${sum} = return ${tr.return}`);
      for (let k = 0; k < tr.length; k++) t.is(tr.mask[k * numActions + tr.actions[k]], 1, 'the action was valid');
      if (tr.truncated) {
        truncated++;
        t.true(tr.finalObs.some((v) => v !== 0), 'a truncated trajectory bootstraps from its final observation');
      } else t.true(tr.finalObs.every((v) => v === 0));
      // logProbs are the model's masked log-softmax at the recorded observations
      const { logits } = await learner.infer(tr.obs.slice(), tr.length);
      for (let k = 0; k < tr.length; k++) {
        const lp = maskedLogSoftmax(logits, k * numActions, numActions, tr.mask.subarray(k * numActions, (k + 1) * numActions), 'check');
        t.true(Math.abs(lp[tr.actions[k]] - tr.logProbs[k]) < 1e-4, `turn ${k}: ${lp[tr.actions[k]]} vs ${tr.logProbs[k]}`);
      }
    }
    t.log(`${id}: ${truncated}/${trajs.length} truncated, stats ${JSON.stringify(source.stats)}`);
    t.true(source.stats.maxBatch > 1, 'decisions were batched');
    await source.close();
    await learner.release();
  });
}

test('in-process: the same requests give the same trajectories whatever K; duplicates of a request agree', async (t) => {
  const id = 'travel-agent';
  const { obsSize, numActions } = dims(id);
  const learner = await sessionInfer(mlpModel(obsSize, numActions, { hidden: [16], seed: 5, scale: 2 }));
  const reqs = requests(16);
  const a = await createInProcessSource({ scenario: getScenario(id), encoder: 'structured', concurrency: 1 }, learner.infer).collect(reqs);
  const b = await createInProcessSource({ scenario: getScenario(id), encoder: 'structured', concurrency: 16 }, learner.infer).collect([...reqs, reqs[3]]);
  sameTrajectories(t, a, b.slice(0, 16));
  sameTrajectories(t, [b[3]], [b[16]]);
  // GRPO: one seed, several action streams: the same opening, and (with a stochastic policy) different play
  const differs = reqs.some((r, i) => i % 2 === 0 && Array.from(a[i].actions).join() !== Array.from(a[i + 1].actions).join());
  t.true(differs, 'different action seeds on the same episode seed sample different actions');
  t.is(Array.from(a[0].obs.subarray(0, obsSize)).join(), Array.from(a[1].obs.subarray(0, obsSize)).join());
  await learner.release();
});

test('in-process: turn-limit episodes are truncated with a final observation (uniform policy, 3 turns)', async (t) => {
  const scenario = { ...getScenario('travel-agent'), maxTurns: 3 };
  const { numActions } = dims('travel-agent');
  const zeros: InferFn = (_obs, rows) => Promise.resolve({ logits: new Float32Array(rows * numActions), version: 0 });
  const trajs = await createInProcessSource({ scenario, encoder: 'text' }, zeros).collect(requests(20));
  const cut = trajs.filter((x) => x.truncated);
  t.true(cut.length > 0, 'a uniform policy runs into a 3-turn limit');
  for (const x of cut) {
    t.is(x.length, 3);
    t.false(x.terminated);
    t.true(x.finalObs.some((v) => v !== 0));
    t.not(Array.from(x.finalObs).join(), Array.from(x.obs.subarray(2 * x.finalObs.length)).join(), 'the observation after the last turn, not before it');
  }
});

test('in-process errors: an infer that throws or answers the wrong size rejects collect; non-finite logits error the episode', async (t) => {
  const id = 'teacher';
  const { numActions } = dims(id);
  const scenario = getScenario(id);
  const failing: InferFn = () => Promise.reject(new Error('device lost'));
  await t.throwsAsync(createInProcessSource({ scenario, encoder: 'structured' }, failing).collect(requests(6)), { message: 'device lost' });
  const short: InferFn = (_o, rows) => Promise.resolve({ logits: new Float32Array(rows), version: 0 });
  await t.throwsAsync(createInProcessSource({ scenario, encoder: 'structured' }, short).collect(requests(2)), { message: new RegExp(`returned \\d+ logits for \\d+ rows of ${numActions} actions`) });
  const nan: InferFn = (_o, rows) => Promise.resolve({ logits: new Float32Array(rows * numActions).fill(NaN), version: 0 });
  const trajs = await createInProcessSource({ scenario, encoder: 'structured', concurrency: 4 }, nan).collect(requests(6));
  for (const x of trajs) {
    t.regex(x.error ?? '', new RegExp(`episode seed ${x.seed} \\(actionSeed ${x.actionSeed}\\).*NaN`));
    t.false(x.terminated || x.truncated);
    t.is(x.length, 0);
  }
  t.throws(() => createInProcessSource({ scenario, encoder: 'structured', concurrency: 0 }, nan), { message: /options.concurrency must be a positive integer, got 0/ });
  await t.throwsAsync(createInProcessSource({ scenario, encoder: 'structured' }, nan).collect([{ seed: -1, actionSeed: 0 }]), { message: /requests\[0\].seed/ });
});

// ---------------------------------------------------------------- workers

test('playRequests with keep: false hands every trajectory to onTrajectory and keeps none (the same as a kept play)', async (t) => {
  const id = 'twenty-questions';
  const { obsSize, numActions } = dims(id);
  const learner = await sessionInfer(mlpModel(obsSize, numActions, { hidden: [16], seed: 4, scale: 2 }), 1);
  const ctx = makeContext(getScenario(id));
  const encoder = makeEncoder('structured', ctx);
  const fwd = { forward: (obs: Float32Array, rows: number) => learner.infer(obs, rows), fallbackVersion: () => 0 };
  const reqs = requests(20);
  const kept = await playRequests(ctx, encoder, reqs, 4, fwd);
  const seen: Trajectory[] = [];
  t.deepEqual(await playRequests(ctx, encoder, reqs, 4, fwd, { keep: false, onTrajectory: (i, x) => { seen[i] = x; } }), []);
  t.is(seen.filter(Boolean).length, reqs.length);
  sameTrajectories(t, kept, seen);
  await learner.release();
});

test('the same trajectories in-process, with central inference (1 and 2 workers) and with local copies (1 and 2 workers)', async (t) => {
  const id = 'travel-agent';
  const scenario = getScenario(id);
  const { obsSize, numActions } = dims(id);
  const model = mlpModel(obsSize, numActions, { hidden: [16], seed: 9, scale: 2 });
  const learner = await sessionInfer(model, 2);
  const reqs = requests(24);
  const base = { scenario, encoder: 'structured' as const, concurrency: 4 };
  /** collect with onTrajectory: each request's trajectory handed out once, the same object collect returns. */
  const streamed = async (source: ExperienceSource) => {
    const seen = new Map<number, Trajectory>();
    const got = await source.collect(reqs, (i, x) => {
      t.false(seen.has(i), `request ${i} handed out twice`);
      seen.set(i, x);
    });
    t.is(seen.size, reqs.length);
    got.forEach((x, i) => t.is(seen.get(i), x));
    return got;
  };
  const reference = await streamed(createInProcessSource(base, learner.infer));
  for (const workers of [1, 2]) {
    const central = createCentralSource({ ...base, workers }, learner.infer);
    const local = createLocalCopiesSource({ ...base, workers });
    try {
      await local.publish(2, model);
      const c = await streamed(central);
      const l = await streamed(local);
      sameTrajectories(t, reference, c);
      sameTrajectories(t, reference, l);
      // many small tasks (uneven ranges, queued in Piscina) come back in request order too
      const small = createCentralSource({ ...base, workers, taskSize: 5, maxWaitMs: 0 }, learner.infer);
      sameTrajectories(t, reference, await small.collect(reqs));
      t.is(small.stats.tasks, 5);
      await small.close();
      // two tick groups per worker, each with its own port
      const piped = createCentralSource({ ...base, workers, pipelines: 2, maxWaitMs: 0 }, learner.infer);
      sameTrajectories(t, reference, await piped.collect(reqs));
      t.is(piped.stats.play.maxBatch, 2, 'K = 4 split over 2 groups');
      await piped.close();
      t.true(l.every((x) => x.policyVersion === 2));
      t.is(central.stats.play.decisions, reference.reduce((s, x) => s + x.length, 0));
      t.is(central.stats.tasks, workers, 'one task per worker by default');
    } finally {
      await central.close();
      await local.close();
    }
  }
  await learner.release();
});

test('central inference merges the batches of both workers into one infer call (SEED RL)', async (t) => {
  const id = 'teacher';
  const { obsSize, numActions } = dims(id);
  const learner = await sessionInfer(mlpModel(obsSize, numActions, { hidden: [16], seed: 2 }));
  const K = 4;
  const source = createCentralSource({ scenario: getScenario(id), encoder: 'structured', concurrency: K, workers: 2, maxWaitMs: 20 }, learner.infer);
  try {
    // enough episodes that both workers play at once even when one starts late on a loaded machine
    const trajs = await source.collect(requests(128));
    const rows = learner.calls.reduce((s, r) => s + r, 0);
    t.is(rows, trajs.reduce((s, x) => s + x.length, 0), 'every decision went through infer once');
    const merged = learner.calls.filter((r) => r > K).length;
    t.log(`infer calls ${learner.calls.length}, rows ${rows}, calls bigger than one worker's K=${K}: ${merged}, seed ${JSON.stringify(source.stats.seed)}`);
    t.true(merged > 0, 'some infer calls held more rows than one worker can send');
    t.true(Math.max(...learner.calls) <= 2 * K);
    t.is(source.stats.seed!.calls, learner.calls.length);
    t.true(source.stats.seed!.merged >= merged);
  } finally {
    await source.close();
    await learner.release();
  }
});

test('local copies: versions are recorded, publish changes the behaviour, collect before publish fails', async (t) => {
  const id = 'twenty-questions';
  const { obsSize, numActions } = dims(id);
  const source = createLocalCopiesSource({ scenario: getScenario(id), encoder: 'structured', concurrency: 8, workers: 2 });
  try {
    await t.throwsAsync(source.collect(requests(2)), { message: /before the first publish/ });
    const reqs = requests(16);
    await source.publish(3, mlpModel(obsSize, numActions, { hidden: [16], seed: 1, scale: 3 }));
    const a = await source.collect(reqs);
    t.true(a.every((x) => x.policyVersion === 3));
    await source.publish(4, mlpModel(obsSize, numActions, { hidden: [16], seed: 2, scale: 3 }));
    const b = await source.collect(reqs);
    t.true(b.every((x) => x.policyVersion === 4));
    t.true(a.some((x, i) => Array.from(x.actions).join() !== Array.from(b[i].actions).join()), 'the new weights play differently');
    t.is(source.version, 4);
    await t.throwsAsync(source.publish(4, mlpModel(obsSize, numActions)), { message: /version 4 is not newer than the published version 4/ });
    await t.throwsAsync(source.publish(5, mlpModel(obsSize + 1, numActions)), { message: /does not run on an observation of shape \[1, \d+\]/ });
    await t.throwsAsync(source.publish(5, mlpModel(obsSize, numActions + 1)), { message: new RegExp(`gives ${numActions + 1} logits per row; the scenario has ${numActions} actions`) });
  } finally {
    await source.close();
  }
  await t.throwsAsync(source.collect(requests(2)), { message: /after close/ });
});

test('local copies: a publish during a collect switches between episodes, each episode played by one version', async (t) => {
  const id = 'teacher';
  const { obsSize, numActions } = dims(id);
  const models = new Map([[1, mlpModel(obsSize, numActions, { hidden: [16], seed: 4, scale: 3 })], [2, mlpModel(obsSize, numActions, { hidden: [16], seed: 5, scale: 3 })]]);
  const source = createLocalCopiesSource({ scenario: getScenario(id), encoder: 'structured', concurrency: 2, workers: 2 });
  try {
    await source.publish(1, models.get(1)!);
    const running = source.collect(requests(60));
    await new Promise((r) => setTimeout(r, 150));
    await source.publish(2, models.get(2)!);
    const trajs = await running;
    const byVersion = [1, 2].map((v) => trajs.filter((x) => x.policyVersion === v).length);
    t.log(`episodes by version: v1 ${byVersion[0]}, v2 ${byVersion[1]}`);
    t.is(byVersion[0] + byVersion[1], trajs.length);
    // every turn's logProb is that of the episode's recorded version
    for (const v of [1, 2]) {
      const learner = await sessionInfer(models.get(v)!);
      for (const x of trajs.filter((y) => y.policyVersion === v)) {
        const { logits } = await learner.infer(x.obs.slice(), x.length);
        for (let k = 0; k < x.length; k++) {
          const lp = maskedLogSoftmax(logits, k * numActions, numActions, x.mask.subarray(k * numActions, (k + 1) * numActions), 'check');
          t.true(Math.abs(lp[x.actions[k]] - x.logProbs[k]) < 1e-4, `seed ${x.seed} turn ${k} under version ${v}`);
        }
      }
      await learner.release();
    }
  } finally {
    await source.close();
  }
});

test('worker crashes: a task is retried once, then collect rejects naming the range', async (t) => {
  const id = 'travel-agent';
  const { obsSize, numActions } = dims(id);
  const model = mlpModel(obsSize, numActions, { hidden: [8] });
  const learner = await sessionInfer(model);
  const base = { scenario: getScenario(id), encoder: 'structured' as const, concurrency: 4, workers: 2, workerFile: CRASH_WORKER };
  const marker = 900_000 + (process.pid % 1000);
  rmSync(crashMarker(marker), { force: true });
  const central = createCentralSource(base, learner.infer);
  const local = createLocalCopiesSource(base);
  try {
    await local.publish(1, model);
    const reqs = requests(8);
    const once = reqs.map((r, i) => (i === 5 ? { ...r, actionSeed: marker, group: -2 } : r));
    const a = await central.collect(once);
    t.is(a.length, 8);
    t.is(central.stats.retries, 1);
    const always = reqs.map((r, i) => (i === 6 ? { ...r, group: -1 } : r));
    await t.throwsAsync(central.collect(always), { message: /worker task for requests \[4, 8\) failed twice/ });
    await t.throwsAsync(local.collect(always), { message: /worker task for requests \[4, 8\) failed twice/ });
    // the pools recover: replaced workers play the next collect
    sameTrajectories(t, await central.collect(reqs), await local.collect(reqs));
  } finally {
    rmSync(crashMarker(marker), { force: true });
    await central.close();
    await local.close();
    await learner.release();
  }
});

test('central inference: an infer that throws rejects collect with its error (no retry, no hang)', async (t) => {
  let calls = 0;
  const failing: InferFn = () => {
    calls++;
    return Promise.reject(new Error('learner went away'));
  };
  const source = createCentralSource({ scenario: getScenario('teacher'), encoder: 'structured', workers: 2, concurrency: 4 }, failing);
  try {
    await t.throwsAsync(source.collect(requests(8)), { message: 'learner went away' });
    t.true(calls <= 2, `infer called ${calls} times`);
  } finally {
    await source.close();
  }
  t.throws(() => createCentralSource({ scenario: getScenario('teacher'), encoder: 'structured', maxWaitMs: -1 }, failing), { message: /options.maxWaitMs must be a non-negative number/ });
});

test('the README example: central inference and local copies, as written', async (t) => {
  const opts = { scenario: getScenario('teacher'), encoder: 'structured' as const, concurrency: 32, workers: 2 };
  const { obsSize, numActions } = dims('teacher');
  const inferenceModelBytes = mlpModel(obsSize, numActions, { hidden: [8] });
  const learner = await sessionInfer(inferenceModelBytes, 1);
  const version = 1;
  const forward = async (obs: Float32Array, rows: number) => (await learner.infer(obs, rows)).logits;
  const source = createCentralSource(opts, async (obs, rows) => ({ logits: await forward(obs, rows), version }));
  const trajectories = await source.collect([{ seed: 1, actionSeed: 10, group: 0 }, { seed: 1, actionSeed: 11, group: 0 }]);
  await source.close();
  const copies = createLocalCopiesSource(opts);
  await copies.publish(1, inferenceModelBytes);
  const more = await copies.collect([{ seed: 1, actionSeed: 10, group: 0 }, { seed: 1, actionSeed: 11, group: 0 }]);
  await copies.close();
  sameTrajectories(t, trajectories, more);
  t.deepEqual(more.map((x) => x.policyVersion), [1, 1]);
  await learner.release();
});
