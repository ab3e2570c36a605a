// The Kubernetes manifests and the Dockerfile, checked for what makes them work together: the
// kinds, the Indexed Job's shard arguments, the merge of exactly those shards, the learner's
// port, Service, Secret and checkpoint volume, and reverie command lines that the CLI accepts.
import test from 'ava';
import { readFile, readdir } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { reverie, root } from '../e2e/helpers/cli.js';

type K8s = Record<string, any>;
const dir = join(root, 'deploy', 'k8s');

interface Doc { readonly file: string; readonly obj: K8s }
let loaded: Promise<Doc[]> | null = null;
function docs(): Promise<Doc[]> {
  loaded ??= (async () => {
    const out: Doc[] = [];
    for (const file of (await readdir(dir)).filter((f) => /\.ya?ml$/.test(f)).sort()) {
      for (const d of parseAllDocuments(await readFile(join(dir, file), 'utf8'))) {
        if (d.errors.length) throw new Error(`${file}: ${d.errors[0].message}`);
        out.push({ file, obj: d.toJS() as K8s });
      }
    }
    return out;
  })();
  return loaded;
}
async function one(kind: string, pred: (o: K8s) => boolean = () => true): Promise<K8s> {
  const found = (await docs()).filter((d) => d.obj.kind === kind && pred(d.obj));
  if (found.length !== 1) throw new Error(`expected one ${kind}, found ${found.length}`);
  return found[0].obj;
}
const runs = (sub: string) => (o: K8s) => o.spec.template.spec.containers[0].args[0] === sub;
const container = (o: K8s): K8s => o.spec.template.spec.containers[0];
/** The value after `flag` in an argument list. */
function arg(args: string[], flag: string): string {
  const i = args.indexOf(flag);
  if (i < 0 || i + 1 >= args.length) throw new Error(`no ${flag} in ${args.join(' ')}`);
  return args[i + 1];
}
/** The volume mounted at the deepest mountPath that holds `path`. */
function volumeAt(o: K8s, path: string): K8s {
  const mounts: K8s[] = container(o).volumeMounts ?? [];
  const m = mounts.filter((v) => path === v.mountPath || path.startsWith(v.mountPath.replace(/\/?$/, '/'))).sort((a, b) => b.mountPath.length - a.mountPath.length)[0];
  if (!m) throw new Error(`${path} is on no volume`);
  return o.spec.template.spec.volumes.find((v: K8s) => v.name === m.name);
}

test('every manifest parses and the set of kinds is the deployment', async (t) => {
  const all = await docs();
  for (const { file, obj } of all) {
    t.truthy(obj.apiVersion, file);
    t.truthy(obj.metadata?.name, `${file}: ${obj.kind} without a name`);
  }
  t.deepEqual(all.map((d) => d.obj.kind).sort(), ['Deployment', 'Deployment', 'Job', 'Job', 'PersistentVolumeClaim', 'PersistentVolumeClaim', 'Service']);
  t.false(all.some((d) => d.obj.kind === 'Secret'), 'the token is created with kubectl, never committed');
});

test('generation is an Indexed Job: pod i writes --shard i/N to its own directory on the shared volume', async (t) => {
  const job = await one('Job', runs('generate'));
  const n = job.spec.completions;
  t.is(job.spec.completionMode, 'Indexed');
  t.true(Number.isInteger(n) && n >= 2);
  t.true(job.spec.parallelism >= 1 && job.spec.parallelism <= n);
  const c = container(job);
  t.is(arg(c.args, '--shard'), `$(JOB_COMPLETION_INDEX)/${n}`);
  t.regex(arg(c.args, '--out'), /\$\(JOB_COMPLETION_INDEX\)$/);
  t.true(c.args.includes('--resume'), 'a replaced pod continues its slice');
  const env = c.env.find((e: K8s) => e.name === 'JOB_COMPLETION_INDEX');
  t.is(env?.valueFrom?.fieldRef?.fieldPath, "metadata.annotations['batch.kubernetes.io/job-completion-index']");
  const claim = volumeAt(job, arg(c.args, '--out')).persistentVolumeClaim?.claimName;
  const pvc = await one('PersistentVolumeClaim', (o) => o.metadata.name === claim);
  t.true(pvc.spec.accessModes.includes('ReadWriteMany'), 'pods on several nodes write to it');
});

test('the merge Job joins exactly the N shard directories of the generation Job', async (t) => {
  const gen = await one('Job', runs('generate'));
  const merge = await one('Job', runs('merge'));
  t.not(merge.spec.completionMode, 'Indexed');
  const out = arg(container(gen).args, '--out');
  const args: string[] = container(merge).args;
  const inputs = args.slice(1, args.indexOf('--out'));
  t.deepEqual(inputs, Array.from({ length: gen.spec.completions }, (_, i) => out.replace('$(JOB_COMPLETION_INDEX)', String(i))));
  const claim = (o: K8s, p: string) => volumeAt(o, p).persistentVolumeClaim?.claimName;
  t.is(claim(merge, inputs[0]), claim(gen, out));
  t.is(claim(merge, arg(args, '--out')), claim(gen, out));
});

test('learner: a Service on its listen port, probes on that port, the token from the Secret, checkpoints on a volume with --resume', async (t) => {
  const dep = await one('Deployment', runs('learner'));
  const c = container(dep);
  const port = Number(arg(c.args, '--listen').split(':').pop());
  t.is(arg(c.args, '--listen'), `0.0.0.0:${port}`);
  const named = c.ports.find((p: K8s) => p.containerPort === port);
  t.truthy(named, 'the container declares its listen port');
  const svc = await one('Service');
  const sp = svc.spec.ports[0];
  t.is(sp.port, port);
  t.true(sp.targetPort === port || sp.targetPort === named.name, `targetPort ${sp.targetPort}`);
  for (const [k, v] of Object.entries(svc.spec.selector)) t.is(dep.spec.template.metadata.labels[k], v, `selector ${k}`);
  for (const probe of ['readinessProbe', 'livenessProbe']) {
    const p = c[probe]?.tcpSocket?.port ?? c[probe]?.grpc?.port;
    t.true(p === port || p === named.name, `${probe} checks the listen port`);
  }
  const token = arg(c.args, '--token-file');
  const secret = volumeAt(dep, token).secret;
  t.is(secret?.secretName, 'reverie-token');
  t.deepEqual(secret.items, [{ key: 'token', path: posix.basename(token) }]);
  t.truthy(volumeAt(dep, arg(c.args, '--out')).persistentVolumeClaim?.claimName, 'checkpoints outlive the pod');
  t.true(c.args.includes('--resume'), 'a restarted learner continues from its checkpoint');
  t.is(dep.spec.replicas, 1);
  t.is(dep.spec.strategy?.type, 'Recreate', 'never two learners on one checkpoint directory');
});

test('actors connect to the learner Service with the same Secret', async (t) => {
  const dep = await one('Deployment', runs('actors'));
  const learner = container(await one('Deployment', runs('learner')));
  const svc = await one('Service');
  const c = container(dep);
  t.is(arg(c.args, '--connect'), `${svc.metadata.name}:${svc.spec.ports[0].port}`);
  t.true(Number(arg(c.args, '--workers')) >= 1);
  t.is(volumeAt(dep, arg(c.args, '--token-file')).secret?.secretName, 'reverie-token');
  t.is(arg(c.args, '--token-file'), arg(learner.args, '--token-file'));
  t.true(dep.spec.replicas >= 1);
});

test('every container runs the image with resource requests and limits, as a non-root user', async (t) => {
  for (const { file, obj } of await docs()) {
    if (!obj.spec?.template) continue;
    const c = container(obj);
    t.is(c.image, 'reverie:0.1.0', file);
    t.truthy(c.resources?.requests?.cpu && c.resources?.requests?.memory, `${file}: requests`);
    t.truthy(c.resources?.limits?.memory, `${file}: limits`);
    t.true(obj.spec.template.spec.securityContext?.runAsNonRoot, `${file}: runAsNonRoot`);
  }
});

test('the commands are real reverie subcommands and use only flags their --help lists', async (t) => {
  const top = await reverie('--help');
  t.is(top.code, 0, top.stderr);
  const commands = new Set([...top.stdout.split(/^Commands:$/m)[1].matchAll(/^ {2}(\S+)/gm)].map((m) => m[1]));
  const used = (await docs()).filter((d) => d.obj.spec?.template).map((d) => ({ file: d.file, args: container(d.obj).args as string[] }));
  t.true(used.length >= 4);
  const helps = new Map<string, Promise<string>>();
  for (const { file, args } of used) {
    t.true(commands.has(args[0]), `${file}: ${args[0]} is not a reverie command (${[...commands].join(', ')})`);
    if (!helps.has(args[0])) helps.set(args[0], reverie(args[0], '--help').then((r) => r.stdout));
    const accepted = new Set((await helps.get(args[0]) ?? '').match(/--[a-z][a-z0-9-]*/g));
    for (const flag of args.filter((a) => a.startsWith('--'))) t.true(accepted.has(flag), `${file}: ${args[0]} does not accept ${flag}`);
  }
  t.true(used.some((u) => u.args[0] === 'generate'), 'generate flags were checked');
});

test('the Dockerfile: node:20-bookworm-slim, npm ci with the repository .npmrc, dist/ built, npx reverie as entrypoint', async (t) => {
  const text = await readFile(join(root, 'deploy', 'Dockerfile'), 'utf8');
  const froms = [...text.matchAll(/^FROM (\S+)/gm)].map((m) => m[1]);
  t.true(froms.length > 0 && froms.every((f) => f === 'node:20-bookworm-slim'), froms.join(', '));
  t.regex(text, /npm ci\b/);
  t.regex(text, /test -f dist\/cli\/index\.js/);
  t.regex(text, /^ENTRYPOINT \[.*"npx", "--offline", "reverie"\]$/m);
  const ignored = (await readFile(join(root, 'deploy', 'Dockerfile.dockerignore'), 'utf8')).split('\n').map((l) => l.trim());
  for (const needed of ['.npmrc', 'package-lock.json', 'package.json', 'proto', 'scenarios']) t.false(ignored.includes(needed), `${needed} must reach the build`);
  t.regex(await readFile(join(root, '.npmrc'), 'utf8'), /onnxruntime-node-install=skip/);
});
