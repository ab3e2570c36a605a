import type { PreferenceScenario } from '../../../scenarios/families/preference.js';
import type { Observation } from '../../acts.js';
import { compile, satisfies } from './model.js';
import type { Constraint, PreferencePersona } from './model.js';
import type { PreferenceView } from './view.js';

/**
 * Scripted strategies. The heuristic sees only the observation and the (public) scenario data:
 * it asks the most important attributes first, then recommends the item with the best expected
 * score given what it heard, minus the risk of breaking a constraint it has not heard about.
 * The oracle reads the persona and recommends its best item at once.
 */

/** Score subtracted for an item that breaks a known constraint (it is effectively ruled out). */
const RULED_OUT = 1000;

/** Per-scenario numbers the heuristic needs, computed once from the persona distributions. */
interface Prior {
  /** attribute → mean weight of a preference on it said to matter a lot (upper half of its range) / not. */
  readonly strongWeight: ReadonlyMap<string, number>;
  readonly weakWeight: ReadonlyMap<string, number>;
  /** attribute → per item: expected weighted match under the prior (probability × weight × E[match]). */
  readonly contribution: ReadonlyMap<string, Float64Array>;
  /** attribute → per item: probability that an unheard drawn constraint on it rules the item out. */
  readonly risk: ReadonlyMap<string, Float64Array>;
  /** trait → attribute → per item: probability that the trait's implied constraint on it rules the item out. */
  readonly traitRisk: ReadonlyMap<string, ReadonlyMap<string, Float64Array>>;
  /** Score units lost per unit of rule-out probability. */
  readonly riskScale: number;
  /** Askables by decreasing importance. */
  readonly order: readonly string[];
  readonly importance: ReadonlyMap<string, number>;
  /** Questions asked before recommending (fewer when the user is impatient). */
  readonly askBudget: number;
}

const priors = new WeakMap<PreferenceScenario, Prior>();

function clamp01(x: number): number {
  return x < 0 ? 0 : x > 1 ? 1 : x;
}

/** How unsure the prior is about a preference's answer, in [0, 1]. */
function unsure(p: PreferenceScenario['persona']['preferences'][number]): number {
  if (p.values) {
    let total = 0;
    let squares = 0;
    for (const k in p.values) total += p.values[k];
    for (const k in p.values) squares += (p.values[k] / total) ** 2;
    return 1 - squares;
  }
  if (p.target) return 0.5; // an ideal number: worth asking, though a near miss still scores
  return 0.25; // a direction or a boolean: only whether they care is unknown
}

function prior(s: PreferenceScenario): Prior {
  const hit = priors.get(s);
  if (hit) return hit;
  const c = compile(s);
  const n = s.items.length;
  const zeros = () => new Float64Array(n);
  const strongSum = new Map<string, number>();
  const weakSum = new Map<string, number>();
  const weightCount = new Map<string, number>();
  const contribution = new Map<string, Float64Array>();
  const risk = new Map<string, Float64Array>();
  for (const a of s.attributes) { contribution.set(a.name, zeros()); risk.set(a.name, zeros()); }
  let totalWeight = 0;
  for (const p of s.persona.preferences) {
    const a = c.attributes.get(p.attribute)!;
    const w = (p.weight.min + p.weight.max) / 2;
    strongSum.set(a.name, (strongSum.get(a.name) ?? 0) + (w + p.weight.max) / 2);
    weakSum.set(a.name, (weakSum.get(a.name) ?? 0) + (w + p.weight.min) / 2);
    weightCount.set(a.name, (weightCount.get(a.name) ?? 0) + 1);
    totalWeight += p.probability * w;
    const out = contribution.get(a.name)!;
    for (let i = 0; i < n; i++) {
      const x = s.items[i].attributes[a.name];
      let m = 0;
      if (p.values) {
        let total = 0;
        for (const k in p.values) total += p.values[k];
        m = (p.values[String(x)] ?? 0) / total;
      } else if (p.target && a.kind === 'numeric') {
        // E over a uniform target of 1 - |x - t| / span, by a 9-point rule.
        for (let k = 0; k < 9; k++) m += 1 - Math.abs((x as number) - (p.target.min + ((p.target.max - p.target.min) * k) / 8)) / (a.max - a.min);
        m /= 9;
      } else if (p.direction && a.kind === 'numeric') {
        const f = ((x as number) - a.min) / (a.max - a.min);
        m = p.direction === 'lower' ? 1 - f : f;
      } else if (p.value !== undefined) m = x === p.value ? 1 : 0;
      out[i] += p.probability * w * m;
    }
  }
  for (const k of s.persona.constraints) {
    const out = risk.get(k.attribute)!;
    for (let i = 0; i < n; i++) {
      const x = s.items[i].attributes[k.attribute];
      let v = 0;
      if (k.max) v = k.max.max > k.max.min ? clamp01(((x as number) - k.max.min) / (k.max.max - k.max.min)) : (x as number) > k.max.min ? 1 : 0;
      else if (k.min) v = k.min.max > k.min.min ? clamp01((k.min.max - (x as number)) / (k.min.max - k.min.min)) : (x as number) < k.min.min ? 1 : 0;
      else if (k.equals !== undefined) v = x === k.equals ? 0 : 1;
      else if (k.not) {
        let total = 0;
        for (const key in k.not) total += k.not[key];
        v = (k.not[String(x)] ?? 0) / total;
      }
      out[i] += k.probability * v;
    }
  }
  const traitRisk = new Map<string, Map<string, Float64Array>>();
  for (const t of s.traits) {
    const byAttr = new Map<string, Float64Array>();
    const total = t.values.reduce((acc, v) => acc + v.weight, 0);
    for (const v of t.values) {
      for (const imp of v.implies) {
        const k: Constraint = imp.max !== undefined ? { attribute: imp.attribute, op: 'max', value: imp.max }
          : imp.min !== undefined ? { attribute: imp.attribute, op: 'min', value: imp.min }
          : imp.equals !== undefined ? { attribute: imp.attribute, op: 'eq', value: imp.equals }
          : { attribute: imp.attribute, op: 'ne', value: imp.not ?? '' };
        const out = byAttr.get(k.attribute) ?? zeros();
        byAttr.set(k.attribute, out);
        for (let i = 0; i < n; i++) if (!satisfies(k, s.items[i].attributes[k.attribute])) out[i] += v.weight / total;
      }
    }
    traitRisk.set(t.name, byAttr);
  }
  const strongWeight = new Map<string, number>();
  const weakWeight = new Map<string, number>();
  for (const [a, n] of weightCount) {
    strongWeight.set(a, strongSum.get(a)! / n);
    weakWeight.set(a, weakSum.get(a)! / n);
  }
  const riskScale = Math.max(totalWeight, 1e-6);
  // Importance of asking: the expected share of items an answer rules out (its own constraints and
  // those traits imply on it), plus the preference weight that hangs on it times how unsure the
  // prior is about the answer (Gini impurity of a favourite, spread of an ideal number).
  const importance = new Map<string, number>();
  const mean = (xs: Float64Array) => xs.reduce((acc, x) => acc + x, 0) / (xs.length || 1);
  for (const a of c.askables) {
    let score = 0;
    if (a.kind === 'attribute') {
      score += riskScale * mean(risk.get(a.name)!);
      for (const byAttr of traitRisk.values()) { const xs = byAttr.get(a.name); if (xs) score += riskScale * mean(xs); }
      for (const p of s.persona.preferences) if (p.attribute === a.name) score += p.probability * ((p.weight.min + p.weight.max) / 2) * unsure(p);
    } else {
      for (const xs of traitRisk.get(a.name)!.values()) score += riskScale * mean(xs);
    }
    importance.set(a.name, score);
  }
  const order = c.askables.map((a) => a.name).sort((x, y) => importance.get(y)! - importance.get(x)! || c.askIndex.get(x)! - c.askIndex.get(y)!);
  const askBudget = Math.max(1, Math.min(order.length, Math.floor(s.user.patience.min / 2)));
  const p: Prior = { strongWeight, weakWeight, contribution, risk, traitRisk, riskScale, order, importance, askBudget };
  priors.set(s, p);
  return p;
}

/** Whether a heard stance settles the hidden facts about an attribute (so the prior no longer applies). */
function heard(stance: string | undefined): boolean {
  return stance !== undefined && stance !== 'unknown' && stance !== 'vague';
}

// Stances as small integers: switching on the stance string for every item was most of scoring's time.
const [PRIOR, PREFER, TARGET, LOWER, HIGHER, ANY, EQ, NE, MAX, MIN] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] as const;
const STANCE_CODE = new Map<string | undefined, number>([['prefer', PREFER], ['target', TARGET], ['lower', LOWER], ['higher', HIGHER], ['any', ANY], ['eq', EQ], ['ne', NE], ['max', MAX], ['min', MIN]]);

/**
 * The heuristic's score of every item given the view (higher is better), into `out` when given
 * (at least one slot per item; allocating a Float64Array per call was a fifth of the cost).
 */
export function scoreItems(s: PreferenceScenario, view: PreferenceView, out?: Float64Array): Float64Array {
  const c = compile(s);
  const pr = prior(s);
  const n = s.items.length;
  const score = out ? out.fill(0, 0, n) : new Float64Array(n);
  const riskScale = pr.riskScale;
  for (const a of s.attributes) {
    const stance = view.stance[a.name];
    const value = view.value[a.name];
    const w = (view.important[a.name] ? pr.strongWeight : pr.weakWeight).get(a.name) ?? 0;
    const contribution = pr.contribution.get(a.name)!;
    const risk = pr.risk.get(a.name)!;
    const below = a.kind === 'numeric' ? view.below[a.name] : null;
    const above = a.kind === 'numeric' ? view.above[a.name] : null;
    const span = c.span.get(a.name) ?? 1;
    const col = c.column.get(a.name)!;
    const code = STANCE_CODE.get(stance) ?? PRIOR;
    for (let i = 0; i < n; i++) {
      const x = col[i];
      let v = 0;
      switch (code) {
        case PRIOR: v = contribution[i] - riskScale * risk[i]; break; // unknown or vague: expect the prior
        case PREFER: v = x === value ? w : 0; break;
        case TARGET: v = w * (1 - Math.abs((x as number) - (value as number)) / span); break;
        case LOWER: v = a.kind === 'numeric' ? w * (a.max - (x as number)) / span : 0; break;
        case HIGHER: v = a.kind === 'numeric' ? w * ((x as number) - a.min) / span : 0; break;
        case ANY: break;
        case EQ: v = contribution[i] - (x === value ? 0 : RULED_OUT); break;
        case NE: v = contribution[i] - (x === value ? RULED_OUT : 0); break;
        case MAX: v = contribution[i] - ((x as number) > (value as number) ? RULED_OUT : 0); break;
        case MIN: v = contribution[i] - ((x as number) < (value as number) ? RULED_OUT : 0); break;
      }
      if (below !== null && below !== undefined && (x as number) >= below) v -= RULED_OUT;
      if (above !== null && above !== undefined && (x as number) <= above) v -= RULED_OUT;
      score[i] += v;
    }
  }
  for (const t of s.traits) {
    const known = view.value[t.name];
    const trait = c.traits.get(t.name)!;
    if (heard(view.stance[t.name]) && known !== null) {
      const v = trait.values.find((x) => x.value === known);
      for (const imp of v?.implies ?? []) {
        const col = c.column.get(imp.attribute)!;
        for (let i = 0; i < n; i++) {
          const x = col[i];
          const broken = (imp.max !== undefined && (x as number) > imp.max) || (imp.min !== undefined && (x as number) < imp.min)
            || (imp.equals !== undefined && x !== imp.equals) || (imp.not !== undefined && x === imp.not);
          if (broken) score[i] -= RULED_OUT;
        }
      }
    } else {
      for (const [attribute, risk] of pr.traitRisk.get(t.name)!) {
        if (heard(view.stance[attribute])) continue; // asking about the attribute told its constraints
        for (let i = 0; i < n; i++) score[i] -= pr.riskScale * risk[i];
      }
    }
  }
  for (const pair of view.avoid) {
    const eq = pair.indexOf('=');
    const attribute = pair.slice(0, eq);
    const value = pair.slice(eq + 1);
    const col = c.column.get(attribute);
    if (col) for (let i = 0; i < n; i++) if (String(col[i]) === value) score[i] -= RULED_OUT;
  }
  return score;
}

/** The heuristic's scores, reused: they are read before the next call. */
let SCORES = new Float64Array(64);

export function heuristic(s: PreferenceScenario, obs: Observation<PreferenceView>): number {
  const c = compile(s);
  const pr = prior(s);
  const view = obs.view;
  const mask = obs.mask;
  if (!view.restless && view.rejected.length === 0) {
    // Ask phase: the most important askables not heard yet (volunteered facts save a question).
    const asks = obs.turn;
    if (asks < pr.askBudget) {
      for (const name of pr.order) {
        const i = c.askIndex.get(name)!;
        if (mask[i] && view.asked[name] === 0 && !heard(view.stance[name])) return i;
      }
      for (const name of pr.order.slice(0, pr.askBudget)) {
        const i = c.askIndex.get(name)!;
        if (mask[i] && view.stance[name] === 'vague') return i;
      }
    }
  }
  if (SCORES.length < s.items.length) SCORES = new Float64Array(s.items.length);
  const score = scoreItems(s, view, SCORES);
  let best = -1;
  for (let i = 0; i < s.items.length; i++) {
    const a = c.firstItem + i;
    if (mask[a] && (best < 0 || score[i] > score[best - c.firstItem])) best = a;
  }
  return best >= 0 ? best : mask.indexOf(true);
}

export function oracle(s: PreferenceScenario, obs: Observation<PreferenceView>, p: PreferencePersona): number {
  const a = compile(s).firstItem + p.best;
  return obs.mask[a] ? a : heuristic(s, obs);
}
