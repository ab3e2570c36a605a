/**
 * SFT data from a reasoning scenario's scripted reasoner: for a problem seed s, the problem is
 * `task.generate(Rng.from(s), level)` and the completion `task.solve(problem, <its own stream>)`;
 * a training row is prompt ids + completion ids, padded or truncated to the context, with the
 * next token as target and a loss mask that is 1 exactly where the target is a completion
 * (policy) token and 0 where it is a prompt (environment) token or padding.
 *
 * Seeds: training example i of a run with data seed d uses problem seed
 * `deriveSeed(d, 'sft:' + i)`; evaluation problems use the `'eval:'` namespace
 * ({@link evalProblemSeed}), so the two seed sets never share a derivation label.
 *
 * @example
 * const task = new ReasoningTask(loadReasoningScenario('addition'));
 * const batch = sftBatch(task, { seq: 64, levels: [{ level: 1, weight: 1 }], dataSeed: 1 }, 0, 32);
 * batch.tokens; batch.targets; batch.mask; // [32, 64] each, by row
 */
import { Rng, deriveSeed } from '../../scenarios/random.js';
import type { ReasoningProblem, ReasoningTask } from '../../scenarios/reasoning/index.js';

/** A level and its share of the training mixture. */
export interface LevelWeight {
  readonly level: number;
  readonly weight: number;
}

export interface SftDataConfig {
  /** Context length of the model: rows are `seq` tokens, targets the `seq` next tokens. */
  readonly seq: number;
  /** The mixture over difficulty levels (weights need not sum to 1). */
  readonly levels: readonly LevelWeight[];
  /** Seed of the data stream (problem and reasoner seeds derive from it and the example index). */
  readonly dataSeed: number;
}

/** One example as ids: the row fed to the model, its next-token targets and loss mask. */
export interface SftExample {
  readonly problem: ReasoningProblem;
  readonly completion: readonly number[];
  /** prompt + completion, before padding/truncation. */
  readonly sequence: readonly number[];
  /** Whether the sequence was longer than seq + 1 tokens and lost its tail. */
  readonly truncated: boolean;
}

export interface SftBatch {
  readonly size: number;
  readonly seq: number;
  /** int64 [size, seq]: sequence[0..seq-1], `<pad>` after its end. */
  readonly tokens: BigInt64Array;
  /** int64 [size, seq]: sequence[1..seq], `<pad>` after its end. */
  readonly targets: BigInt64Array;
  /** float32 [size, seq]: 1 where the target is a completion token, else 0. */
  readonly mask: Float32Array;
  readonly examples: readonly SftExample[];
}

/** The problem seed of training example `index` of a data stream. */
export function trainProblemSeed(dataSeed: number, index: number): number {
  return deriveSeed(dataSeed, `sft:${index}`);
}

/** The problem seed of evaluation problem `index` (disjoint namespace from {@link trainProblemSeed}). */
export function evalProblemSeed(evalSeed: number, index: number): number {
  return deriveSeed(evalSeed, `eval:${index}`);
}

/** The level of training example `index`: drawn from the mixture with the example's own stream. */
export function levelOf(levels: readonly LevelWeight[], rng: Rng): number {
  if (levels.length === 1) return levels[0].level;
  return levels[rng.weightedIndex(levels.map((l) => l.weight))].level;
}

/** Training example `index` of the stream: problem, scripted completion, and the joined sequence. */
export function sftExample(task: ReasoningTask, config: SftDataConfig, index: number): SftExample {
  const seed = trainProblemSeed(config.dataSeed, index);
  const root = Rng.from(seed);
  const level = levelOf(config.levels, root.fork('level'));
  const problem = task.generate(root.fork('problem'), level);
  const { completion } = task.solve(problem, root.fork('reasoner'));
  const sequence = [...problem.prompt, ...completion];
  return { problem, completion, sequence, truncated: sequence.length > config.seq + 1 };
}

/**
 * Rows of a batch from examples: tokens = sequence[t], target = sequence[t+1], mask = 1 where
 * t+1 lies in the completion span (t+1 ≥ prompt length), 0 on prompt targets and padding.
 */
export function packBatch(examples: readonly SftExample[], seq: number, pad = 0): SftBatch {
  const n = examples.length;
  const tokens = new BigInt64Array(n * seq).fill(BigInt(pad));
  const targets = new BigInt64Array(n * seq).fill(BigInt(pad));
  const mask = new Float32Array(n * seq);
  examples.forEach((ex, b) => {
    const s = ex.sequence;
    const promptLen = ex.problem.prompt.length;
    for (let t = 0; t < seq; t++) {
      if (t < s.length) tokens[b * seq + t] = BigInt(s[t]);
      if (t + 1 < s.length) {
        targets[b * seq + t] = BigInt(s[t + 1]);
        if (t + 1 >= promptLen) mask[b * seq + t] = 1;
      }
    }
  });
  return { size: n, seq, tokens, targets, mask, examples };
}

/** Batch `step` (0-based) of the stream: examples step·size … step·size + size − 1. */
export function sftBatch(task: ReasoningTask, config: SftDataConfig, step: number, size: number): SftBatch {
  const examples = Array.from({ length: size }, (_, b) => sftExample(task, config, step * size + b));
  return packBatch(examples, config.seq, task.tokenizer.pad);
}

/** Parses a level mixture written `1` or `1:0.5,2:0.5` (level:weight, comma separated). */
export function parseLevels(text: string): LevelWeight[] {
  return text.split(',').map((part) => {
    const [l, w] = part.trim().split(':');
    const level = Number(l);
    const weight = w === undefined ? 1 : Number(w);
    if (!Number.isInteger(level) || level < 1 || !(weight > 0)) throw new RangeError(`levels: '${part}' is not level or level:weight (level a whole number ≥ 1, weight > 0)`);
    return { level, weight };
  });
}

/**
 * A training row from a generated dataset (`reverie generate` on a reasoning scenario): a
 * `ReasoningEpisode`'s `tokens` (prompt + completion) and where its completion starts.
 */
export interface DatasetRow {
  readonly tokens: readonly number[];
  readonly promptLength: number;
}

/** A batch of dataset rows: the arrays of {@link SftBatch}, and which rows (dataset order) it holds. */
export type DatasetBatch = Omit<SftBatch, 'examples'> & { readonly rows: readonly number[] };

/**
 * Batch `step` of SFT on a dataset's rows instead of the on-the-fly reasoner: epoch e visits the
 * rows in a shuffled order drawn from `deriveSeed(dataSeed, 'epoch:' + e)`, so batch k is a pure
 * function of (rows, dataSeed, k) and a resumed run sees the same data. Rows are packed as
 * {@link packBatch} packs examples: target = next token, mask 1 exactly on completion targets.
 */
export function datasetBatch(rows: readonly DatasetRow[], config: Pick<SftDataConfig, 'seq' | 'dataSeed'>, step: number, size: number, pad = 0): DatasetBatch {
  const n = rows.length;
  if (n === 0) throw new RangeError('datasetBatch: the dataset has no rows');
  const orders = new Map<number, number[]>();
  const order = (epoch: number) => {
    let o = orders.get(epoch);
    if (!o) {
      o = Rng.from(deriveSeed(config.dataSeed, `epoch:${epoch}`)).shuffle(Array.from({ length: n }, (_, i) => i));
      orders.set(epoch, o);
    }
    return o;
  };
  const picked = Array.from({ length: size }, (_, b) => {
    const i = step * size + b;
    return order(Math.floor(i / n))[i % n];
  });
  const { seq } = config;
  const tokens = new BigInt64Array(size * seq).fill(BigInt(pad));
  const targets = new BigInt64Array(size * seq).fill(BigInt(pad));
  const mask = new Float32Array(size * seq);
  picked.forEach((r, b) => {
    const { tokens: s, promptLength } = rows[r];
    for (let t = 0; t < seq; t++) {
      if (t < s.length) tokens[b * seq + t] = BigInt(s[t]);
      if (t + 1 < s.length) {
        targets[b * seq + t] = BigInt(s[t + 1]);
        if (t + 1 >= promptLength) mask[b * seq + t] = 1;
      }
    }
  });
  return { size, seq, tokens, targets, mask, rows: picked };
}
