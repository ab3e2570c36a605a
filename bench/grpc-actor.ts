// One actor process for bench/grpc.bench.ts: `node dist/bench/grpc-actor.js '{"connect":...}'`.
// The CLI's `reverie actors` does not expose the number of work items held at once (slots) nor a
// CA file without the rest of TLS's flags; the benchmark needs both fixed (1 item, K episodes alive).
import { readFileSync } from 'node:fs';
import { runRemoteActor } from '../environments/remote/actor.js';

interface Args { connect: string; name: string; concurrency: number; slots: number; token?: string; caFile?: string }

const a = JSON.parse(process.argv[2] ?? '{}') as Args;
const abort = new AbortController();
process.once('SIGTERM', () => abort.abort());
const r = await runRemoteActor({
  connect: a.connect, name: a.name, workers: 0, concurrency: a.concurrency, slots: a.slots, token: a.token,
  tls: a.caFile ? { ca: readFileSync(a.caFile, 'utf8') } : undefined,
  retry: { initialMs: 100, maxMs: 1000, giveUpMs: 60_000 }, signal: abort.signal,
});
process.stdout.write(JSON.stringify(r) + '\n');
