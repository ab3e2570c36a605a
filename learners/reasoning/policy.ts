/**
 * The token policy: the causal transformer of `learners/models` sized for a reasoning scenario
 * (vocabulary from the scenario, context fixed at compile time), and its SFT loss (masked
 * next-token cross-entropy with token accuracy on the masked positions as a metric).
 *
 * @example
 * const model = policyModel({ vocab: task.tokenizer.size, seq: 64, dModel: 128, heads: 4, layers: 2 });
 * const train = compileTrainStep(model, sftLoss(), adamw(), { seed: 1 });
 * // feeds: tokens int64 [batch, seq], targets int64 [batch, seq], mask float [batch, seq], lr, step
 */
import { z } from 'zod';
import type { Loss, Model } from '../graph/compile.js';
import { GraphError } from '../graph/errors.js';
import { chosenLogProb, maskedMean } from '../graph/losses.js';
import { transformer } from '../models/transformer.js';

export const PolicyConfig = z.strictObject({
  dModel: z.number().int().positive().default(128),
  heads: z.number().int().positive().default(4),
  layers: z.number().int().min(1).max(8).default(2),
  /** MLP hidden width; default 4·dModel. */
  dMlp: z.number().int().positive().optional(),
  /** Context length (tokens the model sees); sequences are at most seq + 1 tokens. */
  seq: z.number().int().positive().default(64),
});
export type PolicyConfig = z.infer<typeof PolicyConfig>;

export const TOKENS_FEED = 'tokens';
export const TARGETS_FEED = 'targets';
export const MASK_FEED = 'mask';

/** The policy network for a vocabulary of `vocab` tokens: input 'tokens' int64 [batch, seq], output 'logits' [batch, seq, vocab]. */
export function policyModel(config: PolicyConfig & { readonly vocab: number }): Model {
  return transformer({
    vocab: config.vocab,
    dModel: config.dModel,
    heads: config.heads,
    layers: config.layers,
    dMlp: config.dMlp ?? 4 * config.dModel,
    seq: config.seq,
    input: TOKENS_FEED,
    name: 'reasoner',
  });
}

/**
 * Masked next-token cross-entropy: mean over mask-1 positions of −log p(target). Metric
 * `token_acc`: share of mask-1 positions whose target has the largest logit (ties count as right).
 */
export function sftLoss(): Loss {
  return (g, outputs) => {
    const logits = outputs.logits;
    if (!logits) throw new GraphError('name', "sftLoss: the model has no output 'logits'");
    const lead = logits.shape.slice(0, -1);
    const vocab = logits.shape[logits.rank - 1] as number;
    const targets = g.input(TARGETS_FEED, 'int64', lead);
    const mask = g.input(MASK_FEED, g.dtype, lead);
    const loss = maskedMean(chosenLogProb(logits, targets), mask).neg();
    const frozen = logits.stopGradient();
    const chosen = frozen.mul(g.oneHot(targets, vocab, g.dtype)).sum(-1);
    const hit = chosen.ge(frozen.maxOver(-1)).cast(g.dtype);
    return { loss, metrics: { token_acc: maskedMean(hit, mask) } };
  };
}
