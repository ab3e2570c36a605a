import { hostname } from 'node:os';
import type { Command } from 'commander';
import { z } from 'zod';
import { RemoteActorError, runRemoteActor } from '../environments/remote/actor.js';
import { parseAddress, type ClientTls } from '../environments/remote/auth.js';
import { CliError, EXIT_FAILURE, EXIT_USAGE, Output, intOption, parseOptions } from './common.js';
import { readOptionFile, readToken } from './learner.js';
import { loadScenario } from './shared.js';

const Options = z.object({
  connect: z.string({ error: 'expected the learner\'s HOST:PORT, e.g. --connect 127.0.0.1:50051' }).min(1),
  workers: intOption('the number of rollout workers', 0, 1024).default(0),
  concurrency: intOption('episodes alive at once per worker', 1, 100_000).optional(),
  source: z.enum(['central', 'local'], { error: 'expected central or local' }).default('central'),
  scenario: z.string().min(1).optional(),
  name: z.string().min(1).optional(),
  tokenFile: z.string().min(1).optional(),
  tlsCa: z.string().min(1).optional(),
  tlsCert: z.string().min(1).optional(),
  tlsKey: z.string().min(1).optional(),
  tlsServerName: z.string().min(1).optional(),
  retryMaxMs: intOption('the longest wait between retries in ms', 1).default(10_000),
  giveUpAfter: intOption('seconds without a learner before giving up (0: never)', 0).default(0),
  json: z.boolean().default(false),
});

export function registerActors(program: Command): void {
  program
    .command('actors')
    .description('play episodes for a `reverie learner` (on this or another machine): connect, take work, send trajectories back; retries with backoff while the learner is away, exits when it says training is done')
    .option('--connect <host:port>', 'the learner\'s address')
    .option('-w, --workers <w>', 'Piscina workers playing episodes; 0 = in this process (default 0)', '0')
    .option('--concurrency <k>', 'episodes alive at once per worker (default: the learner\'s suggestion, 32)')
    .option('--source <kind>', 'central (the learner runs the policy, default) or local (each worker runs the published model)', 'central')
    .option('-s, --scenario <id|file>', 'refuse a learner that trains another scenario (id, version and content hash must match)')
    .option('--name <name>', 'name in the learner\'s log and status (default: host:pid)')
    .option('--token-file <file>', 'the learner\'s shared token')
    .option('--tls-ca <file>', 'TLS: the CA that signed the learner\'s certificate (PEM)')
    .option('--tls-cert <file>', 'mutual TLS: this actor\'s certificate (PEM), with --tls-key')
    .option('--tls-key <file>', 'mutual TLS: this actor\'s private key (PEM)')
    .option('--tls-server-name <name>', 'TLS: check the learner\'s certificate for this name instead of the --connect host')
    .option('--retry-max-ms <ms>', 'longest wait between retries (exponential backoff with jitter from 250 ms)', '10000')
    .option('--give-up-after <s>', 'seconds without reaching the learner before exiting with an error (0: never)', '0')
    .option('--json', 'print one JSON object on stdout (human text goes to stderr)')
    .addHelpText('after', '\nExamples:\n  $ reverie actors --connect 127.0.0.1:50051 --workers 2\n  $ reverie actors --connect learner.example:50051 --token-file token --tls-ca ca.pem --workers 8')
    .action(async (raw: Record<string, unknown>) => {
      const o = parseOptions(Options, raw);
      const out = new Output(o.json);
      try {
        parseAddress(o.connect, '--connect');
      } catch (err) {
        throw new CliError((err as Error).message, EXIT_USAGE);
      }
      if ((o.tlsCert === undefined) !== (o.tlsKey === undefined)) throw new CliError('--tls-cert and --tls-key go together (mutual TLS)', EXIT_USAGE);
      const useTls = o.tlsCa !== undefined || o.tlsCert !== undefined || o.tlsServerName !== undefined;
      const tls: ClientTls | undefined = useTls ? {
        ...(o.tlsCa ? { ca: readOptionFile('--tls-ca', o.tlsCa) } : {}),
        ...(o.tlsCert && o.tlsKey ? { cert: readOptionFile('--tls-cert', o.tlsCert), key: readOptionFile('--tls-key', o.tlsKey) } : {}),
        ...(o.tlsServerName ? { serverName: o.tlsServerName } : {}),
      } : undefined;
      let scenario;
      if (o.scenario) {
        const { ctx } = loadScenario(o.scenario);
        scenario = { id: ctx.scenario.id, version: ctx.scenario.version, hash: ctx.hash };
      }
      // SIGTERM/SIGINT (Kubernetes scaling down, Ctrl-C): stop taking work and exit cleanly
      const abort = new AbortController();
      const stop = () => abort.abort();
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
      try {
        const r = await runRemoteActor({
          connect: o.connect, token: readToken(o.tokenFile), tls, workers: o.workers, concurrency: o.concurrency, source: o.source, scenario,
          name: o.name ?? `${hostname()}:${process.pid}`, retry: { maxMs: o.retryMaxMs, ...(o.giveUpAfter > 0 ? { giveUpMs: o.giveUpAfter * 1000 } : {}) },
          signal: abort.signal, log: (l) => out.note(l),
        });
        out.result({ command: 'actors', ...r }, `actors: ${r.reason}: played ${r.episodes} episodes in ${r.workItems} work items over ${r.connections} connection${r.connections === 1 ? '' : 's'}`);
      } catch (err) {
        if (err instanceof RemoteActorError) throw new CliError(err.message, EXIT_FAILURE, { code: err.code });
        throw err;
      } finally {
        process.off('SIGTERM', stop);
        process.off('SIGINT', stop);
      }
    });
}
