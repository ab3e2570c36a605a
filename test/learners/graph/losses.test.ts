import test from 'ava';
import type { ExecutionContext } from 'ava';
import * as ort from 'onnxruntime-node';
import { chosenLogProb, emitModel, entropy, expectile, Graph, huber, logProbLoss, mse, softmaxCrossEntropy, type Tensor } from '../../../learners/graph/index.js';
import { checkGradients, type CheckCase } from './helpers/fd.js';

const MASK = Float64Array.from([1, 0, 1, 1]);
const LABELS = BigInt64Array.from([2, 0, 1, 2].map(BigInt));

const check = test.macro({
  async exec(t: ExecutionContext, c: CheckCase) {
    const r = await checkGradients(c);
    t.log(`max rel err ${r.maxRel.toExponential(2)}`);
    t.true(r.maxRel < 1e-6, JSON.stringify(r.perTensor));
  },
  title: (name = '') => `gradient of the ${name} loss matches finite differences`,
});

function classification(f: (logits: Tensor, labels: Tensor, mask: Tensor, w: Tensor) => Tensor): CheckCase {
  return {
    build(g) {
      const logits = g.input('logits', 'float64', [4, 3]);
      const labels = g.input('labels', 'int64', [4]);
      const mask = g.input('mask', 'float64', [4]);
      const w = g.input('w', 'float64', [4]);
      return { out: f(logits, labels, mask, w), wrt: [logits, w] };
    },
    feeds: { labels: LABELS, mask: MASK },
  };
}

function regression(f: (pred: Tensor, target: Tensor, mask: Tensor) => Tensor): CheckCase {
  return {
    build(g) {
      const pred = g.input('pred', 'float64', [4, 2]);
      const target = g.input('target', 'float64', [4, 2]);
      const mask = g.input('mask', 'float64', [4, 1]);
      return { out: f(pred, target, mask), wrt: [pred, target] };
    },
    feeds: { mask: MASK },
  };
}

test('softmax cross-entropy', check, classification((l, y, m, w) => softmaxCrossEntropy(l, y, m).add(w.sum().mul(0))));
test('log-prob of chosen actions', check, classification((l, y, m, w) => logProbLoss(l, y, w, m)));
test('entropy', check, classification((l, _y, m, w) => entropy(l, m).add(w.sum().mul(0))));
test('MSE', check, regression((p, t, m) => mse(p, t, m)));
test('Huber', check, regression((p, t, m) => huber(p, t, 0.8, m)));
test('expectile', check, regression((p, t, m) => expectile(p, t, 0.7, m)));

async function evaluate(build: (g: Graph) => Tensor, feeds: Record<string, ort.Tensor>): Promise<number> {
  const g = new Graph({ dtype: 'float64' });
  const out = build(g);
  const leaves = g.all.filter((t) => t.op === 'Input');
  const s = await ort.InferenceSession.create(emitModel(leaves, [{ name: 'y', tensor: out }]));
  const r = await s.run(feeds);
  return Number(r.y.data[0]);
}

const LOGITS = Float64Array.from([0.5, -1, 2, 0.1, 0.2, 0.3, -2, 1, 0, 3, 3, -1]);

test('losses have the values of their textbook definitions, masked rows left out', async (t) => {
  const rows = [0, 1, 2, 3].map((r) => Array.from(LOGITS.slice(r * 3, r * 3 + 3)));
  const logp = rows.map((r) => {
    const m = Math.max(...r);
    const z = Math.log(r.reduce((a, v) => a + Math.exp(v - m), 0)) + m;
    return r.map((v) => v - z);
  });
  const kept = [0, 2, 3];
  const ce = -kept.reduce((a, r) => a + logp[r][Number(LABELS[r])], 0) / 3;
  const ent = -kept.reduce((a, r) => a + logp[r].reduce((s, l) => s + Math.exp(l) * l, 0), 0) / 3;
  const feeds = {
    logits: new ort.Tensor('float64', LOGITS, [4, 3]),
    labels: new ort.Tensor('int64', LABELS, [4]),
    mask: new ort.Tensor('float64', MASK, [4]),
  };
  const inputs = (g: Graph) => [g.input('logits', 'float64', [4, 3]), g.input('labels', 'int64', [4]), g.input('mask', 'float64', [4])] as const;
  t.true(Math.abs((await evaluate((g) => softmaxCrossEntropy(...inputs(g)), feeds)) - ce) < 1e-12);
  t.true(Math.abs((await evaluate((g) => { const [l, , m] = inputs(g); return entropy(l, m); }, feeds)) - ent) < 1e-12);
  const lp2 = await evaluate((g) => { const [l, y] = inputs(g); return chosenLogProb(l, y).slice(0, 2, 3).sum(); }, feeds);
  t.true(Math.abs(lp2 - logp[2][1]) < 1e-12);

  const d = [-2, -0.5, 0.3, 1.5];
  const hub = (x: number, delta: number) => (Math.abs(x) < delta ? 0.5 * x * x : delta * (Math.abs(x) - 0.5 * delta));
  const reg = { pred: new ort.Tensor('float64', Float64Array.from(d), [4]), target: new ort.Tensor('float64', new Float64Array(4), [4]) };
  const pt = (g: Graph) => [g.input('pred', 'float64', [4]), g.input('target', 'float64', [4])] as const;
  t.true(Math.abs((await evaluate((g) => huber(...pt(g), 1), reg)) - d.reduce((a, x) => a + hub(x, 1), 0) / 4) < 1e-12);
  t.true(Math.abs((await evaluate((g) => mse(...pt(g)), reg)) - d.reduce((a, x) => a + x * x, 0) / 4) < 1e-12);
  // target - pred = -d: weight 0.7 where -d > 0, else 0.3
  const exp = d.reduce((a, x) => a + (-x < 0 ? 0.3 : 0.7) * x * x, 0) / 4;
  t.true(Math.abs((await evaluate((g) => expectile(...pt(g), 0.7), reg)) - exp) < 1e-12);
});
