// The timing protocol every contestant of bench/train.bench.ts follows (bench/peers/torch_train.py
// mirrors it): warm-up steps, then timed blocks; the figure is the median steps/s of the blocks.

export interface TimingOptions {
  /** Warm-up steps (fewer when they would take longer than warmupSeconds). */
  readonly warmup: number;
  readonly warmupSeconds: number;
  /** Steps per timed block (fewer when a block would take longer than blockSeconds). */
  readonly blockSteps: number;
  readonly blockSeconds: number;
  /** Timed blocks (at most 3 when one step takes over 2 s). */
  readonly blocks: number;
}

export interface Timing {
  readonly stepsPerSec: number;
  readonly rates: number[];
  readonly blockSteps: number;
  readonly steps: number;
  readonly lossFirst: number;
  readonly lossLast: number;
}

/** The protocol's knobs; `REVERIE_BENCH_QUICK=1` makes it short (a smoke run, not a measurement). */
export function timingOptions(env: NodeJS.ProcessEnv = process.env): TimingOptions {
  return env.REVERIE_BENCH_QUICK === '1'
    ? { warmup: 3, warmupSeconds: 1, blockSteps: 100, blockSeconds: 0.5, blocks: 2 }
    : { warmup: 20, warmupSeconds: 3, blockSteps: 100, blockSeconds: 3, blocks: 5 };
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Runs `step(i)` (returning the loss) under the protocol. */
export async function timeSteps(step: (i: number) => number | Promise<number>, o: TimingOptions): Promise<Timing> {
  const now = () => performance.now() / 1000;
  let i = 0;
  const t0 = now();
  const lossFirst = await step(i++);
  let perStep = now() - t0;
  while (i < o.warmup && now() - t0 + perStep < o.warmupSeconds) {
    const s = now();
    await step(i++);
    perStep = now() - s;
  }
  const n = Math.max(1, Math.min(o.blockSteps, Math.round(o.blockSeconds / perStep)));
  const rates: number[] = [];
  let lossLast = lossFirst;
  for (let b = 0; b < (perStep < 2 ? o.blocks : Math.min(o.blocks, 3)); b++) {
    const s = now();
    for (let k = 0; k < n; k++) lossLast = await step(i++);
    rates.push(n / (now() - s));
  }
  return { stepsPerSec: median(rates), rates: rates.map((r) => Math.round(r * 1000) / 1000), blockSteps: n, steps: i, lossFirst, lossLast };
}
