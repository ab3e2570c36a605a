/**
 * Charts for reports, drawn headless as SVG with vega-lite (spec) and vega (renderer 'none'):
 * learning curves from `metrics.jsonl` rows, and mean returns with their 95% intervals.
 */
import * as vega from 'vega';
import * as vl from 'vega-lite';

/** Renders a vega-lite spec to an SVG string. */
export async function renderSvg(spec: vl.TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** One point of a curve: x, y and the series (legend entry) it belongs to. */
export interface CurvePoint {
  readonly x: number;
  readonly y: number;
  readonly series: string;
}

/** Lines of y against x, one per series. */
export function lineChart(title: string, points: readonly CurvePoint[], axes: { readonly x: string; readonly y: string }): vl.TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title,
    width: 420,
    height: 220,
    background: 'white',
    data: { values: points.map((p) => ({ ...p })) },
    mark: { type: 'line', point: false, strokeWidth: 2 },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: axes.x },
      y: { field: 'y', type: 'quantitative', title: axes.y, scale: { zero: false } },
      color: { field: 'series', type: 'nominal', title: null },
    },
  };
}

/** One bar: a policy's mean return and its 95% interval. */
export interface ReturnBar {
  readonly policy: string;
  readonly mean: number;
  readonly lo: number;
  readonly hi: number;
  /** Colour group, e.g. 'trained', 'behaviour', 'reference'. */
  readonly group: string;
}

/** Horizontal bars of mean return with 95% CI whiskers, in the given order. */
export function returnsChart(title: string, bars: readonly ReturnBar[]): vl.TopLevelSpec {
  const order = bars.map((b) => b.policy);
  const y = { field: 'policy', type: 'nominal' as const, sort: order, title: null };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title,
    width: 420,
    height: { step: 22 },
    background: 'white',
    data: { values: bars.map((b) => ({ ...b })) },
    layer: [
      { mark: { type: 'bar' }, encoding: { y, x: { field: 'mean', type: 'quantitative', title: 'mean return (95% CI)' }, color: { field: 'group', type: 'nominal', title: null } } },
      { mark: { type: 'rule', color: 'black' }, encoding: { y, x: { field: 'lo', type: 'quantitative' }, x2: { field: 'hi' } } },
    ],
  };
}
