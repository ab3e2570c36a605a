/**
 * Multi-layer perceptron with optional policy / value / Q heads.
 *
 * @example
 * mlp({ sizes: [128, 256, 256, 32], activation: 'relu' })          // output 'logits' [batch, 32]
 * mlp({ sizes: [16, 64, 64], heads: { policy: 4, value: true } })  // outputs 'logits' [batch, 4], 'value' [batch]
 */
import type { Model } from '../graph/compile.js';
import type { Tensor } from '../graph/graph.js';
import { activate, linear, type Activation } from './layers.js';

export interface MlpConfig {
  /**
   * Layer widths, input first. Without heads the last width is the output layer (no activation);
   * with heads every width is a hidden layer and the heads read the last one.
   */
  readonly sizes: readonly number[];
  readonly activation?: Activation;
  readonly heads?: {
    /** Action logits, output 'logits' [batch, n]. */
    readonly policy?: number;
    /** State value, output 'value' [batch]. */
    readonly value?: boolean;
    /** Action values, output 'q' [batch, n]. */
    readonly q?: number;
  };
  /** Name of the input feed (float [batch, sizes[0]]); default 'x'. */
  readonly input?: string;
  /** Name of the output without heads; default 'logits'. */
  readonly output?: string;
  readonly name?: string;
}

export function mlp(config: MlpConfig): Model {
  const { sizes, activation = 'relu', heads } = config;
  if (sizes.length < (heads ? 1 : 2) || sizes.some((s) => !(Number.isInteger(s) && s > 0)))
    throw new RangeError(`mlp: sizes must be positive integers, input first (at least ${heads ? 1 : 2}), got [${sizes.join(', ')}]`);
  if (heads && heads.policy === undefined && !heads.value && heads.q === undefined) throw new RangeError('mlp: heads needs at least one of policy, value, q');
  return {
    name: config.name ?? 'mlp',
    build(g) {
      let h = g.input(config.input ?? 'x', g.dtype, ['batch', sizes[0]]);
      const hidden = heads ? sizes.length - 1 : sizes.length - 2;
      for (let i = 0; i < hidden; i++) h = activate(linear(g, `fc${i}`, h, sizes[i + 1]), activation);
      if (!heads) return { [config.output ?? 'logits']: linear(g, `fc${hidden}`, h, sizes[sizes.length - 1]) };
      const out: Record<string, Tensor> = {};
      if (heads.policy !== undefined) out.logits = linear(g, 'policy', h, heads.policy);
      if (heads.value) out.value = linear(g, 'value', h, 1).reshape(['batch']);
      if (heads.q !== undefined) out.q = linear(g, 'q', h, heads.q);
      return out;
    },
  };
}
