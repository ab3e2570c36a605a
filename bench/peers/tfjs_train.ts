// TensorFlow.js peer for bench/train.bench.ts: W1 (mlp-bc) or W2 (tiny-gpt) on the `cpu` or `wasm`
// backend, same architecture, initialisation scheme, optimiser and data recipe as the other
// contestants. Prints one JSON line. By hand (after tsc):
//   node dist/bench/peers/tfjs_train.js mlp-bc wasm
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { Rng } from '../../scenarios/random.js';
import { timeSteps, timingOptions } from './timing.js';

type Step = (i: number) => number;

function uniform(rng: Rng, shape: number[], bound: number): tf.Variable {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.variable(tf.tensor(Float32Array.from({ length: n }, () => rng.uniform(-bound, bound)), shape));
}
function normal(rng: Rng, shape: number[], std: number): tf.Variable {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.variable(tf.tensor(Float32Array.from({ length: n }, () => rng.normal(0, std)), shape));
}
/** Linear layer as PyTorch initialises it (and learners/models): weight and bias uniform(±1/sqrt(fan_in)). */
function linear(rng: Rng, fanIn: number, fanOut: number) {
  return { w: uniform(rng, [fanIn, fanOut], 1 / Math.sqrt(fanIn)), b: uniform(rng, [fanOut], 1 / Math.sqrt(fanIn)) };
}
const apply = (l: { w: tf.Variable; b: tf.Variable }, x: tf.Tensor) => tf.add(tf.matMul(x.reshape([-1, l.w.shape[0] as number]), l.w), l.b).reshape([...x.shape.slice(0, -1), l.w.shape[1] as number]);

function mlpBc(rng: Rng): Step {
  const layers = [linear(rng, 128, 256), linear(rng, 256, 256), linear(rng, 256, 32)];
  const opt = tf.train.adam(1e-3);
  // data recipe: x ~ N(0, 1); label = argmax of a fixed random linear teacher; 16 batches cycled
  const teacher = tf.tensor(Float32Array.from({ length: 128 * 32 }, () => rng.normal()), [128, 32]);
  const xs = Array.from({ length: 16 }, () => tf.tensor(Float32Array.from({ length: 256 * 128 }, () => rng.normal()), [256, 128]));
  const ys = xs.map((x) => tf.oneHot(tf.argMax(tf.matMul(x, teacher), 1), 32));
  return (i) => {
    const loss = opt.minimize(() => {
      let h: tf.Tensor = xs[i % 16];
      layers.forEach((l, k) => {
        h = apply(l, h);
        if (k < 2) h = tf.relu(h);
      });
      return tf.losses.softmaxCrossEntropy(ys[i % 16], h) as tf.Scalar;
    }, true) as tf.Scalar;
    const v = loss.dataSync()[0];
    loss.dispose();
    return v;
  };
}

function layerNorm(x: tf.Tensor, g: tf.Variable, b: tf.Variable): tf.Tensor {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-5))), g), b);
}
const gelu = (x: tf.Tensor) => tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))));

function tinyGpt(rng: Rng): Step {
  const [V, D, H, L, M, T, B] = [64, 128, 4, 2, 512, 64, 32];
  const tok = normal(rng, [V, D], 1);
  const pos = normal(rng, [T, D], 1);
  const ln = () => ({ g: tf.variable(tf.ones([D])), b: tf.variable(tf.zeros([D])) });
  const blocks = Array.from({ length: L }, () => ({ ln1: ln(), q: linear(rng, D, D), k: linear(rng, D, D), v: linear(rng, D, D), proj: linear(rng, D, D), ln2: ln(), fc1: linear(rng, D, M), fc2: linear(rng, M, D) }));
  const lnF = ln();
  const head = linear(rng, D, V);
  const mask = tf.tensor(Float32Array.from({ length: T * T }, (_, k) => ((k % T) > Math.floor(k / T) ? -1e9 : 0)), [T, T]);
  const lr = 3e-4;
  const wd = 0.01;
  const opt = tf.train.adam(lr);
  const vars = tf.engine().state.registeredVariables;
  // data recipe: s[0] uniform, s[i+1] = (5 s[i] + 1) mod 64 with p 0.9, else uniform; inputs s[0..63], targets s[1..64]
  const seqs = Array.from({ length: 16 }, () => {
    const s = new Int32Array(B * (T + 1));
    for (let r = 0; r < B; r++) {
      s[r * (T + 1)] = rng.int(V);
      for (let c = 0; c < T; c++) s[r * (T + 1) + c + 1] = rng.bernoulli(0.9) ? (5 * s[r * (T + 1) + c] + 1) % V : rng.int(V);
    }
    const all = tf.tensor(s, [B, T + 1], 'int32');
    return { x: tf.oneHot(all.slice([0, 0], [B, T]).reshape([-1]), V).toFloat(), y: tf.oneHot(all.slice([0, 1], [B, T]).reshape([-1]), V) };
  });
  const heads = (t: tf.Tensor) => t.reshape([B, T, H, D / H]).transpose([0, 2, 1, 3]);
  return (i) => {
    const { x: xOneHot, y } = seqs[i % 16];
    // AdamW: decoupled weight decay, p <- p (1 - lr wd), then the Adam update
    tf.tidy(() => {
      for (const v of Object.values(vars)) v.assign(tf.mul(v, 1 - lr * wd));
    });
    const loss = opt.minimize(() => {
      // embedding lookup as one-hot x table: the wasm backend has no UnsortedSegmentSum (Gather's gradient)
      let h: tf.Tensor = tf.add(tf.matMul(xOneHot, tok).reshape([B, T, D]), pos);
      for (const blk of blocks) {
        const a = layerNorm(h, blk.ln1.g, blk.ln1.b);
        const [q, k, v] = [heads(tf.mul(apply(blk.q, a), 1 / Math.sqrt(D / H))), heads(apply(blk.k, a)), heads(apply(blk.v, a))];
        const att = tf.softmax(tf.add(tf.matMul(q, k, false, true), mask));
        const o = tf.matMul(att, v).transpose([0, 2, 1, 3]).reshape([B, T, D]);
        h = tf.add(h, apply(blk.proj, o));
        h = tf.add(h, apply(blk.fc2, gelu(apply(blk.fc1, layerNorm(h, blk.ln2.g, blk.ln2.b)))));
      }
      const logits = apply(head, layerNorm(h, lnF.g, lnF.b)).reshape([B * T, V]);
      return tf.losses.softmaxCrossEntropy(y, logits) as tf.Scalar;
    }, true) as tf.Scalar;
    const v = loss.dataSync()[0];
    loss.dispose();
    return v;
  };
}

async function main(): Promise<void> {
  const [workload, backend] = process.argv.slice(2);
  if (!['mlp-bc', 'tiny-gpt'].includes(workload) || !['cpu', 'wasm'].includes(backend)) throw new Error('usage: tfjs_train.js mlp-bc|tiny-gpt cpu|wasm');
  if (!(await tf.setBackend(backend))) throw new Error(`tfjs backend ${backend} did not start`);
  await tf.ready();
  const step = (workload === 'mlp-bc' ? mlpBc : tinyGpt)(Rng.from(1234));
  const t = await timeSteps(step, timingOptions());
  console.log(JSON.stringify({ ...t, tfjs: tf.version.tfjs, backend: tf.getBackend() }));
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.stack : e);
  process.exit(1);
});
