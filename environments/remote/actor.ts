/**
 * The actors' side: a process that connects to a learner, says Hello, and plays the episodes the
 * learner hands out (in this thread with the online sources' player — its inference rows tagged so
 * that the learner keeps them as observations —, or in Piscina workers whose batches this process
 * merges — createCentralSource —, both asking the learner over the Inference stream; or local
 * copies fed by the Policy stream), streaming the trajectories back on the Experience stream as
 * episodes finish. The same player and sampler as the in-process source, so the same requests give
 * the same trajectories.
 *
 * Connection trouble (learner not there yet, gone, restarted, a cut stream) is retried with
 * capped, jittered exponential backoff; refusals that would only repeat (wrong token, protocol or
 * scenario mismatch, a message the learner calls malformed) end the actor with an error naming
 * the cause; the learner saying training is done ends it cleanly.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { hostname } from 'node:os';
import * as grpc from '@grpc/grpc-js';
import { makeContext } from '../../actors/context.js';
import { Rng } from '../../scenarios/random.js';
import { Scenario } from '../../scenarios/schema.js';
import type { EncoderKind } from '../encoding/encoder.js';
import { tuneEpisodeHeaps } from '../heap.js';
import { positiveInt, sourceSetup } from '../online/options.js';
import { playRequests } from '../online/player.js';
import type { EpisodeRequest, ExperienceSource, InferFn, OnTrajectory } from '../online/types.js';
import { createCentralSource, createLocalCopiesSource } from '../online/workers.js';
import { authMetadata, channelCredentials, parseAddress, type ClientTls } from './auth.js';
import { ACTOR_HEADER, PROTOCOL_HEADER } from './learner.js';
import { fromRequestMsg, toChanges, toTrajectoryMsg } from './messages.js';
import {
  PROTOCOL_VERSION, bytes, clientConstructors, f32,
  type ActorMessage, type HelloReply, type HelloRequest, type InferReplyMsg, type InferRequestMsg, type LearnerMessage, type PolicyUpdate, type ScenarioRef, type TrajectoryMsg, type WorkMsg,
} from './proto.js';

export interface RetryOptions {
  /** First wait after a failed connection (ms, default 250); doubles each failure. */
  readonly initialMs?: number;
  /** Longest wait between tries (ms, default 10000). */
  readonly maxMs?: number;
  /** Give up after this long without reaching the learner (ms, default: never). */
  readonly giveUpMs?: number;
}

export interface RemoteActorOptions {
  /** The learner's HOST:PORT. */
  readonly connect: string;
  readonly token?: string;
  readonly tls?: ClientTls;
  /** Piscina workers playing the episodes (0, the default: this thread). */
  readonly workers?: number;
  /** Episodes alive at once per worker (default: what the learner suggests). */
  readonly concurrency?: number;
  /** central (default): the learner runs the policy; local: each worker runs the published model. */
  readonly source?: 'central' | 'local';
  /** Work items held at once (default 2: one is played while the other's result travels). */
  readonly slots?: number;
  /** Refuse a learner training another scenario (FAILED_PRECONDITION). */
  readonly scenario?: ScenarioRef;
  /** Shown in the learner's log and Status (default: host name and pid). */
  readonly name?: string;
  readonly retry?: RetryOptions;
  /** Deadline of unary calls (ms, default 10000). */
  readonly deadlineMs?: number;
  /** Longest wait for the logits of one inference request (ms, default 60000) before the connection is counted as broken. */
  readonly inferTimeoutMs?: number;
  /** HTTP/2 keepalive ping interval (ms, default 10000). */
  readonly keepaliveMs?: number;
  /** Seed of the backoff jitter (default: the pid, so actors started together spread out). */
  readonly seed?: number;
  readonly signal?: AbortSignal;
  readonly log?: (line: string) => void;
}

export interface RemoteActorResult {
  /** Why the actor stopped: the learner's done message, or 'aborted'. */
  readonly reason: string;
  readonly episodes: number;
  readonly workItems: number;
  /** Successful Hellos (1 + reconnections). */
  readonly connections: number;
}

/** A refusal that retrying would only repeat. */
export class RemoteActorError extends Error {
  constructor(readonly code: grpc.status, message: string) {
    super(message);
    this.name = 'RemoteActorError';
  }
}

const FATAL = new Set([grpc.status.UNAUTHENTICATED, grpc.status.PERMISSION_DENIED, grpc.status.INVALID_ARGUMENT, grpc.status.UNIMPLEMENTED]);

/** The wait before try `attempt` (0-based): capped doubling with half of it jittered by `u` ∈ [0, 1). */
export function backoffMs(attempt: number, initialMs: number, maxMs: number, u: number): number {
  const cap = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 30));
  return cap / 2 + (cap / 2) * u;
}

function codeOf(err: unknown): grpc.status | undefined {
  const c = (err as { code?: unknown })?.code;
  return typeof c === 'number' ? c : undefined;
}

function describe(err: unknown): string {
  const c = codeOf(err);
  const msg = err instanceof Error ? ((err as Partial<grpc.ServiceError>).details || err.message) : String(err);
  return c === undefined ? msg : `${grpc.status[c]}: ${msg}`;
}

interface Counters {
  episodes: number;
  workItems: number;
  connections: number;
}

/**
 * Plays the learner's episodes until it says training is done (resolves), the signal aborts
 * (resolves with reason 'aborted'), or a refusal that retrying would repeat (rejects with a
 * {@link RemoteActorError}).
 *
 * @example
 * const r = await runRemoteActor({ connect: '127.0.0.1:50051', token, workers: 2 });
 */
export async function runRemoteActor(o: RemoteActorOptions): Promise<RemoteActorResult> {
  parseAddress(o.connect, 'connect');
  tuneEpisodeHeaps();
  const initialMs = o.retry?.initialMs ?? 250;
  const maxMs = o.retry?.maxMs ?? 10_000;
  const giveUpMs = o.retry?.giveUpMs ?? Infinity;
  const rng = Rng.from(o.seed ?? process.pid);
  const log = o.log ?? (() => {});
  const counters: Counters = { episodes: 0, workItems: 0, connections: 0 };
  let attempt = 0;
  let since = performance.now();
  const result = (reason: string): RemoteActorResult => ({ reason, ...counters });
  while (!o.signal?.aborted) {
    try {
      const done = await session(o, counters, log, () => { attempt = 0; });
      return result(done);
    } catch (err) {
      if (o.signal?.aborted) break;
      if (err instanceof RemoteActorError) throw err;
      const code = codeOf(err);
      if (code !== undefined && FATAL.has(code)) throw new RemoteActorError(code, `the learner at ${o.connect} refused this actor: ${describe(err)}`);
      if (attempt === 0) since = performance.now();
      if (performance.now() - since > giveUpMs) throw new RemoteActorError(grpc.status.UNAVAILABLE, `gave up after ${Math.round((performance.now() - since) / 1000)} s without reaching the learner at ${o.connect}: ${describe(err)}`);
      const wait = backoffMs(attempt++, initialMs, maxMs, rng.float());
      log(`actors: learner at ${o.connect}: ${describe(err)}; retrying in ${(wait / 1000).toFixed(1)} s`);
      try {
        await sleep(wait, undefined, { signal: o.signal });
      } catch {
        break;
      }
    }
  }
  return result('aborted');
}

/** One connection: Hello, then work until done (resolves with the learner's reason) or trouble (rejects). */
async function session(o: RemoteActorOptions, counters: Counters, log: (l: string) => void, connected: () => void): Promise<string> {
  const ctors = clientConstructors();
  const keepaliveMs = o.keepaliveMs ?? 10_000;
  const channelOptions: grpc.ChannelOptions = {
    'grpc.max_receive_message_length': 512 * 1024 * 1024,
    'grpc.keepalive_time_ms': keepaliveMs,
    'grpc.keepalive_timeout_ms': 10_000,
    'grpc.keepalive_permit_without_calls': 1,
    'grpc.initial_reconnect_backoff_ms': 200,
    ...(o.tls?.serverName ? { 'grpc.ssl_target_name_override': o.tls.serverName, 'grpc.default_authority': o.tls.serverName } : {}),
  };
  const channel = new grpc.Channel(o.connect, channelCredentials(o.tls), channelOptions);
  const clientOpts = { channelOverride: channel };
  // Trajectories get a connection of their own: HTTP/2 flow control is per connection, and their
  // bulk would otherwise hold up the next tick's inference request behind window updates.
  const bulk = new grpc.Channel(o.connect, channelCredentials(o.tls), { ...channelOptions, 'grpc.use_local_subchannel_pool': 1 });
  const sessionClient = new ctors.Session(o.connect, grpc.credentials.createInsecure(), clientOpts);
  const deadline = () => ({ deadline: Date.now() + (o.deadlineMs ?? 10_000) });
  let source: ExperienceSource | null = null;
  const calls: grpc.ClientDuplexStream<unknown, unknown>[] = [];
  let watch: grpc.ClientReadableStream<PolicyUpdate> | null = null;
  try {
    const req: HelloRequest = {
      protocolVersion: PROTOCOL_VERSION, name: o.name ?? `${hostname()}:${process.pid}`, hasScenario: o.scenario !== undefined,
      scenario: o.scenario ?? null, capacity: (o.workers || 1) * (o.concurrency ?? 32),
    };
    const hello = await new Promise<HelloReply>((resolve, reject) => {
      sessionClient.Hello(req, authMetadata(new grpc.Metadata(), o.token), deadline(), (err: grpc.ServiceError | null, r?: HelloReply) => {
        // a version or scenario mismatch at Hello would only repeat (later FAILED_PRECONDITIONs, e.g. an actor id a restarted learner forgot, are retried)
        if (err?.code === grpc.status.FAILED_PRECONDITION) reject(new RemoteActorError(err.code, `the learner at ${o.connect} refused this actor: ${err.details}`));
        else if (err) reject(err);
        else resolve(r!);
      });
    });
    if (hello.protocolVersion !== PROTOCOL_VERSION) throw new RemoteActorError(grpc.status.FAILED_PRECONDITION, `protocol version: this actor speaks ${PROTOCOL_VERSION}, the learner ${hello.protocolVersion}`);
    let scenario: Scenario;
    try {
      scenario = Scenario.parse(JSON.parse(hello.scenarioJson));
    } catch (err) {
      throw new RemoteActorError(grpc.status.FAILED_PRECONDITION, `the learner's scenario ${hello.scenario.id} ${hello.scenario.version} does not parse here (a different Reverie version?): ${err instanceof Error ? err.message : String(err)}`);
    }
    const hash = makeContext(scenario).hash;
    if (hash !== hello.scenario.hash) throw new RemoteActorError(grpc.status.FAILED_PRECONDITION, `scenario ${hello.scenario.id} ${hello.scenario.version}: this actor hashes the learner's data to ${hash}, the learner to ${hello.scenario.hash} (different Reverie versions?)`);
    counters.connections++;
    connected();
    log(`actors: connected to ${o.connect} as ${hello.actorId}: ${hello.scenario.id} ${hello.scenario.version}, policy version ${hello.policyVersion}`);
    const md = () => {
      const m = authMetadata(new grpc.Metadata(), o.token);
      m.set(PROTOCOL_HEADER, String(PROTOCOL_VERSION));
      m.set(ACTOR_HEADER, hello.actorId);
      return m;
    };

    return await new Promise<string>((resolve, reject) => {
      let finished = false;
      const onAbort = () => finish(null, 'aborted');
      const finish = (err: unknown, done?: string) => {
        if (finished) return;
        finished = true;
        o.signal?.removeEventListener('abort', onAbort);
        if (err) reject(err);
        else resolve(done!);
      };
      // aborted (SIGTERM): stop now; the learner hands this actor's unfinished work to the others
      if (o.signal?.aborted) return finish(null, 'aborted');
      o.signal?.addEventListener('abort', onAbort, { once: true });
      const sopts = { scenario, encoder: hello.encoder as EncoderKind, concurrency: o.concurrency ?? hello.concurrency };
      const mode = o.source ?? 'central';
      /** Plays one work item, handing out each trajectory as it finishes (what it resolves with is not used). */
      let playWork: (w: WorkMsg, requests: EpisodeRequest[], each: OnTrajectory) => Promise<unknown>;
      // episodes played in this thread tag their inference rows, so the learner keeps the observations
      let obsKept = false;
      if (mode === 'local') {
        const src = source = createLocalCopiesSource({ ...sopts, workers: o.workers || 1 });
        playWork = (_w, requests, each) => src.collect(requests, each);
      } else {
        const infer = inferOverStream(new ctors.Inference(o.connect, grpc.credentials.createInsecure(), clientOpts), md(), o.inferTimeoutMs ?? 60_000, calls, (e) => finish(e));
        if (o.workers) {
          const src = source = createCentralSource({ ...sopts, workers: o.workers }, infer);
          playWork = (_w, requests, each) => src.collect(requests, each);
        } else {
          const { ctx, encoder } = sourceSetup(sopts);
          const concurrency = positiveInt('concurrency', sopts.concurrency, 32);
          obsKept = true;
          playWork = (w, requests, each) => {
            const last: Float32Array[] = [];
            return playRequests(ctx, encoder, requests, concurrency, {
              forward: (obs, rows, _pins, rowsOf) => infer(obs, rows, { workId: w.workId, positions: rowsOf, last }),
              fallbackVersion: () => w.policyVersion,
              keepsObservations: obsKept,
            }, { onTrajectory: each, keep: false });
          };
        }
      }
      const play = new ctors.Experience(o.connect, grpc.credentials.createInsecure(), { channelOverride: bulk }).Play(md()) as grpc.ClientDuplexStream<ActorMessage, LearnerMessage>;
      calls.push(play as grpc.ClientDuplexStream<unknown, unknown>);
      const runWork = (w: WorkMsg) => {
        const requests: EpisodeRequest[] = w.requests.map(fromRequestMsg);
        // Trajectories go out as episodes finish, a few per Result, so that sending (and the
        // learner's checks) overlap with playing the rest instead of all coming after the last one.
        const per = Math.max(1, Math.min(16, Math.ceil(requests.length / 32)));
        let positions: number[] = [];
        let trajectories: TrajectoryMsg[] = [];
        const send = () => {
          if (finished || positions.length === 0) return;
          play.write({ kind: 'result', result: { workId: w.workId, trajectories, positions } });
          positions = [];
          trajectories = [];
        };
        playWork(w, requests, (k, t) => {
          positions.push(k);
          trajectories.push(toTrajectoryMsg(t, obsKept));
          if (positions.length >= per) send();
        }).then(() => {
          send();
          counters.episodes += requests.length;
          counters.workItems++;
        }, (err: unknown) => finish(err));
      };
      play.on('data', (m: LearnerMessage & { kind?: string }) => {
        if (m.kind === 'work' && m.work) runWork(m.work);
        else if (m.kind === 'done') finish(null, m.done || 'training is over');
        else if (m.kind === 'ack' && m.ack && !m.ack.admitted) log(`actors: the learner refused work ${m.ack.workId}: ${m.ack.reason}`);
      });
      play.on('error', (e) => finish(e));
      play.on('end', () => finish(Object.assign(new Error('the learner ended the experience stream'), { code: grpc.status.UNAVAILABLE })));
      const start = () => play.write({ kind: 'ready', ready: o.slots ?? 2 });
      if (mode === 'central') start();
      else {
        // local copies: no work before the first model
        watch = new ctors.Policy(o.connect, grpc.credentials.createInsecure(), clientOpts).Watch({ afterVersion: -1 }, md()) as grpc.ClientReadableStream<PolicyUpdate>;
        let first = true;
        watch.on('data', (u: PolicyUpdate) => {
          source!.publish(u.version, new Uint8Array(u.model)).then(() => {
            if (first) start();
            first = false;
          }, (e: unknown) => finish(e));
        });
        watch.on('error', (e) => finish(e));
      }
    });
  } finally {
    for (const c of calls) c.cancel();
    (watch as grpc.ClientReadableStream<PolicyUpdate> | null)?.cancel();
    await (source as ExperienceSource | null)?.close().catch(() => undefined);
    channel.close();
    bulk.close();
  }
}

/** Whose observations an inference request's rows are: a work item, and each row's position in it. */
interface RowTags {
  readonly workId: number;
  readonly positions: Int32Array;
  /** The last row sent for each position: the next one goes as its changes from it. */
  readonly last: Float32Array[];
}

/** The request's rows: as changes from each episode's previous row when tagged (the learner keeps them), else whole. */
function inferRequest(id: number, obs: Float32Array, rows: number, tags?: RowTags): InferRequestMsg {
  const F = obs.length / rows;
  if (!tags || F > 0xffff) return { id, rows, obs: bytes(obs) };
  const positions = Array.from(tags.positions);
  const c = toChanges(obs, rows, F, (i) => tags.last[positions[i]]);
  for (let i = 0; i < rows; i++) tags.last[positions[i]] = obs.subarray(i * F, (i + 1) * F);
  return { id, rows, obs: Buffer.alloc(0), workId: tags.workId, positions, changes: bytes(c.changes), indices: bytes(c.indices), values: bytes(c.values) };
}

/** An InferFn that sends each batch on one Inference stream and waits for its logits (`tags`: the learner keeps the rows). */
function inferOverStream(client: grpc.Client, md: grpc.Metadata, timeoutMs: number, calls: grpc.ClientDuplexStream<unknown, unknown>[], broken: (e: unknown) => void): (obs: Float32Array, rows: number, tags?: RowTags) => ReturnType<InferFn> {
  const call = (client as unknown as { Infer(md: grpc.Metadata): grpc.ClientDuplexStream<InferRequestMsg, InferReplyMsg> }).Infer(md);
  calls.push(call as grpc.ClientDuplexStream<unknown, unknown>);
  let next = 0;
  let dead: unknown = null;
  const waiting = new Map<number, { resolve: (r: { logits: Float32Array; version: number }) => void; reject: (e: unknown) => void; timer: NodeJS.Timeout }>();
  const breakAll = (e: unknown) => {
    dead ??= e;
    for (const w of waiting.values()) {
      clearTimeout(w.timer);
      w.reject(e);
    }
    waiting.clear();
    broken(e);
  };
  call.on('data', (r: InferReplyMsg) => {
    const w = waiting.get(r.id);
    if (!w) return;
    waiting.delete(r.id);
    clearTimeout(w.timer);
    w.resolve({ logits: f32(r.logits), version: r.policyVersion });
  });
  call.on('error', breakAll);
  call.on('end', () => breakAll(Object.assign(new Error('the learner ended the inference stream'), { code: grpc.status.UNAVAILABLE })));
  return (obs, rows, tags) => {
    if (dead) return Promise.reject(dead);
    const id = next++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => breakAll(Object.assign(new Error(`no logits from the learner within ${timeoutMs} ms`), { code: grpc.status.DEADLINE_EXCEEDED })), timeoutMs);
      waiting.set(id, { resolve, reject, timer });
      call.write(inferRequest(id, obs, rows, tags));
    });
  };
}
