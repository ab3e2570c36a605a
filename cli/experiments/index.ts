/**
 * The paper experiments of `reverie experiment NAME`: each entry reproduces one paper's effect at
 * small scale and writes a report directory (summary.json, a Markdown table, SVG charts, the exact
 * config). An entry's `run` returns what goes into summary.json (and the --json output).
 */
import { amftExperiment } from './amft.js';
import { modomodoExperiment } from './modomodo.js';
import { mrtExperiment } from './mrt.js';
import { rlspExperiment } from './rlsp.js';
export interface ExperimentOptions {
  /** The minutes-on-2-cores version (CI runs it); the full run otherwise. */
  readonly quick: boolean;
  /** Independent training seeds (each arm is trained once per seed). */
  readonly seeds: number;
  /** The report directory. */
  readonly out: string;
  /** onnxruntime intra-op threads per session. */
  readonly threads?: number;
  /** Progress lines for the human on stderr. */
  readonly log: (line: string) => void;
}

export interface Experiment {
  /** One line for --help. */
  readonly describe: string;
  /** Default of --seeds for the full run (at least 3: the effects are reported over seeds). */
  readonly defaultSeeds: number;
  readonly run: (options: ExperimentOptions) => Promise<Record<string, unknown>>;
}

/** Filled by the experiment modules (one file each in this folder). */
export const EXPERIMENTS: Readonly<Record<string, Experiment>> = {
  amft: amftExperiment,
  modomodo: modomodoExperiment,
  mrt: mrtExperiment,
  rlsp: rlspExperiment,
};
