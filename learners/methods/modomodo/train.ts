/**
 * Training one token policy on a mixture of reasoning task families (MoDoMoDo's inner loop).
 *
 * A domain is a (scenario, level) pair. All domains must share one vocabulary (the built-in
 * families do: same token list), so one policy reads and writes every family; each family keeps
 * its own generator and verifier (`ReasoningTask`), and prompts tell the families apart by their
 * symbols. Two stages:
 *
 * 1. {@link mixedSftSource}: SFT data for `runSft` (its `source` hook) — example i draws its domain
 *    from the SFT weights, then a problem and the scripted reasoner's completion of that domain.
 * 2. {@link grpoOnMixture}: GRPO from an SFT run on mixture w for a fixed number of iterations —
 *    each prompt draws its domain i ~ w, then a problem of domain i (the paper's sampling);
 *    rollouts are decoded per family with `rollout`, advantages per group, and the update is the
 *    shared `grpoLoss` with the frozen SFT policy as the KL reference (one AdamW step per
 *    iteration over all rows). It ends with greedy accuracy on the given evaluation sets.
 *
 * Seeds: SFT example i uses `deriveSeed(dataSeed, 'modomodo-sft:' + i)`, GRPO prompt k
 * `deriveSeed(dataSeed, 'modomodo-grpo:' + k)`; evaluation problems come from `evalProblems`
 * (the `eval:` namespace), so training and evaluation problems never share a derivation.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { Rng, deriveSeed } from '../../../scenarios/random.js';
import type { ReasoningProblem, ReasoningTask } from '../../../scenarios/reasoning/index.js';
import { compileForward, compileTrainStep } from '../../graph/compile.js';
import type { CompiledGraph } from '../../graph/compiled.js';
import { adamw } from '../../graph/optim.js';
import { bakeParameters } from '../../runtime/onnx.js';
import { DeviceSession } from '../../runtime/session.js';
import { Trainer } from '../../runtime/trainer.js';
import { packBatch, type SftExample } from '../../reasoning/data.js';
import { decodeCached, type CacheShape } from '../../reasoning/decode.js';
import { evalProblems } from '../../reasoning/evaluate.js';
import { ADV_FEED, LOGP_OLD_FEED, REF_LOGP_FEED, WEIGHT_FEED, grpoLoss, referenceLogProbs } from '../../reasoning/grpo.js';
import { initializersOf, kvModelFromPolicy, kvPolicyModel, kvShape } from '../../reasoning/kv.js';
import { TARGETS_FEED, TOKENS_FEED, policyModel } from '../../reasoning/policy.js';
import { groupAdvantages, groupRows, lossWeights, packRows, rollout, type Group, type GrpoPrompt } from '../../reasoning/rollout.js';
import { taskOf, type ReasonerSpec, type SftSource } from '../../reasoning/sft.js';
import { checkMixture, drawDomain, type Mixture } from '../modomodo.js';

/** A (scenario, level) pair: a training domain or an evaluation set. */
export const Domain = z.strictObject({
  name: z.string().min(1),
  /** Built-in reasoning scenario id or a scenario file. */
  scenario: z.string().min(1),
  level: z.number().int().min(1),
});
export type Domain = z.infer<typeof Domain>;

/** The tasks of the domains (one per scenario), checked to share one vocabulary and to have the levels asked for. */
export function domainTasks(domains: readonly Domain[]): ReasoningTask[] {
  const byScenario = new Map<string, ReasoningTask>();
  const tasks = domains.map((d) => {
    const t = byScenario.get(d.scenario) ?? taskOf(d.scenario);
    byScenario.set(d.scenario, t);
    if (d.level > t.levels) throw new RangeError(`domain '${d.name}': scenario '${t.scenario.id}' has ${t.levels} levels, got level ${d.level}`);
    return t;
  });
  const vocab = tasks[0].tokenizer.tokens.join(' ');
  tasks.forEach((t, i) => {
    if (t.tokenizer.tokens.join(' ') !== vocab) throw new RangeError(`domain '${domains[i].name}': scenario '${t.scenario.id}' has another vocabulary than '${tasks[0].scenario.id}'; a mixture trains one policy, so every domain must use the same token list`);
  });
  return tasks;
}

/** SFT example i of the mixed stream: its domain (from `weights`), problem and scripted completion. */
export function mixedSftExample(tasks: readonly ReasoningTask[], domains: readonly Domain[], weights: Mixture, seq: number, dataSeed: number, index: number): SftExample & { readonly domain: number } {
  const root = Rng.from(deriveSeed(dataSeed, `modomodo-sft:${index}`));
  const domain = drawDomain(weights, root.fork('domain'));
  const task = tasks[domain];
  const problem = task.generate(root.fork('problem'), domains[domain].level);
  const { completion } = task.solve(problem, root.fork('reasoner'));
  const sequence = [...problem.prompt, ...completion];
  return { domain, problem, completion, sequence, truncated: sequence.length > seq + 1 };
}

/** `runSft`'s batch source for SFT on the union of the domains' demonstrations, drawn by `weights`. */
export function mixedSftSource(domains: readonly Domain[], weights: Mixture, seq: number, dataSeed: number): SftSource {
  checkMixture(weights, domains.length);
  const tasks = domainTasks(domains);
  return {
    batches: (step, size) => packBatch(Array.from({ length: size }, (_, b) => mixedSftExample(tasks, domains, weights, seq, dataSeed, step * size + b)), seq, tasks[0].tokenizer.pad),
    data: { kind: 'modomodo-mixture', domains: domains.map((d) => ({ ...d })), weights: [...weights], dataSeed },
  };
}

export const MixtureGrpoConfig = z.strictObject({
  /** The SFT run directory (policy.onnx + reasoner.json); also the frozen KL reference. */
  init: z.string().min(1),
  domains: z.array(Domain).min(1),
  /** The mixture w over `domains`. */
  weights: z.array(z.number().min(0)).min(1),
  iterations: z.number().int().positive().default(30),
  /** Prompts per iteration (the paper: effective batch 12 trajectories = 2 prompts × 6). */
  prompts: z.number().int().positive().default(8),
  groupSize: z.number().int().min(2).default(6),
  /** AdamW lr (ours; 1e-3 with 16 prompts a step made every mixture worse than its SFT init, see cli/experiments/modomodo.ts). */
  lr: z.number().positive().default(1e-4),
  clip: z.number().positive().default(0.2),
  /** β of the KL to the SFT policy (the paper: 0.04). */
  klCoef: z.number().min(0).default(0.04),
  clipNorm: z.number().positive().default(1),
  /** Seed of parameter-independent randomness of the trainer. */
  seed: z.number().int().default(1),
  /** Seed of the prompt stream and of the sampling. */
  dataSeed: z.number().int().default(1),
  threads: z.number().int().positive().optional(),
});
export type MixtureGrpoConfigInput = z.input<typeof MixtureGrpoConfig>;

/** What an evaluation reports per set: greedy accuracy over `problems` problems. */
export interface SetScore {
  readonly name: string;
  readonly correct: number;
  readonly problems: number;
  readonly accuracy: number;
}

/** Greedy accuracy of a KV step model on each evaluation set (`problems` fixed problems each, seed `evalSeed`). */
export async function evaluateSets(kv: { readonly session: DeviceSession; readonly cache: CacheShape }, seq: number, sets: readonly Domain[], problems: number, evalSeed: number): Promise<SetScore[]> {
  if (sets.length === 0) return [];
  const tasks = domainTasks(sets);
  const all = sets.flatMap((s, i) => evalProblems(tasks[i], s.level, problems, evalSeed).map((p) => ({ set: i, problem: p.problem })));
  const tok = tasks[0].tokenizer;
  const decoded = await decodeCached(kv.session, kv.cache, all.map((a) => a.problem.prompt), { seq, eos: tok.eos, pad: tok.pad, temperature: 0, batchSize: 256 });
  return sets.map((s, i) => {
    const mine = all.map((a, k) => ({ a, k })).filter((x) => x.a.set === i);
    const correct = mine.filter((x) => tasks[i].grade(x.a.problem, decoded[x.k].completion).correct).length;
    return { name: s.name, correct, problems: mine.length, accuracy: correct / mine.length };
  });
}

function readSpec(dir: string): { spec: ReasonerSpec; bytes: Uint8Array } {
  const spec = JSON.parse(readFileSync(join(dir, 'reasoner.json'), 'utf8')) as ReasonerSpec;
  if (spec.format !== 'reverie-reasoner') throw new Error(`init: ${dir}/reasoner.json is not a reasoner spec`);
  return { spec, bytes: new Uint8Array(readFileSync(join(dir, spec.model))) };
}

/** Greedy accuracy of an SFT (or any) run directory's policy on the evaluation sets. */
export async function evaluateRun(dir: string, sets: readonly Domain[], problems: number, evalSeed: number, threads?: number): Promise<SetScore[]> {
  const { spec, bytes } = readSpec(dir);
  const config = { ...spec.policy, vocab: spec.vocab.length };
  const session = await DeviceSession.open(kvModelFromPolicy(bytes, config), { threads, spinning: false });
  try {
    return await evaluateSets({ session, cache: kvShape(spec.policy) }, spec.contextLength, sets, problems, evalSeed);
  } finally {
    await session.dispose();
  }
}

/** GRPO prompts `first` … `first + count − 1` of the mixture stream: domain i ~ w, then a problem of domain i. */
export function mixturePrompts(tasks: readonly ReasoningTask[], domains: readonly Domain[], weights: Mixture, dataSeed: number, first: number, count: number): { domain: number; prompt: GrpoPrompt }[] {
  return Array.from({ length: count }, (_, i) => {
    const index = first + i;
    const seed = deriveSeed(dataSeed, `modomodo-grpo:${index}`);
    const root = Rng.from(seed);
    const domain = drawDomain(weights, root.fork('domain'));
    const problem: ReasoningProblem = tasks[domain].generate(root.fork('problem'), domains[domain].level);
    return { domain, prompt: { index, seed, problem } };
  });
}

export interface MixtureRun {
  /** One row per iteration: training reward and accuracy (overall and per domain drawn), prompts per domain, loss metrics. */
  readonly rows: readonly Record<string, number>[];
  /** Greedy accuracy on each evaluation set after training, per evaluation seed asked for. */
  readonly scores: readonly (readonly SetScore[])[];
  readonly seconds: number;
}

/** GRPO on mixture w from an SFT run, then evaluation on `evals.sets` for each of `evals.seeds`; see the module comment. */
export async function grpoOnMixture(input: MixtureGrpoConfigInput, evals: { readonly sets: readonly Domain[]; readonly problems: number; readonly seeds: readonly number[] }, log?: (row: Record<string, number>) => void): Promise<MixtureRun> {
  const c = MixtureGrpoConfig.parse(input);
  checkMixture(c.weights, c.domains.length);
  const tasks = domainTasks(c.domains);
  const { spec, bytes } = readSpec(c.init);
  if (spec.vocab.join(' ') !== tasks[0].tokenizer.tokens.join(' ')) throw new Error(`init: ${c.init} was trained on another vocabulary than the domains'`);
  const seq = spec.contextLength;
  const modelConfig = { ...spec.policy, vocab: spec.vocab.length };
  const graph = compileTrainStep(policyModel(modelConfig), grpoLoss(c), adamw({ weightDecay: 0, clipNorm: c.clipNorm }), { seed: c.seed });
  const initial = initializersOf(bytes);
  const seeded: CompiledGraph = {
    ...graph,
    params: graph.params.map((p) => {
      const v = initial.get(p.name);
      if (!(v instanceof Float32Array) || v.length !== p.init.length) throw new Error(`init: ${c.init} has no weights for '${p.name}' of the policy's shape`);
      return { ...p, init: v };
    }),
  };
  const kvForward = compileForward(kvPolicyModel(modelConfig));
  const runtime = { threads: c.threads, spinning: false };
  const trainer = await Trainer.create(seeded, { seed: c.seed, lr: c.lr, threads: c.threads, spinning: false });
  const ref = await DeviceSession.open(bytes, runtime);
  const cache = kvShape(spec.policy);
  const openKv = async () => DeviceSession.open(bakeParameters(kvForward.bytes, kvForward.params, await trainer.read('params')), runtime);
  let kv = await openKv();
  const started = Date.now();
  const rows: Record<string, number>[] = [];
  const pad = tasks[0].tokenizer.pad;
  try {
    for (let it = 0; it < c.iterations; it++) {
      const drawn = mixturePrompts(tasks, c.domains, c.weights, c.dataSeed, it * c.prompts, c.prompts);
      // decode each family's prompts with its own task (its verifier grades them), then restore the drawn order
      const groups: Group[] = new Array<Group>(drawn.length);
      for (let d = 0; d < c.domains.length; d++) {
        const mine = drawn.map((x, k) => ({ x, k })).filter((y) => y.x.domain === d);
        if (mine.length === 0) continue;
        const got = await rollout(tasks[d], { session: kv, cache }, mine.map((y) => y.x.prompt), { seq, groupSize: c.groupSize, sampling: { temperature: 1 } });
        got.forEach((g, j) => (groups[mine[j].k] = g));
      }
      const advs = groups.map((g) => groupAdvantages(g.samples.map((s) => s.reward)));
      const packed = packRows(groupRows(groups, advs.map((a) => a.adv)), seq, pad);
      const refLogp = await referenceLogProbs(ref, packed, packed.size);
      const dims = [packed.size, seq];
      const weight = lossWeights(packed.mask, packed.size, seq, 'token');
      const { metrics } = await trainer.step({
        [TOKENS_FEED]: { data: packed.tokens, dims }, [TARGETS_FEED]: { data: packed.targets, dims }, [WEIGHT_FEED]: { data: weight, dims },
        [LOGP_OLD_FEED]: { data: packed.logpOld, dims }, [ADV_FEED]: { data: packed.adv, dims }, [REF_LOGP_FEED]: { data: refLogp, dims },
      });
      if (!Number.isFinite(metrics.loss)) throw new Error(`iteration ${it + 1}: the loss is ${metrics.loss}; lower lr`);
      await kv.dispose();
      kv = await openKv();
      const samples = groups.flatMap((g) => g.samples);
      const row: Record<string, number> = {
        iteration: it + 1,
        reward_mean: samples.reduce((a, s) => a + s.reward, 0) / samples.length,
        accuracy: samples.filter((s) => s.correct).length / samples.length,
        zero_std_frac: advs.filter((a) => a.zeroStd).length / advs.length,
        ...metrics,
        seconds: (Date.now() - started) / 1000,
      };
      c.domains.forEach((dom, d) => {
        const mine = groups.filter((_, k) => drawn[k].domain === d).flatMap((g) => g.samples);
        row[`prompts_${dom.name}`] = mine.length / c.groupSize;
        if (mine.length > 0) row[`accuracy_${dom.name}`] = mine.filter((s) => s.correct).length / mine.length;
      });
      rows.push(row);
      log?.(row);
    }
    const scores: SetScore[][] = [];
    for (const s of evals.seeds) scores.push(await evaluateSets({ session: kv, cache }, seq, evals.sets, evals.problems, s));
    return { rows, scores, seconds: (Date.now() - started) / 1000 };
  } finally {
    await kv.dispose();
    await ref.dispose();
    await trainer.dispose();
  }
}
