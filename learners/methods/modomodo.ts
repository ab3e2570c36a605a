/**
 * MoDoMoDo (Liang, Qiu, Ding et al. 2025): multi-domain RL with verifiable rewards on a data
 * mixture w ∈ Δ_m, and the search for a good w from a few pilot runs.
 *
 * - Sampling: each training prompt first draws its domain i ~ w, then a problem of domain i
 *   ({@link drawDomain}).
 * - Pilot ("seed") mixtures: m single-domain, m leave-one-out (uniform over the others), and the
 *   uniform mixture: 2m + 1 runs ({@link pilotMixtures}).
 * - Surrogates of the post-RL score from w: linear a + bᵀw and quadratic a + bᵀw + wᵀCw, fitted by
 *   least squares on features [1, w] and [1, w, upper triangle of w⊗w] ({@link fitSurrogate}).
 *   On the simplex Σw = 1, so these features are collinear; the fit solves the normal equations
 *   with a tiny ridge (`ridge`, 1e-8 · trace/p: ours, the paper says OLS), which gives the
 *   least-squares fit of smallest norm, as numpy's lstsq would.
 * - Cross-validation as the paper's Algorithm 4: `splits` random 80/20 splits (5), each model
 *   fitted on the 80 and scored by R² on the 20 ({@link crossValidate}); the mean R² compares
 *   linear with quadratic, and the split with the best R² gives the model used (as Algorithm 4).
 * - Search ({@link proposeMixture}): Algorithm 4's — a Gaussian fitted to the observed mixtures
 *   (mean and covariance), `candidates` samples, negative entries set to 0, renormalised, the top
 *   predicted kept. (The main text says CMA-ES; the appendix algorithm samples, and so do we.)
 */
import { z } from 'zod';
import { Rng } from '../../scenarios/random.js';

export const ModomodoConfig = z.strictObject({
  /** Random 80/20 splits of the cross-validation (the paper's Algorithm 4: 5). */
  splits: z.number().int().min(1).default(5),
  /** Share of the points held out in each split (Algorithm 4: 0.2). */
  testShare: z.number().gt(0).lt(1).default(0.2),
  /** Candidates sampled from the Gaussian fitted to the observed mixtures (ours: the paper gives no count). */
  candidates: z.number().int().min(1).default(20_000),
  /** Relative ridge of the least-squares fit (ours: makes the collinear simplex features solvable). */
  ridge: z.number().min(0).default(1e-8),
  /** Seed of the splits and of the candidate sampling. */
  seed: z.number().int().default(1),
});
export type ModomodoConfig = z.infer<typeof ModomodoConfig>;
export type ModomodoConfigInput = z.input<typeof ModomodoConfig>;

export type Mixture = readonly number[];
export type SurrogateKind = 'linear' | 'quadratic';

/** A named pilot mixture. */
export interface Pilot {
  readonly name: string;
  readonly kind: 'single' | 'exclude-one' | 'uniform';
  readonly weights: Mixture;
}

/** The 2m + 1 pilot mixtures over `names` (m domains): single, exclude-one, uniform. */
export function pilotMixtures(names: readonly string[]): Pilot[] {
  const m = names.length;
  if (m < 2) throw new RangeError(`pilotMixtures: need at least 2 domains, got ${m}`);
  const single = names.map((n, i): Pilot => ({ name: `only ${n}`, kind: 'single', weights: names.map((_, j) => (j === i ? 1 : 0)) }));
  const exclude = names.map((n, i): Pilot => ({ name: `without ${n}`, kind: 'exclude-one', weights: names.map((_, j) => (j === i ? 0 : 1 / (m - 1))) }));
  return [...single, ...exclude, { name: 'uniform', kind: 'uniform', weights: names.map(() => 1 / m) }];
}

/** Checks w is a mixture (non-negative, sums to 1 within 1e-6) of `m` domains. */
export function checkMixture(w: Mixture, m: number): void {
  if (w.length !== m) throw new RangeError(`mixture: expected ${m} weights, got ${w.length}`);
  if (w.some((x) => !(x >= 0))) throw new RangeError(`mixture: weights must be non-negative numbers, got [${w.join(', ')}]`);
  const s = w.reduce((a, b) => a + b, 0);
  if (Math.abs(s - 1) > 1e-6) throw new RangeError(`mixture: weights must sum to 1, got ${s}`);
}

/** The domain of one training prompt: i ~ w, drawn with the prompt's own stream. */
export function drawDomain(w: Mixture, rng: Rng): number {
  return rng.weightedIndex(w);
}

/** Features of a mixture: [1, w] (linear) or [1, w, w_i·w_j for i ≤ j] (quadratic). */
export function features(w: Mixture, kind: SurrogateKind): number[] {
  const f = [1, ...w];
  if (kind === 'quadratic') for (let i = 0; i < w.length; i++) for (let j = i; j < w.length; j++) f.push(w[i] * w[j]);
  return f;
}

/** A fitted surrogate: coefficients over {@link features}. */
export interface Surrogate {
  readonly kind: SurrogateKind;
  readonly coef: readonly number[];
}

export function predict(s: Surrogate, w: Mixture): number {
  const f = features(w, s.kind);
  return f.reduce((a, x, i) => a + x * s.coef[i], 0);
}

/** Solves A x = b (A square, symmetric positive definite after the ridge) by Gaussian elimination with partial pivoting. */
export function solve(A: readonly (readonly number[])[], b: readonly number[]): number[] {
  const n = b.length;
  const M = A.map((r, i) => [...r, b[i]]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r][c]) > Math.abs(M[p][c])) p = r;
    if (Math.abs(M[p][c]) < 1e-300) throw new RangeError('solve: the system is singular');
    [M[c], M[p]] = [M[p], M[c]];
    for (let r = c + 1; r < n; r++) {
      const f = M[r][c] / M[c][c];
      if (f !== 0) for (let k = c; k <= n; k++) M[r][k] -= f * M[c][k];
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = M[r][n];
    for (let k = r + 1; k < n; k++) s -= M[r][k] * x[k];
    x[r] = s / M[r][r];
  }
  return x;
}

/** Least squares of y on the mixtures' features (normal equations with the relative ridge of the module comment). */
export function fitSurrogate(ws: readonly Mixture[], ys: readonly number[], kind: SurrogateKind, ridge = 1e-8): Surrogate {
  if (ws.length !== ys.length || ws.length === 0) throw new RangeError(`fitSurrogate: need as many scores as mixtures (at least one), got ${ws.length} mixtures and ${ys.length} scores`);
  const X = ws.map((w) => features(w, kind));
  const p = X[0].length;
  const A = Array.from({ length: p }, (_, i) => Array.from({ length: p }, (_, j) => X.reduce((a, r) => a + r[i] * r[j], 0)));
  const trace = A.reduce((a, r, i) => a + r[i], 0);
  const lambda = Math.max(ridge * (trace / p), 1e-14);
  for (let i = 0; i < p; i++) A[i][i] += lambda;
  const b = Array.from({ length: p }, (_, i) => X.reduce((a, r, k) => a + r[i] * ys[k], 0));
  return { kind, coef: solve(A, b) };
}

/** R² = 1 − SS_res / SS_tot (about the scores' own mean); NaN when the scores are all equal. */
export function rSquared(ys: readonly number[], predicted: readonly number[]): number {
  const mean = ys.reduce((a, b) => a + b, 0) / ys.length;
  const tot = ys.reduce((a, y) => a + (y - mean) ** 2, 0);
  const res = ys.reduce((a, y, i) => a + (y - predicted[i]) ** 2, 0);
  return tot > 0 ? 1 - res / tot : NaN;
}

/** One split's result. */
export interface SplitFit {
  readonly test: readonly number[];
  readonly r2: number;
  readonly surrogate: Surrogate;
}

export interface CrossValidation {
  readonly kind: SurrogateKind;
  readonly splits: readonly SplitFit[];
  /** Mean held-out R² over the splits with a defined R² (NaN when none). */
  readonly meanR2: number;
  /** The model of the split with the best held-out R² (Algorithm 4), or the fit on all points when no split has a defined R². */
  readonly best: Surrogate;
  /** The fit on all points. */
  readonly all: Surrogate;
}

/** Algorithm 4's cross-validation: random splits (seeded), fit on the rest, R² on the held-out share. */
export function crossValidate(ws: readonly Mixture[], ys: readonly number[], kind: SurrogateKind, input: ModomodoConfigInput = {}): CrossValidation {
  const c = ModomodoConfig.parse(input);
  const n = ws.length;
  const nTest = Math.max(1, Math.round(n * c.testShare));
  if (n - nTest < 1 || nTest < 2) throw new RangeError(`crossValidate: ${n} points are too few for held-out R² (need at least 2 held out and 1 to fit)`);
  const rng = Rng.from(c.seed).fork(`cv:${kind}`);
  const splits: SplitFit[] = [];
  for (let s = 0; s < c.splits; s++) {
    const order = rng.fork(s).shuffle(Array.from({ length: n }, (_, i) => i));
    const test = order.slice(0, nTest).sort((a, b) => a - b);
    const train = order.slice(nTest);
    const surrogate = fitSurrogate(train.map((i) => ws[i]), train.map((i) => ys[i]), kind, c.ridge);
    const r2 = rSquared(test.map((i) => ys[i]), test.map((i) => predict(surrogate, ws[i])));
    splits.push({ test, r2, surrogate });
  }
  const defined = splits.filter((s) => Number.isFinite(s.r2));
  const meanR2 = defined.length ? defined.reduce((a, s) => a + s.r2, 0) / defined.length : NaN;
  const all = fitSurrogate(ws, ys, kind, c.ridge);
  const best = defined.length ? defined.reduce((a, s) => (s.r2 > a.r2 ? s : a)).surrogate : all;
  return { kind, splits, meanR2, best, all };
}

/** Cholesky factor L (A = L Lᵀ) of a symmetric positive semi-definite matrix, with `jitter` on the diagonal. */
function cholesky(A: readonly (readonly number[])[], jitter: number): number[][] {
  const n = A.length;
  const L = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = A[i][j] + (i === j ? jitter : 0);
      for (let k = 0; k < j; k++) s -= L[i][k] * L[j][k];
      L[i][j] = i === j ? Math.sqrt(Math.max(s, 0)) : L[j][j] > 0 ? s / L[j][j] : 0;
    }
  }
  return L;
}

export interface Proposal {
  /** The candidate with the highest predicted score. */
  readonly weights: Mixture;
  readonly predicted: number;
  /** How many candidates were scored. */
  readonly candidates: number;
}

/**
 * Algorithm 4's search: fit a Gaussian (mean, covariance) to the observed mixtures, sample
 * candidates, set negative entries to 0, renormalise (a candidate left all zero is skipped),
 * return the one the surrogate predicts highest.
 */
export function proposeMixture(surrogate: Surrogate, observed: readonly Mixture[], input: ModomodoConfigInput = {}): Proposal {
  const c = ModomodoConfig.parse(input);
  if (observed.length < 2) throw new RangeError('proposeMixture: need at least 2 observed mixtures to fit the Gaussian');
  const m = observed[0].length;
  const mean = Array.from({ length: m }, (_, i) => observed.reduce((a, w) => a + w[i], 0) / observed.length);
  const cov = Array.from({ length: m }, (_, i) => Array.from({ length: m }, (_, j) => observed.reduce((a, w) => a + (w[i] - mean[i]) * (w[j] - mean[j]), 0) / (observed.length - 1)));
  const L = cholesky(cov, 1e-9);
  const rng = Rng.from(c.seed).fork('propose');
  let best: { weights: number[]; predicted: number } | undefined;
  let scored = 0;
  for (let k = 0; k < c.candidates; k++) {
    const z = Array.from({ length: m }, () => rng.normal());
    const x = mean.map((mu, i) => Math.max(0, mu + L[i].reduce((a, l, j) => a + l * z[j], 0)));
    const s = x.reduce((a, b) => a + b, 0);
    if (!(s > 0)) continue;
    const w = x.map((v) => v / s);
    const y = predict(surrogate, w);
    scored++;
    if (!best || y > best.predicted) best = { weights: w, predicted: y };
  }
  if (!best) throw new RangeError('proposeMixture: every candidate was all zero after dropping negatives');
  return { weights: best.weights, predicted: best.predicted, candidates: scored };
}
