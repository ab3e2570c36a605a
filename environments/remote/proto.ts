/**
 * proto/reverie.proto, loaded at run time with @grpc/proto-loader, and the TypeScript shapes of its
 * messages as proto-loader decodes them (camelCase fields, int64 as numbers, bytes as Buffers,
 * defaults filled in). Requests are deserialized by a wrapper that never throws: undecodable bytes
 * become a {@link Malformed} marker the handlers answer with INVALID_ARGUMENT (grpc-js would say
 * INTERNAL), so what was wrong reaches the caller.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

/** The wire protocol; bump it on any change an older peer would misread. */
export const PROTOCOL_VERSION = 2;
export const PACKAGE = 'reverie.v1';

/**
 * The proto file: dist/environments/remote/proto.js → ../../../proto (the repository root, from
 * a build or an npx clone); the source layout (environments/remote → ../../proto) as a fallback.
 */
export function protoPath(): string {
  for (const rel of ['../../../proto/reverie.proto', '../../proto/reverie.proto']) {
    const p = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(p)) return p;
  }
  throw new Error(`proto/reverie.proto not found next to ${fileURLToPath(import.meta.url)}: the proto/ folder must ship with the package`);
}

export const MALFORMED = Symbol('malformed');
/** What a request that could not be decoded becomes: the decoder's complaint. */
export interface Malformed {
  readonly [MALFORMED]: string;
}
export function isMalformed(m: unknown): m is Malformed {
  return typeof m === 'object' && m !== null && MALFORMED in m;
}

export interface ScenarioRef { id: string; version: string; hash: string }
export interface HelloRequest { protocolVersion: number; name: string; hasScenario: boolean; scenario: ScenarioRef | null; capacity: number }
export interface HelloReply {
  protocolVersion: number; actorId: string; scenario: ScenarioRef; scenarioJson: string; encoder: string;
  obsSize: number; numActions: number; concurrency: number; policyVersion: number; maxMessageBytes: number;
}
export interface InferRequestMsg {
  id: number; rows: number; obs: Uint8Array; workId?: number; positions?: number[];
  changes?: Uint8Array; indices?: Uint8Array; values?: Uint8Array;
}
export interface InferReplyMsg { id: number; logits: Uint8Array; policyVersion: number }
export interface EpisodeRequestMsg { seed: number; actionSeed: number; hasGroup: boolean; group: number }
export interface TrajectoryMsg {
  seed: number; actionSeed: number; hasGroup: boolean; group: number; policyVersion: number; length: number;
  obs: Uint8Array; mask: Uint8Array; actions: Uint8Array; logProbs: Uint8Array; rewards: Uint8Array;
  terminated: boolean; truncated: boolean; finalObs: Uint8Array; episodeReturn: number; success: boolean; error: string; obsKept?: boolean;
}
export interface WorkMsg { workId: number; requests: EpisodeRequestMsg[]; policyVersion: number }
export interface ResultMsg { workId: number; trajectories: TrajectoryMsg[]; positions?: number[] }
export interface ActorMessage { kind?: 'ready' | 'result'; ready?: number; result?: ResultMsg | null }
export interface AckMsg { workId: number; admitted: boolean; reason: string }
export interface LearnerMessage { work?: WorkMsg; done?: string; ack?: AckMsg }
export interface WatchRequest { afterVersion: number }
export interface PolicyUpdate { version: number; model: Uint8Array }
export interface ActorStatus { actorId: string; name: string; peer: string; workInFlight: number; episodes: number; connectedS: number }
export interface StatusReply {
  state: string; protocolVersion: number; scenario: ScenarioRef | null; policyVersion: number; actors: ActorStatus[];
  forwards: number; observations: number; episodes: number; refusedResults: number; malformed: number; unauthenticated: number;
  observationsPerS: number; episodesPerS: number; uptimeS: number;
}

export const SERVICES = ['Session', 'Inference', 'Experience', 'Policy', 'Status'] as const;
export type ServiceName = (typeof SERVICES)[number];

let cached: protoLoader.PackageDefinition | null = null;

/** The package definition (loaded once per process). */
export function packageDefinition(): protoLoader.PackageDefinition {
  cached ??= protoLoader.loadSync(protoPath(), { keepCase: false, longs: Number, enums: String, defaults: true, oneofs: true });
  return cached;
}

/** A service's definition for `server.addService`, its request decoder wrapped so it never throws. */
export function serverService(name: ServiceName): grpc.ServiceDefinition {
  const def = packageDefinition()[`${PACKAGE}.${name}`] as grpc.ServiceDefinition;
  const out: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  for (const [method, d] of Object.entries(def) as [string, grpc.MethodDefinition<unknown, unknown>][]) {
    out[method] = {
      ...d,
      requestDeserialize: (buf: Buffer) => {
        try {
          return d.requestDeserialize(buf);
        } catch (err) {
          return { [MALFORMED]: `the ${method} message could not be decoded as ${PACKAGE}.${name}.${method}'s request: ${err instanceof Error ? err.message : String(err)}` } satisfies Malformed;
        }
      },
    };
  }
  return out as grpc.ServiceDefinition;
}

/** The client constructors of the services. */
export function clientConstructors(): Record<ServiceName, grpc.ServiceClientConstructor> {
  const pkg = grpc.loadPackageDefinition(packageDefinition()) as unknown as { reverie: { v1: Record<ServiceName, grpc.ServiceClientConstructor> } };
  return pkg.reverie.v1;
}

/** The full method path (`/reverie.v1.Service/Method`), for raw clients (tests, fuzzing). */
export function methodPath(service: ServiceName, method: string): string {
  return `/${PACKAGE}.${service}/${method}`;
}

// ------------------------------------------------------------------ typed arrays ⇄ bytes

/** A Float32Array over little-endian bytes (copied when the bytes are not 4-aligned). */
export function f32(b: Uint8Array): Float32Array {
  if (b.byteOffset % 4 === 0) return new Float32Array(b.buffer, b.byteOffset, b.byteLength >> 2);
  return new Float32Array(Uint8Array.prototype.slice.call(b).buffer, 0, b.byteLength >> 2);
}

export function u16(b: Uint8Array): Uint16Array {
  if (b.byteOffset % 2 === 0) return new Uint16Array(b.buffer, b.byteOffset, b.byteLength >> 1);
  return new Uint16Array(Uint8Array.prototype.slice.call(b).buffer, 0, b.byteLength >> 1);
}

export function i32(b: Uint8Array): Int32Array {
  if (b.byteOffset % 4 === 0) return new Int32Array(b.buffer, b.byteOffset, b.byteLength >> 2);
  return new Int32Array(Uint8Array.prototype.slice.call(b).buffer, 0, b.byteLength >> 2);
}

/** The bytes of a typed array (a view, no copy). */
export function bytes(a: Float32Array | Int32Array | Uint16Array | Uint8Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}
