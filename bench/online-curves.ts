/**
 * Learning curves of online runs (`reverie train --algo ppo|grpo|reinforce`) as SVG, one per
 * scenario: the held-out evaluation return (sampled policy, 95% CI band) and the training return
 * (mean of the last 20 iterations) against training episodes, with the heuristic's greedy mean
 * return as a reference line.
 *
 *   node dist/bench/online-curves.js OUT.svg TITLE HEURISTIC RUN_DIR=LABEL [RUN_DIR=LABEL ...]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { renderSvg } from '../cli/report/charts.js';

interface Row {
  readonly episodes: number;
  readonly return_mean: number;
  readonly eval_return?: number;
  readonly eval_ci_lo?: number;
  readonly eval_ci_hi?: number;
}

function rows(dir: string): Row[] {
  return readFileSync(join(dir, 'metrics.jsonl'), 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as Row);
}

/** The vega-lite spec: training return (thin), held-out return with its CI band, heuristic rule. */
export function curvesSpec(title: string, runs: readonly { label: string; rows: readonly Row[] }[], heuristic: number): TopLevelSpec {
  const train: Record<string, unknown>[] = [];
  const held: Record<string, unknown>[] = [];
  for (const r of runs) {
    const w: number[] = [];
    r.rows.forEach((row, i) => {
      w.push(row.return_mean);
      if (w.length > 20) w.shift();
      if (i % 10 === 9) train.push({ x: row.episodes, y: w.reduce((a, b) => a + b, 0) / w.length, series: `${r.label} (training, sampled)` });
      if (row.eval_return !== undefined) held.push({ x: row.episodes, y: row.eval_return, lo: row.eval_ci_lo, hi: row.eval_ci_hi, series: `${r.label} (held-out, sampled)` });
    });
  }
  const x = { field: 'x', type: 'quantitative' as const, title: 'training episodes' };
  const color = { field: 'series', type: 'nominal' as const, title: null };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title,
    width: 520,
    height: 260,
    background: 'white',
    layer: [
      { data: { values: held }, mark: { type: 'area', opacity: 0.15 }, encoding: { x, y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' }, color } },
      { data: { values: held }, mark: { type: 'line', strokeWidth: 2, point: true }, encoding: { x, y: { field: 'y', type: 'quantitative', title: 'mean return', scale: { zero: false } }, color } },
      { data: { values: train }, mark: { type: 'line', strokeWidth: 1, strokeDash: [4, 2] }, encoding: { x, y: { field: 'y', type: 'quantitative' }, color } },
      { data: { values: [{ y: heuristic, label: `heuristic (greedy) ${heuristic}` }] }, mark: { type: 'rule', color: 'black', strokeDash: [2, 2] }, encoding: { y: { field: 'y', type: 'quantitative' } } },
      { data: { values: [{ y: heuristic, label: `heuristic ${heuristic}` }] }, mark: { type: 'text', align: 'left', dx: 4, dy: -6, x: 0 }, encoding: { y: { field: 'y', type: 'quantitative' }, text: { field: 'label' } } },
    ],
  };
}

async function main(): Promise<void> {
  const [out, title, heuristic, ...specs] = process.argv.slice(2);
  if (!out || !title || heuristic === undefined || specs.length === 0) {
    process.stderr.write('usage: node dist/bench/online-curves.js OUT.svg TITLE HEURISTIC RUN_DIR=LABEL [...]\n');
    process.exit(2);
  }
  const runs = specs.map((s) => {
    const [dir, label] = s.split('=');
    return { label: label ?? dir, rows: rows(dir) };
  });
  writeFileSync(out, await renderSvg(curvesSpec(title, runs, Number(heuristic))));
  process.stderr.write(`wrote ${out}\n`);
}

if (process.argv[1]?.endsWith('online-curves.js')) await main();
