import type { GuessingScenario } from '../../../scenarios/families/guessing.js';
import type { Rng } from '../../../scenarios/random.js';
import { compile } from './model.js';
import type { GuessingPersona } from './model.js';

/**
 * Draws the answerer: the item by popularity weight, patience uniformly in the declared range,
 * the style by weight, and noise, vagueness and volunteering around the scenario's values
 * (uniform within ±50%, kept in range, so their mean is the declared value).
 */
export function samplePersona(s: GuessingScenario, rng: Rng): GuessingPersona {
  const c = compile(s);
  const item = s.items[rng.weightedIndex(c.weights)].name;
  const noise = around(rng, s.user.noise, 0.5);
  const vagueness = around(rng, s.user.vagueness, 1);
  const volunteer = around(rng, s.user.volunteer, 1);
  const style = s.user.styles[rng.weightedIndex(s.user.styles.map((st) => st.weight))].name;
  const patience = rng.intBetween(s.user.patience.min, s.user.patience.max);
  return { item, noise, vagueness, volunteer, style, patience };
}

/** Uniform in [mean - d, mean + d] with d = mean / 2, shrunk to stay in [0, cap]; rounded to 3 decimals. */
function around(rng: Rng, mean: number, cap: number): number {
  const d = Math.min(mean / 2, cap - mean);
  return Math.round(rng.uniform(mean - d, mean + d) * 1000) / 1000;
}
