// Scenario files written from scratch (new domains of the three families, test/fixtures/scenarios)
// go through generate → train → eval without code changes: the dataset's own scenario copy is
// what `train` trains against, and the checkpoint plays through `eval --policy`.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { json, reverie, root, tmp } from './helpers/cli.js';

const fixtures = [
  ['restaurant-recommender', 'ilql', 'structured'],
  ['spanish-tutor', 'ilql', 'text'],
  ['guess-the-country', 'bc', 'structured'],
] as const;

for (const [name, algo, encoder] of fixtures) {
  test(`${name}.yaml: generate → train ${algo} (${encoder} encoder) → eval, without code changes`, async (t) => {
    const file = join(root, 'test', 'fixtures', 'scenarios', `${name}.yaml`);
    const dir = await tmp('reverie-fixture-train-');
    const data = join(dir, 'data');
    const g = await reverie('generate', '--scenario', file, '--policy', 'mix:random=1,epsilon-heuristic:0.5=1', '--episodes', '150', '--seed', '3', '--workers', '1', '--out', data, '--json');
    t.is(g.code, 0, g.stderr);
    const out = join(dir, algo);
    const tr = await reverie('train', '--algo', algo, '--data', data, '--out', out, '--steps', '30', '--encoder', encoder, '--config', '{"hidden": [64]}', '--json');
    t.is(tr.code, 0, tr.stderr);
    t.is(json(tr).steps, 30);
    const spec = JSON.parse(readFileSync(join(out, 'policy.json'), 'utf8'));
    t.is(spec.scenario.id, name);
    t.is(spec.encoder.kind, encoder);
    const e = await reverie('eval', '--scenario', file, '--policy', out, '--episodes', '40', '--seed', '9', '--workers', '1', '--json');
    t.is(e.code, 0, e.stderr);
    const ej = json(e);
    t.is(ej.summary.episodes, 40);
    t.is(ej.summary.errored, 0);
    t.is(typeof ej.percentOfOracle, 'number');
  });
}
