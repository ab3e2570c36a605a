/**
 * Who may talk to the learner: a shared token in call metadata (`authorization: Bearer <token>`),
 * compared in constant time on sha256 digests (so neither the content nor the length of the token
 * leaks through timing), and TLS credentials (server, optionally mutual). Without a token the
 * learner may only listen on the loopback interface.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import * as grpc from '@grpc/grpc-js';

export const AUTH_HEADER = 'authorization';

/** PEM contents (not paths) of the learner's TLS setup. */
export interface ServerTls {
  readonly cert: string | Buffer;
  readonly key: string | Buffer;
  /** Mutual TLS: only clients with a certificate signed by this CA may connect. */
  readonly clientCa?: string | Buffer;
}

/** PEM contents of an actor's TLS setup. */
export interface ClientTls {
  /** The CA that signed the learner's certificate (default: the system's roots). */
  readonly ca?: string | Buffer;
  /** Mutual TLS: the actor's own certificate and key. */
  readonly cert?: string | Buffer;
  readonly key?: string | Buffer;
  /** Check the learner's certificate against this name instead of the connect host (tests). */
  readonly serverName?: string;
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

/** A checker of call metadata against `token` (none: every call passes). */
export function tokenChecker(token: string | undefined): (md: grpc.Metadata) => string | null {
  if (token === undefined) return () => null;
  if (token.length === 0) throw new TypeError('token: an empty token would let anyone in; give a non-empty token or none (loopback only)');
  const want = digest(token);
  return (md) => {
    const got = md.get(AUTH_HEADER);
    if (got.length === 0) return `no '${AUTH_HEADER}' metadata: this learner needs 'Bearer <token>' (actors: --token-file)`;
    const v = String(got[0]);
    const m = /^Bearer (.+)$/.exec(v);
    if (!m) return `the '${AUTH_HEADER}' metadata is not 'Bearer <token>'`;
    return timingSafeEqual(digest(m[1]), want) ? null : 'wrong token';
  };
}

/** The metadata an actor sends with every call. */
export function authMetadata(md: grpc.Metadata, token: string | undefined): grpc.Metadata {
  if (token !== undefined) md.set(AUTH_HEADER, `Bearer ${token}`);
  return md;
}

/** Splits `HOST:PORT` (`[v6]:PORT` for IPv6); port 0 asks for a free one. */
export function parseAddress(addr: string, what = 'address'): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(addr.trim());
  if (!m) throw new TypeError(`${what}: expected HOST:PORT (e.g. 127.0.0.1:50051, [::1]:50051), got '${addr}'`);
  const port = Number(m[3]);
  if (port > 65535) throw new TypeError(`${what}: port ${port} is out of range (0-65535)`);
  return { host: m[1] ?? m[2], port };
}

export function isLoopback(host: string): boolean {
  const h = host.toLowerCase();
  if (h === 'localhost') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  return h === '::1' || h === '0:0:0:0:0:0:0:1';
}

/** Refuses a listen address anyone else could reach when there is no token. */
export function checkListen(host: string, token: string | undefined): void {
  if (token === undefined && !isLoopback(host)) {
    throw new Error(`listen ${host}: a learner without a token only listens on the loopback interface (127.0.0.1, ::1, localhost), or any actor that can reach it could feed it episodes; give a token (--token-file) to listen on ${host}`);
  }
}

export function serverCredentials(tls: ServerTls | undefined): grpc.ServerCredentials {
  if (!tls) return grpc.ServerCredentials.createInsecure();
  const ca = tls.clientCa === undefined ? null : Buffer.from(tls.clientCa);
  return grpc.ServerCredentials.createSsl(ca, [{ cert_chain: Buffer.from(tls.cert), private_key: Buffer.from(tls.key) }], ca !== null);
}

export function channelCredentials(tls: ClientTls | undefined): grpc.ChannelCredentials {
  if (!tls) return grpc.credentials.createInsecure();
  if ((tls.cert === undefined) !== (tls.key === undefined)) throw new TypeError('tls: give both the client certificate and its key (mutual TLS), or neither');
  return grpc.credentials.createSsl(
    tls.ca === undefined ? null : Buffer.from(tls.ca),
    tls.key === undefined ? null : Buffer.from(tls.key),
    tls.cert === undefined ? null : Buffer.from(tls.cert),
  );
}
