/**
 * `--init CKPT`: online training that starts from an existing policy checkpoint, exactly. The
 * checkpoint's scores (e.g. ILQL's logits + β·q − β·v) become a frozen base and the trained network
 * adds to them: logits_θ(x) = base(x) + f_θ(x), f's output layer starting at zero, so iteration 0
 * plays the checkpoint's policy. The learner runs the checkpoint's policy.onnx to feed `base`;
 * for publishing and export both ONNX graphs are merged into one model x → logits.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import type { ScenarioContext } from '../../actors/episode-core.js';
import type { Encoder } from '../../environments/encoding/encoder.js';
import { checkPolicyScenario, PolicyError, readPolicySpec, type PolicySpec } from '../policies/checkpoint.js';
import { DeviceSession, hostTensor } from '../runtime/session.js';
import type { BasePolicy } from './online.js';

const { onnx } = onnxProto;
const PREFIX = 'base/';
const SCORES = 'base/scores';

/** Opens a policy checkpoint as the frozen base of an online run (checked against the scenario and encoder). */
export async function loadBasePolicy(dir: string, ctx: ScenarioContext, encoder: Pick<Encoder, 'kind' | 'size'>): Promise<BasePolicy & { readonly spec: PolicySpec }> {
  const spec = readPolicySpec(dir);
  checkPolicyScenario(dir, spec, ctx);
  if (spec.encoder.kind !== encoder.kind || spec.encoder.size !== encoder.size) {
    throw new PolicyError(`${dir}: the checkpoint reads the ${spec.encoder.kind} encoder (${spec.encoder.size} features), this run the ${encoder.kind} one (${encoder.size}); pass --encoder ${spec.encoder.kind}`);
  }
  const modelPath = join(dir, spec.model.file);
  const session = await DeviceSession.open(modelPath, { device: 'cpu', threads: 1 });
  const bytes = readFileSync(modelPath);
  const A = spec.numActions;
  return {
    spec,
    async scores(x, rows) {
      const out = await session.run({ [spec.model.input]: hostTensor(x, 'float32', [rows, encoder.size]) }, spec.scores.map((t) => t.output));
      const s = new Float32Array(rows * A);
      for (const term of spec.scores) {
        const v = out[term.output].data as Float32Array;
        const perAction = v.length === rows * A;
        for (let r = 0; r < rows; r++) for (let a = 0; a < A; a++) s[r * A + a] += term.weight * (perAction ? v[r * A + a] : v[r]);
      }
      return s;
    },
    merge(trained) {
      return mergeBase(new Uint8Array(bytes), spec, trained);
    },
    async close() {
      await session.dispose();
    },
  };
}

/**
 * One ONNX model x → logits from the base checkpoint's model and the trained model (inputs `x`,
 * `base`): the base graph's names get the prefix `base/`, its score terms are summed into
 * `base/scores`, which replaces the trained graph's `base` input.
 */
export function mergeBase(baseBytes: Uint8Array, spec: PolicySpec, trainedBytes: Uint8Array): Uint8Array {
  const b = onnx.ModelProto.decode(baseBytes);
  const f = onnx.ModelProto.decode(trainedBytes);
  const bg = b.graph;
  const fg = f.graph;
  if (!bg || !fg) throw new Error('mergeBase: a model has no graph');
  const xIn = spec.model.input;
  const rename = (n: string) => (n === xIn ? 'x' : n === '' ? '' : PREFIX + n);
  const nodes = (bg.node ?? []).map((n) => ({ ...n, name: PREFIX + (n.name ?? ''), input: (n.input ?? []).map(rename), output: (n.output ?? []).map(rename) }));
  const inits = (bg.initializer ?? []).map((t) => ({ ...t, name: PREFIX + (t.name ?? '') }));
  const rankOf = new Map((bg.output ?? []).map((o) => [o.name ?? '', o.type?.tensorType?.shape?.dim?.length ?? 2]));
  // scores = Σ weight × output ([batch] outputs unsqueezed to [batch, 1] and broadcast)
  const terms: string[] = [];
  spec.scores.forEach((t, k) => {
    let src = rename(t.output);
    if (rankOf.get(t.output) === 1) {
      const axes = `${PREFIX}axes${k}`;
      inits.push(onnx.TensorProto.create({ name: axes, dataType: onnx.TensorProto.DataType.INT64, dims: [1], int64Data: [1] }));
      nodes.push(onnx.NodeProto.create({ opType: 'Unsqueeze', name: `${PREFIX}unsq${k}`, input: [src, axes], output: [`${src}.col`] }));
      src = `${src}.col`;
    }
    const w = `${PREFIX}w${k}`;
    inits.push(onnx.TensorProto.create({ name: w, dataType: onnx.TensorProto.DataType.FLOAT, dims: [], floatData: [t.weight] }));
    nodes.push(onnx.NodeProto.create({ opType: 'Mul', name: `${PREFIX}mul${k}`, input: [src, w], output: [`${PREFIX}term${k}`] }));
    terms.push(`${PREFIX}term${k}`);
  });
  let acc = terms[0];
  for (let k = 1; k < terms.length; k++) {
    const out = k === terms.length - 1 ? SCORES : `${PREFIX}sum${k}`;
    nodes.push(onnx.NodeProto.create({ opType: 'Add', name: `${PREFIX}add${k}`, input: [acc, terms[k]], output: [out] }));
    acc = out;
  }
  if (terms.length === 1) nodes.push(onnx.NodeProto.create({ opType: 'Identity', name: `${PREFIX}id`, input: [acc], output: [SCORES] }));
  const fNodes = (fg.node ?? []).map((n) => ({ ...n, input: (n.input ?? []).map((i) => (i === 'base' ? SCORES : i)) }));
  fg.node = [...nodes, ...fNodes].map((n) => onnx.NodeProto.create(n));
  fg.initializer = [...inits.map((t) => onnx.TensorProto.create(t)), ...(fg.initializer ?? [])];
  fg.input = (fg.input ?? []).filter((i) => i.name !== 'base');
  fg.valueInfo = [];
  const version = (m: typeof b) => Number(m.opsetImport?.find((o) => !o.domain)?.version ?? 0);
  f.opsetImport = [{ domain: '', version: Math.max(version(b), version(f)) }];
  return onnx.ModelProto.encode(f).finish();
}
