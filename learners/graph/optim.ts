/**
 * Optimisers as graph fragments appended to the train step: each reads the parameters, their
 * gradients and its state (graph inputs, zeros at the start) and returns the next values. The
 * learning rate and the 1-based step number are scalar graph inputs (`lr`, `step`), so a
 * schedule changes them without recompiling. Updates follow PyTorch's `torch.optim` formulas.
 */
import { GraphError } from './errors.js';
import type { Graph, Tensor } from './graph.js';

export interface OptimiserControls {
  /** The learning rate (scalar input `lr`). */
  readonly lr: Tensor;
  /** The 1-based step number (scalar input `step`), made on first use. */
  step(): Tensor;
}

/** A piece of optimiser state: the graph input holding it and its next value. */
export interface StateUpdate {
  readonly input: Tensor;
  readonly next: Tensor;
}

export interface OptimiserResult {
  readonly params: readonly Tensor[];
  readonly state: readonly StateUpdate[];
  readonly metrics: Readonly<Record<string, Tensor>>;
}

export interface Optimiser {
  readonly kind: 'sgd' | 'adam' | 'adamw';
  /** Global-norm gradient clipping threshold (PyTorch's `clip_grad_norm_`), when set. */
  readonly clipNorm?: number;
  apply(g: Graph, params: readonly Tensor[], grads: readonly Tensor[], controls: OptimiserControls): OptimiserResult;
}

export interface SgdOptions {
  readonly momentum?: number;
  readonly nesterov?: boolean;
  /** L2 penalty added to the gradient. */
  readonly weightDecay?: number;
  readonly clipNorm?: number;
}

export interface AdamOptions {
  readonly beta1?: number;
  readonly beta2?: number;
  readonly eps?: number;
  /** Adam: L2 penalty added to the gradient; AdamW: decoupled decay (default 0.01 for AdamW). */
  readonly weightDecay?: number;
  readonly clipNorm?: number;
}

function stateOf(g: Graph, p: Tensor, suffix: string): Tensor {
  return g.input(`${p.name}.${suffix}`, p.dtype, p.shape);
}

/** Scales gradients so that their global L2 norm is at most maxNorm; returns the pre-clip norm too. */
export function clipByGlobalNorm(g: Graph, grads: readonly Tensor[], maxNorm: number): { grads: Tensor[]; norm: Tensor } {
  if (!(maxNorm > 0)) throw new GraphError('invalid', `clipNorm must be a positive number, got ${maxNorm}`);
  let total: Tensor | undefined;
  for (const d of grads) total = total ? total.add(d.sumSquares()) : d.sumSquares();
  const norm = (total as Tensor).sqrt();
  const scale = g.scalar(maxNorm).div(norm.add(1e-6)).min(1);
  return { grads: grads.map((d) => d.mul(scale)), norm };
}

function clipped(g: Graph, grads: readonly Tensor[], clipNorm: number | undefined): { grads: readonly Tensor[]; metrics: Record<string, Tensor> } {
  if (clipNorm === undefined) return { grads, metrics: {} };
  const c = clipByGlobalNorm(g, grads, clipNorm);
  return { grads: c.grads, metrics: { grad_norm: c.norm } };
}

function check(name: string, v: number, lo: number, hi: number): void {
  if (!(v >= lo && v < hi)) throw new GraphError('invalid', `${name} must be in [${lo}, ${hi}), got ${v}`);
}

/** SGD with momentum as `torch.optim.SGD` (dampening 0): buf = μ buf + g; p -= lr (nesterov ? g + μ buf : buf). */
export function sgd(options: SgdOptions = {}): Optimiser {
  const mu = options.momentum ?? 0;
  const wd = options.weightDecay ?? 0;
  check('momentum', mu, 0, 1);
  return {
    kind: 'sgd',
    clipNorm: options.clipNorm,
    apply(g, params, rawGrads, { lr }) {
      const { grads, metrics } = clipped(g, rawGrads, options.clipNorm);
      const state: StateUpdate[] = [];
      const next = params.map((p, i) => {
        let d = grads[i];
        if (wd) d = d.add(p.mul(wd));
        if (mu) {
          const buf = stateOf(g, p, 'momentum');
          const b = buf.mul(mu).add(d);
          state.push({ input: buf, next: b });
          d = options.nesterov ? d.add(b.mul(mu)) : b;
        }
        return p.sub(d.mul(lr));
      });
      return { params: next, state, metrics };
    },
  };
}

/**
 * k·d with the scale folded into the node that made d where that costs no extra pass: the
 * weight-gradient Gemm (its alpha; float32 graphs, or k exact in float32, as ONNX stores alpha
 * as a float) or a Reshape of one, and a tensor-times-scalar Mul (clipping's scale). The
 * unscaled node is left unused, so it is not emitted.
 */
function scaledBy(d: Tensor, k: number): Tensor {
  if (k === 1) return d;
  const g = d.graph;
  if (d.op === 'Gemm' && d.inputs.length === 2 && (d.dtype === 'float32' || Math.fround(k) === k)) {
    const [a, b] = d.inputs;
    const alpha = ((d.attrs.alpha as number | undefined) ?? 1) * k;
    return g.gemm(a, b, d.attrs.transA === 1, d.attrs.transB === 1, undefined, alpha);
  }
  if (d.op === 'Reshape' && d.inputs[0].op === 'Gemm') {
    const inner = scaledBy(d.inputs[0], k);
    if (inner.op === 'Gemm') return inner.reshape(d.shape);
  }
  if (d.op === 'Mul') {
    const [x, y] = d.inputs;
    if (y.rank === 0 && x.rank > 0) return x.mul(y.mul(k));
    if (x.rank === 0 && y.rank > 0) return y.mul(x.mul(k));
  }
  return d.mul(k);
}

function adamLike(kind: 'adam' | 'adamw', options: AdamOptions): Optimiser {
  const b1 = options.beta1 ?? 0.9;
  const b2 = options.beta2 ?? 0.999;
  const eps = options.eps ?? 1e-8;
  const wd = options.weightDecay ?? (kind === 'adamw' ? 0.01 : 0);
  check('beta1', b1, 0, 1);
  check('beta2', b2, 0, 1);
  const k1 = 1 - b1;
  // (1 - β2) g² = kv · ((1 - β1) g)², so both moments read the one scaled gradient
  const kv = (1 - b2) / (k1 * k1);
  return {
    kind,
    clipNorm: options.clipNorm,
    apply(g, params, rawGrads, controls) {
      const { grads, metrics } = clipped(g, rawGrads, options.clipNorm);
      const lr = controls.lr;
      const t = controls.step();
      // bias corrections from the step input, shared by every parameter
      const bc1 = g.scalar(1).sub(g.scalar(b1).pow(t));
      const bc2 = g.scalar(1).sub(g.scalar(b2).pow(t));
      // p -= lr/bc1 · m / (√v/√bc2 + eps), rewritten with the scalars folded:
      // p -= (lr √bc2 / bc1) · m / (√v + eps √bc2), one pass fewer per parameter
      const sqrtBc2 = bc2.sqrt();
      const stepSize = lr.mul(sqrtBc2).div(bc1);
      const epsHat = sqrtBc2.mul(eps);
      const decay = kind === 'adamw' && wd ? g.scalar(1).sub(lr.mul(wd)) : undefined;
      const state: StateUpdate[] = [];
      const next = params.map((p, i) => {
        // gm = (1 - β1) d, with d = g (+ wd p for Adam's L2 term); the scale rides on the
        // gradient's own Gemm or clipping Mul where it can
        let gm = scaledBy(grads[i], k1);
        if (kind === 'adam' && wd) gm = gm.add(p.mul(wd * k1));
        const m = stateOf(g, p, 'm');
        const v = stateOf(g, p, 'v');
        const m1 = m.mul(b1).add(gm);
        const v1 = v.mul(b2).add(gm.mul(gm).mul(kv));
        state.push({ input: m, next: m1 }, { input: v, next: v1 });
        const denom = v1.sqrt().add(epsHat);
        const base = decay ? p.mul(decay) : p;
        return base.sub(m1.div(denom).mul(stepSize));
      });
      return { params: next, state, metrics };
    },
  };
}

/** Adam as `torch.optim.Adam` (weightDecay adds an L2 term to the gradient). */
export function adam(options: AdamOptions = {}): Optimiser {
  return adamLike('adam', options);
}

/** AdamW as `torch.optim.AdamW`: p ← p (1 - lr·wd) before the Adam step; weightDecay defaults to 0.01. */
export function adamw(options: AdamOptions = {}): Optimiser {
  return adamLike('adamw', options);
}
