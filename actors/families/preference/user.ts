import type { PreferenceScenario } from '../../../scenarios/families/preference.js';
import type { Rng } from '../../../scenarios/random.js';
import type { Act, ArgValue } from '../../acts.js';
import { compile, match, satisfies, utility, acceptable } from './model.js';
import type { Askable, Constraint, PreferencePersona, PreferenceState, RejectReason, Stance } from './model.js';
import { roundTo } from './persona.js';

/**
 * The imagined user: answers questions about one attribute at a time (sometimes vaguely, sometimes
 * wrongly), volunteers things nobody asked, accepts a recommendation that meets every constraint and
 * is close to their best, rejects others with feedback, and walks out when patience runs out.
 */

/** What a user says about one askable. */
export interface Fact {
  readonly attribute: string;
  readonly stance: Stance;
  readonly value: ArgValue | null;
  /** A preference the user says matters a lot. */
  readonly strong?: boolean;
}

const CONSTRAINT_ORDER: Record<Constraint['op'], number> = { eq: 0, max: 1, min: 2, ne: 3 };

/** The truth about an askable: its tightest hard constraint, else its strongest preference, else 'any'. */
export function truthAbout(s: PreferenceScenario, p: PreferencePersona, name: string): Fact {
  const c = compile(s);
  if (c.traits.has(name)) return { attribute: name, stance: 'is', value: p.traits[name] ?? null };
  let pick: Constraint | null = null;
  for (const k of p.constraints) {
    if (k.attribute !== name) continue;
    if (!pick || CONSTRAINT_ORDER[k.op] < CONSTRAINT_ORDER[pick.op]) pick = k;
    else if (k.op === pick.op && ((k.op === 'max' && k.value < pick.value) || (k.op === 'min' && k.value > pick.value))) pick = k;
  }
  if (pick) return { attribute: name, stance: pick.op, value: pick.value };
  let weight = -1;
  let fact: Fact = { attribute: name, stance: 'any', value: null };
  for (const q of p.preferences) {
    if (q.attribute !== name || q.weight <= weight) continue;
    weight = q.weight;
    const stance: Stance = q.kind === 'value' ? 'prefer' : q.kind;
    fact = { attribute: name, stance, value: q.value, ...(q.strong ? { strong: true } : {}) };
  }
  return fact;
}

/**
 * The fact as the user says it: vague with probability `vagueness` (unless volunteered: nobody
 * volunteers a shrug), else wrong with probability `noise`.
 */
export function sayFact(s: PreferenceScenario, truth: Fact, rng: Rng, canBeVague = true): Fact {
  if (canBeVague && rng.bernoulli(s.user.vagueness)) return { attribute: truth.attribute, stance: 'vague', value: null };
  if (!rng.bernoulli(s.user.noise)) return truth;
  const c = compile(s);
  const a = c.attributes.get(truth.attribute);
  const other = <T>(values: readonly T[], v: unknown): T => {
    const rest = values.filter((x) => x !== v);
    return rest.length ? rng.pick(rest) : values[0];
  };
  if (truth.stance === 'is') {
    const t = c.traits.get(truth.attribute);
    return t ? { ...truth, value: other(t.values.map((x) => x.value), truth.value) } : truth;
  }
  if (!a) return truth;
  if (a.kind === 'numeric') {
    if (truth.stance === 'target' || truth.stance === 'max' || truth.stance === 'min') {
      const x = Math.min(a.max, Math.max(a.min, (truth.value as number) * rng.uniform(0.6, 1.6)));
      return { ...truth, value: roundTo(x, a.step) };
    }
    return { attribute: truth.attribute, stance: 'any', value: null };
  }
  if (a.kind === 'boolean') {
    if (truth.stance === 'prefer') return { ...truth, value: !truth.value };
    return { attribute: truth.attribute, stance: 'any', value: null };
  }
  if (truth.stance === 'any') return { attribute: truth.attribute, stance: 'prefer', value: rng.pick(a.values) };
  return { ...truth, value: other(a.values, truth.value) };
}

export function init(_s: PreferenceScenario, p: PreferencePersona): PreferenceState {
  return { patience: p.patience, told: [], accepted: -1, rejections: 0 };
}

/** With probability `volunteer`, a fact about something not yet told that the user cares about. */
function volunteer(s: PreferenceScenario, p: PreferencePersona, told: readonly string[], except: string | null, rng: Rng): Fact | null {
  if (!rng.bernoulli(s.user.volunteer)) return null;
  const candidates: Askable[] = [];
  for (const a of compile(s).askables) {
    if (a.name === except || told.includes(a.name)) continue;
    if (truthAbout(s, p, a.name).stance !== 'any') candidates.push(a);
  }
  if (candidates.length === 0) return null;
  return sayFact(s, truthAbout(s, p, rng.pick(candidates).name), rng, false);
}

function withAlso(args: Record<string, ArgValue>, fact: Fact | null): Record<string, ArgValue> {
  if (!fact) return args;
  args.also = fact.attribute;
  args.alsoStance = fact.stance;
  if (fact.value !== null) args.alsoValue = fact.value;
  if (fact.strong) args.alsoStrong = true;
  return args;
}

export function open(s: PreferenceScenario, p: PreferencePersona, st: PreferenceState, rng: Rng): { state: PreferenceState; act: Act } {
  const fact = volunteer(s, p, st.told, null, rng);
  const state = fact ? { ...st, told: [fact.attribute] } : st;
  return { state, act: { type: 'greet', args: withAlso({}, fact) } };
}

export function respond(s: PreferenceScenario, p: PreferencePersona, st: PreferenceState, act: Act, rng: Rng): { state: PreferenceState; act: Act; left?: boolean } {
  const c = compile(s);
  let patience = st.patience - 1;
  if (act.type === 'recommend') {
    const i = c.itemIndex.get(String(act.args?.item));
    if (i === undefined) throw new Error(`recommend: unknown item '${String(act.args?.item)}'`);
    if (acceptable(s, p, i)) {
      return { state: { ...st, patience, accepted: i }, act: { type: 'accept', args: { item: s.items[i].name } } };
    }
    patience -= s.reactions.rejectCost;
    const state = { ...st, patience, rejections: st.rejections + 1 };
    if (patience < 0) return { state, act: { type: 'leave', args: { item: s.items[i].name } }, left: true };
    const args: Record<string, ArgValue> = { item: s.items[i].name, ...feedback(s, p, i, rng) };
    if (patience <= s.reactions.restlessAt) args.restless = true;
    const fact = volunteer(s, p, st.told, null, rng);
    return { state: fact ? { ...state, told: [...st.told, fact.attribute] } : state, act: { type: 'reject', args: withAlso(args, fact) } };
  }
  if (act.type === 'ask') {
    const name = String(act.args?.attribute);
    if (!c.askIndex.has(name)) throw new Error(`ask: unknown attribute '${name}'`);
    const again = st.told.includes(name);
    if (again) patience -= s.reactions.repeatCost;
    const told = again ? st.told : [...st.told, name];
    if (patience < 0) return { state: { ...st, patience, told }, act: { type: 'leave', args: {} }, left: true };
    const fact = sayFact(s, truthAbout(s, p, name), rng);
    const args: Record<string, ArgValue> = { attribute: name, stance: fact.stance };
    if (fact.value !== null) args.value = fact.value;
    if (fact.strong) args.strong = true;
    if (again) args.again = true;
    if (patience <= s.reactions.restlessAt) args.restless = true;
    const extra = volunteer(s, p, told, name, rng);
    return { state: { ...st, patience, told: extra ? [...told, extra.attribute] : told }, act: { type: 'inform', args: withAlso(args, extra) } };
  }
  throw new Error(`the preference-elicitation user cannot answer a '${act.type}' act; expected ask or recommend`);
}

/** Why item i is rejected: a broken constraint (picked at random among those broken), else the worst-matched preference. */
function feedback(s: PreferenceScenario, p: PreferencePersona, i: number, rng: Rng): Record<string, ArgValue> {
  const values = s.items[i].attributes;
  if (rng.bernoulli(s.user.vagueness)) return { reason: 'none' satisfies RejectReason };
  const broken = p.constraints.filter((k) => !satisfies(k, values[k.attribute]));
  if (broken.length > 0) {
    const k = rng.pick(broken);
    const reveal = rng.bernoulli(s.reactions.revealLimit);
    switch (k.op) {
      case 'max': return { attribute: k.attribute, reason: 'over' satisfies RejectReason, hard: true, ...(reveal ? { value: k.value } : {}) };
      case 'min': return { attribute: k.attribute, reason: 'under' satisfies RejectReason, hard: true, ...(reveal ? { value: k.value } : {}) };
      case 'eq': return { attribute: k.attribute, reason: 'need' satisfies RejectReason, hard: true, value: k.value };
      case 'ne': return { attribute: k.attribute, reason: 'avoid' satisfies RejectReason, hard: true, value: k.value };
    }
  }
  const c = compile(s);
  let worst = -1;
  let gap = 0;
  p.preferences.forEach((q, k) => {
    const g = q.weight * (1 - match(c, q, values[q.attribute]));
    if (g > gap) { gap = g; worst = k; }
  });
  if (worst < 0 || utility(s, p.preferences, i) >= p.bestUtility) return { reason: 'none' satisfies RejectReason };
  const q = p.preferences[worst];
  const x = values[q.attribute] as number;
  switch (q.kind) {
    case 'value': return { attribute: q.attribute, reason: 'want' satisfies RejectReason, hard: false, value: q.value as ArgValue };
    case 'target': return { attribute: q.attribute, reason: (x > (q.value as number) ? 'over' : 'under') satisfies RejectReason, hard: false };
    case 'lower': return { attribute: q.attribute, reason: 'over' satisfies RejectReason, hard: false };
    case 'higher': return { attribute: q.attribute, reason: 'under' satisfies RejectReason, hard: false };
  }
}
