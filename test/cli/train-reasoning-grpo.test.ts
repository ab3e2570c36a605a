// `reverie train --algo grpo` on a reasoning scenario, end to end through the CLI.
import test from 'ava';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { json, reverie, tmp } from '../e2e/helpers/cli.js';

const TINY_SFT = '{"policy": {"seq": 48, "layers": 1, "dModel": 16, "heads": 2}, "batchSize": 8}';
const TINY_GRPO = '{"prompts": 2, "groupSize": 4, "threads": 1}';

test('train --algo grpo --init SFT writes a reasoner run that eval reads; usage errors name the option', async (t) => {
  const root = await tmp('reverie-grpo-');
  const sft = join(root, 'sft');
  const a = await reverie('train', '--algo', 'sft', '--scenario', 'addition', '--steps', '10', '--out', sft, '--config', TINY_SFT, '--json');
  t.is(a.code, 0, a.stderr);

  const out = join(root, 'grpo');
  const g = await reverie('train', '--algo', 'grpo', '--scenario', 'addition', '--init', sft, '--out', out, '--steps', '2', '--curriculum', 'adaptive:1,2@0.5', '--config', TINY_GRPO, '--json');
  t.is(g.code, 0, g.stderr);
  const r = json(g);
  t.is(r.algo, 'grpo');
  t.is(r.iterations, 2);
  t.is(r.updates, 2);
  t.true(r.updatesPerSecond > 0);
  for (const f of ['reasoner.json', 'policy.onnx', 'trainer.ckpt', 'metrics.jsonl', 'config.json']) t.true(existsSync(join(out, f)), f);
  const rows = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);
  t.deepEqual(rows.map((x) => x.iteration), [1, 2]);
  t.is(rows[0].weight_l1, 1);

  const e = await reverie('eval', '--scenario', 'addition', '--policy', out, '--episodes', '8', '--json');
  t.is(e.code, 0, e.stderr);
  t.deepEqual(json(e).levels.map((l: { level: number }) => l.level), [1, 2]);

  const again = await reverie('train', '--algo', 'grpo', '--scenario', 'addition', '--init', sft, '--out', out, '--steps', '2', '--config', TINY_GRPO);
  t.is(again.code, 2);
  t.regex(again.stderr, /--resume.*--force/);
  const more = await reverie('train', '--algo', 'grpo', '--scenario', 'addition', '--init', sft, '--out', out, '--steps', '3', '--curriculum', 'adaptive:1,2@0.5', '--config', TINY_GRPO, '--resume', '--json');
  t.is(more.code, 0, more.stderr);
  t.is(json(more).ranIterations, 1);

  const x = join(root, 'x');
  const noInit = await reverie('train', '--algo', 'grpo', '--scenario', 'addition', '--out', x);
  t.is(noInit.code, 2);
  t.regex(noInit.stderr, /--init: required/);
  const other = await reverie('train', '--algo', 'grpo', '--scenario', 'digit-sum', '--init', sft, '--out', x, '--steps', '1', '--config', TINY_GRPO);
  t.is(other.code, 2);
  t.regex(other.stderr, /--init: .*trained on scenario 'addition'/);
  const both = await reverie('train', '--algo', 'grpo', '--scenario', 'addition', '--init', sft, '--out', x, '--levels', '2', '--curriculum', 'adaptive:1,2');
  t.is(both.code, 2);
  t.regex(both.stderr, /--levels and --curriculum/);
  const bad = await reverie('train', '--algo', 'grpo', '--scenario', 'addition', '--init', sft, '--out', x, '--curriculum', '5=1');
  t.is(bad.code, 2);
  t.regex(bad.stderr, /--curriculum: the first stage must start at iteration 0/);
  const dialogue = await reverie('train', '--algo', 'ppo', '--scenario', 'teacher', '--episodes', '10', '--curriculum', 'adaptive:1', '--out', x);
  t.is(dialogue.code, 2);
  t.regex(dialogue.stderr, /--curriculum: only for --algo grpo/);
});
