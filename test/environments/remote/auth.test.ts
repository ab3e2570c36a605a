// Who may talk to the learner: a shared token (wrong or missing → UNAUTHENTICATED, nothing sent
// reaches training), loopback-only without one, TLS and mutual TLS (certificates made with the
// openssl CLI at test time; a plain-text client to a TLS learner cannot connect).
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { RemoteActorError, runRemoteActor } from '../../../environments/remote/actor.js';
import { checkListen, isLoopback, parseAddress, tokenChecker } from '../../../environments/remote/auth.js';
import { toTrajectoryMsg } from '../../../environments/remote/messages.js';
import { clientConstructors } from '../../../environments/remote/proto.js';
import { DIMS, hello, metadata, rawBidi, rawClient, rawUnary, startLearner } from './helpers/learner.js';

const { UNAUTHENTICATED, OK, UNAVAILABLE } = grpc.status;
const TOKEN = 'correct horse battery staple';

test('tokenChecker: Bearer token compared on digests; listen rules: loopback only without a token', (t) => {
  const check = tokenChecker(TOKEN);
  const md = (v?: string) => {
    const m = new grpc.Metadata();
    if (v !== undefined) m.set('authorization', v);
    return m;
  };
  t.is(check(md(`Bearer ${TOKEN}`)), null);
  t.regex(check(md())!, /no 'authorization'/);
  t.is(check(md('Bearer nope')), 'wrong token');
  t.is(check(md(`Bearer ${TOKEN}x`)), 'wrong token');
  t.regex(check(md(TOKEN))!, /not 'Bearer <token>'/);
  t.is(tokenChecker(undefined)(md()), null);
  t.throws(() => tokenChecker(''), { message: /empty token/ });
  t.true(['127.0.0.1', '127.1.2.3', '::1', 'localhost'].every(isLoopback));
  t.false(['0.0.0.0', '10.0.0.1', '::', 'example.org'].some(isLoopback));
  t.throws(() => checkListen('0.0.0.0', undefined), { message: /loopback.*token/s });
  t.notThrows(() => checkListen('0.0.0.0', TOKEN));
  t.deepEqual(parseAddress('[::1]:50051'), { host: '::1', port: 50051 });
  t.throws(() => parseAddress('localhost'), { message: /HOST:PORT/ });
});

test('a learner without a token refuses a non-loopback listen address at start', async (t) => {
  await t.throwsAsync(startLearner(t, { listen: '0.0.0.0:0' }), { message: /loopback.*token/s });
});

test('token: wrong or missing → UNAUTHENTICATED on every service, and what the call sent never reaches a collect', async (t) => {
  t.timeout(60_000);
  const source = await startLearner(t, { token: TOKEN, chunkSize: 2 });
  for (const token of [undefined, 'wrong', `${TOKEN} `]) {
    const h = await hello(source.port, {}, metadata(token === undefined ? {} : { token }));
    t.is(h.code, UNAUTHENTICATED, `token ${String(token)}`);
  }
  t.is((await hello(source.port, {}, metadata({ token: TOKEN }))).code, OK);
  const raw = rawClient(source.port);
  t.teardown(() => raw.close());
  t.is((await rawUnary(raw, 'Status', 'Get', Buffer.alloc(0), metadata({ token: 'wrong' }))).code, UNAUTHENTICATED);
  t.is((await rawBidi(raw, 'Inference', 'Infer', [], metadata())).code, UNAUTHENTICATED);
  t.is((await rawBidi(raw, 'Policy', 'Watch', [Buffer.alloc(0)], metadata(), 10_000, true)).code, UNAUTHENTICATED);

  // an unauthenticated stream that sends a well-formed result for a pending request: refused, not collected
  const reqs = [{ seed: 7, actionSeed: 8 }, { seed: 9, actionSeed: 10 }];
  const pending = source.collect(reqs);
  const F = DIMS.obsSize;
  const A = DIMS.numActions;
  const forged = toTrajectoryMsg({ seed: 7, actionSeed: 8, policyVersion: 0, length: 1, obs: new Float32Array(F), mask: new Uint8Array(A).fill(1), actions: Int32Array.of(0), logProbs: Float32Array.of(-1), rewards: Float32Array.of(100), terminated: true, truncated: false, finalObs: new Float32Array(F), return: 100, success: true });
  const play = new (clientConstructors().Experience)(`127.0.0.1:${source.port}`, grpc.credentials.createInsecure());
  t.teardown(() => play.close());
  const status = await new Promise<grpc.StatusObject>((resolve) => {
    const call = play.Play(metadata({ token: 'wrong', actor: 'actor-1' })) as grpc.ClientDuplexStream<unknown, unknown>;
    call.on('status', resolve);
    call.on('error', () => {});
    call.on('data', () => {});
    call.write({ kind: 'ready', ready: 1 });
    call.write({ kind: 'result', result: { workId: 1, trajectories: [forged] } });
  });
  t.is(status.code, UNAUTHENTICATED);
  t.is(source.stats.episodes, 0);
  t.true(source.stats.unauthenticated >= 7);

  const wrong = await t.throwsAsync(runRemoteActor({ connect: `127.0.0.1:${source.port}`, token: 'wrong', retry: { giveUpMs: 5000 } }));
  t.true(wrong instanceof RemoteActorError);
  t.is((wrong as RemoteActorError).code, UNAUTHENTICATED);

  const abort = new AbortController();
  t.teardown(() => abort.abort());
  void runRemoteActor({ connect: `127.0.0.1:${source.port}`, token: TOKEN, signal: abort.signal });
  const got = await pending;
  t.deepEqual(got.map((x) => x.seed), [7, 9]);
  t.not(got[0].return, 100, 'the forged trajectory was not collected');
});

/** Throwaway CA, server (127.0.0.1 / localhost) and client certificates, made with the openssl CLI. */
function makeCerts(): { dir: string; read: (f: string) => string } | string {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
  } catch {
    return 'the openssl CLI is not installed (apt-get install openssl)';
  }
  const dir = mkdtempSync(join(tmpdir(), 'reverie-tls-'));
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const key = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  ssl('req', '-x509', ...key, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=reverie-test-ca');
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  ssl('req', ...key, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost');
  ssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '1', '-extfile', 'server.ext');
  ssl('req', ...key, '-keyout', 'client.key', '-out', 'client.csr', '-subj', '/CN=reverie-actor');
  ssl('x509', '-req', '-in', 'client.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'client.pem', '-days', '1');
  return { dir, read: (f) => readFileSync(join(dir, f), 'utf8') };
}

test('TLS: an actor with the CA plays; a plain-text client cannot connect (UNAVAILABLE) and nothing reaches the learner; mutual TLS needs a client certificate', async (t) => {
  t.timeout(60_000);
  const certs = makeCerts();
  if (typeof certs === 'string') {
    t.log(`skipped: ${certs}`);
    t.pass();
    return;
  }
  t.teardown(() => rmSync(certs.dir, { recursive: true, force: true }));
  const tls = { cert: certs.read('server.pem'), key: certs.read('server.key') };
  const source = await startLearner(t, { token: TOKEN, tls });
  const addr = `127.0.0.1:${source.port}`;

  const plain = await hello(source.port, {}, metadata({ token: TOKEN }), grpc.credentials.createInsecure());
  t.is(plain.code, UNAVAILABLE, plain.details);
  const plainActor = await t.throwsAsync(runRemoteActor({ connect: addr, token: TOKEN, retry: { initialMs: 50, maxMs: 100, giveUpMs: 500 }, deadlineMs: 1000 }));
  t.is((plainActor as RemoteActorError).code, UNAVAILABLE);
  const unknownCa = await hello(source.port, {}, metadata({ token: TOKEN }), grpc.credentials.createSsl());
  t.is(unknownCa.code, UNAVAILABLE, 'a client that does not trust the learner\'s CA does not connect');
  t.is(source.status().actors.length, 0);

  const abort = new AbortController();
  t.teardown(() => abort.abort());
  const actor = runRemoteActor({ connect: addr, token: TOKEN, tls: { ca: certs.read('ca.pem') }, signal: abort.signal, retry: { giveUpMs: 10_000 } });
  const got = await source.collect([{ seed: 1, actionSeed: 2 }, { seed: 3, actionSeed: 4 }]);
  t.deepEqual(got.map((x) => x.seed), [1, 3]);
  await source.close();
  t.is((await actor).reason, 'training is over');

  // mutual TLS
  const mutual = await startLearner(t, { tls: { ...tls, clientCa: certs.read('ca.pem') } });
  const noCert = await hello(mutual.port, {}, metadata(), grpc.credentials.createSsl(Buffer.from(certs.read('ca.pem'))));
  t.not(noCert.code, OK, 'no client certificate, no call');
  const withCert = await hello(mutual.port, {}, metadata(), grpc.credentials.createSsl(Buffer.from(certs.read('ca.pem')), Buffer.from(certs.read('client.key')), Buffer.from(certs.read('client.pem'))));
  t.is(withCert.code, OK, withCert.details);
});
