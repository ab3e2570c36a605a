/**
 * A small causal decoder-only transformer (GPT-style): token and learned position embeddings,
 * pre-LayerNorm blocks of multi-head causal self-attention and a GELU MLP, a final LayerNorm
 * and a linear head to vocabulary logits.
 *
 * @example
 * transformer({ vocab: 64, dModel: 128, heads: 4, layers: 2, dMlp: 512, seq: 64 })
 * // input 'tokens' int64 [batch, 64]; output 'logits' [batch, 64, 64]
 */
import type { Model } from '../graph/compile.js';
import { activate, causalSelfAttention, embedding, layerNorm, linear } from './layers.js';

export interface TransformerConfig {
  readonly vocab: number;
  readonly dModel: number;
  readonly heads: number;
  readonly layers: number;
  /** Hidden width of each block's MLP (usually 4 dModel). */
  readonly dMlp: number;
  /** Sequence length (fixed at compile time; the batch size is symbolic). */
  readonly seq: number;
  /** Name of the token feed; default 'tokens'. */
  readonly input?: string;
  readonly lnEps?: number;
  readonly name?: string;
}

export function transformer(config: TransformerConfig): Model {
  const { vocab, dModel, heads, layers, dMlp, seq } = config;
  for (const [k, v] of Object.entries({ vocab, dModel, heads, layers, dMlp, seq })) {
    if (!(Number.isInteger(v) && v > 0)) throw new RangeError(`transformer: ${k} must be a positive integer, got ${v}`);
  }
  if (dModel % heads !== 0) throw new RangeError(`transformer: dModel (${dModel}) must be divisible by heads (${heads})`);
  const eps = config.lnEps ?? 1e-5;
  return {
    name: config.name ?? 'transformer',
    build(g) {
      const tokens = g.input(config.input ?? 'tokens', 'int64', ['batch', seq]);
      const pos = g.param('wpe', [seq, dModel], { normal: 1 });
      // rows of h are (sequence, position) pairs: [batch·seq, dModel]
      let h = embedding(g, 'wte', tokens, vocab, dModel).add(pos).reshape([-1, dModel]);
      for (let l = 0; l < layers; l++) {
        h = h.add(causalSelfAttention(g, `h${l}.attn`, layerNorm(g, `h${l}.ln1`, h, eps), seq, heads));
        const m = activate(linear(g, `h${l}.mlp.fc`, layerNorm(g, `h${l}.ln2`, h, eps), dMlp), 'gelu');
        h = h.add(linear(g, `h${l}.mlp.proj`, m, dModel));
      }
      const logits = linear(g, 'head', layerNorm(g, 'lnf', h, eps), vocab);
      return { logits: logits.reshape(['batch', seq, vocab]) };
    },
  };
}
