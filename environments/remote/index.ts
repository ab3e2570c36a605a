/** Distributed online RL over gRPC: the learner's remote experience source and the actors' loop. */
export { createRemoteSource, PROTOCOL_HEADER, ACTOR_HEADER, DEFAULT_MAX_MESSAGE_BYTES } from './learner.js';
export type { RemoteSource, RemoteSourceOptions, RemoteStats } from './learner.js';
export { runRemoteActor, backoffMs, RemoteActorError } from './actor.js';
export type { RemoteActorOptions, RemoteActorResult, RetryOptions } from './actor.js';
export { tokenChecker, checkListen, isLoopback, parseAddress, AUTH_HEADER } from './auth.js';
export type { ServerTls, ClientTls } from './auth.js';
export { PROTOCOL_VERSION, protoPath, methodPath } from './proto.js';
export type { ScenarioRef, StatusReply, ActorStatus } from './proto.js';
export { ProtocolError } from './messages.js';
