/**
 * Optimiser updates against plain JS implementations of the torch.optim formulas, over a few
 * steps of a quadratic loss L = Σ c (p - t)² whose gradient 2c (p - t) is known in closed form.
 */
import test from 'ava';
import type { ExecutionContext } from 'ava';
import { adam, adamw, compileTrainStep, sgd, type Model, type Optimiser } from '../../../learners/graph/index.js';
import { TestTrainer } from './helpers/run.js';

const N = 6;
const P0 = [0.5, -1.2, 2.0, 0.1, -0.3, 0.8];
const T = [0.2, 0.4, -0.5, 1.5, -2.0, 0.0];
const C = [1, 2, 0.5, 3, 1, 0.25];
const LRS = [0.1, 0.05, 0.08, 0.02, 0.1];

const model: Model = {
  name: 'quadratic',
  build(g) {
    return { p: g.param('p', [N], { values: P0 }) };
  },
};

const loss = (g: import('../../../learners/graph/index.js').Graph, o: Readonly<Record<string, import('../../../learners/graph/index.js').Tensor>>) =>
  o.p.sub(g.constant(T, [N])).square().mul(g.constant(C, [N])).sum();

type Reference = (p: number[], grad: number[], lr: number, step: number) => void;

function clipGrad(grad: number[], maxNorm: number | undefined): number[] {
  if (maxNorm === undefined) return grad;
  const norm = Math.sqrt(grad.reduce((a, v) => a + v * v, 0));
  const coef = Math.min(1, maxNorm / (norm + 1e-6));
  return grad.map((v) => v * coef);
}

function sgdRef(mu: number, nesterov: boolean, wd: number, clip?: number): Reference {
  const buf = new Array<number>(N).fill(0);
  return (p, g0, lr) => {
    const grad = clipGrad(g0, clip);
    for (let i = 0; i < N; i++) {
      let d = grad[i] + wd * p[i];
      if (mu) {
        buf[i] = mu * buf[i] + d;
        d = nesterov ? d + mu * buf[i] : buf[i];
      }
      p[i] -= lr * d;
    }
  };
}

function adamRef(decoupled: boolean, wd: number, b1 = 0.9, b2 = 0.999, eps = 1e-8, clip?: number): Reference {
  const m = new Array<number>(N).fill(0);
  const v = new Array<number>(N).fill(0);
  return (p, g0, lr, t) => {
    const grad = clipGrad(g0, clip);
    for (let i = 0; i < N; i++) {
      let d = grad[i];
      if (decoupled) p[i] *= 1 - lr * wd;
      else d += wd * p[i];
      m[i] = b1 * m[i] + (1 - b1) * d;
      v[i] = b2 * v[i] + (1 - b2) * d * d;
      const bc1 = 1 - b1 ** t;
      const bc2 = 1 - b2 ** t;
      p[i] -= (lr / bc1) * (m[i] / (Math.sqrt(v[i]) / Math.sqrt(bc2) + eps));
    }
  };
}

const matches = test.macro({
  async exec(t: ExecutionContext, opt: Optimiser, ref: Reference) {
    const trainer = await TestTrainer.open(compileTrainStep(model, loss, opt, { dtype: 'float64' }));
    const p = [...P0];
    let maxDiff = 0;
    for (let s = 0; s < LRS.length; s++) {
      const grad = p.map((v, i) => 2 * C[i] * (v - T[i]));
      ref(p, grad, LRS[s], s + 1);
      await trainer.step({}, LRS[s]);
      const got = trainer.value('p');
      for (let i = 0; i < N; i++) maxDiff = Math.max(maxDiff, Math.abs(got[i] - p[i]));
    }
    t.log(`max |graph - reference| over ${LRS.length} steps: ${maxDiff.toExponential(2)}`);
    t.true(maxDiff < 1e-12);
  },
  title: (name = '') => `${name} matches the reference update over ${LRS.length} steps with a changing learning rate`,
});

test('SGD', matches, sgd(), sgdRef(0, false, 0));
test('SGD with momentum', matches, sgd({ momentum: 0.9 }), sgdRef(0.9, false, 0));
test('SGD with Nesterov momentum and weight decay', matches, sgd({ momentum: 0.8, nesterov: true, weightDecay: 0.01 }), sgdRef(0.8, true, 0.01));
test('SGD with global-norm clipping', matches, sgd({ momentum: 0.5, clipNorm: 1 }), sgdRef(0.5, false, 0, 1));
test('Adam', matches, adam(), adamRef(false, 0));
test('Adam with L2 weight decay', matches, adam({ weightDecay: 0.1 }), adamRef(false, 0.1));
test('AdamW', matches, adamw({ weightDecay: 0.05 }), adamRef(true, 0.05));
test('AdamW with global-norm clipping', matches, adamw({ weightDecay: 0.05, clipNorm: 1 }), adamRef(true, 0.05, 0.9, 0.999, 1e-8, 1));
test('Adam with L2 weight decay, clipping and other betas', matches, adam({ weightDecay: 0.1, clipNorm: 2, beta1: 0.5, beta2: 0.99, eps: 1e-6 }), adamRef(false, 0.1, 0.5, 0.99, 1e-6, 2));

test('the train step exposes lr and step as scalar feeds and the state with its next outputs', (t) => {
  const c = compileTrainStep(model, loss, adamw({ clipNorm: 1 }), { dtype: 'float64' });
  t.deepEqual(c.feeds.map((f) => [f.name, f.shape.length]), [['lr', 0], ['step', 0]]);
  t.deepEqual(c.optimiserState.map((s) => [s.name, s.next]), [['p.m', 'p.m.next'], ['p.v', 'p.v.next']]);
  t.deepEqual(c.metrics.map((m) => m.name), ['loss', 'grad_norm']);
  t.deepEqual(c.params.map((p) => p.next), ['p.next']);
});
