// `reverie train --algo sft` and `reverie eval` on a reasoning scenario, end to end through the CLI.
import test from 'ava';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { json, reverie, tmp } from '../e2e/helpers/cli.js';

const TINY = '{"policy": {"seq": 64, "layers": 1}, "batchSize": 8}';

test('train --algo sft writes a reasoner run that eval grades by level; a second train needs --resume or --force', async (t) => {
  const out = join(await tmp('reverie-sft-'), 'sft');
  const a = await reverie('train', '--algo', 'sft', '--scenario', 'addition', '--levels', '1', '--steps', '20', '--out', out, '--config', TINY, '--json');
  t.is(a.code, 0, a.stderr);
  const r = json(a);
  t.is(r.algo, 'sft');
  t.is(r.steps, 20);
  for (const f of ['reasoner.json', 'policy.onnx', 'trainer.ckpt', 'metrics.jsonl']) t.true(existsSync(join(out, f)), f);
  t.is(JSON.parse(readFileSync(join(out, 'reasoner.json'), 'utf8')).scenario.id, 'addition');

  const e = await reverie('eval', '--scenario', 'addition', '--policy', out, '--episodes', '12', '--samples', '2', '--json');
  t.is(e.code, 0, e.stderr);
  const ev = json(e);
  t.is(ev.levels.length, 1);
  t.is(ev.levels[0].problems, 12);
  t.true(ev.levels[0].pass1.lo <= ev.levels[0].pass1.rate && ev.levels[0].pass1.rate <= ev.levels[0].pass1.hi);
  t.truthy(ev.levels[0].passK['2']);

  const again = await reverie('train', '--algo', 'sft', '--scenario', 'addition', '--steps', '20', '--out', out, '--config', TINY);
  t.is(again.code, 2);
  t.regex(again.stderr, /--resume.*--force/);
  const more = await reverie('train', '--algo', 'sft', '--scenario', 'addition', '--levels', '1', '--steps', '30', '--out', out, '--config', TINY, '--resume', '--json');
  t.is(more.code, 0, more.stderr);
  t.is(json(more).ranSteps, 10);
});

test('sft usage errors name the option', async (t) => {
  const out = join(await tmp('reverie-sft-'), 'x');
  const dialogue = await reverie('train', '--algo', 'sft', '--scenario', 'teacher', '--out', out);
  t.is(dialogue.code, 2);
  t.regex(dialogue.stderr, /--scenario: --algo sft trains on a reasoning scenario/);
  const levels = await reverie('train', '--algo', 'sft', '--scenario', 'addition', '--levels', 'two', '--out', out);
  t.is(levels.code, 2);
  t.regex(levels.stderr, /--levels:/);
  const offline = await reverie('train', '--algo', 'bc', '--data', out, '--levels', '1', '--out', out);
  t.is(offline.code, 2);
  t.regex(offline.stderr, /--levels: only for --algo sft/);
  const notRun = await reverie('eval', '--scenario', 'addition', '--policy', 'heuristic');
  t.is(notRun.code, 2);
  t.regex(notRun.stderr, /reasoner\.json/);
});
