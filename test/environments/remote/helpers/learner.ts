// A learner (remote source) on 127.0.0.1 for the protocol and auth tests, and raw gRPC clients
// that send whatever bytes a test wants.
import * as grpc from '@grpc/grpc-js';
import { getScenario } from '../../../../scenarios/registry.js';
import { makeContext } from '../../../../actors/context.js';
import { makeEncoder } from '../../../../environments/encoding/index.js';
import type { InferFn } from '../../../../environments/online/types.js';
import { createRemoteSource, type RemoteSource, type RemoteSourceOptions } from '../../../../environments/remote/learner.js';
import { ACTOR_HEADER, PROTOCOL_HEADER } from '../../../../environments/remote/learner.js';
import { PROTOCOL_VERSION, clientConstructors, methodPath, type HelloReply, type HelloRequest, type ServiceName } from '../../../../environments/remote/proto.js';

export const SCENARIO = getScenario('twenty-questions');
const ctx = makeContext(SCENARIO);
export const DIMS = { obsSize: makeEncoder('structured', ctx).size, numActions: ctx.actions.length };
export const SCENARIO_REF = { id: ctx.scenario.id, version: ctx.scenario.version, hash: ctx.hash };

/** The uniform policy: all-zero logits (deterministic, no model), counting the rows it saw. */
export function zeroInfer(): { infer: InferFn; rows: number[] } {
  const rows: number[] = [];
  return { rows, infer: (_obs, n) => { rows.push(n); return Promise.resolve({ logits: new Float32Array(n * DIMS.numActions), version: 0 }); } };
}

export async function startLearner(t: { teardown: (fn: () => Promise<void>) => void }, opts: Partial<RemoteSourceOptions> = {}, infer: InferFn = zeroInfer().infer): Promise<RemoteSource> {
  const source = await createRemoteSource({ scenario: SCENARIO, encoder: 'structured', concurrency: 8, listen: '127.0.0.1:0', ...opts }, infer);
  t.teardown(() => source.close());
  return source;
}

export function metadata(o: { token?: string; actor?: string; protocol?: string } = {}): grpc.Metadata {
  const md = new grpc.Metadata();
  if (o.token !== undefined) md.set('authorization', `Bearer ${o.token}`);
  if (o.actor !== undefined) md.set(ACTOR_HEADER, o.actor);
  md.set(PROTOCOL_HEADER, o.protocol ?? String(PROTOCOL_VERSION));
  return md;
}

/** The status a failed call ended with (OK when it did not fail). */
export type Outcome = { code: grpc.status; details: string };

export function hello(port: number, req: Partial<HelloRequest> = {}, md = metadata(), creds = grpc.credentials.createInsecure(), opts: grpc.ChannelOptions = {}): Promise<{ reply?: HelloReply } & Outcome> {
  const client = new (clientConstructors().Session)(`127.0.0.1:${port}`, creds, opts);
  const full: HelloRequest = { protocolVersion: PROTOCOL_VERSION, name: 'test', hasScenario: false, scenario: null, capacity: 8, ...req };
  return new Promise((resolve) => {
    client.Hello(full, md, { deadline: Date.now() + 10_000 }, (err: grpc.ServiceError | null, reply?: HelloReply) => {
      client.close();
      resolve(err ? { code: err.code, details: err.details } : { code: grpc.status.OK, details: '', reply });
    });
  });
}

/** A client that sends raw bytes (no protobuf encoding) to any method. */
export function rawClient(port: number, creds = grpc.credentials.createInsecure()): grpc.Client {
  return new grpc.Client(`127.0.0.1:${port}`, creds, { 'grpc.max_send_message_length': -1 });
}

const identity = (b: Buffer) => b;

export function rawUnary(client: grpc.Client, service: ServiceName, method: string, body: Buffer, md: grpc.Metadata): Promise<Outcome> {
  return new Promise((resolve) => {
    client.makeUnaryRequest(methodPath(service, method), identity, identity, body, md, { deadline: Date.now() + 10_000 }, (err) => {
      resolve(err ? { code: err.code, details: err.details } : { code: grpc.status.OK, details: '' });
    });
  });
}

/** Opens a stream, writes `frames` (then half-closes it with `end`), and resolves with the status the server ends it with. */
export function rawBidi(client: grpc.Client, service: ServiceName, method: string, frames: Buffer[], md: grpc.Metadata, timeoutMs = 10_000, end = false): Promise<Outcome> {
  return new Promise((resolve) => {
    const call = client.makeBidiStreamRequest(methodPath(service, method), identity, identity, md, { deadline: Date.now() + timeoutMs });
    call.on('data', () => {});
    call.on('status', (s: grpc.StatusObject) => resolve({ code: s.code, details: s.details }));
    call.on('error', () => {});
    for (const f of frames) call.write(f);
    if (end) call.end();
  });
}
