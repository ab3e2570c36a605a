import test from 'ava';
import onnxProto from 'onnx-proto';
import { compileTrainStep, crossEntropyLoss, adam, emitModel, gradients, Graph, GraphError, GRAD_RULES, OPSET } from '../../../learners/graph/index.js';
import { mlp, transformer } from '../../../learners/models/index.js';

const { onnx } = onnxProto;

test('shapes and dtypes are inferred, with a symbolic batch dimension', (t) => {
  const g = new Graph();
  const x = g.input('x', 'float32', ['batch', 4]);
  const w = g.param('w', [3, 4], { uniform: 0.5 });
  const y = x.linear(w).relu();
  t.deepEqual(y.shape, ['batch', 3]);
  t.is(y.dtype, 'float32');
  const r = g.input('r', 'float32', ['batch', 8, 6]).reshape([-1, 6]);
  t.deepEqual(r.shape, ['8*batch', 6]);
  t.deepEqual(r.reshape(['batch', 8, 2, 3]).shape, ['batch', 8, 2, 3]);
  t.deepEqual(x.sum(1, true).shape, ['batch', 1]);
  t.is(x.gt(0).dtype, 'bool');
});

test('equal subexpressions are one node; transposes and reshapes collapse', (t) => {
  const g = new Graph();
  const a = g.input('a', 'float32', [2, 3]);
  t.is(a.exp().add(1), a.exp().add(1));
  t.is(a.transpose().transpose(), a);
  t.is(a.reshape([3, 2]).reshape([6]).reshape([2, 3]), a);
  t.is(a.mul(1), a);
  t.is(a.cast('float32'), a);
  t.is(g.scalar(2).mul(g.scalar(3)), g.scalar(6));
});

test('shape mistakes are GraphErrors that say what did not fit', (t) => {
  const g = new Graph();
  const a = g.input('a', 'float32', [2, 3]);
  const e = t.throws(() => a.add(g.input('b', 'float32', [4])), { instanceOf: GraphError });
  t.is(e?.code, 'shape');
  t.regex(e?.message ?? '', /Add: shapes \[2, 3\] and \[4\] do not broadcast/);
  t.is(t.throws(() => a.matmul(g.input('c', 'float32', [4, 2])), { instanceOf: GraphError })?.code, 'shape');
  t.is(t.throws(() => a.add(g.input('i', 'int64', [2, 3])), { instanceOf: GraphError })?.code, 'dtype');
  t.is(t.throws(() => g.input('a', 'float32', [5]), { instanceOf: GraphError })?.code, 'name');
});

test('a missing gradient rule is an error naming the operator and the node', (t) => {
  const saved = GRAD_RULES.Tanh;
  delete GRAD_RULES.Tanh;
  try {
    const g = new Graph();
    const a = g.input('a', 'float32', [2, 3]);
    const e = t.throws(() => gradients(a.tanh().sum(), [a]), { instanceOf: GraphError });
    t.is(e?.code, 'no-grad-rule');
    t.regex(e?.message ?? '', /no gradient rule for operator Tanh \(node #\d+ Tanh float32\[2, 3\]\)/);
  } finally {
    GRAD_RULES.Tanh = saved;
  }
});

test('gradients of a parameter the loss does not use are zeros of its shape', (t) => {
  const g = new Graph();
  const a = g.param('a', [2], 'ones');
  const b = g.param('b', [3], 'ones');
  const [, db] = gradients(a.sum(), [a, b]);
  t.deepEqual(db.shape, [3]);
});

function decode(bytes: Uint8Array) {
  return onnx.ModelProto.decode(bytes);
}

test('emitted models use only standard ai.onnx operators at opset 20', (t) => {
  const c = compileTrainStep(transformer({ vocab: 5, dModel: 8, heads: 2, layers: 1, dMlp: 8, seq: 3 }), crossEntropyLoss({ labels: 'targets' }), adam());
  const m = decode(c.bytes);
  t.deepEqual(m.opsetImport.map((o) => [o.domain, Number(o.version)]), [['', OPSET]]);
  t.true((m.graph?.node ?? []).every((n) => !n.domain));
  t.true(OPSET >= 17);
});

test('the MLP train step is lean: no Identity, Expand or Transpose nodes, one Gemm per matrix product', (t) => {
  const c = compileTrainStep(mlp({ sizes: [16, 32, 32, 8] }), crossEntropyLoss(), adam());
  const ops = (decode(c.bytes).graph?.node ?? []).map((n) => n.opType as string);
  const count = (op: string) => ops.filter((o) => o === op).length;
  t.is(count('Identity'), 0);
  t.is(count('Expand'), 0);
  t.is(count('Transpose'), 0);
  // forward 3, backward 3 weight gradients + 2 input gradients (the first layer's input needs none)
  t.is(count('Gemm'), 8);
  t.is(count('MatMul'), 0);
  t.is(count('Cast'), 2); // the one-hot labels, and the batch size of the mean (a scalar)
});

test('outputs that are inputs get an Identity; an undeclared input is an error', (t) => {
  const g = new Graph();
  const a = g.input('a', 'float32', [2]);
  const b = g.input('b', 'float32', [2]);
  const m = decode(emitModel([a], [{ name: 'out', tensor: a }]));
  t.deepEqual(m.graph?.node?.map((n) => n.opType), ['Identity']);
  t.is(t.throws(() => emitModel([a], [{ name: 'y', tensor: a.add(b) }]), { instanceOf: GraphError })?.code, 'name');
});
