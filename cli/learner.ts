import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { z } from 'zod';
import { ENCODER_KINDS } from '../environments/encoding/index.js';
import type { EncoderKind } from '../environments/encoding/encoder.js';
import { createRemoteSource, type RemoteSource } from '../environments/remote/learner.js';
import type { ServerTls } from '../environments/remote/auth.js';
import { ONLINE_ALGORITHMS } from '../learners/algorithms/online-common.js';
import { CliError, EXIT_FAILURE, EXIT_USAGE, Output, intOption, parseOptions } from './common.js';
import { onlineSummary, readConfig, runTrainOnline } from './train.js';

const Options = z.object({
  algo: z.enum(ONLINE_ALGORITHMS, { error: `expected one of: ${ONLINE_ALGORITHMS.join(', ')}` }),
  scenario: z.string({ error: 'expected a built-in scenario id or a scenario file, e.g. --scenario twenty-questions' }).min(1),
  listen: z.string().min(1),
  out: z.string({ error: 'expected the checkpoint directory, e.g. --out runs/ppo' }).min(1),
  episodes: intOption('the number of training episodes', 1, 1_000_000_000),
  tokenFile: z.string().min(1).optional(),
  tlsCert: z.string().min(1).optional(),
  tlsKey: z.string().min(1).optional(),
  tlsClientCa: z.string().min(1).optional(),
  maxMessageMb: intOption('the largest message in MiB', 1, 2047).default(16),
  init: z.string().min(1).optional(),
  evalEvery: intOption('iterations between evaluations', 0).optional(),
  evalEpisodes: intOption('evaluation episodes', 1).optional(),
  evalSeed: intOption('the evaluation seed', 0, 0xffffffff).optional(),
  config: z.string().optional(),
  encoder: z.enum(['structured', 'text'], { error: `expected one of: ${ENCODER_KINDS.join(', ')}` }),
  device: z.enum(['cpu', 'webgpu', 'cuda'], { error: 'expected cpu, webgpu or cuda' }),
  seed: intOption('the training seed', 0, 0xffffffff),
  threads: intOption('onnxruntime threads', 1, 1024).optional(),
  checkpointEvery: intOption('iterations between checkpoints', 1).optional(),
  resume: z.boolean().default(false),
  force: z.boolean().default(false),
  json: z.boolean().default(false),
});

/** A file's text for an option (PEM, token): a missing file is a usage error naming the option. */
export function readOptionFile(flag: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new CliError(`${flag}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`, EXIT_USAGE);
  }
}

/** The shared token of --token-file (surrounding whitespace trimmed; empty is refused). */
export function readToken(path: string | undefined): string | undefined {
  if (path === undefined) return undefined;
  const token = readOptionFile('--token-file', path).trim();
  if (!token) throw new CliError(`--token-file: ${path} is empty; put the shared token in it (e.g. \`openssl rand -hex 32 > ${path}\`)`, EXIT_USAGE);
  return token;
}

export function registerLearner(program: Command): void {
  program
    .command('learner')
    .description('train online (PPO, GRPO, REINFORCE) with the actors in other processes: listen for `reverie actors`, run the policy for all of them (one batched forward), train on their episodes')
    .option('-a, --algo <name>', `algorithm: ${ONLINE_ALGORITHMS.join(', ')}`)
    .option('-s, --scenario <id|file>', 'scenario to train against (sent to the actors)')
    .option('--listen <host:port>', 'address to listen on (port 0: a free one, printed on stderr); without --token-file only a loopback address', '127.0.0.1:50051')
    .option('-n, --episodes <n>', 'training episodes')
    .option('-o, --out <dir>', 'checkpoint directory: policy.json + policy.onnx, trainer.ckpt, metrics.jsonl')
    .option('--token-file <file>', 'shared token the actors must present (needed to listen on a non-loopback address)')
    .option('--tls-cert <file>', 'TLS: the learner\'s certificate chain (PEM), with --tls-key')
    .option('--tls-key <file>', 'TLS: the learner\'s private key (PEM)')
    .option('--tls-client-ca <file>', 'mutual TLS: accept only actors with a certificate signed by this CA (PEM)')
    .option('--max-message-mb <n>', 'largest message accepted, MiB (larger: RESOURCE_EXHAUSTED)', '16')
    .option('--init <dir>', 'start from this policy checkpoint (its scores stay as a frozen base)')
    .option('--eval-every <n>', 'iterations between evaluations on held-out seeds (0: none; default 10)')
    .option('--eval-episodes <n>', 'held-out episodes per evaluation (default 200)')
    .option('--eval-seed <s>', 'held-out episode i plays seed derive(s, i) (default 1000)')
    .option('-c, --config <json|file>', 'algorithm config fields as JSON (see learners/algorithms/<algo>.config.ts)')
    .option('-e, --encoder <kind>', `observation encoder: ${ENCODER_KINDS.join(', ')}`, 'structured')
    .option('--device <d>', 'cpu, webgpu or cuda', 'cpu')
    .option('--seed <s>', 'seed of the initial weights, the minibatches and the training episodes', '0')
    .option('--threads <n>', 'onnxruntime threads (default: one per core)')
    .option('--checkpoint-every <n>', 'iterations between trainer checkpoints (default 10; one is always written at the end)')
    .option('--resume', 'continue the run in --out from its last checkpoint')
    .option('--force', 'start over in an --out that already holds a run')
    .option('--json', 'print one JSON object on stdout (human text goes to stderr)')
    .addHelpText('after', '\nExamples:\n  $ reverie learner --algo ppo --scenario twenty-questions --episodes 20000 --listen 127.0.0.1:50051 --out runs/ppo-dist\n  $ reverie actors --connect 127.0.0.1:50051 --workers 2        # in other terminals / on other machines\n  $ reverie learner ... --listen 0.0.0.0:50051 --token-file token --tls-cert cert.pem --tls-key key.pem')
    .action(async (raw: Record<string, unknown>) => {
      const o = parseOptions(Options, raw);
      const out = new Output(o.json);
      if ((o.tlsCert === undefined) !== (o.tlsKey === undefined)) throw new CliError('--tls-cert and --tls-key go together (the certificate and its private key)', EXIT_USAGE);
      if (o.tlsClientCa !== undefined && o.tlsCert === undefined) throw new CliError('--tls-client-ca needs --tls-cert and --tls-key (mutual TLS is TLS first)', EXIT_USAGE);
      const token = readToken(o.tokenFile);
      const tls: ServerTls | undefined = o.tlsCert && o.tlsKey ? {
        cert: readOptionFile('--tls-cert', o.tlsCert), key: readOptionFile('--tls-key', o.tlsKey),
        ...(o.tlsClientCa ? { clientCa: readOptionFile('--tls-client-ca', o.tlsClientCa) } : {}),
      } : undefined;
      let source: RemoteSource | undefined;
      const r = await runTrainOnline({
        ...o, algo: o.algo, encoder: o.encoder as EncoderKind, config: readConfig(o.config), source: 'central',
        makeSource: {
          name: `remote actors on ${o.listen}`,
          async make(infer, s) {
            try {
              source = await createRemoteSource({ scenario: s.scenario, encoder: s.encoder, listen: o.listen, token, tls, maxLag: s.maxLag, maxMessageBytes: o.maxMessageMb * 1024 * 1024, log: (l) => out.note(l) }, infer);
            } catch (err) {
              throw new CliError(`--listen ${o.listen}: ${(err as Error).message}`, EXIT_FAILURE);
            }
            return source;
          },
        },
      }, out);
      const st = source?.stats;
      out.result({ command: 'learner', ...r, remote: st ? { episodes: st.episodes, refusedResults: st.refusedResults, reassigned: st.reassigned, malformed: st.malformed, unauthenticated: st.unauthenticated, forwards: st.seed.calls, observations: st.seed.rows, mergedForwards: st.seed.merged } : null }, onlineSummary(r));
    });
}
