/**
 * The learner's side of the distributed setup: an {@link ExperienceSource} whose episodes are
 * played by actors in other processes (SEED RL). `collect(requests)` cuts the requests into work
 * items and hands them to connected actors as they ask for work; each actor's observation batches
 * come in on its Inference stream and the pending batches of ALL actors are merged into one call
 * of the learner's InferFn (the SeedServer of the in-process central source, fed over a
 * MessageChannel per stream); trajectories stream back on the Experience stream as episodes
 * finish, are checked on arrival, and a work item is admitted once all of it has come and its
 * policy version lags the current one by at most `maxLag`.
 */
import { MessageChannel } from 'node:worker_threads';
import * as grpc from '@grpc/grpc-js';
import { checkRequests, checkVersion, positiveInt, sourceSetup } from '../online/options.js';
import type { InferReply, InferRequest } from '../online/protocol.js';
import { SeedServer, type SeedStats } from '../online/seed.js';
import type { EpisodeRequest, ExperienceSource, InferFn, OnTrajectory, SourceOptions, Trajectory } from '../online/types.js';
import { checkListen, parseAddress, serverCredentials, tokenChecker, type ServerTls } from './auth.js';
import { ProtocolError, checkActorMessage, checkHello, checkInferRequest, fromTrajectoryMsg, toRequestMsg } from './messages.js';
import {
  MALFORMED, PROTOCOL_VERSION, bytes, isMalformed, serverService,
  type ActorMessage, type ActorStatus, type HelloReply, type HelloRequest, type InferRequestMsg, type LearnerMessage, type PolicyUpdate, type ResultMsg, type ScenarioRef, type StatusReply, type WatchRequest,
} from './proto.js';

export const PROTOCOL_HEADER = 'reverie-protocol';
export const ACTOR_HEADER = 'reverie-actor';
export const DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;
/** Inference requests one stream may have waiting for logits (an actor has one per work item it plays). */
export const MAX_INFER_INFLIGHT = 16;

export interface RemoteSourceOptions extends SourceOptions {
  /** HOST:PORT to listen on (port 0: a free one, see `port`). Without `token`, loopback only. */
  readonly listen: string;
  /** Shared secret every call must carry as `authorization: Bearer <token>`. */
  readonly token?: string;
  /** TLS (PEM contents); with `clientCa`, mutual. */
  readonly tls?: ServerTls;
  /** Results whose policy version is older than the current one by more than this are refused and played again (default 1). */
  readonly maxLag?: number;
  /** Largest message accepted (bytes, default 16 MiB): larger ones get RESOURCE_EXHAUSTED. */
  readonly maxMessageBytes?: number;
  /**
   * Longest an actor's inference request waits for the others' before the forward runs without them
   * (ms, default 0: requests that came in the same event-loop turn still merge; actors' requests
   * arrive spread by the network, and waiting for the others cost more than it merged: 2 actors,
   * K = 64, paired ÷ in-process 0.67–0.70 with 0 against 0.59–0.61 with 1 ms).
   */
  readonly maxWaitMs?: number;
  /** Requests per work item (default: the collect split into 2 items per connected actor, at most 32; never more than a Result message of maxMessageBytes holds). */
  readonly chunkSize?: number;
  /** Work items an actor may hold at once (default 4); an actor asking for more gets this many. */
  readonly maxSlots?: number;
  /** Rows of one inference request (default 4096). */
  readonly maxRows?: number;
  /** HTTP/2 keepalive ping interval (ms, default 10000; a peer that does not answer within 10 s more is dropped). */
  readonly keepaliveMs?: number;
  /** An actor that said Hello but opened no Experience stream within this is forgotten (ms, default 60000). */
  readonly helloTtlMs?: number;
  /** Where the learner says what happens (actors joining and leaving, refusals). */
  readonly log?: (line: string) => void;
}

/** What the remote source counted since it started. */
export interface RemoteStats {
  episodes: number;
  /** Results refused as too stale, or lost with their actor (their requests were played again). */
  refusedResults: number;
  /** Work items handed out again after their actor went away. */
  reassigned: number;
  malformed: number;
  unauthenticated: number;
  /** Inference rows kept as their episodes' observations (tagged requests), so the trajectories came without them. */
  keptObservations: number;
  /** The central inference batching (forwards, rows, merges). */
  readonly seed: SeedStats;
}

export interface RemoteSource extends ExperienceSource {
  /** The address actually listened on, and its port (useful with port 0). */
  readonly address: string;
  readonly port: number;
  readonly obsSize: number;
  readonly numActions: number;
  readonly stats: RemoteStats;
  /** Actors with an open Experience stream now. */
  readonly actors: number;
  /** What Status.Get answers. */
  status(): StatusReply;
  /** Resolves once at least `n` actors have an open Experience stream. */
  waitForActors(n: number): Promise<void>;
}

interface Collect {
  readonly requests: readonly EpisodeRequest[];
  readonly results: (Trajectory | undefined)[];
  remaining: number;
  readonly resolve: (t: Trajectory[]) => void;
  readonly reject: (e: unknown) => void;
  readonly onTrajectory?: OnTrajectory;
  done: boolean;
}

interface WorkItem {
  readonly id: number;
  readonly collect: Collect;
  /** Positions in the collect's requests. */
  readonly indices: readonly number[];
}

/** A work item handed to an actor, and what of it has come back. */
interface Assignment {
  readonly item: WorkItem;
  /** Trajectories received so far (actors stream them), by position in the item. */
  readonly got: (Trajectory | undefined)[];
  left: number;
  /** Observations kept from tagged inference requests, by position: the trajectories need not carry them. */
  readonly kept: (Float32Array[] | undefined)[];
}

interface Actor {
  readonly id: string;
  readonly name: string;
  readonly peer: string;
  readonly since: number;
  play: grpc.ServerDuplexStream<ActorMessage, LearnerMessage> | null;
  slots: number;
  readonly inflight: Map<number, Assignment>;
  episodes: number;
}

type AnyCall = grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerDuplexStream<unknown, unknown> | grpc.ServerWritableStream<unknown, unknown>;

/**
 * Starts a gRPC server on `listen` and returns the experience source it feeds (see the module
 * comment). `collect` waits for actors (none connected: it waits until one is); `close` tells every
 * actor training is done, then stops the server.
 *
 * @example
 * const source = await createRemoteSource({ scenario, encoder: 'structured', listen: '127.0.0.1:0' }, infer);
 * // elsewhere: runRemoteActor({ connect: `127.0.0.1:${source.port}` })
 * const trajectories = await source.collect(requests);
 */
export async function createRemoteSource(opts: RemoteSourceOptions, infer: InferFn): Promise<RemoteSource> {
  const { ctx, encoder } = sourceSetup(opts);
  const concurrency = positiveInt('concurrency', opts.concurrency, 32);
  const maxLag = opts.maxLag ?? 1;
  if (!Number.isInteger(maxLag) || maxLag < 0) throw new TypeError(`options.maxLag must be a non-negative integer, got ${maxLag}`);
  const maxMessageBytes = positiveInt('maxMessageBytes', opts.maxMessageBytes, DEFAULT_MAX_MESSAGE_BYTES);
  const maxSlots = positiveInt('maxSlots', opts.maxSlots, 4);
  const maxRows = positiveInt('maxRows', opts.maxRows, 4096);
  const chunkSize = opts.chunkSize === undefined ? undefined : positiveInt('chunkSize', opts.chunkSize, 1);
  const keepaliveMs = positiveInt('keepaliveMs', opts.keepaliveMs, 10_000);
  const maxWaitMs = opts.maxWaitMs ?? 0;
  const helloTtlMs = positiveInt('helloTtlMs', opts.helloTtlMs, 60_000);
  const { host, port: wantPort } = parseAddress(opts.listen, 'listen');
  checkListen(host, opts.token);
  const checkToken = tokenChecker(opts.token);
  const log = opts.log ?? (() => {});
  const dims = { obsSize: encoder.size, numActions: ctx.actions.length };
  const scenarioRef: ScenarioRef = { id: ctx.scenario.id, version: ctx.scenario.version, hash: ctx.hash };
  const scenarioJson = JSON.stringify(opts.scenario);
  // the largest Result message a work item of n episodes can make: chunks are cut so that it fits
  const T = ctx.scenario.maxTurns;
  const episodeBytes = T * (dims.obsSize * 4 + dims.numActions + 12) + dims.obsSize * 4 + 128;
  const fits = Math.floor((maxMessageBytes * 0.9) / episodeBytes);
  if (fits < 1) throw new RangeError(`options.maxMessageBytes ${maxMessageBytes} is too small for one episode of ${ctx.scenario.id} (up to ${episodeBytes} bytes: ${T} turns of ${dims.obsSize} features); raise it`);

  const seed = new SeedServer(infer, dims.obsSize, dims.numActions, maxWaitMs);
  const stats: RemoteStats = { episodes: 0, refusedResults: 0, reassigned: 0, malformed: 0, unauthenticated: 0, keptObservations: 0, seed: seed.stats };
  const actors = new Map<string, Actor>();
  const collects = new Set<Collect>();
  const queue: WorkItem[] = [];
  const watchers = new Set<grpc.ServerWritableStream<WatchRequest, PolicyUpdate>>();
  const waiters: { n: number; resolve: () => void }[] = [];
  let nextActor = 0;
  let nextWork = 0;
  let version = 0;
  let model: Uint8Array | null = null;
  let closed = false;
  const t0 = performance.now();

  const playing = () => [...actors.values()].filter((a) => a.play !== null);
  const wake = () => {
    const n = playing().length;
    for (let i = waiters.length - 1; i >= 0; i--) if (n >= waiters[i].n) waiters.splice(i, 1)[0].resolve();
  };

  // ---------------------------------------------------------------- work queue

  /** Hands queued work to actors with free slots, least loaded first. */
  const pump = () => {
    while (queue.length > 0) {
      const free = playing().filter((a) => a.slots > 0).sort((a, b) => a.inflight.size - b.inflight.size);
      if (free.length === 0) return;
      const actor = free[0];
      const item = queue.shift()!;
      if (item.collect.done) continue;
      actor.slots--;
      actor.inflight.set(item.id, { item, got: new Array(item.indices.length), left: item.indices.length, kept: [] });
      const requests = item.indices.map((i) => toRequestMsg(item.collect.requests[i]));
      actor.play!.write({ work: { workId: item.id, requests, policyVersion: version } } satisfies LearnerMessage);
    }
  };

  /** An actor left (or was thrown out): its unfinished work goes back to the front of the queue. */
  const dropActor = (actor: Actor, why: string) => {
    if (!actors.has(actor.id)) return;
    actors.delete(actor.id);
    // what it had streamed of an item is dropped with it: an item is played again whole
    const lost = [...actor.inflight.values()].map((a) => a.item).filter((w) => !w.collect.done);
    actor.inflight.clear();
    actor.play = null;
    if (lost.length > 0) {
      stats.reassigned += lost.length;
      queue.unshift(...lost);
      log(`learner: actor ${actor.id} (${actor.name}) left with ${lost.length} unfinished work item${lost.length > 1 ? 's' : ''} (${why}); handing them to the others`);
    } else if (!closed) log(`learner: actor ${actor.id} (${actor.name}) left (${why})`);
    pump();
  };

  /** Takes a Result's trajectories into their assignment; the item is admitted (or refused as stale) once all have come. */
  const admit = (actor: Actor, r: ResultMsg, reply: (m: LearnerMessage) => void) => {
    const a = actor.inflight.get(r.workId);
    if (!a) throw new ProtocolError(grpc.status.INVALID_ARGUMENT, `Result for work ${r.workId}, which is not assigned to this actor`);
    const { item } = a;
    const c = item.collect;
    const n = item.indices.length;
    let positions = r.positions ?? [];
    if (positions.length === 0) {
      if (r.trajectories.length !== n) throw new ProtocolError(grpc.status.INVALID_ARGUMENT, `Result for work ${r.workId} has ${r.trajectories.length} trajectories; the work had ${n} requests`);
      positions = item.indices.map((_, k) => k);
    }
    const seen = new Set<number>();
    for (const p of positions) {
      if (!(Number.isInteger(p) && p >= 0 && p < n)) throw new ProtocolError(grpc.status.INVALID_ARGUMENT, `Result for work ${r.workId}: position ${p} is not a request of the work (it had ${n})`);
      if (a.got[p] !== undefined || seen.has(p)) throw new ProtocolError(grpc.status.INVALID_ARGUMENT, `Result for work ${r.workId}: position ${p} was sent twice`);
      seen.add(p);
    }
    // every trajectory is checked before any of them is kept
    const trajs = positions.map((p, k) => fromTrajectoryMsg(r.trajectories[k], c.requests[item.indices[p]], dims, `Result.trajectories[${k}]`, a.kept[p]));
    positions.forEach((p, k) => {
      a.got[p] = trajs[k];
      a.kept[p] = undefined;
    });
    a.left -= positions.length;
    if (a.left > 0) return;
    admitItem(actor, a, r.workId, reply);
  };

  /** The assignment a tagged inference request's rows belong to (its work id and positions checked). */
  const heldBy = (actor: Actor, m: InferRequestMsg): Assignment => {
    const a = actor.inflight.get(m.workId ?? 0);
    if (!a) throw new ProtocolError(grpc.status.INVALID_ARGUMENT, `InferRequest.workId ${m.workId} is not a work item this actor holds`);
    const n = a.item.indices.length;
    for (const p of m.positions!) {
      if (!(Number.isInteger(p) && p >= 0 && p < n)) throw new ProtocolError(grpc.status.INVALID_ARGUMENT, `InferRequest.positions: ${p} is not a request of work ${m.workId} (it had ${n})`);
      if (a.got[p] !== undefined) throw new ProtocolError(grpc.status.INVALID_ARGUMENT, `InferRequest.positions: the episode at ${p} of work ${m.workId} has finished`);
    }
    return a;
  };

  /** Keeps a tagged request's rows as the observations of their episodes. */
  const keep = (a: Assignment, positions: readonly number[], obs: Float32Array) => {
    const F = dims.obsSize;
    positions.forEach((p, i) => (a.kept[p] ??= []).push(obs.subarray(i * F, (i + 1) * F)));
    stats.keptObservations += positions.length;
  };

  const admitItem = (actor: Actor, a: Assignment, workId: number, reply: (m: LearnerMessage) => void) => {
    const { item } = a;
    const c = item.collect;
    const trajs = a.got as Trajectory[];
    actor.inflight.delete(workId);
    actor.slots = Math.min(maxSlots - actor.inflight.size, actor.slots + 1);
    const stale = trajs.find((t) => version - t.policyVersion > maxLag);
    if (stale) {
      stats.refusedResults++;
      const reason = `played with policy version ${stale.policyVersion}, the learner is at ${version} (maximum lag ${maxLag}); the requests are played again`;
      reply({ ack: { workId, admitted: false, reason } });
      if (!c.done) queue.push({ ...item, id: ++nextWork });
      pump();
      return;
    }
    reply({ ack: { workId, admitted: true, reason: '' } });
    if (!c.done) {
      item.indices.forEach((i, k) => {
        c.results[i] = trajs[k];
        c.onTrajectory?.(i, trajs[k]);
      });
      c.remaining -= trajs.length;
      actor.episodes += trajs.length;
      stats.episodes += trajs.length;
      if (c.remaining === 0) {
        c.done = true;
        collects.delete(c);
        c.resolve(c.results as Trajectory[]);
      }
    }
    pump();
  };

  // ---------------------------------------------------------------- call gates

  const fail = (call: AnyCall, e: ProtocolError, cb?: grpc.sendUnaryData<never>) => {
    if (e.code === grpc.status.INVALID_ARGUMENT) stats.malformed++;
    const err = { code: e.code, details: e.message, name: 'ProtocolError', message: e.message } satisfies grpc.ServiceError | Partial<grpc.ServiceError>;
    if (cb) cb(err as grpc.ServiceError, null);
    else (call as grpc.ServerDuplexStream<unknown, unknown>).emit('error', err);
  };

  /** Token, protocol version and (for the streams of a session) the actor id; throws what to answer. */
  const gate = (call: AnyCall, needActor: boolean): Actor | null => {
    const why = checkToken(call.metadata);
    if (why) {
      stats.unauthenticated++;
      throw new ProtocolError(grpc.status.UNAUTHENTICATED, why);
    }
    if (!needActor) return null;
    const proto = String(call.metadata.get(PROTOCOL_HEADER)[0] ?? '');
    if (proto !== String(PROTOCOL_VERSION)) throw new ProtocolError(grpc.status.FAILED_PRECONDITION, `protocol version: the actor speaks ${proto || '(none)'}, this learner ${PROTOCOL_VERSION}`);
    const id = String(call.metadata.get(ACTOR_HEADER)[0] ?? '');
    const actor = actors.get(id);
    if (!actor) throw new ProtocolError(grpc.status.FAILED_PRECONDITION, `actor '${id}' is not known to this learner: call Session.Hello first (after a learner restart, say Hello again)`);
    return actor;
  };

  const asProtocolError = (err: unknown): ProtocolError => err instanceof ProtocolError ? err : new ProtocolError(grpc.status.INTERNAL, err instanceof Error ? err.message : String(err));

  // ---------------------------------------------------------------- services

  const server = new grpc.Server({
    'grpc.max_receive_message_length': maxMessageBytes,
    'grpc.max_send_message_length': -1,
    'grpc.keepalive_time_ms': keepaliveMs,
    'grpc.keepalive_timeout_ms': 10_000,
  });

  server.addService(serverService('Session'), {
    Hello(call: grpc.ServerUnaryCall<HelloRequest, HelloReply>, cb: grpc.sendUnaryData<HelloReply>) {
      try {
        gate(call, false);
        const m = call.request;
        if (isMalformed(m)) throw new ProtocolError(grpc.status.INVALID_ARGUMENT, m[MALFORMED]);
        checkHello(m);
        if (m.protocolVersion !== PROTOCOL_VERSION) throw new ProtocolError(grpc.status.FAILED_PRECONDITION, `protocol version: the actor speaks ${m.protocolVersion}, this learner ${PROTOCOL_VERSION}; run the same Reverie version on both sides`);
        if (m.hasScenario && m.scenario) {
          const s = m.scenario;
          if (s.id !== scenarioRef.id || s.version !== scenarioRef.version || s.hash !== scenarioRef.hash) {
            throw new ProtocolError(grpc.status.FAILED_PRECONDITION, `scenario: the actor expects ${s.id} ${s.version} (hash ${s.hash}), this learner trains ${scenarioRef.id} ${scenarioRef.version} (hash ${scenarioRef.hash})`);
          }
        }
        const id = `actor-${++nextActor}`;
        actors.set(id, { id, name: m.name || '(unnamed)', peer: call.getPeer(), since: performance.now(), play: null, slots: 0, inflight: new Map(), episodes: 0 });
        // a Hello never followed by an Experience stream is forgotten (no unbounded growth from callers that only say hello)
        setTimeout(() => { if (actors.get(id)?.play === null) actors.delete(id); }, helloTtlMs).unref();
        log(`learner: actor ${id} (${m.name || 'unnamed'}, ${call.getPeer()}) said hello`);
        cb(null, {
          protocolVersion: PROTOCOL_VERSION, actorId: id, scenario: scenarioRef, scenarioJson, encoder: opts.encoder,
          obsSize: dims.obsSize, numActions: dims.numActions, concurrency, policyVersion: version, maxMessageBytes,
        });
      } catch (err) {
        fail(call, asProtocolError(err), cb as grpc.sendUnaryData<never>);
      }
    },
  });

  server.addService(serverService('Inference'), {
    Infer(call: grpc.ServerDuplexStream<InferRequestMsg, { id: number; logits: Uint8Array; policyVersion: number }>) {
      let actor: Actor | null;
      try {
        actor = gate(call, true);
      } catch (err) {
        fail(call, asProtocolError(err));
        return;
      }
      const ch = new MessageChannel();
      seed.attach(ch.port1);
      let open = true;
      // requests waiting for logits: bounded, so a caller that does not wait for answers cannot grow the learner's queue
      let inflight = 0;
      const end = () => {
        if (!open) return;
        open = false;
        seed.detach(ch.port1);
        ch.port2.close();
      };
      ch.port2.on('message', (r: InferReply) => {
        if (!open) return;
        if ('error' in r) {
          // the learner's own forward failed: the collects cannot go on
          for (const c of collects) if (!c.done) { c.done = true; c.reject(seed.error ?? new Error(r.error)); }
          collects.clear();
          fail(call, new ProtocolError(grpc.status.INTERNAL, r.error));
          end();
          return;
        }
        inflight--;
        call.write({ id: r.id, logits: bytes(r.logits), policyVersion: r.version });
      });
      call.on('data', (m: InferRequestMsg) => {
        if (!open) return;
        try {
          if (isMalformed(m)) throw new ProtocolError(grpc.status.INVALID_ARGUMENT, m[MALFORMED]);
          const held = m.positions?.length ? heldBy(actor!, m) : null;
          const previous = held ? (i: number) => held.kept[m.positions![i]]?.at(-1) : undefined;
          const obs = checkInferRequest(m, dims.obsSize, maxRows, previous);
          if (inflight >= MAX_INFER_INFLIGHT) throw new ProtocolError(grpc.status.RESOURCE_EXHAUSTED, `more than ${MAX_INFER_INFLIGHT} inference requests waiting for logits on one stream; wait for the answers`);
          // a copy: `obs` itself goes to the forward
          if (held) keep(held, m.positions!, obs.slice());
          inflight++;
          const req: InferRequest = { id: m.id, rows: m.rows, obs };
          ch.port2.postMessage(req, [obs.buffer as ArrayBuffer]);
        } catch (err) {
          const e = asProtocolError(err);
          log(`learner: refused an inference request of actor ${actor?.id}: ${e.message}`);
          fail(call, e);
          end();
        }
      });
      call.on('end', () => { end(); call.end(); });
      call.on('error', end);
      call.on('cancelled', end);
      call.on('close', end);
    },
  });

  server.addService(serverService('Experience'), {
    Play(call: grpc.ServerDuplexStream<ActorMessage, LearnerMessage>) {
      let actor: Actor;
      try {
        actor = gate(call, true)!;
        if (actor.play) throw new ProtocolError(grpc.status.FAILED_PRECONDITION, `actor ${actor.id} already has an Experience stream`);
      } catch (err) {
        fail(call, asProtocolError(err));
        return;
      }
      if (closed) {
        call.write({ done: 'training is over' });
        call.end();
        return;
      }
      actor.play = call;
      wake();
      let open = true;
      const leave = (why: string) => {
        if (!open) return;
        open = false;
        dropActor(actor, why);
      };
      call.on('data', (m: ActorMessage) => {
        if (!open) return;
        try {
          if (isMalformed(m)) throw new ProtocolError(grpc.status.INVALID_ARGUMENT, m[MALFORMED]);
          const k = checkActorMessage(m);
          if ('ready' in k) {
            actor.slots = Math.min(maxSlots - actor.inflight.size, actor.slots + k.ready);
            pump();
          } else admit(actor, k.result, (x) => call.write(x));
        } catch (err) {
          const e = asProtocolError(err);
          log(`learner: refused a message of actor ${actor.id}: ${e.message}`);
          leave(`sent a malformed message: ${e.message}`);
          fail(call, e);
        }
      });
      call.on('end', () => { leave('it closed its stream'); call.end(); });
      call.on('error', (e) => leave(`stream error: ${e.message}`));
      call.on('cancelled', () => leave('the call was cancelled'));
      call.on('close', () => leave('the connection closed'));
    },
  });

  server.addService(serverService('Policy'), {
    Watch(call: grpc.ServerWritableStream<WatchRequest, PolicyUpdate>) {
      try {
        gate(call, false);
        if (isMalformed(call.request)) throw new ProtocolError(grpc.status.INVALID_ARGUMENT, call.request[MALFORMED]);
      } catch (err) {
        fail(call, asProtocolError(err));
        return;
      }
      if (closed) {
        call.end();
        return;
      }
      watchers.add(call);
      const after = Number(call.request.afterVersion ?? -1);
      if (model && version > after) call.write({ version, model: bytes(model) });
      const bye = () => watchers.delete(call);
      call.on('cancelled', bye);
      call.on('close', bye);
      call.on('error', bye);
    },
  });

  const status = (): StatusReply => {
    const s = (performance.now() - t0) / 1000;
    const list: ActorStatus[] = [...actors.values()].map((a) => ({ actorId: a.id, name: a.name, peer: a.peer, workInFlight: a.inflight.size, episodes: a.episodes, connectedS: (performance.now() - a.since) / 1000 }));
    return {
      state: closed ? 'DONE' : 'SERVING', protocolVersion: PROTOCOL_VERSION, scenario: scenarioRef, policyVersion: version, actors: list,
      forwards: seed.stats.calls, observations: seed.stats.rows, episodes: stats.episodes, refusedResults: stats.refusedResults,
      malformed: stats.malformed, unauthenticated: stats.unauthenticated, observationsPerS: s > 0 ? seed.stats.rows / s : 0, episodesPerS: s > 0 ? stats.episodes / s : 0, uptimeS: s,
    };
  };

  server.addService(serverService('Status'), {
    Get(call: grpc.ServerUnaryCall<unknown, StatusReply>, cb: grpc.sendUnaryData<StatusReply>) {
      try {
        gate(call, false);
        cb(null, status());
      } catch (err) {
        fail(call, asProtocolError(err), cb as grpc.sendUnaryData<never>);
      }
    },
  });

  const bindHost = host.includes(':') ? `[${host}]` : host;
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${bindHost}:${wantPort}`, serverCredentials(opts.tls), (err, p) => (err ? reject(new Error(`listen ${opts.listen}: ${err.message}`)) : resolve(p)));
  });
  const address = `${bindHost}:${port}`;
  log(`learner: listening on ${address} (${opts.tls ? (opts.tls.clientCa ? 'mutual TLS' : 'TLS') : 'plain text'}, ${opts.token === undefined ? 'no token: loopback only; give a token to accept actors from other machines' : 'token required'})`);

  const source: RemoteSource = {
    address, port, obsSize: dims.obsSize, numActions: dims.numActions, stats,
    get actors() {
      return playing().length;
    },
    status,
    waitForActors(n: number): Promise<void> {
      return new Promise((resolve) => {
        waiters.push({ n, resolve });
        wake();
      });
    },
    collect(requests: readonly EpisodeRequest[], onTrajectory?: OnTrajectory): Promise<Trajectory[]> {
      if (closed) return Promise.reject(new Error('collect() after close(): this experience source is closed'));
      checkRequests(requests);
      if (requests.length === 0) return Promise.resolve([]);
      return new Promise<Trajectory[]>((resolve, reject) => {
        const c: Collect = { requests, results: new Array(requests.length), remaining: requests.length, resolve, reject, onTrajectory, done: false };
        collects.add(c);
        const size = Math.min(fits, chunkSize ?? Math.min(32, Math.max(1, Math.ceil(requests.length / Math.max(1, 2 * playing().length)))));
        for (let start = 0; start < requests.length; start += size) {
          const indices = Array.from({ length: Math.min(size, requests.length - start) }, (_, k) => start + k);
          queue.push({ id: ++nextWork, collect: c, indices });
        }
        if (playing().length === 0) log(`learner: ${requests.length} episodes to play, waiting for actors to connect to ${address}`);
        pump();
      });
    },
    publish(v: number, bytesIn: Uint8Array): Promise<void> {
      checkVersion(v);
      version = v;
      model = bytesIn;
      for (const w of watchers) w.write({ version: v, model: bytes(bytesIn) });
      return Promise.resolve();
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      for (const c of collects) if (!c.done) { c.done = true; c.reject(new Error('the remote source was closed while episodes were being played')); }
      collects.clear();
      queue.length = 0;
      for (const a of actors.values()) {
        if (a.play) {
          a.play.write({ done: 'training is over' });
          a.play.end();
        }
      }
      for (const w of watchers) w.end();
      watchers.clear();
      seed.close();
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => { server.forceShutdown(); resolve(); }, 3000);
        server.tryShutdown(() => { clearTimeout(force); resolve(); });
      });
      actors.clear();
    },
  };
  return source;
}

