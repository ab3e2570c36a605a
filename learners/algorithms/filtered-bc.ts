/**
 * Filtered behaviour cloning ("%BC", Chen et al. 2021): rank the dataset's episodes by return,
 * keep the top `fraction`, and imitate only their actions.
 *
 *   kept = top ⌈fraction · episodes⌉ episodes by return (ties: earlier episode first)
 *   loss = mean_{i ∈ kept} −log softmax(masked logits(s_i))[a_i]
 *
 * Same network, loss and graph as BC; only the rows minibatches are drawn from differ.
 */
import type { Transitions } from '../../environments/offline/transitions.js';
import type { Model } from '../graph/compile.js';
import { mlp } from '../models/mlp.js';
import { cloning } from './bc.js';
import { FilteredBcConfig } from './filtered-bc.config.js';
import { parseConfig, type Dims, type OfflineAlgorithm } from './common.js';

export function filteredBcModel(dims: Dims, config: FilteredBcConfig): Model {
  return mlp({ sizes: [dims.obsSize, ...config.hidden], activation: config.activation, heads: { policy: dims.numActions }, name: 'filtered_bc' });
}

/** Rows of the transitions whose episode is among the top `fraction` by episode return. */
export function topEpisodeRows(t: Transitions, fraction: number): Int32Array {
  const returns = new Map<number, number>();
  for (let i = 0; i < t.count; i++) returns.set(t.episode[i], t.episodeReturn[i]);
  const ranked = [...returns].sort((a, b) => b[1] - a[1] || a[0] - b[0]);
  const keep = new Set(ranked.slice(0, Math.max(1, Math.ceil(fraction * ranked.length))).map(([e]) => e));
  const rows: number[] = [];
  for (let i = 0; i < t.count; i++) if (keep.has(t.episode[i])) rows.push(i);
  return Int32Array.from(rows);
}

export function filteredBc(t: Transitions, rawConfig: unknown, seed: number): OfflineAlgorithm {
  const config = parseConfig('filtered-bc', FilteredBcConfig, rawConfig);
  const dims = { obsSize: t.obsSize, numActions: t.numActions };
  // ALGO LOGIC: keep the best episodes, then BC on their actions
  return cloning('filtered-bc', config, filteredBcModel(dims, config), dims, topEpisodeRows(t, config.fraction), seed);
}
