// Online RL pieces: advantages against hand-computed examples, loss gradients by finite
// differences, PPO's clipping, KL early stop, staleness filtering.
import test from 'ava';
import * as ort from 'onnxruntime-node';
import { emitModel, gradients, Graph } from '../../../learners/graph/index.js';
import { chosen, clippedSurrogate, discountedReturns, gae, groupAdvantages, keepFresh, maskedEntropy, maskedLogSoftmax, normalise } from '../../../learners/algorithms/index.js';
import type { Trajectory } from '../../../environments/online/types.js';
import { checkGradients } from '../graph/helpers/fd.js';

const close = (a: ArrayLike<number>, b: readonly number[], tol = 1e-5) => a.length === b.length && b.every((v, i) => Math.abs(a[i] - v) < tol);

test('GAE: a terminated episode does not bootstrap, a truncated one bootstraps from V(finalObs)', (t) => {
  // r = [1, 0, 2], V = [0.5, 1, 1.5], V(final) = 2, γ = 0.9, λ = 0.8
  // δ (terminated) = [1 + .9·1 − .5, 0 + .9·1.5 − 1, 2 − 1.5] = [1.4, 0.35, 0.5]
  // A2 = .5, A1 = .35 + .72·.5 = .71, A0 = 1.4 + .72·.71 = 1.9112
  const term = gae([1, 0, 2], [0.5, 1, 1.5], 2, false, 0.9, 0.8);
  t.true(close(term.adv, [1.9112, 0.71, 0.5]), String(term.adv));
  t.true(close(term.ret, [2.4112, 1.71, 2.0]), String(term.ret));
  // truncated: δ2 = 2 + .9·2 − 1.5 = 2.3; A1 = .35 + .72·2.3 = 2.006; A0 = 1.4 + .72·2.006 = 2.84432
  const trunc = gae([1, 0, 2], [0.5, 1, 1.5], 2, true, 0.9, 0.8);
  t.true(close(trunc.adv, [2.84432, 2.006, 2.3]), String(trunc.adv));
  // λ = 1 and V = 0: GAE is the discounted return
  t.true(close(gae([1, 0, 2], [0, 0, 0], 0, false, 0.5, 1).adv, [1.5, 1, 2]));
});

test('discounted returns, bootstrapped after a cut-off', (t) => {
  t.true(close(discountedReturns([1, 0, 2], 0.5), [1.5, 1, 2]));
  t.true(close(discountedReturns([1, 0, 2], 0.5, 4), [2, 2, 4]));
  t.true(close(discountedReturns([1, 1], 1), [2, 1]));
});

test('group advantages: (R − mean) / (std + eps) within each group, 0 for a group without spread', (t) => {
  const trajs = [{ group: 0, return: 1 }, { group: 1, return: 5 }, { group: 0, return: 3 }, { group: 1, return: 5 }, { group: 2, return: 7 }];
  const a = groupAdvantages(trajs, 0);
  t.true(Math.abs(a[0] + 1) < 1e-6 && Math.abs(a[2] - 1) < 1e-6, String(a));
  const b = groupAdvantages(trajs, 1e-4);
  t.is(b[1], 0);
  t.is(b[3], 0);
  t.is(b[4], 0);
  // four returns 0, 0, 0, 4: mean 1, std √3
  const c = groupAdvantages([0, 0, 0, 4].map((r) => ({ group: 3, return: r })), 0);
  t.true(close(c, [-1 / Math.sqrt(3), -1 / Math.sqrt(3), -1 / Math.sqrt(3), 3 / Math.sqrt(3)]));
});

test('normalise: mean 0, sample std 1', (t) => {
  const x = normalise(Float32Array.from([1, 2, 3, 4]));
  const m = x.reduce((a, b) => a + b, 0) / 4;
  const s = Math.sqrt(x.reduce((a, b) => a + (b - m) ** 2, 0) / 3);
  t.true(Math.abs(m) < 1e-6 && Math.abs(s - 1) < 1e-5);
  t.deepEqual([...normalise(Float32Array.from([2, 2]))], [0, 0]);
});

test('masked log-softmax and entropy: gradients match finite differences, invalid actions carry nothing', async (t) => {
  const mask = Float64Array.from([1, 0, 1, 1, 1, 1, 0, 1, 0, 1, 1, 1]);
  const r = await checkGradients({
    build(g) {
      const logits = g.input('logits', 'float64', [3, 4]);
      const m = g.input('mask', 'float64', [3, 4]);
      const action = g.input('action', 'int64', [3]);
      const logp = maskedLogSoftmax(logits, m);
      return { out: maskedEntropy(logp, m).add(chosen(logp, action)), wrt: [logits] };
    },
    feeds: { mask, action: BigInt64Array.from([0n, 3n, 2n]) },
  });
  t.true(r.maxRel < 1e-6, JSON.stringify(r.perTensor));
});

test('clipped surrogate and the k3 KL: gradients match finite differences away from the clip edges', async (t) => {
  const r = await checkGradients({
    build(g) {
      const logp = g.input('logp', 'float64', [4]);
      const old = g.input('old', 'float64', [4]);
      const adv = g.input('adv', 'float64', [4]);
      const { loss } = clippedSurrogate(logp, old, adv, 0.2);
      const d = old.sub(logp);
      return { out: loss.add(d.exp().sub(d).sub(1).mean()), wrt: [logp, adv] };
    },
    // ratios exp(logp − old) = e^{0.05}, e^{−0.5}, e^{0.6}, e^{−0.1}: inside, below, above, inside
    feeds: { logp: Float64Array.from([0.05, -0.5, 0.6, -0.1]), old: new Float64Array(4), adv: Float64Array.from([1, -2, 0.5, -1]) },
  });
  t.true(r.maxRel < 1e-6, JSON.stringify(r.perTensor));
});

/** d loss / d logp of PPO's clipped surrogate at the given ratios and advantages. */
async function surrogateGrad(ratios: number[], adv: number[]): Promise<number[]> {
  const g = new Graph({ dtype: 'float64' });
  const logp = g.input('logp', 'float64', [ratios.length]);
  const old = g.input('old', 'float64', [ratios.length]);
  const a = g.input('adv', 'float64', [ratios.length]);
  const { loss } = clippedSurrogate(logp, old, a, 0.2);
  const [d] = gradients(loss, [logp]);
  const s = await ort.InferenceSession.create(emitModel([logp, old, a], [{ name: 'd', tensor: d }]));
  const n = ratios.length;
  const out = await s.run({
    logp: new ort.Tensor('float64', Float64Array.from(ratios.map(Math.log)), [n]),
    old: new ort.Tensor('float64', new Float64Array(n), [n]),
    adv: new ort.Tensor('float64', Float64Array.from(adv), [n]),
  });
  return [...(out.d.data as Float64Array)];
}

test('PPO clipping: a ratio outside [1 − ε, 1 + ε] on the side the advantage pushes towards gives zero gradient', async (t) => {
  // ratio 1.5 with A > 0 and 0.5 with A < 0: clipped, no gradient; the other sides keep r·A's gradient −r·A/n
  const d = await surrogateGrad([1.5, 0.5, 1.5, 0.5, 1.1], [1, -1, -1, 1, 2]);
  t.is(d[0], 0);
  t.is(d[1], 0);
  t.true(Math.abs(d[2] - (1.5 * 1) / 5) < 1e-12, String(d));
  t.true(Math.abs(d[3] - (-0.5 * 1) / 5) < 1e-12, String(d));
  t.true(Math.abs(d[4] - (-1.1 * 2) / 5) < 1e-12, String(d));
});

function traj(policyVersion: number, error?: string): Trajectory {
  return { seed: 1, actionSeed: 1, policyVersion, length: 1, obs: new Float32Array(1), mask: Uint8Array.of(1), actions: Int32Array.of(0), logProbs: Float32Array.of(0), rewards: Float32Array.of(1), terminated: true, truncated: false, finalObs: new Float32Array(1), return: 1, success: true, ...(error ? { error } : {}) };
}

test('staleness: trajectories more than maxPolicyLag versions old and errored ones are dropped and counted', (t) => {
  const r = keepFresh([traj(5), traj(4), traj(3), traj(5, 'boom')], 5, 1);
  t.is(r.kept.length, 2);
  t.is(r.stale, 1);
  t.is(r.errored, 1);
  t.is(keepFresh([traj(3)], 5, 2).kept.length, 1);
});
