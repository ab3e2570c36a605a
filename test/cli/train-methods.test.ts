// `reverie train --algo grpo --method rlsp|mrt` and `--algo amft` on a reasoning scenario, through the CLI.
import test from 'ava';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { json, reverie, tmp } from '../e2e/helpers/cli.js';

const TINY_POLICY = { seq: 48, layers: 1, dModel: 16, heads: 2 };
const TINY_GRPO = '{"prompts": 2, "groupSize": 2, "threads": 1}';

test('grpo --method rlsp|mrt records the method as the run\'s shaping and logs its metrics; amft trains from scratch; bad methods are usage errors', async (t) => {
  const root = await tmp('reverie-methods-');
  const sft = join(root, 'sft');
  const a = await reverie('train', '--algo', 'sft', '--scenario', 'addition', '--steps', '6', '--out', sft, '--config', JSON.stringify({ policy: TINY_POLICY, batchSize: 8 }), '--json');
  t.is(a.code, 0, a.stderr);

  for (const [method, conf, metric] of [['rlsp', '{"C": 4}', 'rlsp_length'], ['mrt', '{"samples": 2, "answerTokens": 4}', 'mrt_j_final']] as const) {
    const out = join(root, method);
    const g = await reverie('train', '--algo', 'grpo', '--method', method, '--method-config', conf, '--scenario', 'addition', '--init', sft, '--out', out, '--steps', '1', '--config', TINY_GRPO, '--json');
    t.is(g.code, 0, g.stderr);
    t.is(json(g).method, method);
    const saved = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as { shaping: Record<string, unknown> };
    t.is(saved.shaping.method, method);
    const row = JSON.parse(readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n')[0]) as Record<string, number>;
    t.true(metric in row, `${method}: ${metric} in ${Object.keys(row).join(',')}`);
    t.true(Number.isFinite(row.shaped_reward_mean));
  }
  const other = await reverie('train', '--algo', 'grpo', '--method', 'mrt', '--scenario', 'addition', '--init', sft, '--out', join(root, 'rlsp'), '--steps', '2', '--config', TINY_GRPO, '--resume');
  t.is(other.code, 2, 'a run cannot resume under another method');
  t.regex(other.stderr, /different 'shaping'/);

  const amft = join(root, 'amft');
  const m = await reverie('train', '--algo', 'amft', '--scenario', 'addition', '--out', amft, '--steps', '4', '--config', JSON.stringify({ policy: TINY_POLICY, warmup: 2, prompts: 2, groupSize: 2, batchSize: 4, valBatch: 4, threads: 1, mu: { kind: 'amft', every: 1 } }), '--json');
  t.is(m.code, 0, m.stderr);
  t.is(json(m).algo, 'amft');
  for (const f of ['reasoner.json', 'policy.onnx', 'trainer.ckpt', 'metrics.jsonl']) t.true(existsSync(join(amft, f)), f);
  const e = await reverie('eval', '--scenario', 'addition', '--policy', amft, '--episodes', '4', '--json');
  t.is(e.code, 0, e.stderr);

  const x = join(root, 'x');
  const cases: [string[], RegExp][] = [
    [['--algo', 'grpo', '--method', 'nope', '--scenario', 'addition', '--init', sft], /--method: expected one of: rlsp, mrt/],
    [['--algo', 'grpo', '--method', 'rlsp', '--method-config', '{"C": -1}', '--scenario', 'addition', '--init', sft], /--method-config: C: /],
    [['--algo', 'grpo', '--method-config', '{"C": 1}', '--scenario', 'addition', '--init', sft], /--method-config: give --method too/],
    [['--algo', 'ppo', '--method', 'rlsp', '--scenario', 'teacher', '--episodes', '10'], /--method: only for --algo grpo on a reasoning scenario/],
    [['--algo', 'amft', '--scenario', 'teacher'], /--scenario: --algo amft trains on a reasoning scenario/],
    [['--algo', 'amft', '--scenario', 'addition', '--init', sft], /--init: not for --algo amft/],
  ];
  for (const [args, message] of cases) {
    const r = await reverie('train', ...args, '--out', x);
    t.is(r.code, 2, args.join(' '));
    t.regex(r.stderr, message);
  }
});
