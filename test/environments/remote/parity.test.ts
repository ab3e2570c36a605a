// The remote source (learner + actors over gRPC on 127.0.0.1) plays the same trajectories as the
// in-process source for the same requests and weights, whatever actor took which work item.
import test from 'ava';
import * as grpc from '@grpc/grpc-js';
import { getScenario } from '../../../scenarios/registry.js';
import { makeContext } from '../../../actors/context.js';
import { makeEncoder } from '../../../environments/encoding/index.js';
import { createInProcessSource } from '../../../environments/online/in-process.js';
import type { EpisodeRequest, InferFn, Trajectory } from '../../../environments/online/types.js';
import { clientConstructors, type StatusReply } from '../../../environments/remote/proto.js';
import { createRemoteSource } from '../../../environments/remote/learner.js';
import { runRemoteActor } from '../../../environments/remote/actor.js';
import { mlpModel, sessionInfer } from '../helpers/online-model.js';

function requests(n: number, base = 300): EpisodeRequest[] {
  return Array.from({ length: n }, (_, i) => ({ seed: base + (i >> 1), actionSeed: 9000 + i, group: i >> 1 }));
}

function same(t: { is: (a: unknown, b: unknown, m?: string) => void; true: (a: boolean, m?: string) => void }, a: readonly Trajectory[], b: readonly Trajectory[]): void {
  t.is(a.length, b.length);
  a.forEach((x, i) => {
    const y = b[i];
    const m = `trajectory ${i} (seed ${x.seed}, actionSeed ${x.actionSeed})`;
    for (const k of ['seed', 'actionSeed', 'group', 'length', 'policyVersion', 'terminated', 'truncated', 'return', 'success', 'error'] as const) t.is(x[k], y[k], `${m}: ${k}`);
    for (const k of ['actions', 'mask', 'obs', 'rewards', 'finalObs'] as const) t.is(Array.from(x[k]).join(), Array.from(y[k]).join(), `${m}: ${k}`);
    for (let s = 0; s < x.length; s++) t.true(Math.abs(x.logProbs[s] - y.logProbs[s]) <= 1e-5, `${m} turn ${s}: logProb ${x.logProbs[s]} vs ${y.logProbs[s]}`);
  });
}

test('remote source with 2 actors = in-process source on fixed requests (twenty-questions); the forwards merge both actors', async (t) => {
  t.timeout(60_000);
  const scenario = getScenario('twenty-questions');
  const ctx = makeContext(scenario);
  const F = makeEncoder('structured', ctx).size;
  const model = mlpModel(F, ctx.actions.length, { hidden: [16], seed: 3 });
  const local = await sessionInfer(model, 4);
  const remote = await sessionInfer(model, 4);
  const reqs = requests(24);
  const want = await createInProcessSource({ scenario, encoder: 'structured', concurrency: 8 }, local.infer).collect(reqs);

  const source = await createRemoteSource({ scenario, encoder: 'structured', concurrency: 4, listen: '127.0.0.1:0', chunkSize: 3, maxWaitMs: 20 }, remote.infer);
  const abort = new AbortController();
  t.teardown(async () => {
    abort.abort();
    await source.close();
    await local.release();
    await remote.release();
  });
  await source.publish(4, model);
  const actors = [0, 1].map((k) => runRemoteActor({ connect: `127.0.0.1:${source.port}`, name: `a${k}`, signal: abort.signal, retry: { giveUpMs: 20_000 } }));
  await source.waitForActors(2);
  const got = await source.collect(reqs);
  same(t, got, want);
  const st = source.status();
  t.is(st.episodes, 24);
  t.is(st.actors.length, 2);
  t.true(st.actors.every((a) => a.episodes > 0), `both actors played: ${st.actors.map((a) => a.episodes).join(', ')}`);
  t.true(source.stats.seed.merged > 0, 'some forwards carried both actors\' rows');
  // a second collect on the same connections gives the same again
  same(t, await source.collect(reqs.slice(0, 6)), want.slice(0, 6));
  await source.close();
  const results = await Promise.all(actors);
  t.true(results.every((r) => r.reason === 'training is over'), results.map((r) => r.reason).join());
  t.is(results.reduce((s, r) => s + r.episodes, 0), 30);
});

test('local-copies actors get the model from Policy.Watch and play the in-process trajectories; Status.Get reports the actors and counts', async (t) => {
  t.timeout(60_000);
  const scenario = getScenario('teacher');
  const ctx = makeContext(scenario);
  const F = makeEncoder('structured', ctx).size;
  const model = mlpModel(F, ctx.actions.length, { hidden: [8], seed: 5 });
  const local = await sessionInfer(model, 2);
  const reqs = requests(8, 40);
  const want = await createInProcessSource({ scenario, encoder: 'structured', concurrency: 4 }, local.infer).collect(reqs);
  const never: InferFn = () => Promise.reject(new Error('local copies do not ask the learner for logits'));
  const source = await createRemoteSource({ scenario, encoder: 'structured', concurrency: 4, listen: '127.0.0.1:0', token: 't0ken' }, never);
  const abort = new AbortController();
  t.teardown(async () => {
    abort.abort();
    await source.close();
    await local.release();
  });
  await source.publish(2, model);
  const actor = runRemoteActor({ connect: `127.0.0.1:${source.port}`, token: 't0ken', source: 'local', workers: 1, signal: abort.signal, retry: { giveUpMs: 20_000 } });
  same(t, await source.collect(reqs), want);
  t.is(source.stats.seed.calls, 0, 'no forward on the learner');

  const client = new (clientConstructors().Status)(`127.0.0.1:${source.port}`, grpc.credentials.createInsecure());
  t.teardown(() => client.close());
  const md = new grpc.Metadata();
  md.set('authorization', 'Bearer t0ken');
  const st = await new Promise<StatusReply>((resolve, reject) => client.Get({}, md, { deadline: Date.now() + 5000 }, (err: grpc.ServiceError | null, r?: StatusReply) => (err ? reject(err) : resolve(r!))));
  t.is(st.state, 'SERVING');
  t.is(st.policyVersion, 2);
  t.is(st.episodes, 8);
  t.is(st.scenario?.id, 'teacher');
  t.is(st.actors.length, 1);
  t.is(st.actors[0].episodes, 8);
  t.true(st.uptimeS > 0 && st.episodesPerS > 0);
  await source.close();
  t.is((await actor).reason, 'training is over');
});

test('an actor that stops mid-episode: its work goes to another actor, nothing half-played is returned, and the collect equals the in-process one', async (t) => {
  t.timeout(60_000);
  const scenario = getScenario('twenty-questions');
  const ctx = makeContext(scenario);
  const F = makeEncoder('structured', ctx).size;
  const model = mlpModel(F, ctx.actions.length, { hidden: [16], seed: 9 });
  const local = await sessionInfer(model, 1);
  const remote = await sessionInfer(model, 1);
  const reqs = requests(8, 700);
  const want = await createInProcessSource({ scenario, encoder: 'structured', concurrency: 4 }, local.infer).collect(reqs);
  // a slow forward, so the first actor is surely in the middle of its episodes when it stops
  const slow: InferFn = async (obs, rows) => {
    await new Promise((r) => setTimeout(r, 15));
    return remote.infer(obs, rows);
  };
  const source = await createRemoteSource({ scenario, encoder: 'structured', concurrency: 4, listen: '127.0.0.1:0', chunkSize: 4 }, slow);
  const first = new AbortController();
  const second = new AbortController();
  t.teardown(async () => {
    first.abort();
    second.abort();
    await source.close();
    await local.release();
    await remote.release();
  });
  await source.publish(1, model);
  const a = runRemoteActor({ connect: `127.0.0.1:${source.port}`, name: 'quitter', signal: first.signal });
  const collecting = source.collect(reqs);
  while (source.stats.seed.rows < 6) await new Promise((r) => setTimeout(r, 10));
  first.abort();
  t.is((await a).reason, 'aborted');
  t.is(source.stats.episodes, 0, 'nothing of the stopped actor was admitted');
  void runRemoteActor({ connect: `127.0.0.1:${source.port}`, name: 'finisher', signal: second.signal });
  same(t, await collecting, want);
  t.true(source.stats.reassigned >= 1, `reassigned ${source.stats.reassigned}`);
});
