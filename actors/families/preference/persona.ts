import type { PreferenceScenario } from '../../../scenarios/families/preference.js';
import type { Rng } from '../../../scenarios/random.js';
import { compile, firstViolation, utility } from './model.js';
import type { Constraint, PreferencePersona, Preference } from './model.js';

/** Draws of a persona's constraints that leave no acceptable item are redrawn this many times. */
const REDRAWS = 20;

/** A number as people say it: rounded to `step`, without float dust (0.30000000000000004). */
export function roundTo(x: number, step: number): number {
  return Number((Math.round(x / step) * step).toPrecision(12));
}

function stepOf(s: PreferenceScenario, attribute: string): number {
  const a = compile(s).attributes.get(attribute);
  return a && a.kind === 'numeric' ? a.step : 1;
}

function drawKey(rng: Rng, weights: Readonly<Record<string, number>>): string {
  const keys = Object.keys(weights);
  return keys[rng.weightedIndex(keys.map((k) => weights[k]))];
}

/**
 * A persona from the scenario's distributions: style, patience, tolerance, traits (with the
 * constraints they imply), hard constraints and weighted preferences; then its best acceptable item.
 * Constraints that no item meets are redrawn; after {@link REDRAWS} tries the drawn ones are dropped.
 */
export function samplePersona(s: PreferenceScenario, rng: Rng): PreferencePersona {
  const style = s.user.styles[rng.weightedIndex(s.user.styles.map((x) => x.weight))].name;
  const patience = rng.intBetween(s.user.patience.min, s.user.patience.max);
  const tolerance = rng.uniform(s.persona.tolerance.min, s.persona.tolerance.max);
  const preferences = drawPreferences(s, rng);
  for (let attempt = 0; ; attempt++) {
    const traits: Record<string, string> = {};
    const implied: Constraint[] = [];
    for (const t of s.traits) {
      const v = t.values[rng.weightedIndex(t.values.map((x) => x.weight))];
      traits[t.name] = v.value;
      for (const c of v.implies) {
        if (c.max !== undefined) implied.push({ attribute: c.attribute, op: 'max', value: c.max });
        else if (c.min !== undefined) implied.push({ attribute: c.attribute, op: 'min', value: c.min });
        else if (c.equals !== undefined) implied.push({ attribute: c.attribute, op: 'eq', value: c.equals });
        else if (c.not !== undefined) implied.push({ attribute: c.attribute, op: 'ne', value: c.not });
      }
    }
    const drawn = attempt < REDRAWS ? drawConstraints(s, preferences, rng) : [];
    let persona = finish(s, { style, patience, tolerance, traits, constraints: [...implied, ...drawn], preferences });
    if (persona) return persona;
    if (attempt >= REDRAWS) {
      // Even the traits' constraints rule out every item: the scenario's data is too tight; keep the preferences only.
      persona = finish(s, { style, patience, tolerance, traits, constraints: [], preferences });
      if (persona) return persona;
    }
  }
}

function drawPreferences(s: PreferenceScenario, rng: Rng): Preference[] {
  const out: Preference[] = [];
  for (const spec of s.persona.preferences) {
    if (!rng.bernoulli(spec.probability)) continue;
    const weight = rng.uniform(spec.weight.min, spec.weight.max);
    const strong = weight >= (spec.weight.min + spec.weight.max) / 2;
    const base = { attribute: spec.attribute, weight, strong };
    if (spec.values) out.push({ ...base, kind: 'value', value: drawKey(rng, spec.values) });
    else if (spec.target) out.push({ ...base, kind: 'target', value: roundTo(rng.uniform(spec.target.min, spec.target.max), stepOf(s, spec.attribute)) });
    else if (spec.direction) out.push({ ...base, kind: spec.direction, value: null });
    else if (spec.value !== undefined) out.push({ ...base, kind: 'value', value: spec.value });
  }
  return out;
}

function drawConstraints(s: PreferenceScenario, preferences: readonly Preference[], rng: Rng): Constraint[] {
  const out: Constraint[] = [];
  for (const spec of s.persona.constraints) {
    if (!rng.bernoulli(spec.probability)) continue;
    const step = stepOf(s, spec.attribute);
    if (spec.max) out.push({ attribute: spec.attribute, op: 'max', value: roundTo(rng.uniform(spec.max.min, spec.max.max), step) });
    else if (spec.min) out.push({ attribute: spec.attribute, op: 'min', value: roundTo(rng.uniform(spec.min.min, spec.min.max), step) });
    else if (spec.equals !== undefined) out.push({ attribute: spec.attribute, op: 'eq', value: spec.equals });
    else if (spec.not) {
      // Nobody rules out their own favourite: draw among the other values.
      const allowed: Record<string, number> = {};
      for (const k in spec.not) if (!preferences.some((q) => q.attribute === spec.attribute && q.value === k)) allowed[k] = spec.not[k];
      if (Object.keys(allowed).length > 0) out.push({ attribute: spec.attribute, op: 'ne', value: drawKey(rng, allowed) });
    }
  }
  return out;
}

/** The persona with its best acceptable item, or null when no item meets its constraints. */
function finish(s: PreferenceScenario, p: Omit<PreferencePersona, 'best' | 'bestUtility'>): PreferencePersona | null {
  let best = -1;
  let bestUtility = -1;
  const probe = { ...p, best: -1, bestUtility: 0 };
  for (let i = 0; i < s.items.length; i++) {
    if (firstViolation(s, probe, i) >= 0) continue;
    const u = utility(s, p.preferences, i);
    if (u > bestUtility) { best = i; bestUtility = u; }
  }
  return best < 0 ? null : { ...p, best, bestUtility };
}
