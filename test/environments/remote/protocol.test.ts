// The learner's boundary: handshake mismatches are FAILED_PRECONDITION naming both versions,
// malformed messages INVALID_ARGUMENT saying what was wrong, oversize ones RESOURCE_EXHAUSTED, and
// 1,000 malformed messages leave the learner serving with nothing of them in what it collects.
import test from 'ava';
import * as grpc from '@grpc/grpc-js';
import { Rng } from '../../../scenarios/random.js';
import { createInProcessSource } from '../../../environments/online/in-process.js';
import type { EpisodeRequest, Trajectory } from '../../../environments/online/types.js';
import { RemoteActorError, backoffMs, runRemoteActor } from '../../../environments/remote/actor.js';
import { checkInferRequest, fromChanges, toChanges, toTrajectoryMsg } from '../../../environments/remote/messages.js';
import { PROTOCOL_VERSION, bytes, clientConstructors, type ActorMessage, type LearnerMessage, type WorkMsg } from '../../../environments/remote/proto.js';
import { DIMS, SCENARIO, SCENARIO_REF, hello, metadata, rawBidi, rawClient, rawUnary, startLearner, zeroInfer, type Outcome } from './helpers/learner.js';

const { INVALID_ARGUMENT, FAILED_PRECONDITION, RESOURCE_EXHAUSTED, OK } = grpc.status;

function requests(n: number): EpisodeRequest[] {
  return Array.from({ length: n }, (_, i) => ({ seed: 40 + i, actionSeed: 500 + i }));
}

test('handshake: protocol or scenario mismatch → FAILED_PRECONDITION naming both versions; streams before Hello are refused', async (t) => {
  t.timeout(30_000);
  const source = await startLearner(t);
  const proto = await hello(source.port, { protocolVersion: PROTOCOL_VERSION + 1 });
  t.is(proto.code, FAILED_PRECONDITION);
  t.regex(proto.details, new RegExp(`actor speaks ${PROTOCOL_VERSION + 1}, this learner ${PROTOCOL_VERSION}`));
  const scen = await hello(source.port, { hasScenario: true, scenario: { ...SCENARIO_REF, version: '9.9.9' } });
  t.is(scen.code, FAILED_PRECONDITION);
  t.regex(scen.details, new RegExp(`actor expects twenty-questions 9\\.9\\.9 .*learner trains twenty-questions ${SCENARIO_REF.version.replace(/\./g, '\\.')}`));
  const good = await hello(source.port, { hasScenario: true, scenario: SCENARIO_REF });
  t.is(good.code, OK, good.details);
  t.is(good.reply?.obsSize, DIMS.obsSize);
  t.is(good.reply?.scenario.hash, SCENARIO_REF.hash);

  const raw = rawClient(source.port);
  t.teardown(() => raw.close());
  const noHello = await rawBidi(raw, 'Experience', 'Play', [], metadata({ actor: 'actor-999' }));
  t.is(noHello.code, FAILED_PRECONDITION);
  t.regex(noHello.details, /Hello first/);
  const oldProto = await rawBidi(raw, 'Inference', 'Infer', [], metadata({ actor: good.reply!.actorId, protocol: '0' }));
  t.is(oldProto.code, FAILED_PRECONDITION);
  t.regex(oldProto.details, new RegExp(`actor speaks 0, this learner ${PROTOCOL_VERSION}`));

  const err = await t.throwsAsync(runRemoteActor({ connect: `127.0.0.1:${source.port}`, scenario: { ...SCENARIO_REF, hash: 'feedface' }, retry: { giveUpMs: 5000 } }));
  t.true(err instanceof RemoteActorError);
  t.is((err as RemoteActorError).code, FAILED_PRECONDITION);
  t.regex(err!.message, /hash feedface.*hash [0-9a-f]{16}/);
});

test('oversize messages → RESOURCE_EXHAUSTED; the learner keeps serving', async (t) => {
  t.timeout(30_000);
  const source = await startLearner(t, { maxMessageBytes: 64 * 1024 });
  const raw = rawClient(source.port);
  t.teardown(() => raw.close());
  const big = Buffer.alloc(64 * 1024 + 1, 7);
  const u = await rawUnary(raw, 'Session', 'Hello', big, metadata());
  t.is(u.code, RESOURCE_EXHAUSTED);
  const id = (await hello(source.port)).reply!.actorId;
  const s = await rawBidi(raw, 'Experience', 'Play', [big], metadata({ actor: id }));
  t.is(s.code, RESOURCE_EXHAUSTED);
  t.is((await hello(source.port)).code, OK);
});

test('actors retry an absent learner with capped, jittered backoff and give up with UNAVAILABLE when told to', async (t) => {
  t.timeout(30_000);
  t.deepEqual([0, 1, 2, 3, 10].map((a) => backoffMs(a, 100, 1000, 0)), [50, 100, 200, 400, 500]);
  t.deepEqual([0, 1, 10].map((a) => backoffMs(a, 100, 1000, 0.999999).toFixed(0)), ['100', '200', '1000']);
  // a port nothing listens on: a learner that was started and closed
  const gone = await startLearner(t);
  const port = gone.port;
  await gone.close();
  const lines: string[] = [];
  const t0 = performance.now();
  const err = await t.throwsAsync(runRemoteActor({ connect: `127.0.0.1:${port}`, retry: { initialMs: 50, maxMs: 200, giveUpMs: 1500 }, deadlineMs: 1000, log: (l) => lines.push(l) }));
  t.is((err as RemoteActorError).code, grpc.status.UNAVAILABLE);
  t.regex(err!.message, /gave up/);
  t.true(lines.length >= 3, `retried ${lines.length} times: ${lines.join('\n')}`);
  t.true(performance.now() - t0 < 10_000);
});

/** A trajectory message for `req` with one turn, corrupted by `how`. */
function corrupt(req: { seed: number; actionSeed: number }, how: number): { trajectories: ReturnType<typeof toTrajectoryMsg>[]; expect: RegExp; bumpId?: boolean } {
  const F = DIMS.obsSize;
  const A = DIMS.numActions;
  const base: Trajectory = {
    seed: req.seed, actionSeed: req.actionSeed, policyVersion: 0, length: 1, obs: new Float32Array(F), mask: new Uint8Array(A).fill(1), actions: Int32Array.of(0),
    logProbs: Float32Array.of(-1), rewards: Float32Array.of(0), terminated: true, truncated: false, finalObs: new Float32Array(F), return: 0, success: false,
  };
  const cases: [Partial<Trajectory> | 'none' | 'id' | 'kept', RegExp][] = [
    ['kept', /has 1 turn and says the learner kept its observations, but its inference requests brought 0/],
    ['none', /has 0 trajectories/],
    [{ seed: req.seed + 1 }, /work asked for seed/],
    [{ obs: new Float32Array(F - 1) }, /obs has \d+ bytes, expected/],
    [{ rewards: Float32Array.of(NaN) }, /rewards\[0\] is NaN/],
    [{ actions: Int32Array.of(A) }, /actions\[0\] is \d+, expected an action index/],
    [{ mask: new Uint8Array(A) }, /marks invalid/],
    [{ logProbs: Float32Array.of(0.5) }, /logProbs\[0\] is 0\.5/],
    [{ truncated: true }, /both terminated and truncated/],
    [{ mask: new Uint8Array(A).fill(2) }, /mask\[0\] is 2/],
    ['id', /not assigned to this actor/],
  ];
  const [c, expect] = cases[how % cases.length];
  if (c === 'none') return { trajectories: [], expect };
  if (c === 'id') return { trajectories: [toTrajectoryMsg(base)], expect, bumpId: true };
  if (c === 'kept') return { trajectories: [toTrajectoryMsg(base, true)], expect };
  return { trajectories: [toTrajectoryMsg({ ...base, ...c })], expect };
}

test('fuzz: 1,000 malformed messages (random bytes, wrong fields, oversize) are refused with the right status; the learner stays up and collects exactly the in-process trajectories', async (t) => {
  t.timeout(120_000);
  const zero = zeroInfer();
  const source = await startLearner(t, { chunkSize: 1, maxMessageBytes: 256 * 1024, helloTtlMs: 2000 }, zero.infer);
  const reqs = requests(6);
  const want = await createInProcessSource({ scenario: SCENARIO, encoder: 'structured', concurrency: 8 }, zeroInfer().infer).collect(reqs);
  const pending = source.collect(reqs); // no genuine actor yet: the fuzzers are the only ones that can take work
  let settled = false;
  void pending.finally(() => { settled = true; });

  const addr = `127.0.0.1:${source.port}`;
  const raw = rawClient(source.port);
  const ctors = clientConstructors();
  const experience = new ctors.Experience(addr, grpc.credentials.createInsecure());
  const inference = new ctors.Inference(addr, grpc.credentials.createInsecure());
  t.teardown(() => { raw.close(); experience.close(); inference.close(); });
  const rng = Rng.from(2024);
  const randomBytes = (n: number) => Buffer.from(Array.from({ length: n }, () => rng.int(256)));
  const counts = new Map<string, number>();
  const seen = (kind: string, o: Outcome, ok: grpc.status[], why?: RegExp) => {
    const key = `${kind}:${grpc.status[o.code]}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
    if (!ok.includes(o.code)) t.fail(`${kind}: expected ${ok.map((c) => grpc.status[c]).join('|')}, got ${grpc.status[o.code]}: ${o.details}`);
    if (why && !why.test(o.details)) t.fail(`${kind}: '${o.details}' does not say ${why}`);
  };
  const newActor = async () => (await hello(source.port)).reply!.actorId;

  /** A typed Play stream that asks for one work item, answers it with a corrupted result, and reports the status. */
  const badResult = (actor: string, how: number): Promise<Outcome & { expect: RegExp }> => new Promise((resolve) => {
    const call = experience.Play(metadata({ actor }), { deadline: Date.now() + 10_000 }) as grpc.ClientDuplexStream<ActorMessage, LearnerMessage & { kind?: string }>;
    let expect = /./;
    call.on('data', (m: LearnerMessage & { kind?: string }) => {
      if (m.kind !== 'work' || !m.work) return;
      const w: WorkMsg = m.work;
      const c = corrupt(w.requests[0], how);
      expect = c.expect;
      call.write({ kind: 'result', result: { workId: c.bumpId ? w.workId + 1000 : w.workId, trajectories: c.trajectories } });
    });
    call.on('status', (s: grpc.StatusObject) => resolve({ code: s.code, details: s.details, expect }));
    call.on('error', () => {});
    call.write({ kind: 'ready', ready: 1 });
  });

  const badInfer = (actor: string, how: number): Promise<Outcome> => new Promise((resolve) => {
    const call = (inference as unknown as { Infer(md: grpc.Metadata, o: grpc.CallOptions): grpc.ClientDuplexStream<unknown, unknown> }).Infer(metadata({ actor }), { deadline: Date.now() + 10_000 });
    call.on('status', (s: grpc.StatusObject) => resolve({ code: s.code, details: s.details }));
    call.on('error', () => {});
    call.on('data', () => {});
    const F = DIMS.obsSize;
    const msgs = [
      { id: 1, rows: 0, obs: Buffer.alloc(0) },
      { id: 1, rows: 2, obs: Buffer.alloc(F * 4) },
      { id: 1, rows: 1, obs: Buffer.from(Float32Array.from({ length: F }, (_, i) => (i === 3 ? NaN : 0)).buffer) },
      { id: 1, rows: 100_000, obs: Buffer.alloc(4) },
      { id: 1, rows: 1, obs: Buffer.alloc(F * 4), workId: 999_999, positions: [0] },
      { id: 1, rows: 2, obs: Buffer.alloc(2 * F * 4), workId: 1, positions: [0] },
      { id: 1, rows: 1, obs: Buffer.alloc(0), changes: Buffer.alloc(2), indices: Buffer.alloc(0), values: Buffer.alloc(0) },
    ];
    call.write(msgs[how % msgs.length]);
  });

  let sent = 0;
  for (let i = 0; sent < 1000; i++) {
    const kind = i % 5;
    if (i % 100 === 99) {
      // oversize: bigger than maxMessageBytes
      seen('oversize', await rawUnary(raw, 'Session', 'Hello', randomBytes(256 * 1024 + 1 + rng.int(1000)), metadata()), [RESOURCE_EXHAUSTED]);
    } else if (kind === 0) {
      seen('hello-bytes', await rawUnary(raw, 'Session', 'Hello', randomBytes(1 + rng.int(200)), metadata()), [INVALID_ARGUMENT, FAILED_PRECONDITION]);
    } else if (kind === 1) {
      // random bytes may happen to decode as a valid message: then the half-closed stream ends OK
      seen('play-bytes', await rawBidi(raw, 'Experience', 'Play', [randomBytes(1 + rng.int(200))], metadata({ actor: await newActor() }), 10_000, true), [INVALID_ARGUMENT, OK, grpc.status.CANCELLED]);
    } else if (kind === 2) {
      seen('infer-bytes', await rawBidi(raw, 'Inference', 'Infer', [randomBytes(1 + rng.int(200))], metadata({ actor: await newActor() })), [INVALID_ARGUMENT]);
    } else if (kind === 3) {
      const o = await badResult(await newActor(), i);
      seen('result-fields', o, [INVALID_ARGUMENT], o.expect);
    } else {
      seen('infer-fields', await badInfer(await newActor(), i), [INVALID_ARGUMENT], /InferRequest\.(rows|obs|workId|positions|changes)/);
    }
    sent++;
  }
  t.false(settled, 'no fuzzed result completed the collect');
  t.is(source.stats.episodes, 0, 'nothing malformed was admitted');
  t.true(source.stats.malformed >= 700, `malformed counted: ${source.stats.malformed}`);
  t.is(source.status().state, 'SERVING');

  // a genuine actor now plays the requests: exactly what the in-process source plays
  const abort = new AbortController();
  t.teardown(() => abort.abort());
  const actor = runRemoteActor({ connect: addr, signal: abort.signal, retry: { giveUpMs: 10_000 } });
  const got = await pending;
  t.is(got.length, want.length);
  got.forEach((x, i) => {
    t.is(Array.from(x.actions).join(), Array.from(want[i].actions).join(), `trajectory ${i}`);
    t.is(x.return, want[i].return);
    t.is(Array.from(x.obs).join(), Array.from(want[i].obs).join());
  });
  t.is(source.stats.episodes, 6);
  await source.close();
  t.is((await actor).reason, 'training is over');
  t.log([...counts].map(([k, v]) => `${k} ${v}`).join(', '));
});

test('backpressure: an actor gets no more work than its credits, clamped to maxSlots; absurd credits, and inference requests that do not wait for answers, are refused', async (t) => {
  t.timeout(30_000);
  const source = await startLearner(t, { chunkSize: 1, maxSlots: 2 });
  const pending = source.collect(requests(5));
  void pending.catch(() => undefined);
  const addr = `127.0.0.1:${source.port}`;
  const ctors = clientConstructors();
  const experience = new ctors.Experience(addr, grpc.credentials.createInsecure());
  const inference = new ctors.Inference(addr, grpc.credentials.createInsecure());
  t.teardown(() => { experience.close(); inference.close(); });
  const actor = (await hello(source.port)).reply!.actorId;
  const call = experience.Play(metadata({ actor })) as grpc.ClientDuplexStream<ActorMessage, LearnerMessage & { kind?: string }>;
  const works: WorkMsg[] = [];
  call.on('data', (m: LearnerMessage & { kind?: string }) => { if (m.kind === 'work' && m.work) works.push(m.work); });
  call.on('error', () => {});
  call.write({ kind: 'ready', ready: 1 });
  while (works.length === 0) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 300));
  t.is(works.length, 1, 'one credit, one work item (4 more wait in the learner\'s queue)');
  call.write({ kind: 'ready', ready: 5 });
  while (works.length < 2) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 300));
  t.is(works.length, 2, 'credits beyond maxSlots (2) are clamped');
  call.write({ kind: 'ready', ready: 1_000_000 });
  const refused = await new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
  t.is(refused.code, INVALID_ARGUMENT);
  t.regex(refused.details, /ready must be an integer in \[0, 1024\]/);
  t.is(source.stats.reassigned, 2, 'the refused actor\'s work items went back to the queue');

  // a forward that never answers: every request stays in flight
  const stuck = await startLearner(t, {}, () => new Promise(() => {}));
  const stuckInference = new ctors.Inference(`127.0.0.1:${stuck.port}`, grpc.credentials.createInsecure());
  t.teardown(() => stuckInference.close());
  const id3 = (await hello(stuck.port)).reply!.actorId;
  const call3 = (stuckInference as unknown as { Infer(md: grpc.Metadata): grpc.ClientDuplexStream<unknown, unknown> }).Infer(metadata({ actor: id3 }));
  call3.on('error', () => {});
  const st = new Promise<grpc.StatusObject>((resolve) => call3.on('status', resolve));
  for (let i = 0; i < 20; i++) call3.write({ id: i, rows: 1, obs: Buffer.alloc(DIMS.obsSize * 4) });
  const s3 = await st;
  t.is(s3.code, RESOURCE_EXHAUSTED);
  t.regex(s3.details, /more than 16 inference requests/);
});

test('policy-version lag: a result older than maxLag is refused and its requests are played again with the current policy', async (t) => {
  t.timeout(30_000);
  // the forward answers with version 0 until the learner has refused a result (lag 3 > 1), then with 3
  let refusedYet = () => false;
  const infer = (_obs: Float32Array, n: number) => Promise.resolve({ logits: new Float32Array(n * DIMS.numActions), version: refusedYet() ? 3 : 0 });
  const source = await startLearner(t, { maxLag: 1, chunkSize: 2 }, infer);
  refusedYet = () => source.stats.refusedResults > 0;
  await source.publish(3, new Uint8Array(1));
  const abort = new AbortController();
  t.teardown(() => abort.abort());
  const lines: string[] = [];
  void runRemoteActor({ connect: `127.0.0.1:${source.port}`, signal: abort.signal, log: (l) => lines.push(l) });
  const got = await source.collect(requests(4));
  t.true(got.every((x) => x.policyVersion === 3), got.map((x) => x.policyVersion).join());
  t.true(source.stats.refusedResults >= 1, `refused ${source.stats.refusedResults}`);
  t.true(lines.some((l) => /refused work \d+: played with policy version 0, the learner is at 3/.test(l)), lines.join('\n'));
});

test('streamed results: a work item\'s trajectories may come a few at a time, in any order; it finishes when every position has come once; a repeated or unknown position is INVALID_ARGUMENT; an actor that leaves mid-item has the item played again whole', async (t) => {
  t.timeout(30_000);
  const reqs = requests(4);
  const want = await createInProcessSource({ scenario: SCENARIO, encoder: 'structured', concurrency: 8 }, zeroInfer().infer).collect(reqs);
  const msgs = want.map((x) => toTrajectoryMsg(x));
  const source = await startLearner(t, { chunkSize: 4 });
  const addr = `127.0.0.1:${source.port}`;
  const experience = new (clientConstructors().Experience)(addr, grpc.credentials.createInsecure());
  t.teardown(() => experience.close());

  /** Takes one work item and answers it with `parts` ([positions] per Result); resolves with the acks and the status if the stream ends. */
  const answer = async (parts: number[][], opts: { leave?: boolean } = {}) => {
    const actor = (await hello(source.port)).reply!.actorId;
    const call = experience.Play(metadata({ actor })) as grpc.ClientDuplexStream<ActorMessage, LearnerMessage & { kind?: string }>;
    const acks: boolean[] = [];
    const status = new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
    call.on('error', () => {});
    await new Promise<void>((resolve) => {
      call.on('data', (m: LearnerMessage & { kind?: string }) => {
        if (m.kind === 'ack' && m.ack) acks.push(m.ack.admitted);
        if (m.kind !== 'work' || !m.work) return;
        for (const p of parts) call.write({ kind: 'result', result: { workId: m.work.workId, trajectories: p.map((k) => msgs[k % msgs.length]), positions: p } });
        resolve();
      });
      call.write({ kind: 'ready', ready: 1 });
    });
    if (opts.leave) call.cancel();
    return { call, acks, status };
  };

  const pending = source.collect(reqs);
  void pending.catch(() => undefined);
  // a duplicate inside one Result, then across Results, then a position the item does not have
  for (const parts of [[[1, 1]], [[2], [0, 2]], [[4]]]) {
    const r = await answer(parts);
    const s = await r.status;
    t.is(s.code, INVALID_ARGUMENT, s.details);
    t.regex(s.details, parts[0][0] === 4 ? /position 4 is not a request of the work \(it had 4\)/ : /position 2 was sent twice|position 1 was sent twice/);
  }
  // half an item, then the actor leaves: nothing of it reaches the collect
  const half = await answer([[3], [1]], { leave: true });
  await half.status;
  t.is(source.stats.episodes, 0);
  // streamed in reverse, two Results: one ack, and the collect equals the in-process trajectories
  const good = await answer([[3, 2], [1], [0]]);
  const got = await pending;
  while (good.acks.length === 0) await new Promise((r) => setTimeout(r, 10));
  t.deepEqual(good.acks, [true]);
  got.forEach((x, i) => {
    t.is(Array.from(x.actions).join(), Array.from(want[i].actions).join(), `trajectory ${i}`);
    t.is(Array.from(x.obs).join(), Array.from(want[i].obs).join());
  });
  t.is(source.stats.episodes, 4);
  t.true(source.stats.reassigned >= 4, `reassigned ${source.stats.reassigned}`);
  good.call.cancel();
});

test('a real actor streams its trajectories without their observations (the learner kept them from inference): onTrajectory sees each request once, before the collect resolves, with the collect\'s values', async (t) => {
  t.timeout(30_000);
  const source = await startLearner(t, { chunkSize: 8 });
  const abort = new AbortController();
  t.teardown(() => abort.abort());
  void runRemoteActor({ connect: `127.0.0.1:${source.port}`, concurrency: 4, signal: abort.signal });
  const seen = new Map<number, Trajectory>();
  const got = await source.collect(requests(24), (i, x) => {
    t.false(seen.has(i), `request ${i} twice`);
    seen.set(i, x);
  });
  t.is(seen.size, 24);
  got.forEach((x, i) => t.is(seen.get(i), x));
  // the actor played in its own thread, so it tagged its inference rows and sent no observations back
  const decisions = got.reduce((s, x) => s + x.length, 0);
  t.is(source.stats.keptObservations, decisions);
});

test('rows sent as changes from the previous row rebuild the same bits (-0, tiny values, unchanged rows); bad sizes and indices are INVALID_ARGUMENT', (t) => {
  const F = 5;
  const prev = [Float32Array.of(1, 0, 2, 0, 3), undefined, Float32Array.of(0, 0, 0, 0, 0)];
  const obs = Float32Array.of(1, 0, 2.5, 0, -3, /* first row of an episode */ 0, 7, 0, -0, 1e-30, /* unchanged */ 0, 0, 0, 0, 0);
  const c = toChanges(obs, 3, F, (i) => prev[i]);
  t.deepEqual(Array.from(c.changes), [2, 3, 0]);
  t.deepEqual(Array.from(c.indices), [2, 4, 1, 3, 4]);
  const msg = { id: 1, rows: 3, obs: Buffer.alloc(0), changes: bytes(c.changes), indices: bytes(c.indices), values: bytes(c.values) };
  const back = fromChanges(msg, 3, F, (i) => prev[i]);
  t.deepEqual(Array.from(back), Array.from(obs));
  t.true(Object.is(back[8], -0));
  const bad = (m: Partial<typeof msg>, re: RegExp) => {
    const e = t.throws(() => fromChanges({ ...msg, ...m }, 3, F, (i) => prev[i]));
    t.regex(e!.message, re);
  };
  bad({ changes: Buffer.from(Uint16Array.of(2, 3).buffer) }, /changes has 4 bytes, expected 6/);
  bad({ indices: Buffer.from(Uint16Array.of(2, 4, 1, 3).buffer) }, /indices has 8 bytes, expected 10/);
  bad({ indices: Buffer.from(Uint16Array.of(4, 2, 1, 3, 4).buffer) }, /indices\[1\] is 2; row 0's indices must increase/);
  bad({ indices: Buffer.from(Uint16Array.of(2, 5, 1, 3, 4).buffer) }, /indices\[1\] is 5; .* below 5/);
  bad({ obs: Buffer.alloc(4) }, /obs has 4 bytes, expected 0/);
  const e = t.throws(() => checkInferRequest(msg, F, 8));
  t.regex(e!.message, /changes needs positions/);
});
